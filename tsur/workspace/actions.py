"""The card's actions: each maps one small form onto one service function.

An action is offered when its lifecycle transition is available from the appeal's status and
`access.can(user, permission, appeal)` holds, the permission being the transition's own
(tsur.appeals.lifecycle). The services check both again when the form is posted, so this list only
decides what is worth showing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tsur.answers import services as answers
from tsur.answers.files import read_answer_files
from tsur.answers.models import AnswerTemplate, ExtensionRequest
from tsur.appeals import access, lifecycle
from tsur.appeals import services as appeals
from tsur.appeals.models import Appeal
from tsur.core.errors import TransitionNotAllowed, ValidationFailed
from tsur.deadlines.services import policy_for
from tsur.workspace import forms as f

Runner = Callable[[Appeal, object, dict, int | None], str]


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    group: str
    transitions: tuple[str, ...]
    form: type[f.ActionForm]
    run: Runner
    button: str = ""
    primary: bool = False
    danger: bool = False
    applies: Callable[[Appeal], bool] | None = None
    hint: str = ""
    for_user: Callable[[Appeal, object], bool] | None = None  # who, beyond the permission, it makes sense for

    @property
    def submit_label(self) -> str:
        return self.button or self.label

    @property
    def permission(self) -> str:
        return lifecycle.TRANSITIONS[self.transitions[0]].permission


# --- runners: parse the cleaned form into a service call, return the flash message ------------


def _route(a: Appeal, user, d: dict, v: int | None) -> str:
    a = appeals.route_appeal(a, user, organisation_code=d["organisation"], reason=d["reason"], expected_version=v)
    return f"Обращение {a.number} направлено: {a.organisation.short_name}."


def _transfer(a: Appeal, user, d: dict, v: int | None) -> str:
    a = appeals.transfer_appeal(a, user, organisation_code=d["organisation"], reason=d["reason"], expected_version=v)
    return f"Обращение {a.number} переадресовано: {a.organisation.short_name}."


def _return(a: Appeal, user, d: dict, v: int | None) -> str:
    a = appeals.return_to_moderation(a, user, reason=d["reason"], expected_version=v)
    return f"Обращение {a.number} возвращено в ЦУР на модерацию."


def _assign(a: Appeal, user, d: dict, v: int | None) -> str:
    a = appeals.assign_executor(a, user, executor_id=d["executor"], expected_version=v)
    return f"Исполнитель назначен: {appeals.actor_label(a.executor)}."


def _take(a: Appeal, user, d: dict, v: int | None) -> str:
    appeals.assign_executor(a, user, executor_id=user.pk, expected_version=v)
    return f"Обращение {a.number} взято вами в работу."


def _accept(a: Appeal, user, d: dict, v: int | None) -> str:
    a = appeals.accept_appeal(a, user, expected_version=v)
    return f"Обращение {a.number} принято в работу."


def _reject(a: Appeal, user, d: dict, v: int | None) -> str:
    a = appeals.reject_appeal(a, user, reason_code=d["reason"], note=d["note"], expected_version=v)
    return f"Обращение {a.number} отклонено."


def _join(a: Appeal, user, d: dict, v: int | None) -> str:
    a = appeals.join_to_problem(a, user, lead_number=d["lead"].strip(), reason=d["reason"], expected_version=v)
    return f"Обращение {a.number} присоединено к проблеме по обращению {a.problem.lead.number}."


def _reclassify(a: Appeal, user, d: dict, v: int | None) -> str:
    a = appeals.reclassify(a, user, category_code=d["category"], reason=d["reason"], expected_version=v)
    return f"Классификация изменена: {a.block.name} / {a.category.name}."


def _change_place(a: Appeal, user, d: dict, v: int | None) -> str:
    clear = bool(d.get("clear_point"))
    # Unchanged coordinates (the form starts with the current point) are no move.
    same = (d["lat"], d["lon"]) == (a.lat, a.lon)
    lat, lon = (None, None) if clear or same else (d["lat"], d["lon"])
    appeals.change_place(
        a, user, territory_code=d["territory"], address=d["address"], lat=lat, lon=lon, clear_point=clear, reason=d["reason"], expected_version=v
    )
    return "Место обращения изменено."


def _change_urgency(a: Appeal, user, d: dict, v: int | None) -> str:
    a = appeals.change_urgency(a, user, urgency=d["urgency"], reason=d["reason"], expected_version=v)
    return f"Срочность изменена: {a.get_urgency_display().lower()}."


def _template_text(a: Appeal, d: dict) -> str:
    text = (d.get("text") or "").strip()
    if text or not d.get("template"):
        return text
    template = AnswerTemplate.objects.filter(code=d["template"], is_active=True).first()
    if template is None:
        raise ValidationFailed("Шаблон ответа не найден.", field_errors={"template": ["Неизвестный шаблон."]})
    return answers.render_template(template, a)


def _interim(a: Appeal, user, d: dict, v: int | None) -> str:
    files = read_answer_files(d.get("files") or [])
    answers.give_interim_answer(a, user, text=_template_text(a, d), files=files, expected_version=v)
    return "Промежуточный ответ отправлен жителю."


def _request_extension(a: Appeal, user, d: dict, v: int | None) -> str:
    req = answers.request_extension(a, user, days=d["days"], reason=d["reason"], expected_version=v)
    return f"Запрос продления на {req.days} дн. отправлен в ЦУР."


def _decide_extension(a: Appeal, user, d: dict, v: int | None) -> str:
    grant = d["decision"] == "grant"
    req = answers.decide_extension(a, user, request_id=d["request"], grant=grant, note=d["note"], expected_version=v)
    return f"Срок продлён на {req.days} дн." if grant else "В продлении срока отказано."


def _prepare(a: Appeal, user, d: dict, v: int | None) -> str:
    text = (d.get("text") or "").strip()
    files = read_answer_files(d.get("files") or [])
    answers.prepare_answer(a, user, text=text, template_code="" if text else d["template"], files=files, expected_version=v)
    return "Ответ подготовлен и передан на проверку в ЦУР."


def _approve(a: Appeal, user, d: dict, v: int | None) -> str:
    answers.approve_answer(a, user, note=d["note"], expected_version=v)
    return "Ответ одобрен."


def _return_answer(a: Appeal, user, d: dict, v: int | None) -> str:
    answers.return_answer(a, user, note=d["note"], expected_version=v)
    return "Ответ возвращён исполнителю на доработку."


def _publish(a: Appeal, user, d: dict, v: int | None) -> str:
    answers.publish_answer(a, user, expected_version=v)
    return "Ответ опубликован и отправлен жителю."


def _request_clarification(a: Appeal, user, d: dict, v: int | None) -> str:
    appeals.request_clarification(a, user, question=d["question"], expected_version=v)
    return "Вопрос отправлен жителю. Срок ответа не меняется."


def _confirm(a: Appeal, user, d: dict, v: int | None) -> str:
    answers.confirm_resolution(a, user, source=d["source"], expected_version=v)
    return "Решение подтверждено, обращение закрыто."


# --- preconditions beyond the state machine ---------------------------------------------------


def _has_org(a: Appeal) -> bool:
    return a.organisation_id is not None


def _extension_requests(a: Appeal) -> list[ExtensionRequest]:
    """The appeal's extension requests (with who asked and who decided), read once per appeal
    object and version: the card asks for the pending one when it picks the actions (twice), for
    its notice, and lists them all."""
    version, rows = a.__dict__.get("_tsur_extension_requests", (None, None))
    if version != a.version or rows is None:
        rows = list(a.extension_requests.select_related("requested_by", "decided_by").order_by("created_at", "pk"))
        a.__dict__["_tsur_extension_requests"] = (a.version, rows)
    return rows


def _pending_extension(a: Appeal) -> ExtensionRequest | None:
    pending = [x for x in _extension_requests(a) if x.state == ExtensionRequest.State.PENDING]
    return min(pending, key=lambda x: x.pk) if pending else None


def _may_request_extension(a: Appeal) -> bool:
    policy = policy_for(a.regime)
    if policy is None or a.extensions_count >= policy.extension_max_count:
        return False
    return _pending_extension(a) is None


def _has_answer(a: Appeal) -> bool:
    try:
        answers.current_answer(a)
    except TransitionNotAllowed:
        return False  # an answer's status without its answer row (imported or damaged data)
    return True


def _may_take(a: Appeal, user) -> bool:
    """«Взять себе»: for the organisation's own staff when someone else (or no one) executes it.
    The center's operators may assign but never execute, so it means nothing to them."""
    m = access.membership_of(user)
    return (
        access.role_of(user) in access.ORGANISATION_ROLES
        and m is not None
        and a.organisation_id is not None
        and m.organisation_id == a.organisation_id
        and a.executor_id != user.pk
    )


