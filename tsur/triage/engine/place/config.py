"""What a gazetteer is built from: the configured region's territories and streets, and the places
outside it that residents name. Plain JSON-able data, so a worker process can be handed it and
build the same gazetteer.

The platform makes it from its directory rows (tsur.triage.places); the command-line tools,
the benchmarks and the evaluation scripts read a folder of JSON files, by default the demo
configuration's (`demo_places`). Production code never reads the demo's folder.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEMO_DIR = Path(__file__).resolve().parents[3] / "demo" / "data"
DEMO_TERRITORIES = DEMO_DIR / "territories.json"
DEMO_STREETS = DEMO_DIR / "streets.json"
DEMO_OUTSIDE = DEMO_DIR / "outside_places.json"


# Compared and hashed by identity (eq=False): a gazetteer is built once per configuration object
# (`Gazetteer.shared`), and comparing thousands of rows with their boundaries would cost more.
@dataclass(frozen=True, eq=False)
class PlaceConfig:
    """`territories`: dicts with `code`, `name`, `level`, `parent` (a code or None), optional
    `lat`, `lon`, `boundary` (GeoJSON). `streets`: dicts with `name`, `type`, `territory` (a code).
    `outside`: dicts with `name` and `kind` — `city` («Тула»), `region` («Тульская область») or
    `abbreviation` («СПб»): a text naming one is about another place, so a bare street name
    does not imply a territory of this region."""

    territories: tuple[Mapping[str, Any], ...]
    streets: tuple[Mapping[str, Any], ...] = ()
    outside: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def from_files(
        cls, territories_json: str | Path, streets_json: str | Path | None = None, outside_json: str | Path | None = None
    ) -> PlaceConfig:
        """The territory list (a JSON array, or an object with a "territories" array), and
        optionally the street list and the outside places (JSON arrays of the dicts above)."""
        data = _read(territories_json)
        rows = data["territories"] if isinstance(data, dict) else data
        streets = _read(streets_json) if streets_json else []
        outside = _read(outside_json) if outside_json else []
        return cls(tuple(rows), tuple(streets), tuple(outside))


def _read(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


@functools.cache
def demo_places() -> PlaceConfig:
    """The demo configuration's places (tsur/demo/data), read once per process: for the
    command-line tools, the benchmarks and the engine's tests, never for the platform."""
    return PlaceConfig.from_files(DEMO_TERRITORIES, DEMO_STREETS, DEMO_OUTSIDE)
