"""Polls in the app API: the current polls, one poll with its questions, a one-time code, a vote.

A vote is verified by the resident's own key (scope `resident`) or session, by a one-time code sent
to a phone or an e-mail (`contact` + `code`), or by a follow-up invitation's token.
"""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja import Status as Reply

from tsur.accounts.models import Scope
from tsur.core.clients import client_ip
from tsur.core.errors import ValidationFailed
from tsur.directory.models import Territory
from tsur.intake.api_auth import ANONYMOUS, BearerToken, Session, anonymous, caller
from tsur.intake.api_schemas import CleanText, replies
from tsur.polls import services
from tsur.polls.errors import PollNotFound, PollNotOpen, VerificationRequired
from tsur.polls.models import TEXT_ANSWER_MAX, Channel, Poll, QuestionKind, Status
from tsur.polls.services.identity import normalise_contact, shown_contact
from tsur.polls.services.voting import account_may_vote
from tsur.polls.tally import Tally, tally
from tsur.polls.throttle import check_ballot

router = Router(tags=["Опросы"])

# A resident's key or session, or nobody (a code or an invitation then verifies the vote).
VOTER = [BearerToken(Scope.RESIDENT), Session(), anonymous]
OPEN = [BearerToken(None), Session(), anonymous]


class OptionOut(Schema):
    id: int
    text: str


class QuestionOut(Schema):
    id: int
    kind: Literal["single", "multiple", "scale", "text"] = Field(
        description="single — один вариант, multiple — несколько, scale — шкала, text — свободный ответ"
    )
    text: str
    required: bool
    options: list[OptionOut] = Field(description="Варианты (single, multiple)")
    max_choices: int | None = Field(None, description="multiple: не более стольких вариантов")
    scale_min: int | None = None
    scale_max: int | None = None
    scale_min_label: str = ""
    scale_max_label: str = ""


class TerritoryOut(Schema):
    code: str
    name: str
    level: str


class PollSummaryOut(Schema):
    token: str = Field(description="Адрес опроса в ссылках и в API")
    title: str
    kind: Literal["regular", "followup"]
    starts_at: str | None = None
    ends_at: str | None = None
    verification: Literal["account", "code", "account_or_code"] = Field(
        description="Как подтверждается голос: account — вход жителя, code — одноразовый код, account_or_code — любой"
    )
    url: str = Field(description="Страница опроса для жителя")


class OptionResultOut(Schema):
    label: str
    votes: int
    share: float = Field(description="Доля ответивших на вопрос, 0…1")


class QuestionResultOut(Schema):
    question: int
    text: str
    answered: int
    options: list[OptionResultOut]
    mean: float | None = None


class ResultsOut(Schema):
    ballots: int
    questions: list[QuestionResultOut]


class PollOut(PollSummaryOut):
    description: str
    status: Literal["published", "closed"]
    open: bool = Field(description="Принимает ли опрос голоса сейчас")
    closed_reason: str = Field("", description="Почему голоса не принимаются (если open = false)")
    questions: list[QuestionOut]
    territories: list[TerritoryOut] = Field(description="Где можно голосовать (передайте код в поле territory)")
    results: ResultsOut | None = Field(None, description="Итоги, если опрос их показывает и завершён")


class CodeIn(Schema):
    contact: CleanText = Field(max_length=120, description="Телефон (+7…) или электронная почта")


class CodeOut(Schema):
    sent_to: str = Field(description="Куда отправлен код (частично скрыто)")
    expires_in_seconds: int


class PollAnswerIn(Schema):
    question: int
    option: int | None = Field(None, description="single: выбранный вариант")
    options: list[int] | None = Field(None, max_length=50, description="multiple: выбранные варианты")
    value: int | None = Field(None, description="scale: оценка")
    text: CleanText | None = Field(None, max_length=TEXT_ANSWER_MAX, description="text: свободный ответ")


class VoteIn(Schema):
    territory: str = Field(max_length=64, description="Код территории, где живёт житель (из списка territories опроса)")
    answers: list[PollAnswerIn] = Field(max_length=100)
    contact: CleanText = Field("", max_length=120, description="Если голос подтверждается кодом: телефон или e-mail")
    code: str = Field("", max_length=12, description="Одноразовый код из сообщения")
    invitation: str = Field("", max_length=64, description="Токен приглашения (опрос после решения проблемы)")


class VoteOut(Schema):
    accepted: bool
    results: ResultsOut | None = None


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _poll(token: str) -> Poll:
    poll = Poll.objects.filter(token=token).exclude(status=Status.DRAFT).first()
    if poll is None:
        raise PollNotFound("Опрос не найден.")
    return poll


def _summary(request: HttpRequest, poll: Poll) -> dict:
    return {
        "token": poll.token,
        "title": poll.title,
        "kind": poll.kind,
        "starts_at": _iso(poll.starts_at),
        "ends_at": _iso(poll.ends_at),
        "verification": poll.verification,
        "url": request.build_absolute_uri(f"/polls/{poll.token}/"),
    }


def _results(t: Tally) -> dict:
    return {
        "ballots": t.ballots,
        "questions": [
            {
                "question": q.question_id,
                "text": q.text,
                "answered": q.answered,
                "options": [{"label": o.label, "votes": o.votes, "share": round(o.share, 4)} for o in q.options],
                "mean": round(q.mean, 2) if q.mean is not None else None,
            }
            for q in t.questions
            if q.kind != QuestionKind.TEXT
        ],
    }


