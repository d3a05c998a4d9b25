"""Deadline policies: the three legal regimes as data (PRODUCT.md gives the defaults)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tsur.directory.models import Regime


class Unit(models.TextChoices):
    WORKING_HOURS = "working_hours", "рабочие часы"
    WORKING_DAYS = "working_days", "рабочие дни"
    CALENDAR_DAYS = "calendar_days", "календарные дни"


class DeadlinePolicy(models.Model):
    regime = models.CharField("режим", max_length=16, choices=Regime.choices, unique=True)
    name = models.CharField("название", max_length=200)
    unit = models.CharField("единица срока ответа", max_length=16, choices=Unit.choices)
    amount_normal = models.PositiveIntegerField("срок ответа (обычное)")
    amount_high = models.PositiveIntegerField("срок ответа (срочное)")
    # Empty: the same unit as `unit` (the message regime counts urgent items in working days).
    unit_high = models.CharField("единица срока (срочное)", max_length=16, choices=Unit.choices, blank=True)
    # Incident regime: an interim answer stops the hours clock and opens this one for the final answer.
    interim_unit = models.CharField("единица срока после промежуточного ответа", max_length=16, choices=Unit.choices, blank=True)
    interim_amount = models.PositiveIntegerField("срок окончательного ответа после промежуточного", null=True, blank=True)
    # 59-FZ sub-deadlines, in calendar days from receipt / registration.
    registration_days = models.PositiveIntegerField("срок регистрации, дней", null=True, blank=True)
    transfer_days = models.PositiveIntegerField("срок переадресации, дней", null=True, blank=True)
    extension_max_days = models.PositiveIntegerField("продление не более, дней", default=0)
    extension_max_count = models.PositiveIntegerField("продлений не более", default=0)
    # A reminder goes out when this share of the time to the deadline has passed.
    remind_at_fraction = models.FloatField("напоминание после доли срока", default=0.75)
    # After the deadline: escalation to the coordinator at once, to the center this many hours later.
    escalate_center_after_hours = models.PositiveIntegerField("эскалация в ЦУР через, часов", default=24)

    class Meta:
        verbose_name = "регламент сроков"
        verbose_name_plural = "регламенты сроков"

    def __str__(self) -> str:
        return self.name


class StaffAlert(models.Model):
    """A signal to staff: a deadline reminder or escalation, or a hand-over of the appeal (routed,
    returned to the center, assigned, answer returned, extension requested, answer to check, reopened, a resident's message,
    a mention in an internal note). Addressed to one user (personal), else to an organisation's
    coordinators, else to the center's operators. Signals of hand-overs are made from the appeal's
    event (tsur.escalation.signals), one per (event, addressee)."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Напоминание о сроке"
        ESCALATION_COORDINATOR = "escalation_coordinator", "Просрочено: координатору"
        ESCALATION_CENTER = "escalation_center", "Просрочено: в ЦУР"
        ROUTED = "routed", "Передано в организацию"
        RETURNED_TO_CENTER = "returned_to_center", "Возвращено в ЦУР"
        ASSIGNED = "assigned", "Назначено исполнителю"
        ANSWER_RETURNED = "answer_returned", "Ответ возвращён на доработку"
        EXTENSION_REQUESTED = "extension_requested", "Запрошено продление"
        ANSWER_TO_CHECK = "answer_to_check", "Ответ ждёт проверки"
        REOPENED = "reopened", "Возобновлено жителем"
        RESIDENT_MESSAGE = "resident_message", "Сообщение жителя"
        MENTION = "mention", "Упоминание в заметке"

    appeal = models.ForeignKey("appeals.Appeal", verbose_name="обращение", on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField("вид", max_length=32, choices=Kind.choices)
    # A personal signal (an executor assigned, a mention): only this user sees it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="адресат", null=True, blank=True, on_delete=models.CASCADE, related_name="signals"
    )
    # Without a user: the organisation whose coordinators see it; empty: the center's operators.
    organisation = models.ForeignKey("directory.Organisation", verbose_name="организация", null=True, blank=True, on_delete=models.CASCADE)
    # The event of the appeal's log the signal was made from (empty for reminders and escalations).
    # No database constraint: a partitioned log (tsur.appeals.partitions) has the key (id, at), which
    # a reference to `id` alone cannot name; events are never deleted, so the reference holds.
    event = models.ForeignKey(
        "appeals.Event", verbose_name="событие", null=True, blank=True, on_delete=models.CASCADE, related_name="signals", db_constraint=False
    )
    # "user:<id>", "org:<id>" or "center": with `event`, one signal per (event, addressee) however
    # often the event is processed (a subscriber and the sweeper racing).
    addressee = models.CharField("кому", max_length=40, blank=True)
    text = models.CharField("сообщение", max_length=300)
    created_at = models.DateTimeField("создан", auto_now_add=True)
    # When someone first read it; who read it is StaffAlertRead (reading is per user).
    seen_at = models.DateTimeField("впервые прочитан", null=True, blank=True)

    class Meta:
        verbose_name = "сигнал"
        verbose_name_plural = "сигналы"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "addressee"], condition=models.Q(event__isnull=False), name="one_signal_per_event_and_addressee")
        ]

    def __str__(self) -> str:
        return self.text


class StaffAlertRead(models.Model):
    """That one user has read a signal: a signal of an organisation or of the center stays unread
    for the colleagues who have not opened it."""

    alert = models.ForeignKey(StaffAlert, verbose_name="сигнал", on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="сотрудник", on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField("прочитан")

    class Meta:
        verbose_name = "прочтение сигнала"
        verbose_name_plural = "прочтения сигналов"
        constraints = [models.UniqueConstraint(fields=["alert", "user"], name="one_read_per_signal_and_user")]

    def __str__(self) -> str:
        return f"Прочитано {self.read_at:%d.%m.%Y %H:%M}"


class SignalEmail(models.Model):
    """A signal sent by e-mail to one user who asked for it (Membership.signals_by_email): recorded
    with the signal, sent after commit, retried by the sweeper, as residents' notifications are."""

    class State(models.TextChoices):
        PENDING = "pending", "ожидает отправки"
        SENT = "sent", "отправлено"
        FAILED = "failed", "ошибка"

    alert = models.ForeignKey(StaffAlert, verbose_name="сигнал", on_delete=models.CASCADE, related_name="emails")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="сотрудник", on_delete=models.CASCADE, related_name="+")
    state = models.CharField("состояние", max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField("попыток", default=0)
    last_error = models.TextField("последняя ошибка", blank=True)
    created_at = models.DateTimeField("создано")
    sent_at = models.DateTimeField("отправлено", null=True, blank=True)

    class Meta:
        verbose_name = "сигнал на e-mail"
        verbose_name_plural = "сигналы на e-mail"
        constraints = [models.UniqueConstraint(fields=["alert", "user"], name="one_email_per_signal_and_user")]

    def __str__(self) -> str:
        return f"{self.alert} ({self.get_state_display()})"
