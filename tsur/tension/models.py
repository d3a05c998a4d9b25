"""Points of tension as the platform keeps them: the detector's findings per place × topic × span,
how the center handles each (acknowledged, assigned to an organisation, dismissed), the audit of
those decisions, and the series waiting to be recomputed after appeals changed."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from tsur.appeals.models import Appeal
from tsur.core import clock
from tsur.directory.models import Block, Category, Organisation, Territory


class PlaceKind(models.TextChoices):
    CELL = "cell", "участок карты"
    TERRITORY = "territory", "территория"


class Level(models.TextChoices):
    CATEGORY = "category", "категория"
    BLOCK = "block", "блок целиком"


class State(models.TextChoices):
    NEW = "new", "новая"
    GROWING = "growing", "растёт"
    STABLE = "stable", "держится"
    EASING = "easing", "спадает"
    RESOLVED = "resolved", "завершилась"


LIVE_STATES = frozenset({State.NEW, State.GROWING, State.STABLE, State.EASING})


class Handling(models.TextChoices):
    OPEN = "open", "не разобрана"
    ACKNOWLEDGED = "acknowledged", "принята к сведению"
    ASSIGNED = "assigned", "передана организации"
    DISMISSED = "dismissed", "отклонена"


class TensionPoint(models.Model):
    place_kind = models.CharField("вид места", max_length=16, choices=PlaceKind.choices)
    place = models.CharField("место", max_length=64, help_text="ячейка H3 или код территории")
    territory = models.ForeignKey(
        Territory, verbose_name="территория", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField("уровень темы", max_length=16, choices=Level.choices)
    block = models.ForeignKey(Block, verbose_name="блок", on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(
        Category, verbose_name="категория", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lat = models.FloatField("широта", null=True, blank=True)
    lon = models.FloatField("долгота", null=True, blank=True)
    state = models.CharField("состояние", max_length=16, choices=State.choices, db_index=True)
    handling = models.CharField("разбор", max_length=16, choices=Handling.choices, default=Handling.OPEN, db_index=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name="организация", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    window_start = models.DateField("с")
    window_end = models.DateField("по (не включая)")
    first_seen = models.DateTimeField("замечена", default=clock.now)
    count = models.PositiveIntegerField("обращений")
    expected = models.FloatField("обычно")
    surprise = models.FloatField("неожиданность")
    sharpening = models.FloatField("усиление", default=1.0)
    score = models.FloatField("оценка", db_index=True)
    # The score when the point was dismissed: it comes back only if it grows markedly past it.
    handled_score = models.FloatField("оценка при решении", null=True, blank=True)
    explanation = models.TextField("пояснение")
    flags = models.JSONField("что усиливает", default=dict, blank=True)
    series = models.JSONField("ряд по дням", default=list, blank=True)
    appeals = models.ManyToManyField(Appeal, verbose_name="обращения", related_name="+", blank=True)
    updated_at = models.DateTimeField("пересчитана", default=clock.now)

    class Meta:
        verbose_name = "точка напряжённости"
        verbose_name_plural = "точки напряжённости"
        ordering = ["-score"]
        indexes = [
            models.Index(fields=["place", "level", "block", "category"], name="tension_series"),
            models.Index(fields=["window_end", "score"], name="tension_period"),
        ]

    def __str__(self) -> str:
        topic = self.category.name if self.category_id else self.block.name
        return f"{topic}: {self.count} с {self.window_start:%d.%m.%Y}"

    @property
    def topic_code(self) -> str:
        return self.category.code if self.category_id else self.block.key

    @property
    def last_day(self) -> dt.date:
        """The last day of the span (window_end excludes itself), as people read periods."""
        return self.window_end - dt.timedelta(days=1)

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES


class ActionKind(models.TextChoices):
    ACKNOWLEDGED = "acknowledged", "принята к сведению"
    ASSIGNED = "assigned", "передана организации"
    DISMISSED = "dismissed", "отклонена"
    REOPENED = "reopened", "вернулась после отклонения"


class TensionAction(models.Model):
    """One decision about a point (the audit): who, when, what, why."""

    point = models.ForeignKey(TensionPoint, verbose_name="точка", on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField("действие", max_length=16, choices=ActionKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="кто", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("когда", default=clock.now)
    reason = models.TextField("основание", blank=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name="организация", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_handling = models.CharField("было", max_length=16, choices=Handling.choices)
    to_handling = models.CharField("стало", max_length=16, choices=Handling.choices)

    class Meta:
        verbose_name = "решение по точке напряжённости"
        verbose_name_plural = "решения по точкам напряжённости"
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%d.%m.%Y %H:%M}"


class DirtySeries(models.Model):
    """A place × topic series whose appeals changed and waits to be recomputed. Recorded before the
    work is enqueued, claimed by a conditional update, re-enqueued by the sweeper when lost; a row
    marked again after its claim survives the claimed run and is recomputed once more."""

    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="+")
    place = models.CharField(max_length=64)
    level = models.CharField(max_length=16, choices=Level.choices)
    topic = models.CharField(max_length=64)
    marked_at = models.DateTimeField(default=clock.now)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "ряд к пересчёту"
        verbose_name_plural = "ряды к пересчёту"
        constraints = [models.UniqueConstraint(fields=["block", "place", "level", "topic"], name="tension_dirty_unique")]

    def __str__(self) -> str:
        return f"{self.place} {self.level} {self.topic}"


class Placement(models.Model):
    """Where an appeal counts for the detector: its place (H3 cell or territory code), the parent
    territory, its category and local day. Kept by the block's full recompute (which rewrites the
    block's rows) and by the change subscriber (each changed appeal's row); the incremental
    recompute reads daily counts from here instead of a block's year of appeals. Only appeals that
    count (categorised, not refused, placed) have a row."""

    appeal = models.OneToOneField(Appeal, primary_key=True, on_delete=models.CASCADE, related_name="+")
    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="+")
    place = models.CharField(max_length=64)
    parent = models.CharField(max_length=64, blank=True)
    category = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    day = models.DateField()

    class Meta:
        verbose_name = "место обращения для точек"
        verbose_name_plural = "места обращений для точек"
        indexes = [
            models.Index(fields=["block", "place", "day"], name="tension_place_day"),
            models.Index(fields=["block", "parent", "day"], name="tension_parent_day"),
            models.Index(fields=["block", "day", "category"], name="tension_block_day"),
        ]

    def __str__(self) -> str:
        return f"{self.place} {self.category} {self.day:%d.%m.%Y}"


class PlacedBlock(models.Model):
    """A block whose placements are complete from `since` on (written by its full recompute): only
    then does its incremental recompute read counts; otherwise it does the full read once."""

    block = models.OneToOneField(Block, primary_key=True, on_delete=models.CASCADE, related_name="+")
    since = models.DateField()
    at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "блок с местами обращений"
        verbose_name_plural = "блоки с местами обращений"

    def __str__(self) -> str:
        return f"{self.block_id} с {self.since:%d.%m.%Y}"


class BlockBaseline(models.Model):
    """The block-wide part of the detector (engine.model.Baseline) as of a day: it depends only on
    the days before the live weeks, so it is computed once a day and dropped when an appeal of
    those days changes where or whether it counts (tsur.tension.counts.sync)."""

    block = models.OneToOneField(Block, primary_key=True, on_delete=models.CASCADE, related_name="+")
    as_of = models.DateField()
    day0 = models.DateField()
    pooled = models.JSONField(default=list)
    phi = models.FloatField()

    class Meta:
        verbose_name = "базовый уровень блока"
        verbose_name_plural = "базовые уровни блоков"

    def __str__(self) -> str:
        return f"{self.block_id} на {self.as_of:%d.%m.%Y}"