MODERATION, CLASSIFY, WORK, ANSWER, CLOSE = "Модерация", "Классификация и место", "Исполнение", "Ответ", "Закрытие"

ACTIONS: list[Action] = [
    Action("route", "Направить в организацию", MODERATION, ("route",), f.RouteForm, _route, "Направить", primary=True,
           hint="Без выбора организации сработают правила маршрутизации."),
    Action("reject", "Отклонить", MODERATION, ("reject",), f.RejectForm, _reject, danger=True),
    Action("join_problem", "Присоединить к проблеме", MODERATION, ("join_problem",), f.JoinForm, _join,
           "Присоединить"),
    Action("accept", "Принять в работу", WORK, ("accept",), f.EmptyForm, _accept, primary=True),
    Action("assign", "Назначить исполнителя", WORK, ("assign",), f.AssignForm, _assign, "Назначить",
           primary=True, applies=_has_org),
    # Shown in the card's head, not in the actions panel (tsur/workspace/card.py).
    Action("take", "Взять себе", WORK, ("assign",), f.EmptyForm, _take, applies=_has_org, for_user=_may_take),
    Action("interim_answer", "Промежуточный ответ", WORK, ("interim_answer",), f.InterimForm, _interim,
           "Отправить жителю"),
    Action("request_extension", "Запросить продление срока", WORK, ("request_extension",),
           f.ExtensionRequestForm, _request_extension, "Запросить", applies=_may_request_extension),
    Action("decide_extension", "Решение по продлению срока", WORK, ("grant_extension", "deny_extension"),
           f.ExtensionDecisionForm, _decide_extension, primary=True, applies=lambda a: _pending_extension(a) is not None),
    Action("transfer", "Переадресовать", WORK, ("transfer",), f.TransferForm, _transfer),
    Action("return_to_moderation", "Вернуть в ЦУР", WORK, ("return_to_moderation",), f.ReasonForm, _return,
           "Вернуть", hint="Обращение не относится к организации: ЦУР направит его заново."),
    Action("prepare_answer", "Подготовить ответ", ANSWER, ("prepare_answer",), f.AnswerTextForm, _prepare,
           "Передать на проверку", primary=True),
    Action("approve_answer", "Одобрить ответ", ANSWER, ("approve_answer",), f.ApproveForm, _approve, "Одобрить",
           primary=True, applies=_has_answer),
    Action("return_answer", "Вернуть ответ на доработку", ANSWER, ("return_answer",), f.ReturnAnswerForm,
           _return_answer, "Вернуть на доработку", danger=True, applies=_has_answer),
    Action("publish_answer", "Опубликовать ответ", ANSWER, ("publish_answer",), f.EmptyForm, _publish,
           "Опубликовать", primary=True, applies=_has_answer, hint="Ответ уйдёт жителю в канал, откуда пришло обращение."),
    Action("reclassify", "Изменить категорию", CLASSIFY, ("reclassify",), f.ReclassifyForm, _reclassify,
           "Изменить", hint="Режим и срок ответа будут пересчитаны."),
    Action("change_place", "Изменить место", CLASSIFY, ("change_place",), f.ChangePlaceForm, _change_place,
           "Изменить"),
    Action("change_urgency", "Изменить срочность", CLASSIFY, ("change_urgency",), f.UrgencyForm,
           _change_urgency, "Изменить"),
    Action("request_clarification", "Запросить уточнение", WORK, ("request_clarification",), f.ClarificationForm,
           _request_clarification, "Отправить жителю", hint="Житель получит вопрос в своём канале и на странице обращения; срок не останавливается."),
    Action("confirm_resolution", "Подтвердить решение", CLOSE, ("confirm_resolution",), f.ConfirmForm,
           _confirm, "Подтвердить и закрыть"),
]
BY_NAME: dict[str, Action] = {a.name: a for a in ACTIONS}


def available_actions(user, appeal: Appeal) -> list[Action]:
    """Actions this user may take on this appeal now: the state machine ∩ the access rules."""
    open_transitions = {t.name for t in lifecycle.available(appeal.status)}
    allowed: dict[str, bool] = {}
    result = []
    for action in ACTIONS:
        if not open_transitions.intersection(action.transitions):
            continue
        if action.permission not in allowed:
            allowed[action.permission] = access.can(user, action.permission, appeal)
        if not allowed[action.permission]:
            continue
        if action.applies is not None and not action.applies(appeal):
            continue
        if action.for_user is not None and not action.for_user(appeal, user):
            continue
        result.append(action)
    return result


def initial_form(action: Action, appeal: Appeal) -> f.ActionForm:
    form = action.form(appeal=appeal, prefix=action.name)
    if action.name == "decide_extension":
        pending = _pending_extension(appeal)
        form.initial["request"] = pending.pk if pending else None
    return form


def pending_extension(appeal: Appeal) -> ExtensionRequest | None:
    return _pending_extension(appeal)


def extension_requests(appeal: Appeal) -> list[ExtensionRequest]:
    """All of the appeal's extension requests, oldest first (the card's list)."""
    return _extension_requests(appeal)
