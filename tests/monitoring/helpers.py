"""Monitoring rows for tests of matching and closure, written with the ORM (the intake has its
own tests): a source, a kind mapped to the world's heating category, events at a given time."""

from __future__ import annotations

import datetime as dt
import itertools

from tsur.monitoring.models import EventKind, MonitoringEvent, Resolution, Source

MSK = dt.timezone(dt.timedelta(hours=3))
T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=MSK)
# A point inside the world's city (tests.factories: 36.0–36.5 E, 54.4–54.7 N).
LAT, LON = 54.52, 36.25
_ids = itertools.count(1)


def metres_north(lat: float, metres: float) -> float:
    return lat + metres / 111_200


def sensor_source() -> Source:
    return Source.objects.get_or_create(code="sensors", defaults={"name": "Датчики теплосети", "kind": "sensor"})[0]


def pressure_kind(w, **overrides) -> EventKind:
    fields = {
        "source_kind": "sensor", "name": "Падение давления в теплосети", "radius_m": 500, "before_hours": 24,
        "after_hours": 72, "resolution": Resolution.READINGS_NORMAL, "quiet_hours": 24, "may_close": True, "may_reopen": True,
    }  # fmt: skip
    code = overrides.pop("code", f"pressure-{next(_ids)}")
    fields.update(overrides)
    kind = EventKind.objects.create(code=code, **fields)
    kind.categories.add(w.heating)
    return kind


def event(
    kind: EventKind, at: dt.datetime, *, lat: float | None = LAT, lon: float | None = LON, source: Source | None = None, **fields
) -> MonitoringEvent:
    from tsur.monitoring.places import cell

    return MonitoringEvent.objects.create(
        source=source or sensor_source(),
        external_id=f"e-{next(_ids)}",
        kind=kind,
        occurred_at=at,
        version_at=at,
        received_at=fields.pop("received_at", at),
        lat=lat,
        lon=lon,
        cell=cell(lat, lon),
        title=fields.pop("title", kind.name),
        **fields,
    )


def heating_appeal(w, at: dt.datetime, **kwargs):
    """A resident's complaint of no heating at the event's point (the city), received at `at`."""
    from tests.factories import new_appeal
    from tsur.core import clock

    data = {"text": "В квартире холодно, батареи еле тёплые", "category_code": "heating", "territory_code": "city", "lat": LAT, "lon": LON}
    data.update(kwargs)
    with clock.at(at):
        return new_appeal(w, **data)


def answer(w, appeal, at: dt.datetime, text: str = "Давление в теплосети восстановлено, отопление подано."):
    """Route to the city administration, accept, answer, check and publish at `at`."""
    from tsur import answers
    from tsur.appeals import services
    from tsur.core import clock

    with clock.at(at):
        services.route_appeal(appeal.pk, w.operator, organisation_code="city-admin")
        services.accept_appeal(appeal.pk, w.city_coordinator)
        answers.services.prepare_answer(appeal.pk, w.city_coordinator, text=text)
        answers.services.approve_answer(appeal.pk, w.operator)
        answers.services.publish_answer(appeal.pk, w.operator)
    appeal.refresh_from_db()
    return appeal


def resolve(e: MonitoringEvent, at: dt.datetime) -> None:
    """The source's new version: the readings are back to normal (as the intake writes it)."""
    from django.db import transaction

    from tsur.monitoring.events import events_recorded

    with transaction.atomic():
        MonitoringEvent.objects.filter(pk=e.pk).update(state="resolved", resolved_at=at, version_at=at, version=2, matched_at=None)
        events_recorded.publish([e.pk])
