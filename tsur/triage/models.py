"""What the automatic triage decided about an appeal (with its confidence and reasons), and the
operators' corrections, which are the labelled examples of the next training run."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tsur.appeals.models import Appeal
from tsur.core import clock


class TriageResult(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="triage_results")
    created_at = models.DateTimeField(default=clock.now)
    model_version = models.CharField(max_length=120)
    block = models.CharField(max_length=32, blank=True)
    block_confidence = models.FloatField(null=True)
    category = models.CharField(max_length=300, blank=True)
    category_code = models.CharField(max_length=64, blank=True)  # the configured category it maps to
    category_confidence = models.FloatField(null=True)
    territory_code = models.CharField(max_length=64, blank=True)
    place_evidence = models.JSONField(default=list, blank=True)
    address = models.CharField(max_length=300, blank=True)
    urgency = models.CharField(max_length=8, blank=True)
    urgency_reason = models.CharField(max_length=300, blank=True)
    is_complaint = models.BooleanField(null=True)
    complaint_probability = models.FloatField(null=True)
    duplicate_of = models.ForeignKey(Appeal, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    personal_data_kinds = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # What the pipeline changed on the appeal (fields it set), for the card's "why".
    applied = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "результат автоматического разбора"
        verbose_name_plural = "результаты автоматического разбора"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Разбор {self.appeal} ({self.model_version})"


class Correction(models.Model):
    """An operator overrode an automatic decision: a labelled example for the next model."""

    class Field(models.TextChoices):
        CATEGORY = "category", "категория"
        TERRITORY = "territory", "территория"
        URGENCY = "urgency", "срочность"
        COMPLAINT = "complaint", "является ли жалобой"
        DUPLICATE = "duplicate", "дубликат"

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="triage_corrections")
    field = models.CharField(max_length=16, choices=Field.choices)
    predicted = models.CharField(max_length=300, blank=True)
    corrected = models.CharField(max_length=300)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "исправление оператора"
        verbose_name_plural = "исправления операторов"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_field_display()}: {self.predicted} → {self.corrected}"
