"""The resident's side: status and rating by the private access key, and "my appeals" for a
resident who signed in to the app."""

from __future__ import annotations

import secrets

from django.http import HttpRequest
from ninja import Router

from tsur.accounts.models import Role
from tsur.answers.services import rate_appeal
from tsur.appeals import access
from tsur.appeals.channels import APP
from tsur.appeals.models import Appeal
from tsur.appeals.services import add_resident_message
from tsur.core.errors import AccessDenied, NotFound, TransitionNotAllowed
from tsur.intake import resident_view
from tsur.intake.api_auth import OPTIONAL_AUTH, RESIDENT, caller
from tsur.intake.api_present import my_appeal, public_view
from tsur.intake.api_schemas import MyAppealOut, PublicAppealOut, RatingIn, ReplyIn, replies

router = Router(tags=["Житель"])

NOT_FOUND = "Обращение не найдено или ключ доступа неверен."


def by_key(number: str, key: str) -> Appeal:
    """The appeal if `key` is its access key. A wrong key and an unknown number look the same."""
    appeal = (
        Appeal.objects.filter(number=number).select_related("category", "territory", "organisation", "problem")
        .defer("territory__boundary").first()
    )
    if appeal is None or not key or not secrets.compare_digest(appeal.access_key.encode(), key.encode()):
        raise NotFound(NOT_FOUND)
    return appeal


@router.get(
    "/public/appeals/{number}",
    auth=OPTIONAL_AUTH,
    response=replies({200: PublicAppealOut}, 401, 404),
    summary="Статус обращения по ключу доступа",
)
def public_status(request: HttpRequest, number: str, key: str = ""):
    return public_view(by_key(number, key))


@router.post(
    "/public/appeals/{number}/rating",
    auth=OPTIONAL_AUTH,
    response=replies({200: PublicAppealOut}, 400, 401, 403, 404, 409, 413, 415, 422),
    summary="Оценить ответ (1–5)",
    description="Оценка 1–3 означает «не удовлетворён» и возобновляет обращение.",
)
def public_rating(request: HttpRequest, number: str, payload: RatingIn, key: str = ""):
    appeal = by_key(number, key)
    # The key proves authorship: the rating is the resident's, whoever carries the key.
    rate_appeal(appeal.pk, None, score=payload.score, comment=payload.comment)
    return public_view(Appeal.objects.get(pk=appeal.pk))


@router.post(
    "/public/appeals/{number}/reply",
    auth=OPTIONAL_AUTH,
    response=replies({200: PublicAppealOut}, 400, 401, 404, 409, 422),
    summary="Ответить на запрос уточнения",
    description="Принимается, пока вопрос открыт (`open_question`) и обращение рассматривается.",
)
def public_reply(request: HttpRequest, number: str, payload: ReplyIn, key: str = ""):
    appeal = by_key(number, key)
    if resident_view.open_clarification(appeal) is None:
        raise TransitionNotAllowed("Вопрос уже закрыт: ответ получен или обращение больше не рассматривается.")
    add_resident_message(appeal.pk, text=payload.text, photos=[], source=APP)
    return public_view(Appeal.objects.get(pk=appeal.pk))


def _resident(request: HttpRequest):
    user = caller(request)
    if access.role_of(user) != Role.RESIDENT:
        raise AccessDenied("Раздел доступен только жителям, вошедшим в приложение.")
    return user


@router.get("/my/appeals", auth=RESIDENT, response=replies({200: list[MyAppealOut]}, 401, 403), summary="Мои обращения")
def my_appeals(request: HttpRequest):
    user = _resident(request)
    rows = access.appeals_for(user).select_related("category").order_by("-received_at", "-pk")[:200]
    return [my_appeal(a) for a in rows]


@router.get(
    "/my/appeals/{number}", auth=RESIDENT, response=replies({200: PublicAppealOut}, 401, 403, 404), summary="Моё обращение"
)
def my_appeal_detail(request: HttpRequest, number: str):
    user = _resident(request)
    appeal = access.appeals_for(user).filter(number=number).first()
    if appeal is None:
        raise NotFound("Обращение не найдено.")
    return public_view(appeal)
