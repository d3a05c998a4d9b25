"""Output: UTF-8 JSON with every GeoJSON geometry on one line, and the map layer (kaluga.geojson)."""

from __future__ import annotations

import json
from pathlib import Path


def dumps_compact_geometry(obj) -> str:
    """json.dumps(indent=1, ensure_ascii=False), but with every GeoJSON geometry on one line."""
    geoms: list = []

    def strip(o):
        if isinstance(o, dict):
            if o.get("type") in ("Polygon", "MultiPolygon") and "coordinates" in o:
                geoms.append(o)
                return f"@@GEOMETRY{len(geoms) - 1}@@"
            return {k: strip(v) for k, v in o.items()}
        if isinstance(o, list):
            return [strip(v) for v in o]
        return o

    text = json.dumps(strip(obj), indent=1, ensure_ascii=False)
    for i, g in enumerate(geoms):
        text = text.replace(f'"@@GEOMETRY{i}@@"', json.dumps(g, ensure_ascii=False, separators=(",", ":")), 1)
    return text + "\n"


def write(path: Path, obj) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = dumps_compact_geometry(obj)
    path.write_text(text, encoding="utf-8")
    return path.stat().st_size


def build_map(territories):
    return {
        "type": "FeatureCollection",
        "name": "kaluga_municipal_formations",
        "attribution": "© OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)",
        "features": [
            {"type": "Feature", "properties": {"code": t["code"], "name": t["name"], "level": t["level"]},
             "geometry": t["boundary"]}
            for t in territories
            if t["level"] in ("city_district", "municipal_district")
        ],
    }
