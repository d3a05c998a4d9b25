"""Request and response shapes of the JSON API (they are also its OpenAPI documentation)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.conf import settings
from ninja import Field, Schema
from pydantic import AfterValidator, field_validator

from tsur.lib.safetext import clean_text

# Free text as people type it: a lone surrogate or NUL is refused (422), control characters are
# dropped (they would break the Open311 XML feed for every reader).
CleanText = Annotated[str, AfterValidator(clean_text)]

# --- errors --------------------------------------------------------------------------------------


class ErrorOut(Schema):
    code: str = Field(description="Стабильный код ошибки: validation_failed, not_found, concurrent_update, …")
    message: str = Field(description="Сообщение для человека, по-русски")
    fields: dict[str, list[str]] | None = Field(None, description="Ошибки по полям запроса")
    detail: list[dict[str, Any]] | None = Field(None, description="Подробности проверки входных данных")


def replies(ok: dict[int, Any], *errors: int) -> dict[int, Any]:
    """An operation's responses for the OpenAPI: its success shapes and exactly the error codes it
    can return (tests/api/test_contract.py holds every operation to its list)."""
    return {**ok, **{code: ErrorOut for code in errors}}



# --- intake --------------------------------------------------------------------------------------


class AppealIn(Schema):
    text: CleanText = Field(min_length=1, max_length=settings.TSUR_MAX_TEXT_CHARS, description="Текст обращения")
    category: str = Field("", max_length=64, description="Код категории (GET /api/categories)")
    territory: str = Field("", max_length=64, description="Код территории (GET /api/territories)")
    address: CleanText = Field("", max_length=300)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    name: CleanText = Field("", max_length=200)
    phone: CleanText = Field("", max_length=32)
    email: CleanText = Field("", max_length=254)
    channel: str = Field("app", max_length=16, description="Канал: app или widget (операторы — любой)")
    external_id: CleanText = Field(
        "", max_length=150,
        description="Ключ идемпотентности: повтор запроса с тем же ключом не создаёт второе обращение. "
        "Без API-ключа — только случайный идентификатор (UUID).",
    )

    @field_validator("lat", "lon", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        # HTML forms send "" for an empty number field.
        return None if isinstance(value, str) and not value.strip() else value


class CreatedOut(Schema):
    number: str
    access_key: str = Field(description="Секретный ключ жителя для просмотра статуса и оценки")
    status: str
    status_label: str
    status_url: str = Field(description="Страница статуса для жителя")
    api_status_url: str = Field(description="Статус в API: GET по этой ссылке")


# --- reference -----------------------------------------------------------------------------------


class Ref(Schema):
    code: str
    name: str


class BlockRef(Schema):
    key: str
    name: str


class CategoryOut(Schema):
    code: str
    name: str
    block: BlockRef
    default_urgency: str
    service_code: str
    is_public: bool


class TerritoryOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None
    lat: float | None
    lon: float | None
    geometry: dict[str, Any] | None = None


class OrganisationOut(Schema):
    code: str
    name: str
    short_name: str
    kind: str
    parent: str | None
    territories: list[str]


class TemplateOut(Schema):
    code: str
    name: str
    kind: str
    block: str | None
    text: str


# --- the resident's view -------------------------------------------------------------------------


class PublicEventOut(Schema):
    at: dt.datetime
    kind: str
    title: str
    note: str = ""


class AnswerFileOut(Schema):
    name: str = Field(description="«Фото 1», «Документ PDF 2»: имя загруженного файла не хранится")
    size: int
    url: str
    is_image: bool


class PublicAnswerOut(Schema):
    kind: str
    text: str
    organisation: str
    published_at: dt.datetime | None
    files: list[AnswerFileOut] = []


class RatingOut(Schema):
    score: int
    comment: str
    at: dt.datetime


class PublicQuestionOut(Schema):
    at: dt.datetime
    text: str = Field(description="Вопрос жителю (запрос уточнения); ответ — POST …/reply")


class PublicAppealOut(Schema):
    number: str
    status: str
    status_label: str
    received_at: dt.datetime
    due_at: dt.datetime | None
    text: str
    category: str | None
    territory: str | None
    address: str
    organisation: str | None
    history: list[PublicEventOut]
    answer: PublicAnswerOut | None
    interim_answers: list[PublicAnswerOut]
    can_rate: bool
    rating: RatingOut | None
    open_question: PublicQuestionOut | None = None


class MyAppealOut(Schema):
    number: str
    status: str
    status_label: str
    received_at: dt.datetime
    text: str
    category: str | None
    access_key: str
    status_url: str


class ReplyIn(Schema):
    text: CleanText = Field(min_length=1, max_length=10_000, description="Ответ жителя на запрос уточнения")


class RatingIn(Schema):
    score: int = Field(ge=1, le=5, description="1–5; 1–3 означает «не удовлетворён» и возобновляет обращение")
    comment: CleanText = Field("", max_length=2000)


# --- staff ---------------------------------------------------------------------------------------


class PersonRef(Schema):
    id: int
    name: str


class OrganisationRef(Schema):
    code: str
    short_name: str


class AppealSummary(Schema):
    number: str
    status: str
    status_label: str
    channel: str
    regime: str
    urgency: str
    block: BlockRef | None
    category: Ref | None
    territory: Ref | None
    organisation: OrganisationRef | None
    executor: PersonRef | None
    received_at: dt.datetime
    due_at: dt.datetime | None
    is_overdue: bool
    excerpt: str
    version: int


class AppealPage(Schema):
    count: int
    page: int
    page_size: int
    pages: int
    results: list[AppealSummary]


class ResidentOut(Schema):
    name: str
    phone: str
    email: str
    account_link: str


class EventOut(Schema):
    kind: str
    at: dt.datetime
    actor: str
    from_status: str
    to_status: str
    reason: str
    data: dict[str, Any]


class AnswerOut(Schema):
    id: int
    kind: str
    text: str
    author: str
    organisation_name: str
    created_at: dt.datetime
    check_state: str
    check_note: str
    formal_findings: list[Any]
    published_at: dt.datetime | None
    files: list[AnswerFileOut] = []


class AttachmentOut(Schema):
    id: int
    url: str
    content_type: str
    size: int
    width: int | None
    height: int | None


class ExtensionRequestOut(Schema):
    id: int
    days: int
    reason: str
    state: str
    requested_by: str
    created_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None


class ProblemOut(Schema):
    lead: str
    members: list[str]


class AppealDetail(AppealSummary):
    text: str
    address: str
    lat: float | None
    lon: float | None
    queue: str | None
    urgency_reason: str
    routing_reason: str
    due_explain: str
    registered_at: dt.datetime | None
    routed_at: dt.datetime | None
    published_at: dt.datetime | None
    closed_at: dt.datetime | None
    close_reason: str
    rejection_reason: str
    rejection_note: str
    extension_days: int
    reopened_count: int
    problem: ProblemOut | None
    personal_data_visible: bool
    resident: ResidentOut | None
    available_actions: list[str] = Field(description="Действия, доступные этому пользователю сейчас (пути POST …/{действие})")
    executors: list[PersonRef] = Field(description="Кого можно назначить исполнителем (если доступно действие assign)")
    events: list[EventOut]
    answers: list[AnswerOut]
    extension_requests: list[ExtensionRequestOut]
    attachments: list[AttachmentOut]
    ratings: list[RatingOut]


class AppealFilters(Schema):
    status: str = Field("", description="Статус или несколько через запятую")
    block: str = Field("", description="Ключ блока")
    category: str = Field("", description="Код категории")
    territory: str = Field("", description="Код территории (включая вложенные)")
    organisation: str = Field("", description="Код организации")
    channel: str = Field("", description="Канал или несколько через запятую")
    overdue: bool = False
    due_soon: bool = Field(False, description="Срок истекает в ближайшие 24 часа")
    q: CleanText = Field("", max_length=200, description="Поиск по номеру, тексту и адресу")
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=100)


# --- lifecycle actions ---------------------------------------------------------------------------


class Versioned(Schema):
    version: int = Field(ge=1, description="Версия обращения, которую видел пользователь (защита от одновременных изменений)")


class RouteIn(Versioned):
    organisation: str = Field("", max_length=64, description="Код организации; пусто — по правилам маршрутизации")
    reason: CleanText = Field("", max_length=500)


class TransferIn(Versioned):
    organisation: str = Field(max_length=64)
    reason: CleanText = Field(min_length=1, max_length=1000)


class ReasonIn(Versioned):
    reason: CleanText = Field(min_length=1, max_length=1000)


class AssignIn(Versioned):
    executor: int = Field(ge=1, description="id пользователя-исполнителя")


class RejectIn(Versioned):
    reason: Literal["spam", "not_competence", "no_content", "offensive", "test", "other"]
    note: CleanText = Field("", max_length=2000)


class JoinIn(Versioned):
    lead: str = Field(max_length=20, description="Номер ведущего обращения проблемы")
    reason: CleanText = Field("", max_length=500)


class ReclassifyIn(Versioned):
    category: str = Field(max_length=64)
    reason: CleanText = Field("", max_length=500)


class PlaceIn(Versioned):
    territory: str = Field("", max_length=64)
    address: CleanText | None = Field(None, max_length=300)
    lat: float | None = Field(None, ge=-90, le=90, description="Новая точка: широта (вместе с lon)")
    lon: float | None = Field(None, ge=-180, le=180, description="Новая точка: долгота (вместе с lat)")
    clear_point: bool = Field(False, description="Убрать точку обращения")
    reason: CleanText = Field("", max_length=500)


class UrgencyIn(Versioned):
    urgency: Literal["high", "normal"]
    reason: CleanText = Field(min_length=1, max_length=300)


class TextIn(Versioned):
    text: CleanText = Field(min_length=1, max_length=20_000)


class ExtensionRequestIn(Versioned):
    days: int = Field(ge=1, le=365)
    reason: CleanText = Field(min_length=1, max_length=2000)


class ExtensionDecisionIn(Versioned):
    request: int = Field(ge=1, description="id запроса продления (extension_requests в карточке)")
    grant: bool
    note: CleanText = Field("", max_length=2000)


class AnswerIn(Versioned):
    text: CleanText = Field("", max_length=20_000)
    template: str = Field("", max_length=64, description="Код шаблона ответа, если текст не задан")


class NoteIn(Versioned):
    note: CleanText = Field("", max_length=2000)


class QuestionIn(Versioned):
    question: CleanText = Field(min_length=1, max_length=2000, description="Вопрос жителю; срок и статус не меняются")


class RequiredNoteIn(Versioned):
    note: CleanText = Field(min_length=1, max_length=2000)


class ConfirmIn(Versioned):
    source: CleanText = Field(min_length=1, max_length=300, description="Объективный источник подтверждения решения")
