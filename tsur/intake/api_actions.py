"""POST /api/appeals/{number}/{action}: one endpoint per lifecycle action, each a thin call of the
matching service. Every body carries `version`, the appeal version the user acted on; a stale one
gets 409 concurrent_update. The answer is the updated card."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from ninja import Router

from tsur.answers import services as answers
from tsur.appeals import access, services
from tsur.appeals.lifecycle import TRANSITIONS
from tsur.appeals.models import Appeal
from tsur.core.errors import AccessDenied, ValidationFailed
from tsur.intake.api_auth import STAFF_WRITE, staff_caller, visible_appeal
from tsur.intake.api_present import ACTIONS, detail
from tsur.intake.api_schemas import (
    AnswerIn,
    AppealDetail,
    AssignIn,
    ConfirmIn,
    ExtensionDecisionIn,
    ExtensionRequestIn,
    JoinIn,
    NoteIn,
    PlaceIn,
    QuestionIn,
    ReasonIn,
    ReclassifyIn,
    RejectIn,
    RequiredNoteIn,
    RouteIn,
    TextIn,
    TransferIn,
    UrgencyIn,
    Versioned,
    replies,
)

router = Router(tags=["Действия с обращением"])
RESPONSES = replies({200: AppealDetail}, 400, 401, 403, 404, 409, 413, 415, 422)


def act(request: HttpRequest, number: str, name: str, call: Callable[[Appeal, object], object]) -> dict:
    """Scope first (404 outside it), then the role (403), then the service, which checks both
    again inside its transaction together with the status and the version."""
    user = staff_caller(request)
    appeal = visible_appeal(user, number)
    if not access.can(user, TRANSITIONS[ACTIONS[name]].permission):
        raise AccessDenied("Недостаточно прав для этого действия с обращением.")
    call(appeal, user)
    # An action can move the appeal out of the user's scope (a transfer to another organisation):
    # then the user gets the card one last time without personal data, not an error for an
    # action that succeeded.
    fresh = access.appeals_for(user).filter(pk=appeal.pk).first()
    if fresh is not None:
        return detail(request, user, fresh)
    return detail(request, user, Appeal.objects.get(pk=appeal.pk), in_scope=False)


def _post(name: str, summary: str):
    return router.post(f"/appeals/{{number}}/{name}", auth=STAFF_WRITE, response=RESPONSES, summary=summary, url_name=f"appeal-{name}")


@_post("route", "Направить в организацию (по правилам или вручную)")
def route(request: HttpRequest, number: str, payload: RouteIn):
    return act(request, number, "route", lambda a, u: services.route_appeal(
        a.pk, u, organisation_code=payload.organisation.strip(), reason=payload.reason, expected_version=payload.version))


@_post("transfer", "Переадресовать в другую организацию")
def transfer(request: HttpRequest, number: str, payload: TransferIn):
    return act(request, number, "transfer", lambda a, u: services.transfer_appeal(
        a.pk, u, organisation_code=payload.organisation.strip(), reason=payload.reason, expected_version=payload.version))


@_post("return-to-moderation", "Вернуть в ЦУР: не наша компетенция")
def return_to_moderation(request: HttpRequest, number: str, payload: ReasonIn):
    return act(request, number, "return-to-moderation", lambda a, u: services.return_to_moderation(
        a.pk, u, reason=payload.reason, expected_version=payload.version))


@_post("assign", "Назначить исполнителя")
def assign(request: HttpRequest, number: str, payload: AssignIn):
    return act(request, number, "assign", lambda a, u: services.assign_executor(
        a.pk, u, executor_id=payload.executor, expected_version=payload.version))


@_post("accept", "Принять в работу")
def accept(request: HttpRequest, number: str, payload: Versioned):
    return act(request, number, "accept", lambda a, u: services.accept_appeal(a.pk, u, expected_version=payload.version))


@_post("reject", "Отклонить с причиной")
def reject(request: HttpRequest, number: str, payload: RejectIn):
    return act(request, number, "reject", lambda a, u: services.reject_appeal(
        a.pk, u, reason_code=payload.reason, note=payload.note, expected_version=payload.version))


@_post("join", "Присоединить к проблеме другого обращения")
def join(request: HttpRequest, number: str, payload: JoinIn):
    def call(a: Appeal, u) -> None:
        # The service looks the lead up before checking scope, so its messages would tell an
        # operator that a number outside their scope exists (or is closed). Refuse alike here.
        if not access.appeals_for(u).filter(number=payload.lead.strip()).exists():
            raise ValidationFailed("Ведущее обращение не найдено.", field_errors={"lead": ["Нет обращения с таким номером."]})
        services.join_to_problem(a.pk, u, lead_number=payload.lead.strip(), reason=payload.reason, expected_version=payload.version)

    return act(request, number, "join", call)


@_post("reclassify", "Изменить категорию")
def reclassify(request: HttpRequest, number: str, payload: ReclassifyIn):
    return act(request, number, "reclassify", lambda a, u: services.reclassify(
        a.pk, u, category_code=payload.category.strip(), reason=payload.reason, expected_version=payload.version))


@_post("place", "Изменить место (территорию, адрес, точку)")
def place(request: HttpRequest, number: str, payload: PlaceIn):
    return act(request, number, "place", lambda a, u: services.change_place(
        a.pk, u, territory_code=payload.territory.strip(), address=payload.address, lat=payload.lat, lon=payload.lon,
        clear_point=payload.clear_point, reason=payload.reason, expected_version=payload.version))


@_post("urgency", "Изменить срочность")
def urgency(request: HttpRequest, number: str, payload: UrgencyIn):
    return act(request, number, "urgency", lambda a, u: services.change_urgency(
        a.pk, u, urgency=payload.urgency, reason=payload.reason, expected_version=payload.version))


@_post("interim-answer", "Промежуточный ответ")
def interim_answer(request: HttpRequest, number: str, payload: TextIn):
    return act(request, number, "interim-answer", lambda a, u: answers.give_interim_answer(
        a.pk, u, text=payload.text, expected_version=payload.version))


@_post("extension-request", "Запросить продление срока")
def extension_request(request: HttpRequest, number: str, payload: ExtensionRequestIn):
    return act(request, number, "extension-request", lambda a, u: answers.request_extension(
        a.pk, u, days=payload.days, reason=payload.reason, expected_version=payload.version))


@_post("extension-decision", "Решение ЦУР по запросу продления")
def extension_decision(request: HttpRequest, number: str, payload: ExtensionDecisionIn):
    def call(a: Appeal, u) -> None:
        # The service checks that the request id from the body belongs to the appeal in the path.
        answers.decide_extension(
            a, u, request_id=payload.request, grant=payload.grant, note=payload.note, expected_version=payload.version
        )

    return act(request, number, "extension-decision", call)


@_post("answer", "Подготовить ответ (текст или шаблон)")
def answer(request: HttpRequest, number: str, payload: AnswerIn):
    return act(request, number, "answer", lambda a, u: answers.prepare_answer(
        a.pk, u, text=payload.text, template_code=payload.template.strip(), expected_version=payload.version))


@_post("answer-approve", "Одобрить ответ (проверка ЦУР)")
def answer_approve(request: HttpRequest, number: str, payload: NoteIn):
    return act(request, number, "answer-approve", lambda a, u: answers.approve_answer(
        a.pk, u, note=payload.note, expected_version=payload.version))


@_post("answer-return", "Вернуть ответ на доработку")
def answer_return(request: HttpRequest, number: str, payload: RequiredNoteIn):
    return act(request, number, "answer-return", lambda a, u: answers.return_answer(
        a.pk, u, note=payload.note, expected_version=payload.version))


@_post("publish", "Опубликовать ответ жителю")
def publish(request: HttpRequest, number: str, payload: Versioned):
    return act(request, number, "publish", lambda a, u: answers.publish_answer(a.pk, u, expected_version=payload.version))


@_post("confirm", "Подтвердить решение объективным источником")
def confirm(request: HttpRequest, number: str, payload: ConfirmIn):
    return act(request, number, "confirm", lambda a, u: answers.confirm_resolution(
        a.pk, u, source=payload.source, expected_version=payload.version))


@_post("clarification", "Запросить уточнение у жителя (статус и срок не меняются)")
def clarification(request: HttpRequest, number: str, payload: QuestionIn):
    return act(request, number, "clarification", lambda a, u: services.request_clarification(
        a.pk, u, question=payload.question, expected_version=payload.version))
