"""The places triage looks for, from the directory rows officials configure: territories (levels,
parents, centre points, boundaries), streets, and the places outside the region residents name.

The engine stays pure: this module reads the rows into a `PlaceConfig` (plain data), and the
engine builds its gazetteer from that. Building takes about a second for the demo region (every
case form of every name), so `tsur.triage.services.engine` keeps the result per process and
rebuilds it only when `stamp()` changes.

Why a stamp read from the rows rather than post_save signals: triage runs in Celery workers and
web workers, not in the process where an official saves a row in the admin, and a signal is heard
only in its own process (and not at all by bulk inserts such as the demo loader's). The stamp is
one small query per batch of appeals, answered from the same rows every process reads.
"""

from __future__ import annotations

from django.db import connection

from tsur.directory.models import OutsidePlace, Street, Territory
from tsur.triage.engine.place.config import PlaceConfig

# The models the gazetteer is built from; each has an auto-updated `updated_at`.
_SOURCES = (Territory, Street, OutsidePlace)


def stamp() -> tuple:
    """The version of the configured places: the row count and the latest change of each source
    table, in one round trip. A row inserted, edited (saved) or deleted changes it; an edit made
    with a bulk `QuerySet.update()` that leaves `updated_at` alone does not, so such code must set
    `updated_at` too."""
    quote = connection.ops.quote_name
    parts = []
    for model in _SOURCES:
        table = quote(model._meta.db_table)
        parts.append(f"(SELECT COUNT(*) FROM {table})")
        parts.append(f"(SELECT MAX({quote('updated_at')}) FROM {table})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return tuple(str(v) for v in cursor.fetchone())


def place_config() -> PlaceConfig:
    """The configured territories, streets and outside places as the engine reads them."""
    territories = [
        {
            "code": t["code"],
            "name": t["name"],
            "level": t["level"],
            "parent": t["parent__code"],
            "lat": t["lat"],
            "lon": t["lon"],
            "boundary": t["boundary"],
        }
        for t in Territory.objects.order_by("pk").values("code", "name", "level", "parent__code", "lat", "lon", "boundary")
    ]
    streets = [
        {"name": s["name"], "type": s["type"], "territory": s["territory__code"], "lat": s["lat"], "lon": s["lon"]}
        for s in Street.objects.order_by("pk").values("name", "type", "territory__code", "lat", "lon")
    ]
    outside = [{"name": o["name"], "kind": o["kind"]} for o in OutsidePlace.objects.order_by("pk").values("name", "kind")]
    return PlaceConfig(tuple(territories), tuple(streets), tuple(outside))
