"""The demo's monitoring configuration: event kinds mapped to the demo's categories and four
sources (cameras, 112, the housing inspection, sensors) from `data/monitoring.json`, created or
updated by code; fixed demo keys (printed by `tsur demo`) only when asked for."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from tsur.directory.models import Category
from tsur.monitoring.keys import hash_key, issue_key
from tsur.monitoring.models import EventKind, Source

DATA_FILE = Path(__file__).resolve().parent / "data" / "monitoring.json"
KIND_FIELDS = ("source_kind", "name", "radius_m", "before_hours", "after_hours", "resolution", "quiet_hours", "may_close", "may_reopen")


def read_config(path: Path | None = None) -> dict:
    return json.loads((path or DATA_FILE).read_text(encoding="utf-8"))


@transaction.atomic
def load_sources(path: Path | None = None, *, demo_keys: bool = False) -> dict[str, int]:
    """Idempotent: rows matched by code and updated. `demo_keys`: give each source the fixed key
    of the file (the demo's, printed for everybody; never in production). A configuration without
    the file has no monitoring sources: nothing is loaded."""
    if path is not None and not path.is_file():
        return {}
    config = read_config(path)
    categories = {c.code: c for c in Category.objects.all()}
    for row in config["event_kinds"]:
        kind, _ = EventKind.objects.update_or_create(code=row["code"], defaults={k: row[k] for k in KIND_FIELDS if k in row})
        kind.categories.set([categories[c] for c in row.get("categories", []) if c in categories])
    for row in config["sources"]:
        source, _ = Source.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "kind": row["kind"],
                "mapping": row["mapping"],
                "rate_per_minute": row.get("rate_per_minute", 60000),
                "max_batch": row.get("max_batch", 5000),
            },
        )
        if demo_keys and row.get("demo_key") and source.key_hash != hash_key(row["demo_key"]):
            issue_key(source, raw=row["demo_key"])
    return {"event_kinds": len(config["event_kinds"]), "monitoring_sources": len(config["sources"])}


def demo_keys(path: Path | None = None) -> list[tuple[str, str, str]]:
    """(code, name, key) of the demo's sources, for the demo's printout."""
    return [(row["code"], row["name"], row["demo_key"]) for row in read_config(path)["sources"] if row.get("demo_key")]
