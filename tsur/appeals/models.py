"""The appeal, the problem that joins appeals, the resident's personal data, attachments, the
event log and notifications to residents."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from tsur.appeals import channels
from tsur.core import clock
from tsur.directory.models import Block, Category, Organisation, Queue, Regime, Territory, Urgency


class Status(models.TextChoices):
    RECEIVED = "received", "Получено"
    MODERATION = "moderation", "На модерации"
    ROUTED = "routed", "Направлено в организацию"
    IN_PROGRESS = "in_progress", "В работе"
    ANSWER_PREPARED = "answer_prepared", "Ответ подготовлен"
    ANSWER_CHECKED = "answer_checked", "Ответ проверен ЦУР"
    PUBLISHED = "published", "Ответ опубликован"
    CLOSED = "closed", "Закрыто"
    REJECTED = "rejected", "Отклонено"
    JOINED = "joined", "Присоединено к проблеме"


OPEN_STATUSES = frozenset(
    {Status.RECEIVED, Status.MODERATION, Status.ROUTED, Status.IN_PROGRESS, Status.ANSWER_PREPARED, Status.ANSWER_CHECKED}
)


class CloseReason(models.TextChoices):
    SATISFIED = "satisfied", "Житель удовлетворён"
    AUTO = "auto", "Закрыто автоматически (нет оценки)"
    CONFIRMED = "confirmed", "Решение подтверждено объективным источником"


class RejectionReason(models.TextChoices):
    SPAM = "spam", "Спам или реклама"
    NOT_COMPETENCE = "not_competence", "Не относится к компетенции органов власти региона"
    NO_CONTENT = "no_content", "Нет сути обращения"
    OFFENSIVE = "offensive", "Нецензурные или оскорбительные выражения"
    TEST = "test", "Тестовое сообщение"
    OTHER = "other", "Иное"


class ClassificationSource(models.TextChoices):
    RESIDENT = "resident", "указал житель"
    AUTO = "auto", "автоматически"
    OPERATOR = "operator", "оператор"
    IMPORT = "import", "из источника"


class Resident(models.Model):
    """A resident's personal data (152-FZ), kept apart so analytics never needs to touch it."""

    name = models.CharField("имя", max_length=200, blank=True)
    phone = models.CharField("телефон", max_length=32, blank=True)
    email = models.EmailField("e-mail", blank=True)
    account_link = models.CharField("аккаунт в соцсети", max_length=300, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="resident_profiles"
    )
    created_at = models.DateTimeField(default=clock.now)
    # Set when the contacts were cleared (retention or the resident's request): the row and its
    # pseudonym stay, so appeals and statistics keep their author (tsur.appeals.services.retention).
    pseudonymised_at = models.DateTimeField("персональные данные обезличены", null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "житель (персональные данные)"
        verbose_name_plural = "жители (персональные данные)"

    def __str__(self) -> str:
        return f"Житель #{self.pk}"

    @property
    def pseudonym(self) -> str:
        digest = hashlib.sha256(f"{settings.SECRET_KEY}:resident:{self.pk}".encode()).hexdigest()
        return f"R-{digest[:10]}"


def new_access_key() -> str:
    return secrets.token_urlsafe(24)


class Appeal(models.Model):
    number = models.CharField("номер", max_length=20, unique=True)
    access_key = models.CharField(max_length=64, default=new_access_key, editable=False)
    # A code of tsur.appeals.channels (a registry, not choices: a new channel needs no migration).
    channel = models.CharField("канал", max_length=16)
    external_id = models.CharField("идентификатор в канале", max_length=200, blank=True)
    regime = models.CharField("режим", max_length=16, choices=Regime.choices)
    text = models.TextField("текст")
    # The text with personal data masked (tsur.appeals.privacy), made once when the appeal is
    # received: what analysts, the public feed and exports read, and what the search looks in.
    text_masked = models.TextField("текст без персональных данных", blank=True, editable=False)
    resident = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.SET_NULL, related_name="appeals")

    # Place.
    territory = models.ForeignKey(Territory, verbose_name="территория", null=True, blank=True, on_delete=models.PROTECT)
    address = models.CharField("адрес", max_length=300, blank=True)
    lat = models.FloatField("широта", null=True, blank=True)
    lon = models.FloatField("долгота", null=True, blank=True)
    place_source = models.CharField(max_length=16, choices=ClassificationSource.choices, blank=True)

    # Classification.
    block = models.ForeignKey(Block, verbose_name="блок", null=True, blank=True, on_delete=models.PROTECT)
    category = models.ForeignKey(Category, verbose_name="категория", null=True, blank=True, on_delete=models.PROTECT)
    classification_source = models.CharField(max_length=16, choices=ClassificationSource.choices, blank=True)
    classification_confidence = models.FloatField(null=True, blank=True)
    urgency = models.CharField("срочность", max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    urgency_reason = models.CharField("причина срочности", max_length=300, blank=True)

    # Who handles it.
    queue = models.ForeignKey(Queue, verbose_name="очередь", null=True, blank=True, on_delete=models.PROTECT)
    organisation = models.ForeignKey(
        Organisation, verbose_name="организация", null=True, blank=True, on_delete=models.PROTECT, related_name="appeals"
    )
    executor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="исполнитель", null=True, blank=True, on_delete=models.PROTECT,
        related_name="assigned_appeals",
    )
    routing_reason = models.TextField("основание маршрутизации", blank=True)

    status = models.CharField("статус", max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    close_reason = models.CharField(max_length=16, choices=CloseReason.choices, blank=True)
    rejection_reason = models.CharField(max_length=20, choices=RejectionReason.choices, blank=True)
    rejection_note = models.TextField(blank=True)
    problem = models.ForeignKey(
        "Problem", verbose_name="проблема", null=True, blank=True, on_delete=models.SET_NULL, related_name="appeals"
    )

    # Time.
    received_at = models.DateTimeField("поступило", default=clock.now, db_index=True)
    registered_at = models.DateTimeField("зарегистрировано", null=True, blank=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField("срок ответа", null=True, blank=True, db_index=True)
    due_explain = models.CharField(max_length=300, blank=True)
    registration_due_at = models.DateTimeField(null=True, blank=True)
    transfer_due_at = models.DateTimeField(null=True, blank=True)
    interim_answered_at = models.DateTimeField(null=True, blank=True)
    extension_days = models.PositiveIntegerField(default=0)
    extensions_count = models.PositiveSmallIntegerField(default=0)
    answered_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    reopened_count = models.PositiveSmallIntegerField(default=0)

    # Optimistic concurrency: every transition bumps it; a stale one is refused.
    version = models.PositiveIntegerField(default=1)
    # Case-folded number, masked text and address: search that behaves the same on SQLite and
    # PostgreSQL and never finds an appeal by a resident's phone or name (analysts search too).
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Not a column: True on an instance that create_appeals returned because its (channel,
    # external id) was already registered (a client's replay), False on one it has just created.
    already_registered = False

    class Meta:
        verbose_name = "обращение"
        verbose_name_plural = "обращения"
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], condition=~models.Q(external_id=""), name="appeal_channel_external_id"
            )
        ]
        indexes = [models.Index(fields=["organisation", "status"]), models.Index(fields=["queue", "status"])]

    def __str__(self) -> str:
        return self.number

    @property
    def channel_label(self) -> str:
        return channels.label(self.channel)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return bool(self.is_open and self.due_at and self.due_at < clock.now())

    def refresh_search_text(self) -> None:
        self.search_text = " ".join(filter(None, [self.number, self.text_masked, self.address])).casefold()


