"""Casting a vote: one ballot per verified resident, inside the poll's territory and dates, with
every answer checked; written in one transaction (the ballot, its answers, the code or the
invitation used up, the audit row) or not at all."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import formats, timezone

from tsur.accounts.models import Role
from tsur.accounts.roles import role_of
from tsur.core import clock
from tsur.directory.models import Territory
from tsur.lib.pdmask import mask_personal_data
from tsur.polls.errors import AlreadyVoted, CodeRefused, InvalidAnswers, OutsideTerritory, PollNotOpen, VerificationRequired
from tsur.polls.events import ballot_cast
from tsur.polls.models import (
    TEXT_ANSWER_MAX,
    Answer,
    Audience,
    Ballot,
    Invitation,
    Poll,
    PollEvent,
    Question,
    QuestionKind,
    Status,
    Verification,
    VerificationCode,
)
from tsur.polls.services.audit import record
from tsur.polls.services.identity import Identity, IdentityKind, voter_key

# A question's answer as the resident gave it: an option id (single), option ids (multiple), a
# number (scale) or a text.
AnswerValue = int | list[int] | str | None

ALREADY_VOTED = "Вы уже проголосовали в этом опросе."


def _local(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "j E Y г. H:i")


def require_open(poll: Poll) -> None:
    """Refuse unless the poll takes votes now (published, started, not ended)."""
    now = clock.now()
    if poll.status == Status.DRAFT:
        raise PollNotOpen("Опрос ещё не опубликован.", code="poll_not_published")
    if poll.status == Status.CLOSED:
        raise PollNotOpen("Опрос завершён: голоса больше не принимаются.", code="poll_closed")
    if poll.starts_at and now < poll.starts_at:
        raise PollNotOpen(f"Опрос ещё не начался: голосование откроется {_local(poll.starts_at)}.", code="poll_not_started")
    if poll.ends_at and now >= poll.ends_at:
        raise PollNotOpen(f"Опрос завершился {_local(poll.ends_at)}: голоса больше не принимаются.", code="poll_ended")


def territory_ids(poll: Poll) -> set[int] | None:
    """Ids of the territories where the poll is held, each with everything under it; None: the whole region."""
    chosen = list(poll.territories.all())
    if not chosen:
        return None
    ids: set[int] = set()
    for territory in chosen:
        ids |= territory.descendant_ids()
    return ids


def voting_territories(poll: Poll) -> list[Territory]:
    """What a resident picks from: the poll's territories and everything under them."""
    ids = territory_ids(poll)
    qs = Territory.objects.all() if ids is None else Territory.objects.filter(pk__in=ids)
    return list(qs.order_by("name"))


def require_verification(poll: Poll, identity: Identity) -> None:
    if poll.audience == Audience.INVITED and identity.kind != IdentityKind.INVITATION:
        raise VerificationRequired("В этом опросе голосуют жители, получившие приглашение: откройте ссылку из сообщения.", code="invitation_required")
    if identity.kind == IdentityKind.INVITATION:
        return
    if poll.verification == Verification.ACCOUNT and identity.kind != IdentityKind.ACCOUNT:
        raise VerificationRequired("В этом опросе голосуют через учётную запись жителя: войдите, чтобы проголосовать.")
    if poll.verification == Verification.CODE and identity.kind != IdentityKind.CONTACT:
        raise VerificationRequired("В этом опросе голос подтверждается кодом, отправленным на телефон или электронную почту.")


def account_may_vote(user) -> None:
    if user is None or not user.is_authenticated:
        raise VerificationRequired("Войдите в учётную запись жителя, чтобы проголосовать.")
    if role_of(user) not in (Role.RESIDENT, None):
        raise VerificationRequired("Голосуют жители: учётная запись сотрудника для голосования не подходит.", code="staff_account")


def _options_of(question: Question) -> dict[int, object]:
    return {o.pk: o for o in question.options.all()}


