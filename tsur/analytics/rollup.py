"""Keeping the precomputed figures right (docs/analytics.md).

The only writers of `DailyFigures`: `recount_days` (a range of days, from the appeals themselves),
`mark_dirty` (records the days an appeal change touched) and `recount_dirty` (the background
recount of marked days). A day's rows are replaced in one transaction, so a reader sees either
the old or the new figures of the day, never half of them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from tsur.analytics import measures
from tsur.analytics.models import (
    ANSWER_FIELDS,
    BUCKET_EDGES_HOURS,
    COUNT_FIELDS,
    REVIEW_FIELDS,
    DailyFigures,
    DailyPlaceFigures,
    DailyTopicFigures,
    DirtyDay,
    MonthlyPlaceFigures,
    Rebuild,
)
from tsur.appeals.models import Appeal
from tsur.core import clock

KEYS = ("day", "territory_id", "category_id", "block_id", "organisation_id", "channel")
# A full rebuild goes this many days at a time: bounded memory, short transactions.
CHUNK_DAYS = 7


def _bucket_counts(prefix: str, duration: str, fields: tuple[str, ...]) -> dict:
    edges = [dt.timedelta(hours=h) for h in BUCKET_EDGES_HOURS]
    out = {}
    for i, name in enumerate(fields):
        q = Q(**{f"{duration}__isnull": False})
        if i > 0:
            q &= Q(**{f"{duration}__gte": edges[i - 1]})
        if i < len(edges):
            q &= Q(**{f"{duration}__lt": edges[i]})
        out[name] = Count("pk", filter=q)
    return out


def _aggregates(now: dt.datetime) -> dict:
    def count(code: str):
        return Count("pk", filter=measures.condition(code, now))

    return {
        "received": Count("pk"),
        "routed": count("routed"),
        "answered": count("answered"),
        "answered_in_time": count("in_time"),
        "answered_late": count("late"),
        "reopened": count("reopened"),
        "rated": count("rated"),
        "rated_good": count("good"),
        "ratings_sum": Sum("last_score", default=0),
        "formal": count("formal"),
        "returned": count("returned"),
        "repeat": count("repeat"),
        **_bucket_counts("review", "review_time", REVIEW_FIELDS),
        **_bucket_counts("answer", "answer_time", ANSWER_FIELDS),
    }


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def count_rows(day_from: dt.date, day_to: dt.date) -> list[DailyFigures]:
    """The figures of days [day_from, day_to], counted from the appeals (nothing is written)."""
    tz = timezone.get_current_timezone()
    appeals = measures.annotate_facts(
        Appeal.objects.filter(received_at__gte=day_start(day_from), received_at__lt=day_start(day_to + dt.timedelta(days=1)))
    ).annotate(
        day=TruncDate("received_at", tzinfo=tz),
        review_time=ExpressionWrapper(F("routed_at") - F("received_at"), output_field=DurationField()),
        answer_time=ExpressionWrapper(F("published_at") - F("received_at"), output_field=DurationField()),
    )
    grouped = appeals.order_by().values(*KEYS).annotate(**_aggregates(clock.now()))
    return [DailyFigures(**row) for row in grouped]


# The coarser rollups and their keys: sums of the fine rows, rewritten with them.
COARSE = ((DailyPlaceFigures, ("day", "territory_id", "organisation_id")), (DailyTopicFigures, ("day", "block_id", "category_id", "channel")))
SUMS = COUNT_FIELDS + REVIEW_FIELDS + ANSWER_FIELDS


def _replace(day_from: dt.date, day_to: dt.date) -> tuple[int, int]:
    with transaction.atomic():
        rows = count_rows(day_from, day_to)
        DailyFigures.objects.filter(day__gte=day_from, day__lte=day_to).delete()
        DailyFigures.objects.bulk_create(rows, batch_size=2000)
        sum_coarse(day_from, day_to)
    return len(rows), sum(r.received for r in rows)


def _resum(source, target, keys: tuple[str, ...], day_from: dt.date, day_to: dt.date, **extra) -> None:
    rows = source.objects.filter(day__gte=day_from, day__lte=day_to).order_by()
    sums = rows.values(*keys).annotate(**{f"{name}_sum": Sum(name) for name in SUMS})
    target.objects.bulk_create(
        [target(**extra, **{k: r[k] for k in keys}, **{name: r[f"{name}_sum"] for name in SUMS}) for r in sums], batch_size=2000
    )


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def sum_coarse(day_from: dt.date, day_to: dt.date) -> None:
    """Rewrite the coarser rollups of these days (and the monthly rows of their months) as sums
    of the fine rows, inside the caller's transaction: the figures of a day change together."""
    for model, keys in COARSE:
        model.objects.filter(day__gte=day_from, day__lte=day_to).delete()
        _resum(DailyFigures, model, keys, day_from, day_to)
    month = month_start(day_from)
    while month <= day_to:
        MonthlyPlaceFigures.objects.filter(month=month).delete()
        _resum(DailyPlaceFigures, MonthlyPlaceFigures, ("territory_id", "organisation_id"), month, month_end(month), month=month)
        month = month_end(month) + dt.timedelta(days=1)


