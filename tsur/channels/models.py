"""Channel settings, every inbound payload as received (the outbox of intake), and every
outbound delivery with its attempts. The database is the source of truth for work in flight."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from tsur.appeals.models import Appeal, Notification
from tsur.core import clock


class ChannelConfig(models.Model):
    code = models.SlugField("код", max_length=64, unique=True)
    kind = models.CharField("вид канала", max_length=32)
    name = models.CharField("название", max_length=200)
    enabled = models.BooleanField("включён", default=False)
    # Validated by the plugin's settings model on save (admin and services); may hold API tokens.
    settings = models.JSONField("настройки", default=dict, blank=True)
    # Where listening stopped (e.g. the last seen post id / update offset), per plugin.
    cursor = models.JSONField("позиция чтения", default=dict, blank=True)
    updated_at = models.DateTimeField("изменено", auto_now=True)
    # Listening schedule and health (tsur.channels.listening.poll_channel): the next poll is claimed
    # by moving this forward with a conditional update, so two pollers never fetch the same page.
    next_poll_at = models.DateTimeField("следующий опрос", null=True, blank=True)
    last_polled_at = models.DateTimeField("последний успешный опрос", null=True, blank=True)
    last_error = models.TextField("последняя ошибка", blank=True)
    failures = models.PositiveIntegerField("ошибок подряд", default=0)

    class Meta:
        verbose_name = "канал"
        verbose_name_plural = "каналы"

    def __str__(self) -> str:
        return self.name

    def plugin(self):
        from tsur.channels import registry

        cls = registry.get(self.kind)
        return cls(cls.validate_settings(self.settings))


class InboundMessage(models.Model):
    """A raw payload, stored untouched before anything else happens to it. Idempotent on
    (channel, external id): a redelivered or re-polled payload is recognised, never duplicated."""

    class State(models.TextChoices):
        PENDING = "pending", "ожидает обработки"
        APPEAL = "appeal", "стало обращением"
        SIGNAL = "signal", "сигнал (не жалоба)"
        IGNORED = "ignored", "нечего обрабатывать"
        FAILED = "failed", "ошибка"

    channel = models.ForeignKey(ChannelConfig, verbose_name="канал", on_delete=models.PROTECT, related_name="inbound")
    external_id = models.CharField("номер в канале", max_length=200)
    kind = models.CharField("вид", max_length=16, default="message")
    raw = models.JSONField("сообщение как получено")
    received_at = models.DateTimeField("получено", default=clock.now, db_index=True)
    state = models.CharField("состояние", max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField("попыток", default=0)
    claimed_until = models.DateTimeField("занято до", null=True, blank=True)
    last_error = models.TextField("последняя ошибка", blank=True)
    appeal = models.ForeignKey(Appeal, verbose_name="обращение", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages")
    # For signals: the complaint-screening probability and the normalised text kept for analytics.
    complaint_probability = models.FloatField("вероятность жалобы", null=True, blank=True)
    processed_at = models.DateTimeField("обработано", null=True, blank=True)
    # Which worker's claim this is (a claim is a conditional update; the token tells its rows).
    # Not indexed: rows are fetched by id, and an unindexed column keeps claims HOT updates.
    claim_token = models.CharField("метка обработчика", max_length=32, blank=True)
    # Signals: the normalised text kept for analytics until the retention purge empties it.
    text = models.TextField("текст", blank=True)
    # Why it became what it is (screening verdict and probability, or why screening was skipped).
    decision = models.CharField("решение", max_length=300, blank=True)
    purged_at = models.DateTimeField("текст удалён по сроку хранения", null=True, blank=True)
    # Appeals: where the plugin says to answer (its normalise() of the raw), for outbound deliveries.
    reply_to = models.JSONField("куда отвечать", default=dict, blank=True)

    class Meta:
        verbose_name = "входящее сообщение"
        verbose_name_plural = "входящие сообщения"
        constraints = [models.UniqueConstraint(fields=["channel", "external_id"], name="inbound_channel_external_id")]
        indexes = [models.Index(fields=["state", "processed_at"], name="inbound_state_processed")]

    def __str__(self) -> str:
        return f"{self.channel.code}:{self.external_id}"


class Delivery(models.Model):
    """One answer or notice to publish in the channel an appeal came from."""

    class State(models.TextChoices):
        PENDING = "pending", "ожидает отправки"
        SENT = "sent", "отправлено"
        RETRYING = "retrying", "повтор после ошибки"
        FAILED = "failed", "ошибка (нужен оператор)"

    appeal = models.ForeignKey(Appeal, verbose_name="обращение", on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField("что отправляется", max_length=40, blank=True)  # the notification's kind
    notification = models.OneToOneField(
        Notification, verbose_name="уведомление", null=True, blank=True, on_delete=models.SET_NULL, related_name="delivery"
    )
    channel = models.ForeignKey(ChannelConfig, verbose_name="канал", on_delete=models.PROTECT, related_name="deliveries")
    reply_to = models.JSONField("куда отвечать", default=dict)
    text = models.TextField("текст")
    state = models.CharField("состояние", max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField("попыток", default=0)
    next_attempt_at = models.DateTimeField("следующая попытка", default=clock.now, db_index=True)
    claimed_until = models.DateTimeField("занято до", null=True, blank=True)
    claim_token = models.CharField("метка обработчика", max_length=32, blank=True)
    last_error = models.TextField("последняя ошибка", blank=True)
    external_id = models.CharField("номер в канале", max_length=200, blank=True)
    created_at = models.DateTimeField("создано", default=clock.now)
    sent_at = models.DateTimeField("отправлено", null=True, blank=True)

    class Meta:
        verbose_name = "доставка ответа"
        verbose_name_plural = "доставки ответов"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.channel.code} → {self.appeal} ({self.get_state_display()})"


class SignalPurge(models.Model):
    """One run of the retention purge of signals (non-complaint posts): their text and raw payload
    are emptied after TSUR_SIGNAL_RETENTION_DAYS, the rows and counts stay for analytics."""

    at = models.DateTimeField("когда", default=clock.now)
    cutoff = models.DateTimeField("обработаны раньше")
    purged = models.PositiveIntegerField("очищено сигналов")
    by_channel = models.JSONField("по каналам", default=dict)

    class Meta:
        verbose_name = "очистка сигналов"
        verbose_name_plural = "очистки сигналов по сроку хранения"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%d.%m.%Y %H:%M}: {self.purged}"
