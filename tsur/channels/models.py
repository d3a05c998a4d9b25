"""Channel settings, every inbound payload as received (the outbox of intake), and every
outbound delivery with its attempts. The database is the source of truth for work in flight."""

from __future__ import annotations

from django.db import models

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
    cursor = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

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

    channel = models.ForeignKey(ChannelConfig, on_delete=models.PROTECT, related_name="inbound")
    external_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, default="message")
    raw = models.JSONField()
    received_at = models.DateTimeField(default=clock.now, db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    appeal = models.ForeignKey(Appeal, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages")
    # For signals: the complaint-screening probability and the normalised text kept for analytics.
    complaint_probability = models.FloatField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "входящее сообщение"
        verbose_name_plural = "входящие сообщения"
        constraints = [models.UniqueConstraint(fields=["channel", "external_id"], name="inbound_channel_external_id")]

    def __str__(self) -> str:
        return f"{self.channel.code}:{self.external_id}"


class Delivery(models.Model):
    """One answer or notice to publish in the channel an appeal came from."""

    class State(models.TextChoices):
        PENDING = "pending", "ожидает отправки"
        SENT = "sent", "отправлено"
        RETRYING = "retrying", "повтор после ошибки"
        FAILED = "failed", "ошибка (нужен оператор)"

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="deliveries")
    notification = models.OneToOneField(Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="delivery")
    channel = models.ForeignKey(ChannelConfig, on_delete=models.PROTECT, related_name="deliveries")
    reply_to = models.JSONField(default=dict)
    text = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock.now, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "доставка ответа"
        verbose_name_plural = "доставки ответов"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.channel.code} → {self.appeal} ({self.get_state_display()})"