def recount_days(day_from: dt.date, day_to: dt.date, *, reason: str, actor=None) -> Rebuild:
    """Recount every day of [day_from, day_to] from the appeals, a week at a time; audited."""
    log = Rebuild.objects.create(reason=reason, actor=actor, day_from=day_from, day_to=day_to, started_at=clock.now())
    rows = appeals = 0
    start = day_from
    while start <= day_to:
        end = min(day_to, start + dt.timedelta(days=CHUNK_DAYS - 1))
        r, a = _replace(start, end)
        rows, appeals = rows + r, appeals + a
        start = end + dt.timedelta(days=1)
    log.days = (day_to - day_from).days + 1
    log.rows, log.appeals, log.finished_at = rows, appeals, clock.now()
    log.save(update_fields=["days", "rows", "appeals", "finished_at"])
    return log


def rebuild_all(*, since: dt.date | None = None, reason: str = Rebuild.Reason.COMMAND, actor=None) -> Rebuild | None:
    """Recount every day from `since` (default: the first appeal's day) to the last appeal's day;
    rows of days with no appeals left are removed too."""
    tz = timezone.get_current_timezone()
    first = Appeal.objects.order_by("received_at").values_list("received_at", flat=True).first()
    last = Appeal.objects.order_by("-received_at").values_list("received_at", flat=True).first()
    if first is None or last is None:
        for model in (DailyFigures, DailyPlaceFigures, DailyTopicFigures):
            model.objects.filter(**({"day__gte": since} if since else {})).delete()
        MonthlyPlaceFigures.objects.filter(**({"month__gte": month_start(since)} if since else {})).delete()
        return None
    day_from = since or first.astimezone(tz).date()
    day_to = max(last.astimezone(tz).date(), day_from)
    for model in (DailyFigures, DailyPlaceFigures, DailyTopicFigures):
        model.objects.filter(Q(day__lt=first.astimezone(tz).date()) | Q(day__gt=day_to), day__gte=day_from).delete()
    first_month = month_start(first.astimezone(tz).date())
    MonthlyPlaceFigures.objects.filter(Q(month__lt=first_month) | Q(month__gt=day_to), month__gte=month_start(day_from)).delete()
    return recount_days(day_from, day_to, reason=reason, actor=actor)


# --- incremental ---------------------------------------------------------------------------------


def mark_dirty(days: Iterable[dt.date]) -> list[dt.date]:
    """Record that these days' figures must be recounted (a new token on each: see DirtyDay)."""
    marks = [DirtyDay(day=d, token=uuid.uuid4().hex, marked_at=clock.now()) for d in sorted(set(days))]
    if marks:
        DirtyDay.objects.bulk_create(marks, update_conflicts=True, unique_fields=["day"], update_fields=["token", "marked_at"])
    return [m.day for m in marks]


def days_of_appeals(appeal_ids: Iterable[int]) -> list[dt.date]:
    tz = timezone.get_current_timezone()
    ids = list(appeal_ids)
    received = Appeal.objects.filter(pk__in=ids).values_list("received_at", flat=True)
    return sorted({r.astimezone(tz).date() for r in received})


def recount_dirty(days: Iterable[dt.date] | None = None, *, reason: str = Rebuild.Reason.CHANGE, older_than: dt.datetime | None = None) -> int:
    """Recount marked days (these, or all marked before `older_than`, or all); a mark is removed
    only if no change marked the day again meanwhile. Returns the number of days recounted."""
    marks = DirtyDay.objects.all()
    if days is not None:
        marks = marks.filter(day__in=list(days))
    if older_than is not None:
        marks = marks.filter(marked_at__lt=older_than)
    done = 0
    for day, token in list(marks.order_by("day").values_list("day", "token")):
        recount_days(day, day, reason=reason)
        DirtyDay.objects.filter(day=day, token=token).delete()
        done += 1
    return done