@router.get("/polls", auth=OPEN, response=replies({200: list[PollSummaryOut]}, 401, 422), summary="Текущие опросы")
def list_polls(request: HttpRequest, territory: str = ""):
    """Опросы, в которых можно проголосовать сейчас; `territory` — код территории жителя (опросы этой
    территории, территорий, в которые она входит, и всего региона)."""
    place = None
    if territory:
        place = Territory.objects.filter(code=territory).first()
        if place is None:
            raise ValidationFailed("Территория не найдена.", field_errors={"territory": ["Неизвестный код территории."]})
    return [_summary(request, p) for p in services.current_polls(place)]


@router.get("/polls/{token}", auth=OPEN, response=replies({200: PollOut}, 401, 404), summary="Опрос")
def get_poll(request: HttpRequest, token: str):
    poll = _poll(token)
    try:
        services.require_open(poll)
        is_open, reason = True, ""
    except PollNotOpen as exc:
        is_open, reason = False, exc.message
    questions = [
        {
            "id": q.pk,
            "kind": q.kind,
            "text": q.text,
            "required": q.required,
            "options": [{"id": o.pk, "text": o.text} for o in q.options.all()],
            "max_choices": q.max_choices,
            "scale_min": q.scale_min if q.kind == QuestionKind.SCALE else None,
            "scale_max": q.scale_max if q.kind == QuestionKind.SCALE else None,
            "scale_min_label": q.scale_min_label,
            "scale_max_label": q.scale_max_label,
        }
        for q in poll.questions.prefetch_related("options").order_by("order", "pk")
    ]
    show = poll.show_results and poll.status == Status.CLOSED
    return {
        **_summary(request, poll),
        "description": poll.description,
        "status": poll.status,
        "open": is_open,
        "closed_reason": reason,
        "questions": questions,
        "territories": [{"code": t.code, "name": t.name, "level": t.level} for t in services.voting_territories(poll)],
        "results": _results(tally(poll)) if show else None,
    }


@router.post(
    "/polls/{token}/code",
    auth=OPEN,
    response=replies({202: CodeOut}, 400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
    summary="Получить одноразовый код",
    description="Отправляет код на телефон или e-mail. Повторно — не чаще раза в минуту; код действует "
    "несколько минут и принимает ограниченное число попыток ввода. 409 `already_voted` — с этим контактом "
    "уже проголосовали; 409 `poll_not_open` и др. — опрос не принимает голоса; 403 — опрос только для "
    "учётных записей жителей; 503 `sender_failed` — отправка не удалась, повторите позже.",
)
def request_code(request: HttpRequest, token: str, payload: CodeIn):
    poll = _poll(token)
    services.request_code(poll, payload.contact, ip=client_ip(request))
    kind, value = normalise_contact(payload.contact)
    return Reply(202, {"sent_to": shown_contact(kind, value), "expires_in_seconds": settings.TSUR_POLL_CODE_TTL_MINUTES * 60})


def _answers(payload: VoteIn) -> dict[int, object]:
    out: dict[int, object] = {}
    for a in payload.answers:
        if a.question in out:
            raise ValidationFailed("Ответ на один вопрос передан дважды.", field_errors={f"q{a.question}": ["Повтор ответа."]})
        given = [v for v in (a.option, a.options, a.value, a.text) if v is not None]
        if len(given) > 1:
            raise ValidationFailed(
                "В ответе одно из полей: option, options, value или text.", field_errors={f"q{a.question}": ["Несколько видов ответа."]}
            )
        out[a.question] = given[0] if given else None
    return out


@router.post(
    "/polls/{token}/votes",
    auth=VOTER,
    response=replies({201: VoteOut}, 400, 401, 403, 404, 409, 413, 415, 422, 429),
    summary="Проголосовать",
    description="Голос подтверждается одним из способов: ключ жителя (разрешение `resident`) или сессия; "
    "`contact` и `code` (одноразовый код); `invitation` (приглашение). Ошибки: 409 `already_voted` — "
    "«Вы уже проголосовали в этом опросе»; 409 `poll_not_open`/`poll_ended`/`poll_not_started`/`poll_closed`; "
    "422 `outside_territory`, `invalid_answers` (ошибки по вопросам в `fields`, ключи `q<id>`), "
    "`code_wrong`, `code_expired`, `code_used`, `code_attempts`, `code_missing`; 403 `verification_required`; "
    "429 — слишком много голосов с одного адреса или устройства (заголовок `X-Device-Id`).",
)
def vote(request: HttpRequest, token: str, payload: VoteIn):
    poll = _poll(token)
    services.require_open(poll)
    territory = Territory.objects.filter(code=payload.territory).first()
    if territory is None:
        raise ValidationFailed("Территория не найдена.", field_errors={"territory": ["Неизвестный код территории."]})
    answers = _answers(payload)
    services.check_answers(poll, answers)
    user = caller(request)
    if payload.invitation:
        identity = services.invitation_identity(poll, payload.invitation)
    elif payload.code or payload.contact:
        identity = services.verify_code(poll, payload.contact, payload.code)
    elif user is not ANONYMOUS and user.is_authenticated:
        account_may_vote(user)
        identity = services.account_identity(user)
    else:
        raise VerificationRequired("Подтвердите голос: ключ жителя, одноразовый код (contact и code) или приглашение.")
    check_ballot(poll.pk, client_ip(request), request.headers.get("X-Device-Id"))
    channel = Channel.FOLLOWUP if payload.invitation else Channel.APP
    services.cast_vote(poll, identity, territory, answers, channel=channel)
    return Reply(201, {"accepted": True, "results": _results(tally(poll)) if poll.show_results else None})
