"""Precomputed figures of the situation center (docs/analytics.md).

`DailyFigures` holds one row per (day received, territory, category, block, organisation,
channel) with counts and two histograms of durations (review: received → routed; answer:
received → published), bucketed on a log scale so a median or a 90th percentile over any
selection is a sum of buckets. Rows are derived data: they are recounted from appeals, never
edited by hand. `DirtyDay` records the days whose rows must be recounted (written before the
recount, so a lost background task is found by the sweeper); `Rebuild` is the audit of every
recount of a range of days (who, when, why, how many rows).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tsur.core import clock

# Upper edges of the duration buckets, in hours: 0.5 h × 1.5^k. Bucket i holds durations in
# [EDGES[i-1], EDGES[i]); bucket 0 starts at zero, the last one is open (≥ about 69 days).
# Neighbouring edges differ by 1.5×, so a median read from buckets is within that factor.
BUCKET_EDGES_HOURS: tuple[float, ...] = tuple(0.5 * 1.5**k for k in range(21))
BUCKETS = len(BUCKET_EDGES_HOURS) + 1
REVIEW_FIELDS = tuple(f"review_{i:02d}" for i in range(BUCKETS))
ANSWER_FIELDS = tuple(f"answer_{i:02d}" for i in range(BUCKETS))

# The counts of a row, in the order the code and the docs name them.
COUNT_FIELDS = (
    "received",  # appeals received that day
    "routed",  # of them, routed to an organisation (have a review time)
    "answered",  # an answer published to the resident
    "answered_in_time",  # published no later than the due date
    "answered_late",  # published after the due date
    "reopened",  # reopened by the resident at least once
    "rated",  # rated by the resident (the latest rating counts)
    "rated_good",  # latest rating 4 or 5
    "ratings_sum",  # sum of the latest ratings
    "formal",  # a final answer the answer check flagged as a formal reply
    "returned",  # an answer returned by the center for rework
    "repeat",  # joined to a problem another appeal leads (a repeat complaint)
)


class Figures(models.Model):
    """The counts and histograms every rollup row carries (see COUNT_FIELDS)."""

    received = models.IntegerField(default=0)
    routed = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    answered_in_time = models.IntegerField(default=0)
    answered_late = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    rated_good = models.IntegerField(default=0)
    ratings_sum = models.IntegerField(default=0)
    formal = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    repeat = models.IntegerField(default=0)

    locals().update({name: models.IntegerField(default=0) for name in REVIEW_FIELDS + ANSWER_FIELDS})

    class Meta:
        abstract = True


class DailyFigures(Figures):
    """The fine rollup: every key. It answers any filter; the two coarser ones below are sums of
    it, made in the same transaction, for the common selections (they are 5-10× smaller)."""

    day = models.DateField("день поступления")
    territory_id = models.IntegerField(null=True)
    category_id = models.IntegerField(null=True)
    block_id = models.IntegerField(null=True)
    organisation_id = models.IntegerField(null=True)
    channel = models.CharField(max_length=16)

    class Meta:
        verbose_name = "показатели дня"
        verbose_name_plural = "показатели по дням"
        indexes = [
            models.Index(fields=["day"]),
            models.Index(fields=["organisation_id", "day"]),
            models.Index(fields=["territory_id", "day"]),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.received}"


class DailyPlaceFigures(Figures):
    """Per day, organisation and territory: selections with no topic or channel condition."""

    day = models.DateField()
    territory_id = models.IntegerField(null=True)
    organisation_id = models.IntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.received}"


class MonthlyPlaceFigures(Figures):
    """Per calendar month, organisation and territory: the sums of DailyPlaceFigures over the
    month. A long period reads whole months here and only its ragged ends from the daily rows."""

    month = models.DateField()  # the first day of the month
    territory_id = models.IntegerField(null=True)
    organisation_id = models.IntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.received}"


class DailyTopicFigures(Figures):
    """Per day, block, category and channel: selections with no place or organisation condition."""

    day = models.DateField()
    category_id = models.IntegerField(null=True)
    block_id = models.IntegerField(null=True)
    channel = models.CharField(max_length=16)

    class Meta:
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.received}"


class DirtyDay(models.Model):
    """A day whose rows wait for a recount. `token` changes at every mark: a recount deletes the
    mark only if it is still the one it read, so a change during the recount is counted again."""

    day = models.DateField(unique=True)
    token = models.CharField(max_length=32)
    marked_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "день к пересчёту"
        verbose_name_plural = "дни к пересчёту"

    def __str__(self) -> str:
        return str(self.day)


class Rebuild(models.Model):
    """The audit of one recount of precomputed figures."""

    class Reason(models.TextChoices):
        CHANGE = "change", "изменения обращений"
        SWEEP = "sweep", "досчёт потерянных"
        NIGHTLY = "nightly", "ночной полный пересчёт"
        COMMAND = "command", "команда tsur analytics rebuild"

    reason = models.CharField(max_length=16, choices=Reason.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    day_from = models.DateField(null=True)
    day_to = models.DateField(null=True)
    days = models.IntegerField(default=0)
    rows = models.IntegerField(default=0)
    appeals = models.IntegerField(default=0)
    started_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = "пересчёт показателей"
        verbose_name_plural = "пересчёты показателей"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.day_from}–{self.day_to}"