def check_answers(poll: Poll, answers: Mapping[int, AnswerValue]) -> list[Answer]:
    """The answers as unsaved rows, or InvalidAnswers with a Russian reason per question
    (`fields` keyed "q<question id>")."""
    questions = list(poll.questions.prefetch_related("options").order_by("order", "pk"))
    known = {q.pk for q in questions}
    errors: dict[str, list[str]] = {}
    unknown = [qid for qid in answers if qid not in known]
    if unknown:
        errors["answers"] = ["Ответ на вопрос, которого нет в этом опросе."]
    rows: list[Answer] = []
    for q in questions:
        value = answers.get(q.pk)
        key = f"q{q.pk}"
        empty = value is None or value == "" or value == []
        if empty:
            if q.required:
                errors[key] = ["Ответьте на этот вопрос."]
            continue
        if q.kind == QuestionKind.SINGLE:
            options = _options_of(q)
            if isinstance(value, list) and len(value) == 1:
                value = value[0]
            if not isinstance(value, int) or isinstance(value, bool) or value not in options:
                errors[key] = ["Выберите один из предложенных вариантов."]
                continue
            rows.append(Answer(question=q, option_id=value))
        elif q.kind == QuestionKind.MULTIPLE:
            options = _options_of(q)
            chosen = value if isinstance(value, list) else [value]
            if not all(isinstance(v, int) and not isinstance(v, bool) and v in options for v in chosen):
                errors[key] = ["Выберите варианты из предложенных."]
                continue
            if len(set(chosen)) != len(chosen):
                errors[key] = ["Вариант выбран дважды."]
                continue
            if q.max_choices and len(chosen) > q.max_choices:
                errors[key] = [f"Можно выбрать не больше {q.max_choices}."]
                continue
            rows.extend(Answer(question=q, option_id=v) for v in chosen)
        elif q.kind == QuestionKind.SCALE:
            if not isinstance(value, int) or isinstance(value, bool) or not q.scale_min <= value <= q.scale_max:
                errors[key] = [f"Оценка — целое число от {q.scale_min} до {q.scale_max}."]
                continue
            rows.append(Answer(question=q, value=value))
        else:
            if not isinstance(value, str):
                errors[key] = ["Ответ должен быть текстом."]
                continue
            text = value.strip()
            if len(text) > TEXT_ANSWER_MAX:
                errors[key] = [f"Ответ длиннее {TEXT_ANSWER_MAX} знаков: сократите его."]
                continue
            if text:
                # Free answers reach results and exports: a phone or a name typed in is masked now.
                rows.append(Answer(question=q, text=mask_personal_data(text, names=True)))
            elif q.required:
                errors[key] = ["Ответьте на этот вопрос."]
    if errors:
        count = len(errors)
        raise InvalidAnswers(
            "Проверьте ответы: " + ("один вопрос заполнен неверно." if count == 1 else "несколько вопросов заполнены неверно."),
            field_errors=errors,
        )
    return rows


def cast_vote(
    poll: Poll,
    identity: Identity,
    territory: Territory | int | None,
    answers: Mapping[int, AnswerValue],
    *,
    channel: str,
) -> Ballot:
    """Record one verified resident's vote, or refuse it with the reason; nothing is stored on refusal."""
    require_open(poll)
    require_verification(poll, identity)
    territory_id = territory.pk if isinstance(territory, Territory) else territory
    allowed = territory_ids(poll)
    if territory_id is None:
        raise OutsideTerritory("Укажите, где вы живёте.", code="territory_required", field_errors={"territory": ["Обязательное поле."]})
    if (allowed is not None and territory_id not in allowed) or not Territory.objects.filter(pk=territory_id).exists():
        raise OutsideTerritory(
            "Опрос проводится на другой территории: голоса жителей этого места не принимаются.",
            field_errors={"territory": ["Территория вне опроса."]},
        )
    rows = check_answers(poll, answers)
    key = voter_key(poll, identity)
    try:
        with transaction.atomic():
            locked = Poll.objects.select_for_update().get(pk=poll.pk)
            require_open(locked)  # closed meanwhile: the vote is refused, not counted after the end
            if Ballot.objects.filter(poll=poll, voter_key=key).exists():
                raise AlreadyVoted(ALREADY_VOTED)
            now = clock.now()
            if identity.code_id is not None:
                used = VerificationCode.objects.filter(pk=identity.code_id, poll=poll, used_at__isnull=True).update(used_at=now)
                if not used:
                    raise CodeRefused("Этот код уже использован. Запросите новый код.", code="code_used")
            if identity.invitation_id is not None:
                used = Invitation.objects.filter(pk=identity.invitation_id, poll=poll, used_at__isnull=True).update(used_at=now)
                if not used:
                    raise AlreadyVoted("По этому приглашению уже проголосовали.")
            ballot = Ballot.objects.create(poll=poll, territory_id=territory_id, voter_key=key, channel=channel, cast_at=now)
            for row in rows:
                row.ballot = ballot
            Answer.objects.bulk_create(rows)
            record(poll, PollEvent.Kind.VOTE_CAST, None, ballot=ballot.pk, channel=channel)
            ballot_cast.publish([ballot.pk])
    except IntegrityError:
        # Two requests of one voter at the same moment: the unique voter key lets one through.
        raise AlreadyVoted(ALREADY_VOTED) from None
    return ballot


def open_now_filter(now) -> Q:
    """Published polls taking votes at `now`."""
    started = Q(starts_at__isnull=True) | Q(starts_at__lte=now)
    return Q(status=Status.PUBLISHED) & started & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))


def current_polls(territory: Territory | None = None) -> list[Poll]:
    """Polls taking votes now, for residents of `territory` (None: every open poll). A poll held
    in a territory covers everything under it; a poll with no territory covers the whole region."""
    qs = Poll.objects.filter(open_now_filter(clock.now()), audience=Audience.EVERYONE)
    if territory is not None:
        chain = [t.pk for t in territory.ancestors_and_self()]
        qs = qs.filter(Q(territories__isnull=True) | Q(territories__in=chain))
    return list(qs.distinct().order_by("ends_at", "-published_at"))
