"""/api/appeals: intake from apps and integrations (POST), the staff list and card (GET)."""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Form, Query, Router
from ninja import Status as Reply
from ninja.files import UploadedFile

from tsur.accounts.models import Role
from tsur.appeals import access, channels
from tsur.appeals.models import Appeal, Status
from tsur.appeals.photos import read_photos
from tsur.appeals.queries import due_soon_q, overdue_q
from tsur.appeals.search import search_q
from tsur.appeals.services import NewAppeal, create_appeal, status_url
from tsur.core.errors import DomainError, ValidationFailed
from tsur.core.throttle import check_intake
from tsur.directory.models import Territory
from tsur.intake.api_auth import INTAKE, STAFF_READ, caller, staff_caller, visible_appeal
from tsur.intake.api_present import detail, summary
from tsur.intake.api_schemas import AppealDetail, AppealFilters, AppealIn, AppealPage, CreatedOut, replies

router = Router(tags=["Обращения"])


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    http_status = 409

# Channels a resident or an anonymous client may claim; operators may register any channel
# (a letter, a call), because the channel decides the legal regime of the deadline.
RESIDENT_CHANNELS = frozenset({channels.APP, channels.WIDGET})
# Without an API key the idempotency key must be unguessable: a replay returns the appeal's
# access key, and a short sequential id would hand it to another client.
ANONYMOUS_EXTERNAL_ID_MIN = 20


def _external_id(user, raw: str) -> str:
    raw = raw.strip()
    if not raw:
        return ""
    if user.is_authenticated:
        return f"u{user.pk}:{raw}"  # each integration has its own key space
    if len(raw) < ANONYMOUS_EXTERNAL_ID_MIN:
        msg = f"Без API-ключа external_id должен быть случайным идентификатором (UUID), не короче {ANONYMOUS_EXTERNAL_ID_MIN} знаков."
        raise ValidationFailed(msg, field_errors={"external_id": [msg]})
    return f"anon:{raw}"


def _created(request: HttpRequest, appeal: Appeal) -> dict:
    return {
        "number": appeal.number,
        "access_key": appeal.access_key,
        "status": appeal.status,
        "status_label": Status(appeal.status).label,
        "status_url": status_url(appeal),
        "api_status_url": request.build_absolute_uri(f"/api/public/appeals/{appeal.number}?key={appeal.access_key}"),
    }


def _intake(request: HttpRequest, payload: AppealIn, files: list) -> Reply:
    user = caller(request)
    token = getattr(request, "api_token", None)
    check_intake(request, key_id=token.pk if token is not None else None)
    role = access.role_of(user)
    channel = payload.channel or channels.APP
    allowed = set(channels.known()) if role in access.OPERATOR_ROLES else RESIDENT_CHANNELS
    if channel not in allowed:
        msg = f"Канал {channel!r} недоступен: допустимы {', '.join(sorted(allowed))}."
        raise ValidationFailed("Обращение не принято: исправьте отмеченные поля.", field_errors={"channel": [msg]})
    external_id = _external_id(user, payload.external_id)
    photos = read_photos(files) if files else []  # all or nothing, before anything is written
    resident_user = user if role == Role.RESIDENT else None
    data = NewAppeal(
        channel=channel,
        text=payload.text,
        category_code=payload.category.strip(),
        territory_code=payload.territory.strip(),
        address=payload.address,
        lat=payload.lat,
        lon=payload.lon,
        external_id=external_id,
        name=payload.name or (resident_user.get_full_name() if resident_user else ""),
        phone=payload.phone,
        email=payload.email or (resident_user.email if resident_user else ""),
        user=resident_user,
        photos=photos,
    )
    # Operators entering an appeal are named in the log; residents are not (their name would sit
    # in the append-only event log, out of reach of the retention policy). No lookup first: a
    # replay is caught by the unique (channel, external id) and its appeal comes back.
    appeal = create_appeal(data, actor=user if role in access.OPERATOR_ROLES else None, looked_up=True)
    if appeal.already_registered:
        # A replay returns the appeal it created; the same key with another text is a client bug
        # that must not pass silently (the client would believe its second appeal was taken).
        if appeal.text != data.text.strip():
            raise IdempotencyConflict(
                f"external_id уже использован для обращения {appeal.number} с другим текстом: "
                "для нового обращения нужен новый ключ идемпотентности."
            )
        return Reply(200, _created(request, appeal))
    if settings.TSUR_TASKS_INLINE:
        appeal.refresh_from_db(fields=["status"])  # the follow-up ran inline and may have moved it on
    return Reply(201, _created(request, appeal))