class Problem(models.Model):
    """Several appeals about the same thing: the first is the lead, the others are joined to it."""

    lead = models.OneToOneField(Appeal, on_delete=models.PROTECT, related_name="led_problem")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "проблема"
        verbose_name_plural = "проблемы"

    def __str__(self) -> str:
        return f"Проблема по {self.lead.number}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Never keep the resident's file name in the path: it can carry personal data.
    ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(instance.content_type, "bin")
    return f"attachments/{clock.now():%Y/%m}/{secrets.token_hex(16)}.{ext}"


class Attachment(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "вложение"
        verbose_name_plural = "вложения"

    def __str__(self) -> str:
        return f"Вложение {self.pk} к {self.appeal}"


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The event log is append-only")

    def delete(self):
        raise TypeError("The event log is append-only")


class Event(models.Model):
    """Append-only log: who did what to which appeal, when and why."""

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=40, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    actor_label = models.CharField(max_length=120, blank=True)
    at = models.DateTimeField(default=clock.now, db_index=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = "событие"
        verbose_name_plural = "журнал событий"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        # Shown by the admin (the appeal's history inline): Moscow time, no key (the kind's name
        # lives in tsur.appeals.event_labels, above this module).
        return f"{timezone.localtime(self.at):%d.%m.%Y %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise TypeError("The event log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The event log is append-only")


class Notification(models.Model):
    """A message to a resident (status change, extension notice, answer), recorded before it is
    sent so a crash between the two loses nothing; a sweeper retries pending ones."""

    class State(models.TextChoices):
        PENDING = "pending", "ожидает отправки"
        SENT = "sent", "отправлено"
        FAILED = "failed", "ошибка"
        SKIPPED = "skipped", "нет адреса"

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "уведомление жителю"
        verbose_name_plural = "уведомления жителям"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.subject


class Counter(models.Model):
    """Per-year sequence for public appeal numbers (2026-000123)."""

    key = models.CharField(max_length=32, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class PurgeRun(models.Model):
    """One pass of the personal-data purge (tsur.appeals.services.retention): by the retention
    period (periodic job) or by a resident's request. Counts only, never whose data it was."""

    class Reason(models.TextChoices):
        RETENTION = "retention", "истёк срок хранения"
        REQUEST = "request", "запрос жителя"

    reason = models.CharField("основание", max_length=16, choices=Reason.choices)
    cutoff = models.DateTimeField("обращения закрыты до", null=True, blank=True)
    started_at = models.DateTimeField("начало", default=clock.now)
    finished_at = models.DateTimeField("окончание", null=True, blank=True)
    residents = models.PositiveIntegerField("жителей обезличено", default=0)
    appeals = models.PositiveIntegerField("обращений затронуто", default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="кто запустил", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "обезличивание персональных данных"
        verbose_name_plural = "обезличивания персональных данных"
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Обезличивание от {timezone.localtime(self.started_at):%d.%m.%Y %H:%M}"


class DataRequest(models.Model):
    """A resident's request to delete their personal data (152-FZ art. 14, 20, 21): recorded from
    the cabinet or the status page, queued for administrators, executed by the same service as the
    retention purge. The appeals stay (59-FZ files); only the personal data goes."""

    class State(models.TextChoices):
        PENDING = "pending", "ожидает исполнения"
        DONE = "done", "исполнен"
        REFUSED = "refused", "отказано"

    class Source(models.TextChoices):
        CABINET = "cabinet", "личный кабинет"
        STATUS_PAGE = "status_page", "страница обращения по персональной ссылке"

    resident = models.ForeignKey(Resident, verbose_name="житель", on_delete=models.PROTECT, related_name="data_requests")
    # The cabinet's account, so the resident still sees the request after their appeals were unlinked.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="учётная запись", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The appeal whose private link was used (the status page shows the request there).
    appeal = models.ForeignKey(Appeal, verbose_name="обращение", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField("откуда", max_length=16, choices=Source.choices)
    state = models.CharField("состояние", max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    created_at = models.DateTimeField("получен", default=clock.now)
    due_at = models.DateTimeField("исполнить до")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="исполнил", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("исполнен", null=True, blank=True)
    # Why it was refused or what was left: written by staff for the resident, without personal data.
    note = models.TextField("комментарий", blank=True)
    run = models.ForeignKey(PurgeRun, verbose_name="обезличивание", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "запрос жителя об удалении данных"
        verbose_name_plural = "запросы жителей об удалении данных"
        ordering = ["due_at", "pk"]

    def __str__(self) -> str:
        return f"Запрос №{self.pk} от {timezone.localtime(self.created_at):%d.%m.%Y}"


# Defined in its own module to keep this one small; imported here so Django finds it.
from tsur.appeals.notes import InternalNote  # noqa: E402, F401
