"""Deadline policies: the three legal regimes as data (PRODUCT.md gives the defaults)."""

from __future__ import annotations

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
    """A reminder or escalation shown to staff (the coordinator's or the center's alert list)."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Напоминание о сроке"
        ESCALATION_COORDINATOR = "escalation_coordinator", "Просрочено: координатору"
        ESCALATION_CENTER = "escalation_center", "Просрочено: в ЦУР"

    appeal = models.ForeignKey("appeals.Appeal", on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # The organisation whose coordinators see it; empty: the center's operators.
    organisation = models.ForeignKey("directory.Organisation", null=True, blank=True, on_delete=models.CASCADE)
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "напоминание / эскалация"
        verbose_name_plural = "напоминания и эскалации"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text
