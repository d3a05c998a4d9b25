"""Answers: interim answers, extensions, preparing, checking and publishing the answer, the
resident's rating (closing or reopening), auto-closing, confirmation by an objective source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tsur.answers.checking import find_formal_reply, unfilled_fields
from tsur.answers.files import AnswerFile
from tsur.answers.models import Answer, AnswerTemplate, ExtensionRequest, Rating
from tsur.appeals import access
from tsur.appeals.models import Appeal, CloseReason, Status
from tsur.appeals.services import changing, notify_resident, status_url
from tsur.core import clock
from tsur.core.errors import TransitionNotAllowed, ValidationFailed
from tsur.deadlines.services import policy_for


def _text(text: str, field: str = "text") -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("Текст ответа не может быть пустым.", field_errors={field: ["Обязательное поле."]})
    if len(text) > 20_000:
        raise ValidationFailed("Текст ответа слишком длинный (не более 20 000 знаков).", field_errors={field: ["Слишком длинный."]})
    found = unfilled_fields(text)
    fields = [f for f in found if f in _template_fields()] if found else []
    if fields:
        # A template's «[дата]» must never reach a resident. Only the fields our templates have:
        # an imported or replayed answer may rightly hold brackets of its own («[ул. Ленина, 5]»).
        msg = f"Заполните поля шаблона в квадратных скобках: {', '.join(fields)}."
        raise ValidationFailed(msg, field_errors={field: [msg]})
    return text


def _template_fields() -> set[str]:
    """The fields for the executor to fill that the active templates contain («[дата]»)."""
    return {f for text in AnswerTemplate.objects.filter(is_active=True).values_list("text", flat=True) for f in unfilled_fields(text)}


def templates_for(appeal: Appeal, kind: str) -> list[AnswerTemplate]:
    """Active templates of `kind` that fit the appeal: its category's first, then its block's,
    then the general ones (no block, no category). A template tied to categories is not offered
    elsewhere unless its block is the appeal's. Read for every kind at once and kept on the appeal
    object while its version and classification stay (the card's forms ask once per kind)."""
    key = (appeal.version, appeal.block_id, appeal.category_id)
    seen, by_kind = appeal.__dict__.get("_tsur_answer_templates", (None, None))
    if seen != key or by_kind is None:
        by_kind = _templates_by_kind(appeal)
        appeal.__dict__["_tsur_answer_templates"] = (key, by_kind)
    return list(by_kind.get(kind, ()))


def _templates_by_kind(appeal: Appeal) -> dict[str, list[AnswerTemplate]]:
    fits = Q(block=None, categories=None)
    if appeal.block_id:
        fits |= Q(block_id=appeal.block_id)
    if appeal.category_id:
        fits |= Q(categories=appeal.category_id)
    found = AnswerTemplate.objects.filter(fits, is_active=True).distinct()
    in_category = set(
        AnswerTemplate.categories.through.objects.filter(category_id=appeal.category_id).values_list("answertemplate_id", flat=True)
    ) if appeal.category_id else set()  # fmt: skip

    def rank(t: AnswerTemplate) -> tuple[int, str, int]:
        level = 0 if t.pk in in_category else 1 if appeal.block_id and t.block_id == appeal.block_id else 2
        return (level, t.name, t.pk)

    by_kind: dict[str, list[AnswerTemplate]] = {}
    for t in sorted(found, key=rank):
        by_kind.setdefault(t.kind, []).append(t)
    return by_kind


def render_template(template: AnswerTemplate, appeal: Appeal) -> str:
    values = {
        "number": appeal.number,
        "address": appeal.address or (appeal.territory.name if appeal.territory_id else ""),
        "organisation": appeal.organisation.name if appeal.organisation_id else "",
        "received": timezone.localtime(appeal.received_at).strftime("%d.%m.%Y"),
    }
    text = template.text
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def give_interim_answer(
    appeal: Appeal | int, actor, *, text: str, files: Sequence[AnswerFile] = (), expected_version: int | None = None
) -> Answer:
    """Incident regime: stops the hours clock and opens the final-answer clock. Other regimes:
    informs the resident and changes no deadline (the transition recomputes it: an interim answer
    counts only where the regime's policy has a clock after it)."""
    text = _text(text)
    with changing(appeal, "interim_answer", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        now = clock.now()
        answer = Answer.objects.create(
            appeal=a, kind=Answer.Kind.INTERIM, text=text, author=actor,
            organisation_name=a.organisation.name if a.organisation_id else "",
            check_state=Answer.Check.NOT_REQUIRED, published_at=now,
        )
        a.interim_answered_at = now
        _attach(answer, files)
        ch.data["answer"] = answer.pk
        if files:
            ch.data["files"] = len(files)
        notify_resident(a, "interim_answer", f"Промежуточный ответ по обращению {a.number}", text)
    return answer


def request_extension(appeal: Appeal | int, actor, *, days: int, reason: str, expected_version: int | None = None) -> ExtensionRequest:
    if not reason.strip():
        raise ValidationFailed("Обоснуйте продление срока.", field_errors={"reason": ["Обязательное поле."]})
    with changing(appeal, "request_extension", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        policy = policy_for(a.regime)
        _check_extension_allowed(a, policy, days)
        if a.extension_requests.filter(state=ExtensionRequest.State.PENDING).exists():
            raise TransitionNotAllowed("Запрос продления уже ожидает решения ЦУР.")
        req = ExtensionRequest.objects.create(appeal=a, requested_by=actor, days=days, reason=reason.strip())
        ch.data = {"request": req.pk, "days": days}
        ch.reason = reason.strip()
    return req


def _check_extension_allowed(a: Appeal, policy, days: int) -> None:
    if policy is None or policy.extension_max_count == 0:
        raise TransitionNotAllowed("Для этого режима продление срока не предусмотрено.")
    if a.extensions_count >= policy.extension_max_count:
        raise TransitionNotAllowed(f"Срок уже продлевался: допускается не более {policy.extension_max_count} продления.")
    if not (1 <= days <= policy.extension_max_days):
        raise ValidationFailed(
            f"Продление возможно на срок от 1 до {policy.extension_max_days} дней.",
            field_errors={"days": [f"От 1 до {policy.extension_max_days}."]},
        )


def decide_extension(
    appeal: Appeal | int, actor, *, request_id: int, grant: bool, note: str = "", expected_version: int | None = None
) -> ExtensionRequest:
    """The center grants (59-FZ: once, up to 30 days, the author is notified) or denies it."""
    name = "grant_extension" if grant else "deny_extension"
    with changing(appeal, name, actor, expected_version=expected_version) as ch:
        a = ch.appeal
        req = ExtensionRequest.objects.select_for_update().filter(pk=request_id, appeal=a).first()
        if req is None:
            raise ValidationFailed("Запрос продления не найден.", field_errors={"request": ["Нет такого запроса у этого обращения."]})
        if req.state != ExtensionRequest.State.PENDING:
            raise TransitionNotAllowed("По этому запросу продления решение уже принято.")
        req.decided_by, req.decided_at = actor, clock.now()
        ch.data = {"request": req.pk, "days": req.days}
        ch.reason = note.strip() or req.reason
        if grant:
            _check_extension_allowed(a, policy_for(a.regime), req.days)
            req.state = ExtensionRequest.State.GRANTED
            a.extension_days += req.days
            a.extensions_count += 1
            a.escalation_level = 0
            a.reminded_at = None
            ch.move_clock()  # the resident is told the new due date
            due = timezone.localtime(a.due_at).strftime("%d.%m.%Y") if a.due_at else "—"
            notify_resident(
                a, "extension",
                f"Срок рассмотрения обращения {a.number} продлён",
                f"Срок рассмотрения вашего обращения {a.number} продлён на {req.days} дн., до {due}. "
                f"Основание: {req.reason}",
            )
        else:
            req.state = ExtensionRequest.State.DENIED
        req.save()
    return req


def prepare_answer(
    appeal: Appeal | int,
    actor,
    *,
    text: str = "",
    template_code: str = "",
    files: Sequence[AnswerFile] = (),
    expected_version: int | None = None,
) -> Answer:
    """The organisation's answer goes to the center for checking (or straight out, if configured)."""
    a0 = appeal if isinstance(appeal, Appeal) else Appeal.objects.get(pk=appeal)
    if template_code and not text:
        template = AnswerTemplate.objects.filter(code=template_code, is_active=True).first()
        if template is None:
            raise ValidationFailed("Шаблон ответа не найден.", field_errors={"template": ["Неизвестный шаблон."]})
        text = render_template(template, a0)
    text = _text(text)
    with changing(appeal, "prepare_answer", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        answer = Answer.objects.create(
            appeal=a, kind=Answer.Kind.FINAL, text=text, author=actor,
            organisation_name=a.organisation.name if a.organisation_id else "",
            formal_findings=find_formal_reply(text),
        )
        a.answered_at = answer.created_at
        _attach(answer, files)
        ch.data = {"answer": answer.pk, "formal_findings": len(answer.formal_findings)}
        if files:
            ch.data["files"] = len(files)
    if not settings.TSUR_ANSWER_CHECK_REQUIRED:
        approve_answer(a0.pk, None, note="Проверка ответов отключена в настройках")
        publish_answer(a0.pk, None)
    return answer


def _attach(answer: Answer, files: Sequence[AnswerFile]) -> None:
    """Store the checked files with the answer, inside the transition: a refused transition
    leaves no file rows behind (the stored bytes of a rolled-back upload are orphans, never served)."""
    for f in files:
        f.save_to(answer)


def current_answer(appeal: Appeal) -> Answer:
    answer = appeal.answers.filter(kind=Answer.Kind.FINAL).order_by("-created_at", "-pk").first()
    if answer is None:
        raise TransitionNotAllowed(f"У обращения {appeal.number} нет подготовленного ответа.")
    return answer


def flagged_answer(appeal: Appeal) -> Answer | None:
    """The answer awaiting the center's check if the formal-reply check found anything in it."""
    answer = appeal.answers.filter(kind=Answer.Kind.FINAL).order_by("-created_at", "-pk").first()
    if answer is None or answer.check_state != Answer.Check.PENDING or not answer.formal_findings:
        return None
    return answer


def approve_answer(appeal: Appeal | int, actor, *, note: str = "", expected_version: int | None = None) -> Answer:
    """Approve for publication. An answer the check flagged as a possible «отписка» is approved
    only with a stated reason: the approval is then the operator's decision, on the record (the
    event keeps the reason and how many findings were overruled)."""
    return _check_answer(appeal, actor, "approve_answer", Answer.Check.APPROVED, note, expected_version)


def return_answer(appeal: Appeal | int, actor, *, note: str, expected_version: int | None = None) -> Answer:
    if not note.strip():
        raise ValidationFailed("Напишите, что исправить в ответе.", field_errors={"note": ["Обязательное поле."]})
    return _check_answer(appeal, actor, "return_answer", Answer.Check.RETURNED, note, expected_version)


def _check_answer(appeal: Appeal | int, actor, transition: str, verdict: str, note: str, expected_version: int | None) -> Answer:
    """The center's check of the prepared answer: approved for publication or returned."""
    with changing(appeal, transition, actor, expected_version=expected_version) as ch:
        answer = current_answer(ch.appeal)
        # Decided on the locked row: the answer the operator approves is the one that was flagged.
        overruled = len(answer.formal_findings or []) if verdict == Answer.Check.APPROVED else 0
        if overruled and not note.strip():
            msg = "Ответ похож на формальную отписку: чтобы одобрить его, напишите, почему он всё же годится."
            raise ValidationFailed(msg, field_errors={"note": ["Обязательное поле: ответ отмечен проверкой как возможная отписка."]})
        answer.check_state, answer.checked_by, answer.checked_at, answer.check_note = verdict, actor, clock.now(), note.strip()
        answer.save()
        ch.data = {"answer": answer.pk}
        if overruled:
            ch.data["overruled_findings"] = overruled
        ch.reason = note.strip()
    return answer


@transaction.atomic
def publish_answer(appeal: Appeal | int, actor, *, expected_version: int | None = None) -> Answer:
    """Publish to the resident, and to every author of appeals joined to this one's problem,
    all in one transaction: either every author gets the answer or none does."""
    with changing(appeal, "publish_answer", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        answer = current_answer(a)
        now = clock.now()
        answer.published_at = now
        answer.save(update_fields=["published_at"])
        a.published_at = now
        ch.data = {"answer": answer.pk}
        _send_answer(a, answer)
        members = []
        if hasattr(a, "led_problem"):
            members = list(a.led_problem.appeals.filter(status=Status.JOINED).exclude(pk=a.pk).values_list("pk", flat=True))
    for member_id in members:
        with changing(member_id, "deliver_problem_answer", None) as mch:
            mch.appeal.published_at = now
            mch.appeal.answered_at = answer.created_at
            mch.data = {"answer": answer.pk, "lead": a.number}
            _send_answer(mch.appeal, answer)
    return answer


def _send_answer(a: Appeal, answer: Answer) -> None:
    notify_resident(
        a, "answer",
        f"Ответ на обращение {a.number}",
        f"{answer.text}\n\nОцените ответ по ссылке: {status_url(a)}",
    )


def answer_for(appeal: Appeal) -> Answer | None:
    """The answer the resident sees: the appeal's own, or its problem lead's."""
    own = appeal.answers.filter(kind=Answer.Kind.FINAL).exclude(published_at=None).order_by("-published_at").first()
    if own is not None:
        return own
    if appeal.problem_id and appeal.problem.lead_id != appeal.pk:
        return answer_for(appeal.problem.lead)
    return None


def rate_appeal(appeal: Appeal | int, actor=None, *, score: int, comment: str = "") -> Rating:
    """The resident's rating 1-5: above the threshold closes, at or below reopens.

    `actor` is the resident's user, or None when the resident comes by the private link (the
    caller has checked the link's key).
    """
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationFailed("Оценка — целое число от 1 до 5.", field_errors={"score": ["От 1 до 5."]})
    a0 = appeal if isinstance(appeal, Appeal) else Appeal.objects.get(pk=appeal)
    satisfied = score > settings.TSUR_REOPEN_MAX_SCORE
    is_member = bool(a0.problem_id and a0.problem.lead_id != a0.pk)
    name = "rate_satisfied" if satisfied else ("reopen_member" if is_member else "reopen")
    with changing(appeal, name, actor, label="житель") as ch:
        a = ch.appeal
        # Checked on the locked row: two ratings sent at once cannot both pass.
        if a.status == Status.CLOSED and a.close_reason != CloseReason.AUTO:
            raise TransitionNotAllowed("Обращение уже закрыто, оценка принята ранее.")
        answer = answer_for(a)
        rating = Rating.objects.create(appeal=a, answer=answer, score=score, comment=comment.strip()[:2000])
        ch.data = {"score": score, "rating": rating.pk}
        ch.reason = comment.strip()[:500]
        if satisfied:
            a.close_reason = CloseReason.SATISFIED
            a.closed_at = clock.now()
        else:
            a.close_reason = ""
            a.closed_at = None
            a.reopened_count += 1  # the clock restarts with the transition (lifecycle: reopen)
    if not satisfied and is_member:
        lead = a0.problem.lead
        if lead.status in (Status.PUBLISHED, Status.CLOSED):
            with changing(lead.pk, "reopen", None, label="житель (присоединённое обращение)") as lch:
                lch.appeal.close_reason = ""
                lch.appeal.closed_at = None
                lch.appeal.reopened_count += 1
                lch.reason = f"Автор обращения {a0.number} не удовлетворён ответом (оценка {score})"
    return rating


def confirm_resolution(appeal: Appeal | int, actor, *, source: str, expected_version: int | None = None) -> Appeal:
    if not source.strip():
        raise ValidationFailed("Укажите объективный источник подтверждения.", field_errors={"source": ["Обязательное поле."]})
    with changing(appeal, "confirm_resolution", actor, expected_version=expected_version) as ch:
        ch.appeal.close_reason = CloseReason.CONFIRMED
        ch.appeal.closed_at = clock.now()
        ch.reason = source.strip()
    return ch.appeal


def auto_close_due(now: dt.datetime | None = None) -> int:
    """Close published appeals left without a rating for the configured number of days."""
    now = now or clock.now()
    cutoff = now - dt.timedelta(days=settings.TSUR_AUTO_CLOSE_DAYS)
    closed = 0
    for pk in Appeal.objects.filter(status=Status.PUBLISHED, published_at__lte=cutoff).values_list("pk", flat=True):
        try:
            with changing(pk, "auto_close", None) as ch:
                ch.appeal.close_reason = CloseReason.AUTO
                ch.appeal.closed_at = now
                ch.reason = f"Нет оценки жителя {settings.TSUR_AUTO_CLOSE_DAYS} дн. после публикации ответа"
            closed += 1
        except TransitionNotAllowed:
            continue  # rated meanwhile
    return closed


def allowed_answer_actions(user, appeal: Appeal) -> dict[str, bool]:
    return {name: access.can(user, name, appeal) for name in ("prepare_answer", "check_answer", "publish_answer")}
