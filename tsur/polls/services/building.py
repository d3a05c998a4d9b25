"""The poll's own lifecycle: draft (built and edited) → published (votes taken between its dates)
→ closed (by an operator, or when its end passes). Questions change only in a draft: a published
poll's ballots refer to them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction

from tsur.core import clock
from tsur.core.errors import ValidationFailed
from tsur.directory.models import Territory
from tsur.polls.errors import PollLocked
from tsur.polls.events import PollChange, poll_changed
from tsur.polls.models import Audience, Kind, Option, Poll, PollEvent, Question, QuestionKind, Status, Verification
from tsur.polls.services.audit import record

POLL_FIELDS = frozenset(
    {
        "title",
        "description",
        "kind",
        "starts_at",
        "ends_at",
        "verification",
        "audience",
        "show_results",
        "subject_appeal",
        "subject_problem",
        "subject_tension_point_id",
        "subject_label",
    }
)
# What may still change once residents vote: the wording around the questions and the end date.
PUBLISHED_EDITABLE = frozenset({"title", "description", "ends_at", "show_results"})
SCALE_MAX_POINTS = 11  # 0..10 is the widest scale a resident reads at a glance
MIN_OPTIONS = 2


def _check_fields(fields: dict) -> dict[str, list[str]]:
    unknown = set(fields) - POLL_FIELDS - {"territories"}
    if unknown:
        raise TypeError(f"unknown poll fields: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    if "title" in fields and not (fields["title"] or "").strip():
        errors["title"] = ["Укажите название опроса."]
    for name, enum in (("kind", Kind), ("verification", Verification), ("audience", Audience)):
        if name in fields and fields[name] not in enum.values:
            errors[name] = ["Недопустимое значение."]
    return errors


def _check_dates(poll: Poll, errors: dict[str, list[str]]) -> None:
    if poll.starts_at and poll.ends_at and poll.ends_at <= poll.starts_at:
        errors["ends_at"] = ["Окончание опроса должно быть позже его начала."]
    subjects = [poll.subject_appeal_id, poll.subject_problem_id, poll.subject_tension_point_id]
    if sum(s is not None for s in subjects) > 1:
        errors["subject"] = ["У опроса-проверки один предмет: обращение, проблема или точка напряжённости."]


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, field_errors=errors)


def _set_territories(poll: Poll, territories: Iterable[Territory | int] | None) -> None:
    if territories is None:
        return
    ids = [t.pk if isinstance(t, Territory) else int(t) for t in territories]
    found = set(Territory.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if len(found) != len(set(ids)):
        raise ValidationFailed("Указана неизвестная территория.", field_errors={"territories": ["Неизвестная территория."]})
    poll.territories.set(sorted(found))


@transaction.atomic
def create_poll(user, **fields) -> Poll:
    """A new draft poll. `territories`: Territory rows or ids (none: the whole region)."""
    errors = _check_fields(fields)
    territories = fields.pop("territories", None)
    if "title" not in fields:
        errors["title"] = ["Укажите название опроса."]
    poll = Poll(**fields, created_by=user if getattr(user, "is_authenticated", False) else None)
    poll.title = poll.title.strip()
    _check_dates(poll, errors)
    _raise(errors)
    poll.created_at = poll.updated_at = clock.now()
    poll.save()
    _set_territories(poll, territories)
    record(poll, PollEvent.Kind.CREATED, user, title=poll.title)
    return poll


def _locked(poll_id: int) -> Poll:
    return Poll.objects.select_for_update().get(pk=poll_id)


@transaction.atomic
def update_poll(poll: Poll, user, **fields) -> Poll:
    """Change a poll: anything in a draft; a published one only its wording, end and results' display."""
    given, poll = poll, _locked(poll.pk)
    errors = _check_fields(fields)
    if poll.status == Status.CLOSED:
        raise PollLocked("Опрос завершён: изменить его нельзя.")
    if poll.status == Status.PUBLISHED and set(fields) - PUBLISHED_EDITABLE:
        raise PollLocked("Опрос уже опубликован: можно изменить только название, описание, дату окончания и показ итогов.")
    territories = fields.pop("territories", None)
    for name, value in fields.items():
        setattr(poll, name, value.strip() if name == "title" else value)
    _check_dates(poll, errors)
    if poll.status == Status.PUBLISHED and poll.ends_at and poll.ends_at <= clock.now():
        errors["ends_at"] = ["Дата окончания опубликованного опроса должна быть в будущем."]
    _raise(errors)
    poll.updated_at = clock.now()
    poll.save()
    _set_territories(poll, territories)
    record(poll, PollEvent.Kind.EDITED, user, fields=sorted([*fields, *(["territories"] if territories is not None else [])]))
    given.refresh_from_db()  # the caller's instance shows the change too
    return poll


def _require_draft(poll: Poll) -> None:
    if poll.status != Status.DRAFT:
        raise PollLocked("Вопросы меняются только в черновике: опрос уже опубликован.")


