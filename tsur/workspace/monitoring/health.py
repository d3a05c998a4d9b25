"""What the monitoring pages read: each source's health and the events' list, as plain values.

A source's traffic is what it sent: every version it delivered (a new event or an update, kept
as `EventVersion`) and every item refused (`Reject`). Sensor readings inside the norm change
only the sensor's state and are not counted as traffic; the last reading's time is. Figures
are over the last hour and the last 24 hours before `now`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from tsur.monitoring.models import EventState, EventVersion, MonitoringEvent, Reject, SensorState, Source

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
# A source silent this long is «нет данных»: the center should call its owners.
SILENT_AFTER = dt.timedelta(hours=6)


@dataclass
class Health:
    source: Source
    last_at: dt.datetime | None
    per_hour: int
    per_day: int
    rejected_day: int
    active: int
    alarms: int
    hourly: list[dict] = field(default_factory=list)

    @property
    def rejected_share(self) -> float | None:
        total = self.per_day + self.rejected_day
        return self.rejected_day / total if total else None

    @property
    def rejected_label(self) -> str:
        share = self.rejected_share
        return "—" if share is None else f"{share * 100:.1f} %".replace(".", ",")

    def state(self, now: dt.datetime) -> tuple[str, str]:
        """(css class, Russian word) of the source's state."""
        if not self.source.is_active:
            return "muted", "отключён"
        if self.last_at is None or now - self.last_at > SILENT_AFTER:
            return "red", "нет данных"
        share = self.rejected_share
        if share is not None and share > 0.05:
            return "amber", "много отказов"
        return "green", "работает"


def _last_reading(source_ids: list[int]) -> dict[int, dt.datetime]:
    rows = SensorState.objects.filter(source_id__in=source_ids).values("source_id").annotate(last=Max("read_at"))
    return {r["source_id"]: r["last"] for r in rows if r["last"]}


def sources_health(now: dt.datetime) -> list[Health]:
    sources = list(Source.objects.order_by("name"))
    ids = [s.pk for s in sources]
    versions = (
        EventVersion.objects.filter(event__source_id__in=ids, received_at__gt=now - DAY, received_at__lte=now)
        .values("event__source_id")
        .annotate(day=Count("pk"), hour=Count("pk", filter=Q(received_at__gt=now - HOUR)))
    )
    traffic = {r["event__source_id"]: r for r in versions}
    rejects = dict(
        Reject.objects.filter(source_id__in=ids, received_at__gt=now - DAY, received_at__lte=now)
        .values("source_id")
        .annotate(n=Count("pk"))
        .values_list("source_id", "n")
    )
    active = dict(
        MonitoringEvent.objects.filter(source_id__in=ids, state=EventState.ACTIVE)
        .values("source_id")
        .annotate(n=Count("pk"))
        .values_list("source_id", "n")
    )
    alarms = dict(SensorState.objects.filter(source_id__in=ids, alarm=True).values("source_id").annotate(n=Count("pk")).values_list("source_id", "n"))
    readings = _last_reading(ids)
    out = []
    for s in sources:
        t = traffic.get(s.pk, {})
        last = max((m for m in (s.last_event_at, readings.get(s.pk)) if m), default=None)
        out.append(Health(s, last, t.get("hour", 0), t.get("day", 0), rejects.get(s.pk, 0), active.get(s.pk, 0), alarms.get(s.pk, 0)))
    return out


def source_health(source: Source, now: dt.datetime) -> Health:
    health = next(h for h in sources_health(now) if h.source.pk == source.pk)
    start = (now - DAY).replace(minute=0, second=0, microsecond=0) + HOUR
    hours = [start + HOUR * k for k in range(24)]
    got = dict(
        EventVersion.objects.filter(event__source=source, received_at__gte=start, received_at__lte=now)
        .annotate(h=TruncHour("received_at"))
        .values("h")
        .annotate(n=Count("pk"))
        .values_list("h", "n")
    )
    refused = dict(
        Reject.objects.filter(source=source, received_at__gte=start, received_at__lte=now)
        .annotate(h=TruncHour("received_at"))
        .values("h")
        .annotate(n=Count("pk"))
        .values_list("h", "n")
    )
    got = {timezone.localtime(k).replace(minute=0): v for k, v in got.items()}
    refused = {timezone.localtime(k).replace(minute=0): v for k, v in refused.items()}
    health.hourly = [
        {"hour": f"{timezone.localtime(h):%H:00}", "received": got.get(timezone.localtime(h), 0), "rejected": refused.get(timezone.localtime(h), 0)}
        for h in hours
    ]
    return health


@dataclass(frozen=True)
class EventFilters:
    source: Source | None = None
    kind: str = ""
    state: str = ""
    territory_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def apply(self, qs: QuerySet[MonitoringEvent]) -> QuerySet[MonitoringEvent]:
        if self.source is not None:
            qs = qs.filter(source=self.source)
        if self.kind:
            qs = qs.filter(kind__code=self.kind)
        if self.state:
            qs = qs.filter(state=self.state)
        if self.territory_id:
            qs = qs.filter(territory_id=self.territory_id)
        if self.date_from:
            qs = qs.filter(occurred_at__date__gte=self.date_from)
        if self.date_to:
            qs = qs.filter(occurred_at__date__lte=self.date_to)
        return qs


def events(filters: EventFilters) -> QuerySet[MonitoringEvent]:
    qs = (
        MonitoringEvent.objects.select_related("source", "kind", "territory")
        .defer("territory__boundary").annotate(links_n=Count("links", filter=~Q(links__status="rejected")))
    )
    return filters.apply(qs).order_by("-occurred_at", "-pk")
