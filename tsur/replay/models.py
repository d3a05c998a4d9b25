"""The record of a replay: what was asked, how far it went, what it found wrong.

One row per run of `tsur replay`. The appeals themselves are the record of what is loaded (the
portal's id is the appeal's external id), so a run that stops anywhere is resumed by running it
again; the row keeps the time shift every later run must reuse, and the counts people read."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from tsur.core import clock


class ReplayRun(models.Model):
    class State(models.TextChoices):
        RUNNING = "running", "Выполняется"
        FINISHED = "finished", "Завершён"
        FAILED = "failed", "Прерван"

    region = models.CharField("регион (код конфигурации)", max_length=64, db_index=True)
    data_dir = models.CharField("каталог данных", max_length=500)
    options = models.JSONField("параметры запуска", default=dict, blank=True)
    shift_days = models.IntegerField("сдвиг во времени, дней", default=0)
    state = models.CharField("состояние", max_length=10, choices=State.choices, default=State.RUNNING)
    started_by = models.CharField("кто запустил", max_length=120, blank=True)
    started_at = models.DateTimeField("начат", default=clock.now)
    finished_at = models.DateTimeField("окончен", null=True, blank=True)
    rows_seen = models.PositiveIntegerField("строк прочитано", default=0)
    loaded = models.PositiveIntegerField("загружено обращений", default=0)
    skipped = models.PositiveIntegerField("уже были загружены", default=0)
    failed = models.PositiveIntegerField("отклонено строк", default=0)
    steps = models.PositiveIntegerField("шагов истории выполнено", default=0)
    steps_skipped = models.PositiveIntegerField("шагов истории пропущено", default=0)
    last_external_id = models.CharField("последний загруженный id", max_length=200, blank=True)
    note = models.TextField("итог", blank=True)

    class Meta:
        verbose_name = "запуск воспроизведения"
        verbose_name_plural = "запуски воспроизведения"
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.region} {timezone.localtime(self.started_at):%d.%m.%Y %H:%M} ({self.get_state_display()})"