@transaction.atomic
def save_question(
    poll: Poll,
    user,
    *,
    question: Question | None = None,
    kind: str = QuestionKind.SINGLE,
    text: str,
    required: bool = True,
    options: Sequence[str] = (),
    order: int | None = None,
    max_choices: int | None = None,
    scale_min: int = 1,
    scale_max: int = 5,
    scale_min_label: str = "",
    scale_max_label: str = "",
) -> Question:
    """Add a question to a draft poll, or replace `question`'s wording, kind and options."""
    poll = _locked(poll.pk)
    _require_draft(poll)
    errors: dict[str, list[str]] = {}
    text = (text or "").strip()
    if not text:
        errors["text"] = ["Введите текст вопроса."]
    if kind not in QuestionKind.values:
        errors["kind"] = ["Недопустимый вид вопроса."]
    clean_options = [o.strip() for o in options if o and o.strip()]
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        if len(clean_options) < MIN_OPTIONS:
            errors["options"] = ["Нужно не меньше двух вариантов ответа."]
        elif len(set(o.casefold() for o in clean_options)) != len(clean_options):
            errors["options"] = ["Варианты ответа повторяются."]
    if kind == QuestionKind.MULTIPLE and max_choices is not None and not 1 <= max_choices <= len(clean_options):
        errors["max_choices"] = ["Число выбираемых вариантов — от 1 до числа вариантов."]
    if kind == QuestionKind.SCALE and not (scale_min < scale_max and scale_max - scale_min + 1 <= SCALE_MAX_POINTS):
        errors["scale"] = [f"Шкала: начало меньше конца, не больше {SCALE_MAX_POINTS} делений."]
    _raise(errors)
    if question is None:
        question = Question(poll=poll)
        if order is None:
            order = (poll.questions.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    elif question.poll_id != poll.pk:
        raise ValidationFailed("Вопрос относится к другому опросу.")
    question.kind, question.text, question.required = kind, text, required
    question.max_choices = max_choices if kind == QuestionKind.MULTIPLE else None
    question.scale_min, question.scale_max = scale_min, scale_max
    question.scale_min_label, question.scale_max_label = scale_min_label.strip(), scale_max_label.strip()
    if order is not None:
        question.order = order
    question.save()
    question.options.all().delete()
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        Option.objects.bulk_create(Option(question=question, order=i, text=t) for i, t in enumerate(clean_options, 1))
    poll.updated_at = clock.now()
    poll.save(update_fields=["updated_at"])
    record(poll, PollEvent.Kind.QUESTION_SAVED, user, question=question.pk, question_kind=kind)
    return question


@transaction.atomic
def delete_question(question: Question, user) -> None:
    poll = _locked(question.poll_id)
    _require_draft(poll)
    question_id = question.pk
    question.delete()
    record(poll, PollEvent.Kind.QUESTION_DELETED, user, question=question_id)


@transaction.atomic
def publish_poll(poll: Poll, user) -> Poll:
    """A draft with at least one question becomes open to residents (from its start date)."""
    given, poll = poll, _locked(poll.pk)
    if poll.status != Status.DRAFT:
        raise PollLocked("Опубликовать можно только черновик.")
    now = clock.now()
    if not poll.questions.exists():
        raise ValidationFailed("В опросе нет ни одного вопроса.", field_errors={"questions": ["Добавьте вопрос."]})
    if poll.ends_at and poll.ends_at <= now:
        raise ValidationFailed(
            "Дата окончания опроса уже прошла: измените её перед публикацией.",
            field_errors={"ends_at": ["Дата окончания уже прошла."]},
        )
    poll.status, poll.published_at, poll.updated_at = Status.PUBLISHED, now, now
    poll.save(update_fields=["status", "published_at", "updated_at"])
    record(poll, PollEvent.Kind.PUBLISHED, user)
    poll_changed.publish([PollChange(poll.pk, PollEvent.Kind.PUBLISHED, getattr(user, "pk", None))])
    given.refresh_from_db()  # the caller's instance shows the change too
    return poll


@transaction.atomic
def close_poll(poll: Poll, user, *, reason: str = "") -> Poll:
    """A published poll stops taking votes (user None: the system, when its end has passed)."""
    given, poll = poll, _locked(poll.pk)
    if poll.status != Status.PUBLISHED:
        raise PollLocked("Завершить можно только опубликованный опрос.")
    now = clock.now()
    poll.status, poll.closed_at, poll.updated_at = Status.CLOSED, now, now
    poll.save(update_fields=["status", "closed_at", "updated_at"])
    record(poll, PollEvent.Kind.CLOSED, user, **({"reason": reason} if reason else {}))
    poll_changed.publish([PollChange(poll.pk, PollEvent.Kind.CLOSED, getattr(user, "pk", None))])
    given.refresh_from_db()  # the caller's instance shows the change too
    return poll