@router.post(
    "/appeals",
    auth=INTAKE,
    response=replies({200: CreatedOut, 201: CreatedOut}, 400, 401, 403, 409, 413, 415, 422, 429),
    summary="Подать обращение (JSON)",
    description="Доступно без ключа. С API-ключом жителя обращение привязывается к его учётной записи. "
    "Повтор с тем же external_id возвращает уже созданное обращение (код 200); тот же external_id с другим текстом — 409.",
)
def create(request: HttpRequest, payload: AppealIn):
    return _intake(request, payload, [])


@router.post(
    "/appeals/multipart",
    auth=INTAKE,
    response=replies({200: CreatedOut, 201: CreatedOut}, 400, 401, 403, 409, 413, 422, 429),
    summary="Подать обращение с фотографиями (multipart/form-data)",
    description="Те же поля, что у JSON-варианта, и до TSUR_MAX_PHOTOS файлов `photos` (JPEG, PNG, WebP). "
    "Неверное фото отклоняет весь запрос: ничего не записывается.",
)
def create_multipart(request: HttpRequest, payload: Form[AppealIn], photos: File[list[UploadedFile]] = None):
    return _intake(request, payload, list(photos or []))


def _codes(raw: str, allowed: set[str], field: str) -> list[str]:
    values = [v.strip() for v in raw.split(",") if v.strip()]
    bad = [v for v in values if v not in allowed]
    if bad:
        msg = f"Неизвестные значения: {', '.join(bad)}. Допустимы: {', '.join(sorted(allowed))}."
        raise ValidationFailed("Неверный фильтр.", field_errors={field: [msg]})
    return values


def filtered(user, f: AppealFilters):
    qs = access.appeals_for(user)
    if f.status:
        qs = qs.filter(status__in=_codes(f.status, set(Status.values), "status"))
    if f.channel:
        qs = qs.filter(channel__in=_codes(f.channel, set(channels.known()), "channel"))
    if f.block:
        qs = qs.filter(block__key=f.block)
    if f.category:
        qs = qs.filter(category__code=f.category)
    if f.territory:
        territory = Territory.objects.filter(code=f.territory).first()
        qs = qs.filter(territory_id__in=territory.descendant_ids()) if territory else qs.none()
    if f.organisation:
        qs = qs.filter(organisation__code=f.organisation)
    now = timezone.now()
    if f.overdue:
        qs = qs.filter(overdue_q(now))
    if f.due_soon:
        qs = qs.filter(due_soon_q(now))
    if f.q.strip():
        qs = qs.filter(search_q(f.q, personal_data=access.can_see_personal_data(user)))
    return qs


@router.get("/appeals", auth=STAFF_READ, response=replies({200: AppealPage}, 401, 403, 422), summary="Список обращений (сотрудники)")
def appeal_list(request: HttpRequest, filters: Query[AppealFilters]):
    user = staff_caller(request)
    qs = filtered(user, filters).select_related("category", "block", "territory", "organisation", "executor").defer("territory__boundary")
    count = qs.count()
    start = (filters.page - 1) * filters.page_size
    rows = qs.order_by("-received_at", "-pk")[start : start + filters.page_size]
    pd = access.can_see_personal_data(user)
    return {
        "count": count,
        "page": filters.page,
        "page_size": filters.page_size,
        "pages": math.ceil(count / filters.page_size) if count else 0,
        "results": [summary(a, user, pd=pd) for a in rows],
    }


@router.get(
    "/appeals/{number}",
    auth=STAFF_READ,
    response=replies({200: AppealDetail}, 401, 403, 404),
    summary="Карточка обращения (сотрудники)",
    description="Персональные данные жителя — только тем, кому они доступны; каждый просмотр записывается в журнал.",
)
def appeal_detail(request: HttpRequest, number: str):
    user = staff_caller(request)
    return detail(request, user, visible_appeal(user, number))
