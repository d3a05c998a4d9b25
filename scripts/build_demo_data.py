#!/usr/bin/env python3
"""Build the Kaluga demo reference configuration (tsur/demo/data/*.json, tsur/static/geo/kaluga.geojson).

Usage (from the repository root):

    .venv/bin/python scripts/build_demo_data.py [--shared /work/shared]

Pure standard library. Inputs (read only):

* ``<shared>/geo/kaluga/`` — OpenStreetMap municipal boundaries (ODbL 1.0), HFLabs cities
  (CC BY-SA 4.0), GeoNames cities1000 extract (CC BY 4.0), the Kaluga street and okrug
  settlement lists (see that folder's README);
* ``<shared>/data/kursk/topic_blocks.csv`` — the 161 rubricator topic names of the Kursk
  regional feedback platform and their sector block. Only these topic *names* (a taxonomy)
  are used; no resident text from any data set is read or copied.

Everything else (the category codes and flags, organisations, routing rules, synthetic appeal
and answer texts, Russian names for the GeoNames places) is authored in this file: it is the
record of every judgment call. The outputs are committed, so the project works without
``../shared``; rerun this script after changing the inputs or the tables below.

Outputs are UTF-8 JSON with ``indent=1`` and ``ensure_ascii=False``; GeoJSON geometries are
written compactly on one line each (an indented coordinate list would triple the file size).
The script ends with a validation pass and exits non-zero if any check fails.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tsur.lib import geo

REPO = Path(__file__).resolve().parent.parent
DATA_OUT = REPO / "tsur" / "demo" / "data"
GEO_OUT = REPO / "tsur" / "static" / "geo"

# Douglas–Peucker tolerance for the municipal boundaries and the region outline, in metres
# (the source's simplified file is ~30 m; 50 m keeps territories.json well under 600 KB).
MF_TOLERANCE_M = 50.0
COORD_DECIMALS = 5  # ~1 m
SIZE_LIMIT = 600 * 1024

SOURCE_OSM_MF = "OpenStreetMap (© OpenStreetMap contributors, ODbL 1.0), admin boundaries of Nov 2020, simplified to ~50 m"
SOURCE_OSM_REGION = "OpenStreetMap (© OpenStreetMap contributors, ODbL 1.0): union of the 26 boundaries, simplified"
SOURCE_HFLABS = "HFLabs city (CC BY-SA 4.0); parent by point-in-polygon on OpenStreetMap boundaries"
SOURCE_GEONAMES = "GeoNames cities1000 (CC BY 4.0); Russian name by the project"
SOURCE_OKRUG_SETTLEMENT = "Settlement list of the Kaluga urban okrug (6jlarogap/cemetery); no coordinates"
SOURCE_OKRUG = "Administrative okrug of the city of Kaluga; no boundary in the data (not on the map)"


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}


def slugify(text: str) -> str:
    """ASCII slug from a Russian name (simple BGN-like transliteration): «Боровский район» -> borovskiy-rayon."""
    out = "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())
    out = re.sub(r"[^a-z0-9]+", "-", out).strip("-")
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------------------------
# Geometry (lon/lat degrees; small-area planar approximations are enough for a region)
# --------------------------------------------------------------------------------------------

M_PER_DEG_LAT = 110_540.0
M_PER_DEG_LON_EQ = 111_320.0


def _to_metres(ring, lat0):
    kx = M_PER_DEG_LON_EQ * math.cos(math.radians(lat0))
    return [(x * kx, y * M_PER_DEG_LAT) for x, y in ring]


def _seg_dist(p, a, b):
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    if dx == 0 and dy == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def _dp_keep(pts, tol):
    """Indices kept by Douglas–Peucker on an open polyline (iterative)."""
    n = len(pts)
    keep = [False] * n
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        best, idx = -1.0, -1
        for k in range(i + 1, j):
            d = _seg_dist(pts[k], pts[i], pts[j])
            if d > best:
                best, idx = d, k
        if best > tol:
            keep[idx] = True
            stack.append((i, idx))
            stack.append((idx, j))
    return [k for k in range(n) if keep[k]]


def signed_area(ring) -> float:
    s = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        s += x1 * y2 - x2 * y1
    return s / 2.0


def _orient(a, b, c) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _segments_cross(p1, p2, p3, p4) -> bool:
    """True if the closed segments p1p2 and p3p4 intersect (touching counts)."""
    d1, d2 = _orient(p3, p4, p1), _orient(p3, p4, p2)
    d3, d4 = _orient(p1, p2, p3), _orient(p1, p2, p4)
    if ((d1 > 0 and d2 < 0) or (d1 < 0 and d2 > 0)) and ((d3 > 0 and d4 < 0) or (d3 < 0 and d4 > 0)):
        return True

    def on_seg(a, b, c):
        return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])

    if d1 == 0 and on_seg(p3, p4, p1):
        return True
    if d2 == 0 and on_seg(p3, p4, p2):
        return True
    if d3 == 0 and on_seg(p1, p2, p3):
        return True
    if d4 == 0 and on_seg(p1, p2, p4):
        return True
    return False


def crossing_edges(ring) -> set[int]:
    """Indices of edges of the closed ring that touch a non-adjacent edge (x-sorted sweep)."""
    n = len(ring) - 1  # edges
    edges = []
    for i in range(n):
        a, b = ring[i], ring[i + 1]
        edges.append((min(a[0], b[0]), max(a[0], b[0]), min(a[1], b[1]), max(a[1], b[1]), i))
    edges.sort()
    bad: set[int] = set()
    for ii in range(len(edges)):
        x0, x1, y0, y1, i = edges[ii]
        for jj in range(ii + 1, len(edges)):
            u0, u1, v0, v1, j = edges[jj]
            if u0 > x1:
                break
            if v0 > y1 or v1 < y0:
                continue
            if abs(i - j) == 1 or abs(i - j) == n - 1:
                continue  # neighbours share a vertex
            if _segments_cross(ring[i], ring[i + 1], ring[j], ring[j + 1]):
                bad.update((i, j))
    return bad


def ring_is_simple(ring) -> bool:
    return not crossing_edges(ring)


def ring_is_valid(ring) -> bool:
    return (
        len(ring) >= 4
        and ring[0] == ring[-1]
        and len({tuple(p) for p in ring[:-1]}) == len(ring) - 1
        and abs(signed_area(ring)) > 0
        and ring_is_simple(ring)
    )


def _round_ring(ring):
    out = []
    for x, y in ring:
        p = [round(x, COORD_DECIMALS), round(y, COORD_DECIMALS)]
        if not out or out[-1] != p:
            out.append(p)
    if out[0] != out[-1]:
        out.append(list(out[0]))
    return out


def simplify_shared(geoms, tol_m):
    """Topology-preserving Douglas–Peucker for geometries that share borders vertex for vertex.

    Each ring is cut into arcs at the vertices where the set of geometries sharing the border
    changes (rings without such a vertex are cut at their smallest vertex). Each distinct arc is
    simplified once and reused, reversed where needed, by every ring that runs along it, so
    neighbours keep a common border (no gaps, no overlaps). A ring that comes out invalid
    (collapsed or self-intersecting) gets its arcs re-simplified with half the tolerance.
    Returns the simplified geometries in RFC 7946 orientation.
    """
    edge_owners: dict[tuple, set] = {}
    for gi, geom in enumerate(geoms):
        for poly in polygons_of(geom):
            for ring in poly:
                for a, b in zip(ring, ring[1:], strict=False):
                    key = (tuple(a), tuple(b)) if tuple(a) <= tuple(b) else (tuple(b), tuple(a))
                    edge_owners.setdefault(key, set()).add(gi)

    def owners(a, b):
        key = (tuple(a), tuple(b)) if tuple(a) <= tuple(b) else (tuple(b), tuple(a))
        return frozenset(edge_owners[key])

    def arcs_of(ring):
        pts = [tuple(p) for p in ring[:-1]]
        n = len(pts)
        nodes = [
            i for i in range(n)
            if owners(pts[i - 1], pts[i]) != owners(pts[i], pts[(i + 1) % n])
        ]
        if not nodes:
            nodes = [min(range(n), key=lambda i: pts[i])]
        arcs = []
        for k, start in enumerate(nodes):
            end = nodes[(k + 1) % len(nodes)]
            if end <= start:
                end += n
            arcs.append([pts[i % n] for i in range(start, end + 1)])
        return arcs

    lat0 = sum(p[1] for g in geoms for poly in polygons_of(g) for p in poly[0]) / sum(
        len(poly[0]) for g in geoms for poly in polygons_of(g)
    )
    tolerance: dict[tuple, float] = {}
    cache: dict[tuple, list] = {}

    def canonical(arc):
        t, r = tuple(arc), tuple(reversed(arc))
        return (t, False) if t <= r else (r, True)

    def simplified_arc(arc):
        key, rev = canonical(arc)
        tol = tolerance.setdefault(key, tol_m)
        if (key, tol) not in cache:
            pts = _to_metres(key, lat0)
            cache[(key, tol)] = [key[k] for k in _dp_keep(pts, tol)] if tol >= 1.0 else list(key)
        out = cache[(key, tol)]
        return list(reversed(out)) if rev else out

    structure = [[[arcs_of(ring) for ring in poly] for poly in polygons_of(g)] for g in geoms]
    for _ in range(16):
        loosen: set[tuple] = set()
        result = []
        for g, gstruct in zip(geoms, structure, strict=True):
            polys = []
            for poly_arcs in gstruct:
                rings = []
                for k, arcs in enumerate(poly_arcs):
                    pts, arc_of_edge = [], []
                    for ai, arc in enumerate(arcs):
                        s = simplified_arc(arc)
                        s = s if not pts else s[1:]
                        pts.extend(s)
                        arc_of_edge.extend([ai] * len(s))
                    ring = _round_ring(pts)
                    if not ring_is_valid(ring):
                        # Loosen only the arcs whose edges cross; all of them if the ring collapsed.
                        crossing = crossing_edges([list(p) for p in pts])
                        culprits = {arc_of_edge[(e + 1) % len(arc_of_edge)] for e in crossing} or set(range(len(arcs)))
                        loosen.update(canonical(arcs[ai])[0] for ai in culprits)
                    if (k == 0) != (signed_area(ring) > 0):
                        ring = ring[::-1]
                    rings.append(ring)
                polys.append(rings)
            result.append(
                {"type": "Polygon", "coordinates": polys[0]}
                if g["type"] == "Polygon"
                else {"type": "MultiPolygon", "coordinates": polys}
            )
        if not loosen:
            return result
        for key in loosen:
            tolerance[key] = tolerance.get(key, tol_m) / 2.0
    raise ValueError("could not simplify into valid rings")

def polygons_of(geom):
    if geom["type"] == "Polygon":
        return [geom["coordinates"]]
    if geom["type"] == "MultiPolygon":
        return geom["coordinates"]
    raise ValueError(geom["type"])


def point_in_geometry(lon, lat, geom) -> bool:
    return geo.contains(geom, lat, lon)


def representative_point(geom):
    """(lat, lon) inside the geometry: the area centroid of the largest polygon if it is inside,
    else the middle of the widest interior stretch of the horizontal line through it."""
    polys = polygons_of(geom)
    poly = max(polys, key=lambda p: abs(signed_area(p[0])))
    ring = poly[0]
    a = signed_area(ring)
    cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        f = x1 * y2 - x2 * y1
        cx += (x1 + x2) * f
        cy += (y1 + y2) * f
    cx, cy = cx / (6 * a), cy / (6 * a)
    if point_in_geometry(cx, cy, geom):
        return round(cy, 5), round(cx, 5)
    xs = []
    for r in poly:
        for (x1, y1), (x2, y2) in zip(r, r[1:], strict=False):
            if (y1 > cy) != (y2 > cy):
                xs.append(x1 + (cy - y1) * (x2 - x1) / (y2 - y1))
    xs.sort()
    best = max(((xs[i], xs[i + 1]) for i in range(0, len(xs) - 1, 2)), key=lambda s: s[1] - s[0])
    return round(cy, 5), round((best[0] + best[1]) / 2, 5)


def count_points(geom) -> int:
    return sum(len(r) for p in polygons_of(geom) for r in p)


# --------------------------------------------------------------------------------------------
# 1. Territories
# --------------------------------------------------------------------------------------------

REGION_CODE = "kaluga-oblast"
CITY_DISTRICTS = {"Калуга", "Обнинск"}

# The two city districts stand for their cities: Калуга and Обнинск are NOT repeated as
# settlements (a second «Калуга» would make every place lookup ambiguous). Their lat/lon is the
# city centre (HFLabs) and their population that of the city proper.
CITIES_REPRESENTED_BY_DISTRICT = {"Калуга": "kaluga", "Обнинск": "obninsk"}

# GeoNames cities1000 gives Latin names only. Russian names are the project's (well-known
# places); places that are one of the 22 HFLabs cities are matched by distance, not by name.
GEONAMES_RUSSIAN = {
    "Babynino": "Бабынино",
    "Baryatino": "Барятино",
    "Kurovskoye": "Куровской",
    "Nikola-Lenivets": "Никола-Ленивец",
    "Polotnyanyy Zavod": "Полотняный Завод",
    "Pyatovskiy": "Пятовский",
    "Tovarkovo": "Товарково",
    "Zhiletovo": "Жилетово",
    "Duminichi": "Думиничи",
    "Vysokinichi": "Высокиничи",
    "Iznoski": "Износки",
    "Myatlevo": "Мятлево",
    "Mstikhino": "Мстихино",  # a former village, now a part of the city of Kaluga
    "Betlitsa": "Бетлица",
    "Detchino": "Детчино",
    "Kudinovo": "Кудиново",
    "Peremyshl'": "Перемышль",
    "Vorotynsk": "Воротынск",
    "Seredeyskiy": "Середейский",
    "Ferzikovo": "Ферзиково",
    "Khvastovichi": "Хвастовичи",
}
GEONAMES_CITY_MATCH_KM = 5.0

# Administrative okrugs of the city of Kaluga: real, but without boundaries in the data.
KALUGA_OKRUGS = [
    ("kaluga-leninskiy-okrug", "Ленинский округ"),
    ("kaluga-moskovskiy-okrug", "Московский округ"),
    ("kaluga-oktyabrskiy-okrug", "Октябрьский округ"),
]

# Settlement type abbreviations in the okrug list (streets end in ул./пер./пр.).
OKRUG_SETTLEMENT_TYPES = {
    "д.": "деревня",
    "с.": "село",
    "п.": "посёлок",
    "х.": "хутор",
    "ж.-д. ст.": "ж.-д. станция",
}
STREET_TYPES = {"ул.", "пер.", "пр.", "б-р", "пл.", "ш.", "туп."}


def km_between(lat1, lon1, lat2, lon2) -> float:
    dx = (lon2 - lon1) * M_PER_DEG_LON_EQ * math.cos(math.radians((lat1 + lat2) / 2))
    dy = (lat2 - lat1) * M_PER_DEG_LAT
    return math.hypot(dx, dy) / 1000.0


def territory(code, name, level, parent, oktmo="", lat=None, lon=None, population=None, boundary=None, source=""):
    return {
        "code": code,
        "name": name,
        "level": level,
        "parent": parent,
        "oktmo": oktmo or "",
        "lat": lat,
        "lon": lon,
        "population": population,
        "boundary": boundary,
        "source": source,
    }


def parse_okrug_line(raw: str):
    """'Верхняя Вырка д.' -> ('Верхняя Вырка', 'д.'); the type abbreviation is the tail."""
    raw = raw.strip()
    for abbr in sorted(set(OKRUG_SETTLEMENT_TYPES) | STREET_TYPES, key=len, reverse=True):
        if raw.lower().endswith(" " + abbr):
            return raw[: -len(abbr) - 1].strip(), abbr
    raise ValueError(f"unknown type in okrug line {raw!r}")


def build_territories(geo: Path, report: dict):
    full = json.loads((geo / "kaluga_municipal_formations.geojson").read_text(encoding="utf-8"))
    simp = json.loads((geo / "kaluga_municipal_formations.simplified.geojson").read_text(encoding="utf-8"))
    outline = json.loads((geo / "kaluga_region_outline.geojson").read_text(encoding="utf-8"))
    cities = read_csv(geo / "kaluga_cities.csv")
    geonames = read_csv(geo / "kaluga_places_geonames_cities1000.csv")
    okrug_raw = read_csv(geo / "kaluga_okrug_settlements_and_streets_raw.csv")

    full_by_name = {f["properties"]["name"]: f["geometry"] for f in full["features"]}
    city_by_name = {c["city"]: c for c in cities}

    # One topology-preserving simplification of the full-resolution boundaries and the region
    # outline together, so neighbours (and the region border) share their simplified borders.
    names = [f["properties"]["name"] for f in full["features"]]
    shared = simplify_shared(
        [f["geometry"] for f in full["features"]] + [outline["features"][0]["geometry"]], MF_TOLERANCE_M
    )
    simplified_by_name = dict(zip(names, shared[:-1], strict=True))
    region_geom = shared[-1]
    report["region_points"] = (count_points(outline["features"][0]["geometry"]), count_points(region_geom))

    out = []
    rlat, rlon = representative_point(region_geom)
    out.append(
        territory(REGION_CODE, "Калужская область", "region", None, "29000000", rlat, rlon, None, region_geom, SOURCE_OSM_REGION)
    )

    # Municipal formations, in the order of the (simplified) source file; its properties are
    # the same as the full-resolution file's.
    mf_code_by_name = {}
    mf_full = {}  # code -> full-resolution geometry, for point-in-polygon
    points_before = points_after = 0
    for feat in simp["features"]:
        props = feat["properties"]
        name = props["name"]
        code = slugify(name)
        level = "city_district" if name in CITY_DISTRICTS else "municipal_district"
        geom = simplified_by_name[name]
        points_before += count_points(full_by_name[name])
        points_after += count_points(geom)
        population = None
        if name in CITIES_REPRESENTED_BY_DISTRICT:
            c = city_by_name[name]
            lat, lon = round(float(c["geo_lat"]), 5), round(float(c["geo_lon"]), 5)
            population = int(c["population"])
        else:
            lat, lon = representative_point(geom)
        mf_code_by_name[name] = code
        mf_full[code] = full_by_name[name]
        out.append(territory(code, name, level, REGION_CODE, props.get("oktmo") or "", lat, lon, population, geom, SOURCE_OSM_MF))
    report["mf_points"] = (points_before, points_after)

    for code, name in KALUGA_OKRUGS:
        out.append(territory(code, name, "okrug", "kaluga", source=SOURCE_OKRUG))

    def containing_mf(lat, lon):
        hits = [code for code, g in mf_full.items() if point_in_geometry(lon, lat, g)]
        return hits[0] if len(hits) == 1 else None

    # The 22 cities (HFLabs), parent by point-in-polygon on the full-resolution boundaries.
    city_parent_check = []
    city_points = []
    for c in cities:
        lat, lon = float(c["geo_lat"]), float(c["geo_lon"])
        city_points.append((c["city"], lat, lon))
        parent = containing_mf(lat, lon)
        expected = (c["area"] + " район") if c["area"] else c["city"]  # only to cross-check
        city_parent_check.append((c["city"], parent, mf_code_by_name.get(expected)))
        if c["city"] in CITIES_REPRESENTED_BY_DISTRICT:
            continue
        out.append(
            territory(
                slugify(c["city"]), c["city"], "settlement", parent, c["oktmo"], round(lat, 5), round(lon, 5),
                int(c["population"]) if c["population"] else None, None, SOURCE_HFLABS,
            )
        )
    report["city_parent_check"] = city_parent_check

    # GeoNames places that are not one of the cities.
    geonames_kept = []
    for g in geonames:
        lat, lon = float(g["lat"]), float(g["lon"])
        near = min(city_points, key=lambda c: km_between(lat, lon, c[1], c[2]))
        if km_between(lat, lon, near[1], near[2]) <= GEONAMES_CITY_MATCH_KM:
            continue
        ru = GEONAMES_RUSSIAN[g["name_geonames"]]
        parent = containing_mf(lat, lon)
        geonames_kept.append((g["name_geonames"], ru, parent, g["municipal_formation_pip"]))
        out.append(territory(slugify(ru), ru, "settlement", parent, "", round(lat, 5), round(lon, 5), None, None, SOURCE_GEONAMES))
    report["geonames_kept"] = geonames_kept

    # Settlements of the Kaluga urban okrug: the raw list mixes settlements and streets; the
    # type abbreviation at the end of the line tells them apart (cross-checked with `kind`).
    parsed = []
    for row in okrug_raw:
        name, abbr = parse_okrug_line(row["raw"])
        abbr = abbr.lower()  # 'Марьино Д.' -> д.
        is_settlement = abbr in OKRUG_SETTLEMENT_TYPES
        if is_settlement != (row["kind"] == "settlement"):
            raise ValueError(f"okrug line kind mismatch: {row!r}")
        if is_settlement:
            parsed.append((name, OKRUG_SETTLEMENT_TYPES[abbr]))
    report["okrug_lines"] = (len(okrug_raw), len(parsed))
    name_counts: dict[str, int] = {}
    for name, _ in parsed:
        name_counts[name] = name_counts.get(name, 0) + 1
    for name, kind in parsed:
        display, code = name, slugify(name)
        if name_counts[name] > 1 or kind == "ж.-д. станция":
            display = f"{name} ({kind})"
            code = f"{code}-{slugify(kind)}"
        out.append(territory(code, display, "settlement", "kaluga", source=SOURCE_OKRUG_SETTLEMENT))

    # Resolve accidental code clashes between sources deterministically (none expected).
    seen: dict[str, int] = {}
    for t in out:
        if t["code"] in seen:
            t["code"] = f"{t['code']}-{t['parent']}"
        seen[t["code"]] = 1
    return out, mf_full


# --------------------------------------------------------------------------------------------
# 2. Taxonomy
# --------------------------------------------------------------------------------------------

BLOCKS = [
    ("health", "Здравоохранение"),
    ("education", "Образование"),
    ("social", "Социальная защита"),
    ("housing", "ЖКХ"),
    ("waste", "ТКО"),
    ("roads", "Дороги"),
    ("transport", "Транспорт"),
    ("energy", "Энергетика"),
    ("services", "Госуслуги.МФЦ.Связь"),
    ("ecology", "Экология"),
    ("other", "Прочее"),
]

# Per Kursk rubricator topic: (code, default urgency "high"?, municipal competence?).
# Keyed by the topic text with whitespace collapsed; the category name keeps the source text
# as is (only trimmed), so imported Kursk rows still match by name.
#
# Urgency "high": the urgent matters PRODUCT.md names (snow and ice on roads and yards, waste
# collection, heating, water supply and sewerage, electricity outages, danger to life: open
# manholes, hazardous trees). Municipal competence: matters of local significance (131-ФЗ) —
# yards, благоустройство, local roads and sidewalks, street lighting, parks, stray animals,
# municipal transport routes, municipal schools' and kindergartens' premises and places, heat and
# water supply — as opposed to regional/federal ones (health, social payments, education
# supervision, MFC, telecom, post, the power grid, capital repair fund, construction supervision,
# utility tariffs, regional roads, intercity and rail transport, environmental supervision).
H, N = True, False  # high urgency / normal
M, R = True, False  # municipal / regional-federal
CATEGORY_META = {
    # housing
    "«Замороженная» стройка": ("housing-frozen-construction", N, R),
    "Аварийное жильё": ("housing-unsafe-housing", N, M),
    "Аварийные деревья": ("housing-hazardous-trees", H, M),
    "Безнадзорные животные": ("housing-stray-animals", N, M),
    "Водоотведение": ("housing-sewerage", H, M),
    "Длительное неисполнение заявок управляющей компанией": ("housing-mc-requests-ignored", N, M),
    "Загрязнение территории прилегающей к строительному объекту": ("housing-construction-site-dirt", N, M),
    "Ливневая канализация": ("housing-storm-drains", N, M),
    "Нарушение строительных норм": ("housing-building-code-violation", N, R),
    "Нарушение теплоснабжения многоквартирного дома": ("housing-heating-mkd", H, M),
    "Нарушения в вопросах оплаты коммунальных услуг": ("housing-utility-bills", N, R),
    "Нарушения в вопросах оплаты коммунальных услуг в микрорайонах ИЖС": ("housing-utility-bills-izhs", N, R),
    "Нарушения в вопросах оплаты услуг ЖКХ": ("housing-hcs-bills", N, R),
    "Незавершенное благоустройство после сдачи строительного объекта в эксплуатацию": ("housing-new-build-landscaping", N, M),
    "Незаконная наружная реклама": ("housing-illegal-advertising", N, M),
    "Неисправный лифт в многоквартирном доме": ("housing-elevator-broken", N, M),
    "Некачественная уборка дворовой территории многоквартирных домов": ("housing-yard-cleaning", N, M),
    "Некачественное водоснабжение в микрорайонах ИЖС": ("housing-water-supply-izhs", H, M),
    "Некачественное водоснабжение в районе частного сектора": ("housing-water-supply-private", H, M),
    "Некачественное водоснабжение многоквартирного дома": ("housing-water-supply-mkd", H, M),
    "Некачественный капитальный ремонт многоквартирного дома": ("housing-capital-repair", N, R),
    ("Ненадлежащее исполнение управляющей компанией работ по уборке "
     "и освещению мест общего пользования в многоквартирном доме"): ("housing-mc-common-areas", N, M),
    "Необходимо строительство детской (спортивной) площадки в микрорайоне ИЖС": ("housing-playground-needed-izhs", N, M),
    "Необходимо строительство тротуара": ("housing-sidewalk-needed", N, M),
    "Необходимо строительство тротуара в микрорайоне ИЖС": ("housing-sidewalk-needed-izhs", N, M),
    "Неработающее наружное освещение": ("housing-street-lighting-out", N, M),
    "Несвоевременная очистка дворовой территории многоквартирных домов от наледи и снега": ("housing-yard-snow-ice", H, M),
    "Несвоевременное (некачественное) строительство инженерных сетей в микрорайонах ИЖС": ("housing-izhs-utility-networks", N, M),
    "Несвоевременное восстановление нарушенного благоустройства после проведения ремонтных работ": ("housing-restore-after-works", N, M),
    "Несвоевременный (некачественный) текущий ремонт многоквартирного дома": ("housing-mkd-current-repair", N, M),
    "Нескошенная сорная растительность в местах общего пользования в микрорайонах ИЖС": ("housing-weeds-izhs", N, M),
    "Нескошенная сорная растительность в местах общего пользования в районах частного сектра": ("housing-weeds-private", N, M),
    "Неудовлетворительная работа диспетчерской службы управляющей компании": ("housing-mc-dispatch", N, M),
    "Неудовлетворительная уборка и освещение мест общего пользования в многоквартирном доме": ("housing-common-areas", N, M),
    "Неудовлетворительная уборка улиц и тротуаров": ("housing-street-cleaning", N, M),
    "Неудовлетворительное содержание детской (спортивной) площадки в микрорайоне ИЖС": ("housing-playground-izhs", N, M),
    "Неудовлетворительное содержание детской (спортивной) площадки в районе частного сектора": ("housing-playground-private", N, M),
    "Неудовлетворительное содержание детской (спортивной) площадки на территории многоквартирных домов": ("housing-playground-mkd", N, M),
    "Неудовлетворительное содержание клумб и газонов": ("housing-flowerbeds-lawns", N, M),
    "Неудовлетворительное содержание парков и скверов": ("housing-parks-squares", N, M),
    "Неудовлетворительное содержание фасадов зданий и сооружений, общественных мест": ("housing-facades", N, M),
    "Неэтичное поведение руководства и работников управляющей компании": ("housing-mc-staff-conduct", N, M),
    "Отсутствие люков на коммуникационных колодцах": ("housing-open-manholes", H, M),
    "Отсутствует (нарушено) ограждение строительного объекта": ("housing-construction-fence", N, R),
    "Отсутствует (неактуален) паспорт строительного объекта": ("housing-construction-passport", N, R),
    "Сломанные малые архитектурные формы в районах многоквартирных домов": ("housing-street-furniture-broken", N, M),
    "Ямы и выбоины на внутридворовых проездах и тротуарах в районах многоквартирных домов": ("housing-yard-potholes", N, M),
    "Ямы и выбоины на тротуарах": ("housing-sidewalk-potholes", N, M),
    # roads: «в границах городских округов и сельских поселений» and «в микрорайонах ИЖС» are
    # local roads (municipal); «регионального и межмуниципального значения» are regional.
    "Безопасная дорога в школу на дорогах в границах городских округов и сельских поселений": ("roads-safe-route-to-school", N, M),
    "Дорожная разметка на дорогах в границах городских округов и сельских поселений": ("roads-markings-local", N, M),
    "Дорожные знаки на дорогах в границах городских округов и сельских поселений": ("roads-signs-local", N, M),
    "Дорожные знаки на дорогах в микрорайонах ИЖС": ("roads-signs-izhs", N, M),
    "Дорожные знаки на дорогах регионального и межмуниципального значения": ("roads-signs-regional", N, R),
    "Искусственные неровности на дорогах в границах городских округов и сельских поселений": ("roads-speed-bumps-local", N, M),
    "Искусственные неровности на дорогах регионального и межмуниципального значения": ("roads-speed-bumps-regional", N, R),
    "Нарушение дорожного покрытия (ямы) на дорогах в границах городских округов и сельских поселений": ("roads-potholes-local", N, M),
    "Нарушение дорожного покрытия (ямы) на дорогах в микрорайонах ИЖС": ("roads-potholes-izhs", N, M),
    "Нарушение дорожного покрытия (ямы) на дорогах регионального и межмуниципального значения": ("roads-potholes-regional", N, R),
    "Освещение дорог в микрорайонах ИЖС": ("roads-lighting-izhs", N, M),
    "Освещение дорог в границах городских округов и сельских поселений": ("roads-lighting-local", N, M),
    "Освещение дорог регионального и межмуниципального значения": ("roads-lighting-regional", N, R),
    "Остановки общественного транспорта на дорогах в границах городских округов и сельских поселений": ("roads-bus-stops-local", N, M),
    "Остановки общественного транспорта на дорогах регионального и межмуниципального значения": ("roads-bus-stops-regional", N, R),
    "Отсутствие твёрдого дорожного покрытия на дорогах в границах городских округов и сельских поселений": ("roads-unpaved-local", N, M),
    "Отсутствие твёрдого дорожного покрытия на дорогах в микрорайонах ИЖС": ("roads-unpaved-izhs", N, M),
    "Очистка от снега и наледи дорог в границах городских округов и сельских поселений": ("roads-snow-ice-local", H, M),
    "Очистка от снега и наледи дорог регионального и межмуниципального значения": ("roads-snow-ice-regional", H, R),
    "Парковки на дорогах в границах городских округов и сельских поселений": ("roads-parking-local", N, M),
    "Пешеходные переходы на дорогах в границах городских округов и сельских поселений": ("roads-crossings-local", N, M),
    "Пешеходные переходы на дорогах в микрорайонах ИЖС": ("roads-crossings-izhs", N, M),
    "Пешеходные переходы на дорогах регионального и межмуниципального значения": ("roads-crossings-regional", N, R),
    "Светофоры на дорогах в границах городских округов и сельских поселений": ("roads-traffic-lights-local", N, M),
    "Светофоры на дорогах регионального и межмуниципального значения": ("roads-traffic-lights-regional", N, R),
    # transport: municipal (suburban) routes are local; intercity (within the region) and rail are not.
    "Нарушение графика движения при осуществлении внутриобластных междугородных перевозок": ("transport-schedule-breach-intercity", N, R),
    "Нарушение графика движения при осуществлении муниципальных (пригородных) перевозок": ("transport-schedule-breach-municipal", N, M),
    "Нарушение правил посадки и высадки пассажиров при осуществлении внутриобластных междугородных перевозок": ("transport-boarding-intercity", N, R),
    "Нарушение правил посадки и высадки пассажиров при осуществлении муниципальных (пригородных) перевозок": ("transport-boarding-municipal", N, M),
    "Нарушения, связанные с оплатой проезда при осуществлении внутриобластных междугородных перевозок": ("transport-fares-intercity", N, R),
    "Нарушения, связанные с оплатой проезда при осуществлении муниципальных (пригородных) перевозок": ("transport-fares-municipal", N, M),
    "Недостаточное количество вагонов": ("transport-rail-too-few-cars", N, R),
    ("Недостаточное количество транспорта на маршруте "
     "при осуществлении внутриобластных междугородных перевозок"): ("transport-too-few-vehicles-intercity", N, R),
    ("Недостаточное количество транспорта на маршруте "
     "при осуществлении муниципальных (пригородных) перевозок"): ("transport-too-few-vehicles-municipal", N, M),
    "Необходимо назначение дополнительных поездов": ("transport-rail-extra-trains", N, R),
    "Неудобный график движения при осуществлении внутриобластных междугородных перевозок": ("transport-schedule-inconvenient-intercity", N, R),
    "Неудобный график движения при осуществлении муниципальных (пригородных) перевозок": ("transport-schedule-inconvenient-municipal", N, M),
    "Неудобный график движения пригородного ж/д транспорта": ("transport-rail-schedule-inconvenient", N, R),
    "Неудовлетворительное санитарное или техническое состояние вагонов": ("transport-rail-cars-condition", N, R),
    ("Неудовлетворительное санитарное состояние транспорта "
     "при осуществлении муниципальных (пригородных) перевозок"): ("transport-vehicle-sanitary-municipal", N, M),
    ("Неудовлетворительное санитарное состояние транспорта "
     "при осуществлении внутриобластных междугородных перевозок"): ("transport-vehicle-sanitary-intercity", N, R),
    ("Неудовлетворительный внешний вид (поведение) водителя "
     "при осуществлении внутриобластных междугородных перевозок"): ("transport-driver-conduct-intercity", N, R),
    ("Неудовлетворительный внешний вид (поведение) водителя "
     "при осуществлении муниципальных (пригородных) перевозок"): ("transport-driver-conduct-municipal", N, M),
    "Тарификация ж/д перевозок": ("transport-rail-fares", N, R),
    # health (regional)
    "Вакцинация от COVID-19": ("health-covid-vaccination", N, R),
    "Дневник самонаблюдения": ("health-covid-self-monitoring", N, R),
    "Нарушения в вопросах установления инвалидности, обеспечения средствами реабилитации": ("health-disability-rehab-means", N, R),
    "Нарушения связанные с записью на прием, работой электронной регистратуры": ("health-appointments", N, R),
    "Нарушения связанные с обеспечением лекарственными средствами": ("health-medicines", N, R),
    "Нарушения, связанные с обеспечением детским питанием": ("health-baby-food", N, R),
    "Недостаточное обеспечение кадрами учреждений здравоохранения": ("health-staff-shortage", N, R),
    "Неудовлетворительное качество оказания медицинской помощи": ("health-care-quality", N, R),
    "Неудовлетворительное материально-техническое состояние учреждений здравоохранения": ("health-facilities-condition", N, R),
    "Отказ в вакцинации": ("health-vaccination-refused", N, R),
    "ПЦР-тест, тест на антитела": ("health-covid-tests", N, R),
    "Проблемы с записью на вакцинацию": ("health-vaccination-booking", N, R),
    "Сертификат вакцинированного": ("health-covid-vaccination-certificate", N, R),
    "Сертификат переболевшего": ("health-covid-recovery-certificate", N, R),
    "Я хочу задать вопрос о вакцинации": ("health-vaccination-question", N, R),
    # education: municipal schools' and kindergartens' places, premises and grounds are local
    # matters; the quality of teaching is under regional education supervision.
    "Наличие очереди на места в дошкольные учреждения": ("education-kindergarten-queue", N, M),
    "Неудовлетворительное качество работы воспитателей и другого персонала": ("education-kindergarten-staff", N, R),
    ("Неудовлетворительное качество работы преподавателей и "
     "другого персонала учреждения дополнительного образования"): ("education-extracurricular-staff", N, R),
    "Неудовлетворительное качество работы учителей и другого персонала": ("education-school-staff", N, R),
    "Неудовлетворительное материально-техническое обеспечение дошкольного учреждения": ("education-kindergarten-equipment", N, M),
    "Неудовлетворительное материально-техническое обеспечение школы": ("education-school-equipment", N, M),
    "Неудовлетворительное состояние прилегающей территории дошкольного учреждения": ("education-kindergarten-grounds", N, M),
    "Неудовлетворительное состояние прилегающий территории школы": ("education-school-grounds", N, M),
    "Отсутствие школы в микрорайоне (сельской территории)": ("education-no-school-nearby", N, M),
    "Посменное обучение": ("education-shift-schooling", N, M),
    # social (regional / federal)
    "Вопросы оказания помощи беженцам": ("social-refugees", N, R),
    "Меры поддержки в условиях неблагоприятной эпидемиологической ситуации в сфере медицины": ("social-covid-support-medicine", N, R),
    "Меры поддержки в условиях неблагоприятной эпидемиологической ситуации в сфере образования": ("social-covid-support-education", N, R),
    "Меры поддержки в условиях неблагоприятной эпидемиологической ситуации в сфере торговли": ("social-covid-support-trade", N, R),
    "Меры поддержки в условиях неблагоприятной эпидемиологической ситуации среднему и малому бизнесу": ("social-covid-support-business", N, R),
    "Нарушения в вопросах назначения и выплат пособий и компенсаций": ("social-benefits-payments", N, R),
    "Нарушения порядка обеспечения жильем льготных категорий граждан": ("social-housing-for-entitled", N, R),
    "Нарушения порядка предоставления мер социальной поддержки, в т.ч. адресной помощи": ("social-support-measures", N, R),
    "Нарушения порядка присвоение звания «Ветеран труда»": ("social-labour-veteran-title", N, R),
    "Некачественное предоставление государственных услуг службой занятости населения": ("social-employment-service", N, R),
    "Неоформленные трудовые отношения": ("social-informal-employment", N, R),
    "Несвоевременная выплата заработной платы": ("social-wage-arrears", N, R),
    "Социальные льготы": ("social-privileges", N, R),
    # waste: collection is the regional operator's; clearing illegal dumps is the landowner's,
    # mostly the municipality's.
    "Не соответствующий установленным нормам сбор и вывоз твёрдых бытовых отходов в районах многоквартирных домов": ("waste-collection-mkd", H, R),
    "Не соответствующий установленным нормам сбор и вывоз твёрдых бытовых отходов с территории ИЖС": ("waste-collection-izhs", H, R),
    "Не соответствующий установленным нормам сбор и вывоз твёрдых бытовых отходов с территории частного сектора": ("waste-collection-private", H, R),
    "Несанкционированные свалки твёрдых бытовых отходов": ("waste-illegal-dumps", N, M),
    # energy (the grid company; management companies for in-house networks)
    "Нарушения, связанные с содержанием электросети и качеством энергоснабжения в микрорайонах ИЖС": ("energy-power-izhs", H, R),
    "Нарушения, связанные с содержанием электросети и качеством энергоснабжения в многоквартирных домах": ("energy-power-mkd", H, R),
    "Нарушения, связанные с содержанием электросети и качеством энергоснабжения в районе частного сектора": ("energy-power-private", H, R),
    ("Ненадлежащее исполнение управляющей компанией работ по содержанию "
     "электросети и обеспечению энергоснабжением в многоквартирных домах"): ("energy-mc-in-house-grid", N, R),
    # services
    "Вопросы предоставления государственных и муниципальных услуг": ("services-public-services", N, R),
    "Некачественное предоставление услуг почтовой связи": ("services-post", N, R),
    "Некачественное предоставление услуг сотовой связи": ("services-mobile", N, R),
    "Отсутствие услуги доступа в сеть Интернет": ("services-no-internet", N, R),
    "Ошибка отображения данных об услугах, организациях, ведомствах на Портале госуслуг": ("services-gosuslugi-data-error", N, R),
    # ecology
    "Загрязнение водных объектов": ("ecology-water-pollution", N, R),
    "Нарушение правил пожарной безопасности в сфере природопользования": ("ecology-fire-safety", N, R),
    "Неприятные запахи": ("ecology-odours", N, R),
    "Несанкционированная вырубка зелёных насаждений в лесопарковых зонах": ("ecology-felling-forest-parks", N, M),
    "Несанкционированная вырубка зелёных насаждений в населённых пунктах": ("ecology-felling-settlements", N, M),
    "Несанкционированный сброс жидких бытовых отходов": ("ecology-liquid-waste-dumping", N, R),
    "Порча земель": ("ecology-land-damage", N, R),
    # other (culture, sport, trade, test)
    "Нарушение сроков реализации товара, оказания услуг": ("other-consumer-deadlines", N, R),
    "Несанкционированная торговля": ("other-illegal-street-trade", N, M),
    "Неудовлетворительное качество товара, оказания услуги": ("other-consumer-quality", N, R),
    "Неудовлетворительное санитарное состояние и благоустройство памятников": ("other-monuments", N, M),
    "Неудовлетворительное содержание спортивных площадок (сооружений)": ("other-sports-grounds", N, M),
    "Неудовлетворительное состояние прилегающей территории торгового учреждения": ("other-shop-surroundings", N, M),
    "Низкое качество проведения культурно-массовых мероприятий": ("other-cultural-events", N, R),
    "Низкое качество проведения спортивных мероприятий": ("other-sports-events", N, R),
    "Низкое качество работы учреждений физической культуры и спорта": ("other-sports-institutions", N, R),
    "Плохое материально-техническое оснащение учреждений физической культуры и спорта": ("other-sports-equipment", N, R),
    "Тестовая категория": ("other-test", N, R),
}

# Topics kept for triage and for importing historical Kursk-style data, but not offered to
# residents: the platform's test rubric and the COVID-19-era rubrics.
NOT_PUBLIC = {
    "other-test",
    "health-covid-vaccination",
    "health-covid-self-monitoring",
    "health-covid-tests",
    "health-covid-vaccination-certificate",
    "health-covid-recovery-certificate",
    "social-covid-support-medicine",
    "social-covid-support-education",
    "social-covid-support-trade",
    "social-covid-support-business",
}

# Categories the project adds to the rubricator (clearly not from the Kursk data):
# a catch-all for `other`, and gas supply (the rubricator has no gas topic, while the energy
# block covers gas and the region has a gas distribution company to route to).
EXTRA_CATEGORIES = [
    {"code": "other-misc", "block": "other", "name": "Иное", "default_urgency": "normal",
     "default_regime": "", "municipal_competence": False, "is_public": True},
    {"code": "energy-gas-supply", "block": "energy", "name": "Нарушения газоснабжения",
     "default_urgency": "high", "default_regime": "", "municipal_competence": False, "is_public": True},
]


def _norm_topic(text: str) -> str:
    return " ".join(text.split())


def build_taxonomy(topic_blocks_csv: Path):
    rows = read_csv(topic_blocks_csv)
    block_keys = {k for k, _ in BLOCKS}
    categories = []
    used = set()
    for row in rows:
        topic = row["topic"].strip()
        key = _norm_topic(topic)
        if key not in CATEGORY_META:
            raise KeyError(f"no category code for topic {topic!r}")
        code, high, municipal = CATEGORY_META[key]
        if row["block"] not in block_keys:
            raise KeyError(f"unknown block {row['block']!r}")
        if not code.startswith(row["block"] + "-"):
            raise ValueError(f"code {code} does not match block {row['block']}")
        used.add(key)
        categories.append(
            {
                "code": code,
                "block": row["block"],
                "name": topic,
                "default_urgency": "high" if high else "normal",
                "default_regime": "",
                "municipal_competence": municipal,
                "is_public": code not in NOT_PUBLIC,
            }
        )
    unused = set(CATEGORY_META) - used
    if unused:
        raise KeyError(f"category codes for topics not in the source: {sorted(unused)}")
    categories.extend(EXTRA_CATEGORIES)
    order = {k: i for i, (k, _) in enumerate(BLOCKS)}
    categories.sort(key=lambda c: (order[c["block"]], c["code"]))
    blocks = [{"key": k, "name": n, "order": i + 1} for i, (k, n) in enumerate(BLOCKS)]
    return {"blocks": blocks, "categories": categories}


# --------------------------------------------------------------------------------------------
# 3. Organisations (a realistic demo configuration, not an authoritative register)
# --------------------------------------------------------------------------------------------

REGION = [REGION_CODE]
# (code, full name, short name, kind, parent, territories, work_start, work_end, e-mail local part)
ORGANISATIONS = [
    ("tsur-center", "Центр управления регионом Калужской области", "ЦУР Калужской области",
     "center", None, REGION, None, None, "cur"),
    # Regional executive bodies
    ("minzdrav", "Министерство здравоохранения Калужской области", "Минздрав области",
     "regional", None, REGION, None, None, "minzdrav"),
    ("minobr", "Министерство образования и науки Калужской области", "Минобрнауки области",
     "regional", None, REGION, None, None, "minobr"),
    ("mintrud", "Министерство труда и социальной защиты Калужской области", "Минтруд области",
     "regional", None, REGION, None, None, "mintrud"),
    ("minstroy", "Министерство строительства и жилищно-коммунального хозяйства Калужской области", "Минстрой области",
     "regional", None, REGION, None, None, "minstroy"),
    ("mindor", "Министерство дорожного хозяйства Калужской области", "Миндор области",
     "regional", None, REGION, None, None, "mindor"),
    ("mintrans", "Министерство транспорта Калужской области", "Минтранс области",
     "regional", None, REGION, None, None, "mintrans"),
    ("minprirody", "Министерство природных ресурсов и экологии Калужской области", "Минприроды области",
     "regional", None, REGION, None, None, "minprirody"),
    ("mincifry", "Министерство цифрового развития Калужской области", "Минцифры области",
     "regional", None, REGION, None, None, "mincifry"),
    ("minkult", "Министерство культуры Калужской области", "Минкультуры области",
     "regional", None, REGION, None, None, "minkult"),
    ("minsport", "Министерство спорта Калужской области", "Минспорт области",
     "regional", None, REGION, None, None, "minsport"),
    ("gzhi", "Государственная жилищная инспекция Калужской области", "ГЖИ области",
     "regional", None, REGION, None, None, "gzhi"),
    ("stroynadzor", "Инспекция государственного строительного надзора Калужской области", "Госстройнадзор области",
     "regional", None, REGION, None, None, "stroynadzor"),
    # Regional institutions and enterprises
    ("mfc", "ГБУ Калужской области «Многофункциональный центр предоставления государственных и муниципальных услуг Калужской области»",
     "МФЦ Калужской области", "company", "mincifry", REGION, "08:00", "20:00", "mfc"),
    ("kalugadorzakazchik", "ГКУ Калужской области «Калугадорзаказчик»", "ГКУ «Калугадорзаказчик»",
     "company", "mindor", REGION, None, None, "dorzakazchik"),
    ("fond-kapremonta", "Фонд капитального ремонта многоквартирных домов Калужской области", "Фонд капремонта",
     "company", "minstroy", REGION, None, None, "kapremont"),
    ("oblvodokanal", "ГП Калужской области «Калугаоблводоканал»", "Калугаоблводоканал",
     "company", "minstroy", REGION, "08:00", "17:00", "vodokanal"),
    ("kreo", "ГП Калужской области «Калужский региональный экологический оператор»", "Региональный оператор по ТКО",
     "company", "minprirody", REGION, None, None, "kreo"),
    ("okb", "ГБУЗ Калужской области «Калужская областная клиническая больница»", "Областная больница",
     "company", "minzdrav", REGION, None, None, "okb"),
    ("kalugaenergo", "Филиал ПАО «Россети Центр и Приволжье» — «Калугаэнерго»", "Калугаэнерго",
     "company", None, REGION, None, None, "kalugaenergo"),
    ("gazoraspredelenie", "АО «Газпром газораспределение Калуга»", "Газораспределение Калуга",
     "company", None, REGION, None, None, "gaz"),
    # Territorial bodies of federal authorities and federal companies
    ("rospotrebnadzor", "Управление Роспотребнадзора по Калужской области", "Роспотребнадзор",
     "federal", None, REGION, None, None, "rpn"),
    ("git", "Государственная инспекция труда в Калужской области", "Трудовая инспекция",
     "federal", None, REGION, None, None, "git"),
    ("pochta", "УФПС Калужской области АО «Почта России»", "Почта России (Калужская обл.)",
     "company", None, REGION, None, None, "pochta"),
    # City of Kaluga
    ("kaluga-uprava", "Городская управа города Калуги", "Управа г. Калуги",
     "municipal", None, ["kaluga"], None, None, "uprava"),
    ("kaluga-zhkh", "Управление жилищно-коммунального хозяйства города Калуги", "УЖКХ г. Калуги",
     "municipal", "kaluga-uprava", ["kaluga"], None, None, "zhkh.kaluga"),
    ("kaluga-ugh", "Управление городского хозяйства города Калуги (дороги, благоустройство, транспорт)", "УГХ г. Калуги",
     "municipal", "kaluga-uprava", ["kaluga"], None, None, "ugh.kaluga"),
    ("kaluga-obrazovanie", "Управление образования города Калуги", "Управление образования г. Калуги",
     "municipal", "kaluga-uprava", ["kaluga"], None, None, "edu.kaluga"),
    ("kaluga-trolleybus", "МУП «Управление Калужского троллейбуса» МО «Город Калуга»", "Калужский троллейбус",
     "company", "kaluga-uprava", ["kaluga"], None, None, "trolleybus"),
    ("kaluga-uk-demo", "ООО «Управляющая компания «Жилсервис-Калуга»» (вымышленная)", "УК «Жилсервис-Калуга»",
     "company", None, ["kaluga"], None, None, "uk-zhilservis"),
    # Obninsk and the districts
    ("obninsk-admin", "Администрация города Обнинска", "Администрация г. Обнинска",
     "municipal", None, ["obninsk"], None, None, "admin.obninsk"),
    ("borovsk-admin", "Администрация муниципального района «Боровский район»", "Администрация Боровского района",
     "municipal", None, ["borovskiy-rayon"], None, None, "admin.borovsk"),
    ("maloyaroslavets-admin", "Администрация муниципального района «Малоярославецкий район»", "Администрация Малоярославецкого района",
     "municipal", None, ["maloyaroslavetskiy-rayon"], None, None, "admin.maloyaroslavets"),
    ("lyudinovo-admin", "Администрация муниципального района «Город Людиново и Людиновский район»", "Администрация Людиновского района",
     "municipal", None, ["lyudinovskiy-rayon"], None, None, "admin.lyudinovo"),
    ("kozelsk-admin", "Администрация муниципального района «Козельский район»", "Администрация Козельского района",
     "municipal", None, ["kozelskiy-rayon"], None, None, "admin.kozelsk"),
]
EMAIL_DOMAIN = "demo.tsur.example"  # reserved .example TLD: never a real mailbox


def build_organisations():
    out = []
    for code, name, short, kind, parent, terrs, start, end, mail in ORGANISATIONS:
        out.append(
            {
                "code": code,
                "name": name,
                "short_name": short,
                "kind": kind,
                "parent": parent,
                "territories": list(terrs),
                "work_start": start,
                "work_end": end,
                "email": f"{mail}@{EMAIL_DOMAIN}",
            }
        )
    return out


# --------------------------------------------------------------------------------------------
# 4. Routing
# --------------------------------------------------------------------------------------------

QUEUES = [{"code": "kaluga-city", "name": "Город Калуга", "territory": "kaluga", "categories": []}]

# (category, block, territory, organisation, note). Intended precedence (for the routing
# engine): a rule naming a category beats one naming only a block; among those, the narrower
# territory wins (a district beats the region); `priority` is null everywhere — it is there for
# explicit overrides. Uncovered on purpose (they fall back to the center's triage queue):
# most of `other` (street trade, shop surroundings, «Иное», the test rubric) and благоустройство /
# yards / local roads in the districts without a configured administration.
_KALUGA_BLAGOUSTROYSTVO = [
    "housing-hazardous-trees", "housing-stray-animals", "housing-parks-squares", "housing-flowerbeds-lawns",
    "housing-street-lighting-out", "housing-street-cleaning", "housing-sidewalk-potholes", "housing-sidewalk-needed",
    "housing-storm-drains", "housing-illegal-advertising", "housing-restore-after-works", "housing-open-manholes",
]
_REGIONAL_ROADS = [
    "roads-potholes-regional", "roads-snow-ice-regional", "roads-signs-regional", "roads-speed-bumps-regional",
    "roads-lighting-regional", "roads-bus-stops-regional", "roads-crossings-regional", "roads-traffic-lights-regional",
]
_MC_TOPICS = [
    "housing-mc-requests-ignored", "housing-mc-dispatch", "housing-mc-staff-conduct", "housing-mc-common-areas",
    "housing-common-areas", "housing-mkd-current-repair", "housing-elevator-broken", "housing-utility-bills",
    "housing-utility-bills-izhs", "housing-hcs-bills", "energy-mc-in-house-grid",
]
_DISTRICT_ADMINS = {
    "borovskiy-rayon": "borovsk-admin",
    "maloyaroslavetskiy-rayon": "maloyaroslavets-admin",
    "lyudinovskiy-rayon": "lyudinovo-admin",
    "kozelskiy-rayon": "kozelsk-admin",
    "obninsk": "obninsk-admin",
}


def build_routing():
    rules = []

    def rule(category, block, terr, org, note):
        rules.append({"category": category, "block": block, "territory": terr, "organisation": org,
                      "priority": None, "note": note})

    # Sector blocks, region-wide.
    rule(None, "health", REGION_CODE, "minzdrav", "Здравоохранение — министерство здравоохранения")
    rule(None, "education", REGION_CODE, "minobr", "Образование — министерство образования и науки")
    rule(None, "social", REGION_CODE, "mintrud", "Социальная защита — министерство труда и соцзащиты")
    rule(None, "roads", REGION_CODE, "mindor", "Дороги — министерство дорожного хозяйства")
    rule(None, "transport", REGION_CODE, "mintrans", "Транспорт — министерство транспорта")
    rule(None, "energy", REGION_CODE, "kalugaenergo", "Энергетика — сетевая компания")
    rule(None, "services", REGION_CODE, "mincifry", "Госуслуги и связь — министерство цифрового развития")
    rule(None, "ecology", REGION_CODE, "minprirody", "Экология — министерство природных ресурсов и экологии")
    # Categories, region-wide.
    for c in ("waste-collection-mkd", "waste-collection-izhs", "waste-collection-private"):
        rule(c, None, REGION_CODE, "kreo", "Вывоз ТКО — региональный оператор")
    rule("waste-illegal-dumps", None, REGION_CODE, "minprirody", "Свалки — министерство природных ресурсов и экологии")
    for c in ("housing-water-supply-mkd", "housing-water-supply-private", "housing-water-supply-izhs", "housing-sewerage"):
        rule(c, None, REGION_CODE, "oblvodokanal", "Водоснабжение и водоотведение — водоканал")
    rule("housing-heating-mkd", None, REGION_CODE, "minstroy", "Теплоснабжение — министерство строительства и ЖКХ")
    rule("housing-unsafe-housing", None, REGION_CODE, "minstroy", "Аварийное жильё — министерство строительства и ЖКХ")
    rule("housing-capital-repair", None, REGION_CODE, "fond-kapremonta", "Капитальный ремонт — региональный фонд")
    for c in ("housing-building-code-violation", "housing-frozen-construction", "housing-construction-fence",
              "housing-construction-passport"):
        rule(c, None, REGION_CODE, "stroynadzor", "Строительство — госстройнадзор")
    for c in _MC_TOPICS:
        rule(c, None, REGION_CODE, "gzhi", "Управляющие компании и плата за ЖКУ — жилищная инспекция")
    for c in ("energy-power-mkd", "energy-power-private", "energy-power-izhs"):
        rule(c, None, REGION_CODE, "kalugaenergo", "Электроснабжение — сетевая компания")
    rule("energy-gas-supply", None, REGION_CODE, "gazoraspredelenie", "Газоснабжение — газораспределительная организация")
    rule("services-public-services", None, REGION_CODE, "mfc", "Государственные услуги — МФЦ")
    rule("services-post", None, REGION_CODE, "pochta", "Почтовая связь — УФПС")
    for c in _REGIONAL_ROADS:
        rule(c, None, REGION_CODE, "kalugadorzakazchik", "Региональные дороги — ГКУ «Калугадорзаказчик»")
    for c in ("social-wage-arrears", "social-informal-employment"):
        rule(c, None, REGION_CODE, "git", "Трудовые права — трудовая инспекция")
    for c in ("other-consumer-deadlines", "other-consumer-quality"):
        rule(c, None, REGION_CODE, "rospotrebnadzor", "Права потребителей — Роспотребнадзор")
    for c in ("other-cultural-events", "other-monuments"):
        rule(c, None, REGION_CODE, "minkult", "Культура и памятники — министерство культуры")
    for c in ("other-sports-grounds", "other-sports-events", "other-sports-institutions", "other-sports-equipment"):
        rule(c, None, REGION_CODE, "minsport", "Спорт — министерство спорта")
    # City of Kaluga: municipal matters go to the city's departments.
    rule(None, "housing", "kaluga", "kaluga-zhkh", "ЖКХ в Калуге — управление ЖКХ городской управы")
    for c in _KALUGA_BLAGOUSTROYSTVO:
        rule(c, None, "kaluga", "kaluga-ugh", "Благоустройство в Калуге — управление городского хозяйства")
    rule("housing-heating-mkd", None, "kaluga", "kaluga-zhkh", "Отопление в Калуге — управление ЖКХ городской управы")
    rule(None, "roads", "kaluga", "kaluga-ugh", "Местные дороги в Калуге — управление городского хозяйства")
    rule(None, "transport", "kaluga", "kaluga-ugh", "Городские маршруты Калуги — управление городского хозяйства")
    for c in ("transport-driver-conduct-municipal", "transport-vehicle-sanitary-municipal", "transport-fares-municipal"):
        rule(c, None, "kaluga", "kaluga-trolleybus", "Работа троллейбусов и водителей — перевозчик")
    rule("waste-illegal-dumps", None, "kaluga", "kaluga-ugh", "Свалки в Калуге — управление городского хозяйства")
    rule("ecology-felling-settlements", None, "kaluga", "kaluga-ugh", "Вырубка деревьев в Калуге — управление городского хозяйства")
    for c in ("education-kindergarten-queue", "education-kindergarten-equipment", "education-school-equipment",
              "education-kindergarten-grounds", "education-school-grounds", "education-shift-schooling"):
        rule(c, None, "kaluga", "kaluga-obrazovanie", "Муниципальные школы и детсады Калуги — управление образования")
    # Obninsk and the districts with a configured administration.
    for terr, org in _DISTRICT_ADMINS.items():
        rule(None, "housing", terr, org, "ЖКХ и благоустройство — администрация муниципалитета")
        rule(None, "roads", terr, org, "Местные дороги — администрация муниципалитета")
        rule("waste-illegal-dumps", None, terr, org, "Свалки — администрация муниципалитета")
    rule(None, "transport", "obninsk", "obninsk-admin", "Городские маршруты Обнинска — администрация города")
    return {"queues": QUEUES, "rules": rules}


# --------------------------------------------------------------------------------------------
# 5. Synthetic appeal and answer texts (written for the project; no data-set text is used).
#    Addresses are only given in the city of Kaluga, with street names from
#    kaluga_city_streets.csv (checked below); house numbers are invented.
# --------------------------------------------------------------------------------------------

# (category, place, address or None, text)
APPEALS = [
    # --- roads ---
    ("roads-potholes-local", "kaluga", "ул. Тульская, д. 125",
     "На ул. Тульской возле дома 125 яма на всю полосу, за месяц третий раз пробиваю колесо. Когда заделаете??"),
    ("roads-potholes-local", "kaluga", "ул. Маршала Жукова, д. 42",
     "Добрый день. Прошу принять меры по ремонту дорожного покрытия на ул. Маршала Жукова в районе дома 42. "
     "После зимы асфальт разрушен, образовались глубокие выбоины, в дождь их не видно, машины объезжают их по "
     "встречной полосе. Прошу включить участок в план ямочного ремонта и сообщить сроки."),
    ("roads-potholes-local", "kaluga", "Грабцевское ш.",
     "Грабцевское шоссе - сплошные ямы, подвеску убил за весну. Ремонтировали же в прошлом году, опять всё "
     "развалилось. Куда деньги уходят?"),
    ("roads-snow-ice-local", "kaluga", "ул. Никитина",
     "Никитина не чистили с выходных, колея по колено, автобусы буксуют на подъёме. Где техника?"),
    ("roads-snow-ice-local", "kaluga", "ул. Академика Королева, д. 8",
     "Гололед на проезжей части у остановки на Королёва, ничем не посыпано, утром две машины улетели в отбойник. "
     "Срочно обработайте!"),
    ("roads-snow-ice-local", "kaluga", "ул. Пухова",
     "Пухова, сугробы на остановке выше человека, в автобус не зайти, люди лезут через вал. Уберите пожалуйста"),
    ("roads-snow-ice-local", "kondrovo", None,
     "Кондрово, центр города, снег не вывозят вторую неделю. Пенсионеры падают на каждом шагу. Администрация спит?"),
    ("roads-snow-ice-regional", "maloyaroslavetskiy-rayon", None,
     "трасса Малоярославец - Медынь вообще не чищена, снежный накат, фуры стоят на подъёме. это региональная "
     "дорога кто нибудь ей занимается вообще?"),
    ("roads-potholes-regional", "kozelsk", None,
     "Дорога от Козельска до Сосенского в ужасном состоянии, ямы через каждые десять метров, ездим по обочине. "
     "Ремонт обещали ещё в прошлом году, до сих пор ничего не сделано."),
    ("roads-traffic-lights-local", "kaluga", "ул. Кирова",
     "Светофор на перекрестке Кирова и Суворова второй день мигает желтым, пешеходы перебегают как попало. "
     "Почините пока никого не сбили"),
    ("roads-crossings-local", "kaluga", "ул. Хрустальная, д. 60",
     "Возле школы на Хрустальной стерлась разметка пешеходного перехода, а знак закрыт ветками. Дети ходят в школу "
     "через дорогу, водители не тормозят. Просим обновить зебру и поставить хотя бы искусственную неровность."),
    ("roads-speed-bumps-local", "kaluga", "ул. Болдина, д. 22",
     "На ул. Болдина машины гоняют под 90, рядом детская площадка и магазин. Жители дома 22 просят установить "
     "искусственные неровности, коллективную подпись можем собрать."),
    ("roads-parking-local", "kaluga", "ул. Ленина, д. 77",
     "Весь тротуар на Ленина у дома 77 заставлен машинами, с коляской не пройти, приходится идти по проезжей "
     "части. Поставьте столбики или пусть работает эвакуатор"),
    ("roads-lighting-local", "obninsk", None,
     "В Обнинске по дороге от станции к жилым домам не горят фонари уже неделю, темно хоть глаз выколи, идти страшно"),
    ("roads-unpaved-izhs", "sosnovyy-bor", None,
     "Живём в Сосновом Бору, улица до сих пор грунтовая, весной и осенью скорая не проедет, мусоровоз тоже. "
     "Коллективное письмо отправляли три года назад — тишина. Когда отсыпят хотя бы щебнем?"),
    ("roads-signs-local", "lyudinovo", None,
     "В Людиново на повороте к больнице упал знак «Уступи дорогу», лежит в канаве уже месяц"),
    ("roads-markings-local", "kaluga", "ул. Московская",
     "разметки на Московской нет вообще, непонятно где полосы особенно ночью в дождь. ДТП каждый день"),
    ("roads-bus-stops-local", "kaluga", "ул. Гагарина, д. 4",
     "Остановка на Гагарина без павильона, стоим под дождем со снегом. Павильон убрали летом при ремонте и так и "
     "не вернули."),
    ("roads-safe-route-to-school", "borovsk", None,
     "В Боровске дети идут в школу по обочине, тротуара нет, освещения нет, машины проносятся в метре. "
     "Сделайте хоть что-нибудь, пока не случилась беда."),
    ("roads-crossings-regional", "ferzikovo", None,
     "На трассе у Ферзиково пешеходный переход без освещения, зимой в пять вечера уже темно, людей на переходе "
     "совсем не видно"),
    ("roads-traffic-lights-regional", "maloyaroslavets", None,
     "На выезде из Малоярославца на трассу не работает светофор, пробка на километр"),
    ("roads-unpaved-local", "babynino", None,
     "Бабынино, улица к кладбищу без асфальта, после дождя только на тракторе. Просим включить в план ремонта дорог."),

    # --- housing ---
    ("housing-heating-mkd", "kaluga", "ул. Степана Разина, д. 10",
     "В квартире +16, батареи еле теплые, у соседей так же. УК говорит что всё по норме. Маленький ребенок болеет. "
     "Примите меры!!!"),
    ("housing-heating-mkd", "obninsk", None,
     "В нашем доме в Обнинске до сих пор не дали отопление, на улице +3, а в квартире холоднее чем в подъезде. "
     "Управляющая компания разводит руками"),
    ("housing-heating-mkd", "kaluga", "ул. Глаголева, д. 11",
     "Стояк в ванной холодный с начала сезона. Заявку подавали 4 раза, приходит слесарь, смотрит и уходит. Сколько можно"),
    ("housing-water-supply-mkd", "kaluga", "ул. Кубяка, д. 3",
     "Третий день нет горячей воды, никаких объявлений не было. Когда дадут?"),
    ("housing-water-supply-mkd", "kaluga", "ул. Чичерина, д. 8",
     "Из крана течет ржавая вода, набрать ванну невозможно, белье не постирать. А платим за воду как за нормальную."),
    ("housing-water-supply-private", "kozelsk", None,
     "Козельск, частный сектор. Колонка на улице не работает с весны, воду носим от соседей за 300 метров. "
     "Пожилым людям тяжело, просим починить."),
    ("housing-water-supply-izhs", "rozhdestveno", None,
     "Рождествено, новые дома. Напор воды вечером такой, что на второй этаж не поднимается. Скважина не справляется, "
     "сколько ещё ждать нормальный водопровод?"),
    ("housing-sewerage", "kaluga", "ул. Вишневского, д. 17",
     "В подвале нашего дома стоит канализация, вонь по всему подъезду, комары круглый год. Аварийка приезжала, "
     "прочистила, через два дня опять то же самое."),
    ("housing-sewerage", "lyudinovo", None,
     "Людиново, у пятиэтажек из колодца течет канализация прямо на дорогу. Запах невыносимый, дети ходят рядом в школу"),
    ("housing-yard-snow-ice", "kaluga", "ул. Тарутинская, д. 180",
     "Двор не чистят вообще, машины застревают, скорая не смогла подъехать к подъезду. Дворника видели один раз за зиму."),
    ("housing-yard-snow-ice", "kaluga", "ул. Маршала Жукова, д. 13",
     "Сосульки над подъездом огромные, никто не сбивает и не огораживает. Упадет на голову — кто отвечать будет???"),
    ("housing-yard-snow-ice", "zhukov", None,
     "Жуков. Во дворах каток, песка нет, за неделю соседка сломала руку. УК на звонки не отвечает."),
    ("housing-yard-cleaning", "kaluga", "ул. Плеханова, д. 45",
     "Во дворе мусор не убирается неделями, бутылки, пакеты, окурки. Дворник появляется раз в месяц, а в квитанции "
     "уборка каждый месяц."),
    ("housing-street-lighting-out", "kaluga", "ул. Советская",
     "На Советской не горят фонари от магазина до остановки, вечером идти страшно, уже несколько человек падали"),
    ("housing-street-lighting-out", "maloyaroslavets", None,
     "Малоярославец, уличное освещение не работает по всей улице уже месяц. Звонили в администрацию — сказали ждите."),
    ("housing-hazardous-trees", "kaluga", "ул. Суворова, д. 121",
     "Во дворе огромный тополь наклонился над детской площадкой, корни подмыло, ветром его качает. Просим срочно "
     "спилить, пока не упал на детей."),
    ("housing-hazardous-trees", "tarusa", None,
     "Таруса. После вчерашней грозы дерево упало на провода у дома, провода висят почти до земли. Дети рядом ходят!"),
    ("housing-open-manholes", "kaluga", "ул. Ленина, д. 100",
     "Открытый люк прямо на тротуаре напротив дома 100, крышки нет уже неделю, кто-то воткнул туда ветку. "
     "Вечером не видно, человек провалится!"),
    ("housing-stray-animals", "kaluga", "ул. Хрустальная",
     "Стая собак штук 10 у гаражей на Хрустальной, кидаются на детей и велосипедистов. Писали уже много раз, "
     "никто не приезжает отлавливать."),
    ("housing-stray-animals", "obninsk", None,
     "В Обнинске возле школы бегают бездомные собаки, вчера ребенка укусили. Нужен отлов"),
    ("housing-elevator-broken", "kaluga", "ул. Академика Королева, д. 19",
     "Лифт не работает вторую неделю, живем на 9 этаже, у нас лежачая бабушка. УК отвечает что запчасти заказали."),
    ("housing-mc-requests-ignored", "kaluga", "ул. Никитина, д. 115",
     "С января подаём заявки в УК на протечку кровли, на потолке пятна и плесень. Заявки принимают и ничего не "
     "делают. Прошу обязать управляющую компанию выполнить ремонт и проверить её работу."),
    ("housing-mc-dispatch", "kaluga", None,
     "В диспетчерскую нашей УК невозможно дозвониться, трубку не берут ни днем ни ночью. Куда звонить когда авария?"),
    ("housing-common-areas", "borovsk", None,
     "Боровск, подъезд не убирается с осени, лампочки не горят на трех этажах"),
    ("housing-playground-mkd", "kaluga", "ул. Болдина, д. 5",
     "Качели на детской площадке сломаны, торчат болты, горка ржавая. Дети травмируются, просим отремонтировать "
     "или убрать."),
    ("housing-sidewalk-needed", "kaluga", "ул. Азаровская",
     "На Азаровской нет тротуара, люди идут по обочине вместе с машинами. Особенно опасно вечером и зимой."),
    ("housing-sidewalk-potholes", "kaluga", "ул. Театральная",
     "Тротуар на Театральной весь в ямах, плитка вздыбилась, бабушки спотыкаются. Это центр города!"),
    ("housing-yard-potholes", "kaluga", "ул. Космонавта Комарова, д. 30",
     "Внутридворовой проезд разбит, ямы по колено, после дождя не пройти. Просим включить двор в программу "
     "благоустройства дворовых территорий."),
    ("housing-restore-after-works", "kaluga", "ул. Кирова, д. 50",
     "Летом раскопали газон и тротуар у дома, когда меняли трубы, и так и оставили. Уже ноябрь, грязь, куча земли "
     "и песка, ходим по доскам."),
    ("housing-restore-after-works", "balabanovo", None,
     "В Балабаново после замены труб раскопали дорогу во дворе и бросили. Яма огорожена одной ленточкой уже два месяца."),
    ("housing-parks-squares", "kaluga", "пл. Театральная",
     "В сквере у Театральной площади сломаны скамейки, урны переполнены, фонари разбиты. Место, где гуляют с "
     "детьми, превратили в помойку"),
    ("housing-flowerbeds-lawns", "obninsk", None,
     "Обнинск, газоны вдоль дороги раскатаны машинами, всё в грязи. Поставьте ограждения."),
    ("housing-weeds-private", "kirov", None,
     "Киров, на нашей улице частного сектора борщевик выше человека, пустырь никто не косит. Дети гуляют рядом и обжигаются"),
    ("housing-capital-repair", "kaluga", "ул. Огарева, д. 7",
     "Капремонт крыши сделали в прошлом году, теперь течет в двух квартирах на 5 этаже. Фонд капремонта кивает на "
     "подрядчика, подрядчик не отвечает на звонки."),
    ("housing-utility-bills", "kaluga", None,
     "В квитанции за ноябрь начислили за отопление в два раза больше, чем в прошлом году. Объяснить никто не может. "
     "Прошу проверить правильность начислений."),
    ("housing-illegal-advertising", "kaluga", "ул. Кирова",
     "Фасад старого дома на Кирова завешан баннерами и вывесками до крыши, это вообще законно?"),
    ("housing-street-furniture-broken", "sukhinichi", None,
     "Сухиничи, у домов сломали лавочки и урну, так и валяются второй месяц"),
    ("housing-street-cleaning", "kaluga", "ул. Московская",
     "Московская в грязи после зимы, песок слоем на тротуарах, пылища. Когда будет уборка улиц?"),
    ("housing-unsafe-housing", "zhizdra", None,
     "Жиздра. Наш дом признали аварийным несколько лет назад, до сих пор живем в нём, стены в трещинах, "
     "перекрытия гнилые. Когда расселят?"),
    ("housing-mc-staff-conduct", "kaluga", None,
     "Мастер управляющей компании разговаривает с жильцами грубо, на вопросы отвечает «не ваше дело». Прошу разобраться."),
    ("housing-frozen-construction", "kaluga", "Грабцевское ш.",
     "Дольщики дома на Грабцевском шоссе ждут ключи уже четвертый год, стройка стоит, кран не двигается. "
     "Кто-нибудь из власти ответит?"),
    ("housing-construction-site-dirt", "kaluga", "ул. Хрустальная",
     "Со стройки на Хрустальной грузовики развозят грязь по всей улице, мойки колес нет."),
    ("housing-storm-drains", "kaluga", "ул. Карла Маркса",
     "После каждого дождя на Карла Маркса озеро по колено, ливневка забита. Пешеходы идут по бордюрам."),

    # --- waste ---
    ("waste-collection-mkd", "kaluga", "ул. Пухова, д. 23",
     "Контейнеры переполнены уже 4 дня, мусор лежит вокруг площадки, крысы бегают. Когда вывезут?"),
    ("waste-collection-mkd", "kaluga", "ул. Гагарина, д. 8",
     "вывоза мусора не было с пятницы, пакеты уже на проезжей части"),
    ("waste-collection-private", "sosenskiy", None,
     "Сосенский, частный сектор, мусоровоз не приезжает по графику третью неделю. Платим региональному оператору исправно."),
    ("waste-collection-izhs", "rosva", None,
     "Росва, новые улицы ИЖС. Контейнерной площадки нет вообще, мусор девать некуда, а квитанции приходят. Где площадка?"),
    ("waste-collection-mkd", "obninsk", None,
     "Обнинск, площадка у дома превратилась в свалку, контейнеры не вывозят, крупногабарит лежит неделями"),
    ("waste-collection-mkd", "lyudinovo", None,
     "Людиново - мусор не вывозили 10 дней!!! Вонь, собаки растаскивают пакеты. Позор!"),
    ("waste-illegal-dumps", "kaluga", "ул. Азаровская",
     "За гаражами на Азаровской огромная свалка строительного мусора, кто-то вываливает по ночам. Просим убрать и "
     "поставить камеры."),
    ("waste-illegal-dumps", "balabanovo", None,
     "По дороге из Балабаново к лесу вываливают мусор прямо с машин, уже целая гора выросла."),
    ("waste-illegal-dumps", "ferzikovo", None,
     "В лесу у Ферзиково стихийная свалка: пакеты, шины, старая мебель. Каждые выходные растёт"),
    ("waste-collection-private", "tovarkovo", None,
     "товарково, контейнер один на всю улицу и тот сломан, мусор вываливается. прошу заменить и вывозить почаще"),
    ("waste-collection-mkd", "kaluga", "ул. Складская",
     "Мусорная площадка без ограждения и без крыши, ветром разносит мусор по всему двору"),
    ("waste-collection-mkd", "maloyaroslavets", None,
     "Малоярославец, вывоз ТКО сорван уже неделю. В жару это вообще нормально?"),
    ("waste-illegal-dumps", "kaluga", "ул. Пригородная",
     "На Пригородной у леса опять свалка, весной убирали, теперь хуже прежнего"),
    ("waste-collection-private", "babynino", None,
     "Бабынино. Начисляют плату за вывоз мусора за дом, в котором никто не живёт уже три года, мусора не образуется. "
     "Документы относила, перерасчёт не сделали."),
    ("waste-collection-mkd", "kondrovo", None,
     "В Кондрово мусоровоз приезжает в 5 утра, грохот на весь двор. И забирает не всё, половина остается у баков."),

    # --- transport ---
    ("transport-schedule-breach-municipal", "kaluga", None,
     "Автобус 10 на Правобережье не ходил с 7 до 8 утра, люди опаздывают на работу. И это уже неделю так."),
    ("transport-too-few-vehicles-municipal", "kaluga", "ул. Московская",
     "В час пик в троллейбусы на Московской не влезть, интервал минут 25. Добавьте машин на маршрут!"),
    ("transport-driver-conduct-municipal", "kaluga", None,
     "Водитель маршрутки курил в салоне и разговаривал по телефону за рулем, на замечание нахамил. Вечер пятницы, "
     "ехала от центра в сторону Правобережья."),
    ("transport-fares-municipal", "kaluga", None,
     "В троллейбусе терминал не принимает карту, кондуктор требует наличные, а у меня их нет. Высадили на полпути."),
    ("transport-vehicle-sanitary-municipal", "kaluga", None,
     "Автобусы грязные, сиденья порваны, зимой в салоне холод, печка не работает."),
    ("transport-schedule-inconvenient-intercity", "mosalsk", None,
     "Из Мосальска в Калугу первый автобус в 9 утра, на работу не успеть. Верните ранний рейс пожалуйста"),
    ("transport-too-few-vehicles-intercity", "kondrovo", None,
     "Автобус Кондрово — Калуга забит под завязку, люди стоят в проходе всю дорогу, это же небезопасно"),
    ("transport-schedule-breach-intercity", "meshchovsk", None,
     "Рейс Мещовск-Калуга отменили без предупреждения, полдня прождали на автостанции"),
    ("transport-rail-schedule-inconvenient", "obninsk", None,
     "Электрички из Обнинска в сторону Москвы утром идут с большим перерывом, почти час ничего нет. Людям на работу!"),
    ("transport-rail-too-few-cars", "maloyaroslavets", None,
     "Утренняя электричка из Малоярославца короткая, люди стоят в тамбурах. Добавьте вагоны"),
    ("transport-boarding-municipal", "kaluga", "ул. Кирова",
     "Водитель не останавливается на остановке на Кирова, проезжает мимо, люди машут руками"),
    ("transport-driver-conduct-intercity", "yukhnov", None,
     "водитель автобуса Юхнов-Калуга гнал как сумасшедший, обгонял по встречке. Пассажиры в шоке"),
    ("transport-schedule-inconvenient-municipal", "obninsk", None,
     "В Обнинске последний автобус до нашего микрорайона уходит в 21:00, после второй смены уже не уехать"),
    ("transport-rail-fares", "kaluga", None,
     "Подорожали электрички до Калуги почти в полтора раза, а вагоны те же старые. Обоснуйте тариф."),

    # --- health ---
    ("health-appointments", "kaluga", None,
     "Невозможно записаться к эндокринологу в поликлинике, в электронной регистратуре нет талонов на месяц вперед. "
     "По телефону не дозвониться."),
    ("health-appointments", "obninsk", None,
     "Обнинск, запись к терапевту только через 2 недели, а температура 38. Вызов врача на дом не принимают, говорят "
     "звоните завтра"),
    ("health-medicines", "kaluga", None,
     "Третий месяц не выдают льготный инсулин в аптеке, говорят нет поставки. Покупаю за свои, пенсия не резиновая."),
    ("health-care-quality", "lyudinovo", None,
     "В районной больнице в Людиново маму продержали в приемном покое 5 часов без осмотра. Это безобразие!"),
    ("health-staff-shortage", "spas-demensk", None,
     "В Спас-Деменске нет педиатра уже полгода, возим детей в Киров или в Калугу за полторы сотни километров."),
    ("health-facilities-condition", "kozelsk", None,
     "В больнице в Козельске в палатах течет потолок, в туалетах нет воды, окна не закрываются"),
    ("health-disability-rehab-means", "kaluga", None,
     "Инвалиду 1 группы второй год не могут выдать коляску по программе реабилитации, всё «в процессе закупки»."),
    ("health-baby-food", "kaluga", None,
     "Молочная кухня не выдает питание, положенное детям до 3 лет, говорят нет финансирования"),
    ("health-vaccination-booking", "kaluga", None,
     "Хочу поставить ребенку прививку от клеща, в поликлинике говорят вакцины нет, записаться некуда"),
    ("health-care-quality", "kaluga", None,
     "Скорая ехала полтора часа к пожилому человеку с давлением 200. Где скорая???"),
    ("health-staff-shortage", "meshchovsk", None,
     "Мещовск, в поликлинике один терапевт на всех, очередь с 6 утра"),
    ("health-appointments", "maloyaroslavets", None,
     "Малоярославец. Направили на МРТ, ближайшая дата через 3 месяца. Платно — хоть завтра. Как так?"),

    # --- education ---
    ("education-kindergarten-queue", "kaluga", None,
     "Ребенку 3 года, места в садике так и не дали, стоим в очереди с рождения. В нашем микрорайоне садиков не хватает."),
    ("education-school-grounds", "kaluga", "ул. Хрустальная",
     "Территория школы на Хрустальной не освещена, забор сломан, вечером там собираются компании с пивом."),
    ("education-school-equipment", "kondrovo", None,
     "В школе в Кондрово в спортзале течет крыша, физкультуру проводят в коридоре"),
    ("education-school-staff", "obninsk", None,
     "Учитель кричит на детей и оскорбляет их, администрация школы не реагирует. Обнинск"),
    ("education-kindergarten-staff", "kaluga", None,
     "Воспитатель в саду не следит за детьми, ребенок пришел с разбитой губой, никто ничего не видел"),
    ("education-shift-schooling", "kaluga", None,
     "Дети учатся во вторую смену до семи вечера, в темноте возвращаются домой. Когда построят новую школу на Правобережье?"),
    ("education-no-school-nearby", "kaluga", None,
     "В нашем новом микрорайоне нет школы, детей возят на автобусе по 40 минут в одну сторону"),
    ("education-kindergarten-grounds", "lyudinovo", None,
     "Людиново. На участке детского сада сломанные веранды, песочница без песка, кругом битое стекло"),
    ("education-kindergarten-equipment", "sukhinichi", None,
     "В детском саду в Сухиничах холодно, дети сидят в кофтах, батареи старые"),
    ("education-extracurricular-staff", "kaluga", None,
     "В доме творчества отменяют занятия без предупреждения, руководитель кружка постоянно отсутствует"),

    # --- social ---
    ("social-benefits-payments", "kaluga", None,
     "Подала на единое пособие 2 месяца назад, до сих пор ни ответа ни денег. В соцзащите говорят ждите."),
    ("social-support-measures", "lyudinovo", None,
     "Многодетная семья, отказали в компенсации за коммуналку из-за долга в 300 рублей, который мы давно оплатили"),
    ("social-wage-arrears", "kirov", None,
     "На предприятии в Кирове третий месяц не платят зарплату, обещают «на следующей неделе». Семьи без денег."),
    ("social-informal-employment", "kaluga", None,
     "Работаю в магазине без договора, работодатель отказывается оформлять, зарплата в конверте. Куда обращаться?"),
    ("social-labour-veteran-title", "obninsk", None,
     "Отказывают в присвоении звания Ветеран труда, хотя стаж 40 лет и есть ведомственная награда"),
    ("social-housing-for-entitled", "kaluga", None,
     "Я из детей-сирот, стою в очереди на жилье шестой год, квартиры так и нет."),
    ("social-employment-service", "maloyaroslavets", None,
     "В центре занятости Малоярославца не предлагают ни одной вакансии по специальности, только курсы которые не нужны"),
    ("social-privileges", "kaluga", None,
     "Пенсионерке отказали в льготном проезде, говорят нужна какая-то справка, которую нигде не выдают"),
    ("social-refugees", "kaluga", None,
     "Как получить помощь семье, которая переехала к нам с приграничной территории? Никто толком не объясняет, "
     "куда идти и какие документы нужны"),
    ("social-support-measures", "kozelsk", None,
     "Инвалиду не выдали положенный продуктовый набор, в соцзащите Козельска сказали что закончились"),

    # --- energy ---
    ("energy-power-private", "muratovka", None,
     "Муратовка, свет отключают каждый вечер на 2-3 часа, холодильник сгорел. Когда это закончится?"),
    ("energy-power-mkd", "kaluga", "ул. Баррикад, д. 5",
     "Нет света во всем доме с 6 утра, никакой информации. Дома маленькие дети, плиты электрические"),
    ("energy-power-izhs", "rozhdestveno", None,
     "Постоянные скачки напряжения, лампочки мигают, сгорела стиральная машина. Линия перегружена, нужна новая подстанция"),
    ("energy-power-private", "zhukov", None,
     "Жуков. Провод оборвался и лежит на земле у забора, искрит. Срочно отключите!!!"),
    ("energy-mc-in-house-grid", "kaluga", "ул. Рылеева, д. 9",
     "В подъезде открытый электрощит, провода торчат, дети лазят. УК не реагирует"),
    ("energy-gas-supply", "kremenki", None,
     "Кременки, на нашей улице второй день нет газа, плиты не работают, а отопление от газового котла. "
     "Звонили в аварийную службу - ответа нет"),
    ("energy-gas-supply", "kaluga", "ул. Тельмана, д. 3",
     "Пахнет газом в подъезде, вызывали аварийку, сказали всё в норме, а запах остаётся. Страшно!"),
    ("energy-power-private", "iznoski", None,
     "Износки, улица без света после грозы уже сутки. Продукты портятся"),
    ("energy-power-mkd", "obninsk", None,
     "В Обнинске опять отключили свет без предупреждения, лифты встали, люди застряли"),
    ("energy-gas-supply", "detchino", None,
     "Детчино. Подали заявку на догазификацию год назад, договор подписали, до сих пор трубу до участка не провели."),

    # --- services ---
    ("services-public-services", "kaluga", None,
     "В МФЦ очередь 3 часа, работают 2 окна из 10. Электронная очередь не работает"),
    ("services-mobile", "khvastovichi", None,
     "Хвастовичи, сотовая связь пропадает, до скорой дозвониться невозможно. Когда поставят вышку?"),
    ("services-no-internet", "vysokinichi", None,
     "В Высокиничах нет нормального интернета, дети не могут заниматься онлайн. Провайдеры говорят технически невозможно"),
    ("services-post", "mosalsk", None,
     "Посылку жду 3 недели, в отделении почты в Мосальске говорят не приходила, а по трекингу вручена"),
    ("services-gosuslugi-data-error", "kaluga", None,
     "На Госуслугах неправильно указана моя поликлиника, прикрепили к другой, не могу записаться к врачу"),
    ("services-public-services", "obninsk", None,
     "Обнинск, в МФЦ не принимают документы на загранпаспорт, говорят записи нет на месяц вперед"),
    ("services-post", "spas", None,
     "В Спасе почтовое отделение работает 2 дня в неделю по 3 часа, пенсию получить невозможно"),
    ("services-mobile", "baryatino", None,
     "Барятино - мобильный интернет не ловит даже в центре села"),

    # --- ecology ---
    ("ecology-odours", "kaluga", None,
     "По вечерам на Правобережье невыносимый запах химии, окна не открыть. Какое предприятие выбрасывает? Прошу проверить."),
    ("ecology-water-pollution", "kaluga", None,
     "В речку у гаражей сливают что-то мутное из трубы, вода пенится, рыба дохлая плавает"),
    ("ecology-felling-settlements", "kaluga", "ул. Чижевского",
     "Во дворе на Чижевского вырубили пять здоровых лип без всякого объявления. Кто разрешил?"),
    ("ecology-fire-safety", "yukhnov", None,
     "Каждую весну жгут сухую траву у Юхнова, огонь подходит к домам и к лесу"),
    ("ecology-liquid-waste-dumping", "ermolino", None,
     "Ассенизаторская машина сливает отходы в овраг за Ермолино, вонь стоит на всю округу"),
    ("ecology-land-damage", "maloyaroslavetskiy-rayon", None,
     "На полях у трассы вывозят грунт и песок, карьер явно незаконный, землю всю изрыли"),
    ("ecology-felling-forest-parks", "obninsk", None,
     "В лесу у Обнинска рубят сосны под застройку. Это же лесопарковая зона!"),
    ("ecology-odours", "kaluga", None,
     "От очистных сооружений несет по всему району, особенно летом в жару"),

    # --- other ---
    ("other-illegal-street-trade", "kaluga", "ул. Московская",
     "У рынка на Московской торгуют с земли и с машин, грязь, мусор, тротуар перекрыт"),
    ("other-consumer-quality", "kaluga", None,
     "Купил в магазине просроченный творог, менять отказались. Кто вообще проверяет магазины?"),
    ("other-sports-grounds", "obninsk", None,
     "Обнинск, на стадионе у школы разбито покрытие, тренажеры сломаны"),
    ("other-cultural-events", "kozelsk", None,
     "На день города в Козельске звук такой, что кроме хрипа ничего не слышно, сцена сломанная. Стыдно"),
    ("other-monuments", "medyn", None,
     "Памятник воинам в Медыни зарос травой, плитка отвалилась. К 9 мая надо привести в порядок"),
    ("other-misc", "kaluga", None,
     "Подскажите, куда обращаться по поводу соседей, которые делают ремонт по ночам?"),
    ("other-shop-surroundings", "kaluga", None,
     "Возле магазина у нашего дома разгружают фуры прямо на газоне, газон убит, лужи до весны"),
]

# (kind, block, text). kind: final (the problem is solved), interim (work is under way, says when),
# formal (a bureaucratic «отписка» that promises nothing — for the answer checker to catch).
ANSWERS = [
    # final
    ("final", "roads", "Здравствуйте! По вашему сообщению на указанном участке дороги выполнен ямочный ремонт литой "
     "асфальтобетонной смесью. Фотоотчёт прилагается. Благодарим за неравнодушие."),
    ("final", "roads", "Очистка проезжей части и остановочного пункта от снега выполнена в ночную смену, проведена "
     "обработка противогололёдными материалами. Участок взят на контроль дорожной службы."),
    ("final", "housing", "Сообщаем, что управляющей компанией проведены промывка и регулировка системы отопления в "
     "вашем доме. По результатам контрольного замера температура в квартире составляет +21 °C."),
    ("final", "housing", "Аварийное дерево во дворе вашего дома осмотрено специалистами и спилено, порубочные остатки "
     "вывезены. Пень будет удалён при весеннем благоустройстве двора."),
    ("final", "housing", "Крышка смотрового колодца установлена, место проверено представителем водоканала. "
     "Спасибо, что сообщили об опасности."),
    ("final", "waste", "Региональный оператор сообщает: вывоз отходов с контейнерной площадки по вашему адресу "
     "выполнен, площадка убрана. Перевозчику выставлена претензия за нарушение графика."),
    ("final", "waste", "Несанкционированная свалка ликвидирована, вывезено около 12 кубометров отходов. На месте "
     "установлен знак о запрете складирования мусора, территория включена в маршрут патрулирования."),
    ("final", "transport", "Перевозчику направлено требование о соблюдении расписания; с понедельника на маршрут в "
     "часы пик выпущены две дополнительные машины."),
    ("final", "health", "Ваше обращение рассмотрено. Запись к врачу-эндокринологу организована, сотрудник регистратуры "
     "свяжется с вами для согласования даты и времени приёма."),
    ("final", "health", "Льготный препарат поступил в аптечный пункт, рецепт можно обслужить в часы работы аптеки. "
     "Аптека уведомлена о необходимости отложить препарат для вас."),
    ("final", "education", "Ребёнку предоставлено место в детском саду с 1 сентября, направление сформировано. "
     "Для зачисления обратитесь к руководителю детского сада с документами до конца месяца."),
    ("final", "social", "Пособие назначено, выплата за прошедшие месяцы будет перечислена в течение 5 рабочих дней."),
    ("final", "energy", "Электроснабжение восстановлено в 14:20. Причина отключения — повреждение кабельной линии "
     "10 кВ, повреждённый участок заменён."),
    ("final", "energy", "Утечка газа устранена, газоснабжение дома восстановлено. Проведено обследование "
     "внутридомового газового оборудования, нарушений больше не выявлено."),
    ("final", "services", "В МФЦ открыты дополнительные окна приёма, время ожидания сократилось до 20 минут. "
     "Предварительная запись доступна на портале госуслуг."),
    ("final", "ecology", "Специалисты провели выездную проверку, нарушитель установлен, составлен протокол об "
     "административном правонарушении. Участок будет очищен за счёт нарушителя до конца месяца."),
    # interim
    ("interim", "roads", "Ваше сообщение принято в работу. Ремонт участка запланирован после установления плюсовых "
     "температур, ориентировочно в мае. О результатах сообщим дополнительно."),
    ("interim", "housing", "Заявка передана в управляющую компанию, выезд специалистов запланирован на завтра. "
     "Окончательный ответ будет направлен после выполнения работ."),
    ("interim", "housing", "Для устранения протечки после капитального ремонта направлена претензия подрядной "
     "организации. Срок ответа подрядчика — 10 рабочих дней, после чего будет согласована дата работ."),
    ("interim", "waste", "Информация передана региональному оператору, вывоз запланирован в течение суток."),
    ("interim", "transport", "Проводится проверка работы перевозчика на маршруте по данным системы спутниковой "
     "навигации. По итогам проверки будет дан ответ."),
    ("interim", "health", "Ваше обращение направлено главному врачу медицинской организации для служебной проверки. "
     "Ответ будет дан по её результатам."),
    ("interim", "education", "Ремонт кровли спортивного зала включён в заявку на финансирование на следующий квартал. "
     "О сроках проведения работ сообщим дополнительно."),
    ("interim", "social", "Документы на назначение пособия рассматриваются, запрошены сведения из других ведомств. "
     "Решение будет принято после их получения, срок — до 10 рабочих дней."),
    ("interim", "energy", "Аварийная бригада выехала на место, ориентировочное время восстановления "
     "электроснабжения — 18:00."),
    ("interim", "services", "Запрос о строительстве базовой станции направлен операторам связи. После получения "
     "ответов сообщим результаты."),
    ("interim", "ecology", "Запланирован отбор проб воздуха в указанном районе с участием аккредитованной лаборатории. "
     "Результаты будут известны в течение 10 рабочих дней."),
    ("interim", "other", "Ваше обращение направлено в Роспотребнадзор для проверки торговой точки. "
     "О результатах проверки вам сообщат дополнительно."),
    # formal («отписки»)
    ("formal", "roads", "Ваше обращение рассмотрено. Участок дороги будет включён в план ремонта при наличии "
     "финансирования."),
    ("formal", "roads", "Содержание указанного участка осуществляется в соответствии с нормативными требованиями. "
     "Нарушений не выявлено."),
    ("formal", "housing", "Управляющей компании рекомендовано принять меры. Вопрос находится на контроле."),
    ("formal", "housing", "Разъясняем, что содержание общего имущества многоквартирного дома осуществляется управляющей "
     "организацией в соответствии с договором управления. По вопросам качества услуг вы вправе обратиться в "
     "управляющую организацию."),
    ("formal", "housing", "Информация принята к сведению."),
    ("formal", "waste", "Вывоз ТКО осуществляется согласно утверждённому графику. Оснований для перерасчёта не установлено."),
    ("formal", "transport", "Расписание движения утверждено в установленном порядке и соответствует пассажиропотоку."),
    ("formal", "health", "Медицинская помощь оказывается в соответствии с территориальной программой государственных "
     "гарантий. Рекомендуем обратиться в регистратуру поликлиники по месту прикрепления."),
    ("formal", "education", "Комплектование дошкольных образовательных организаций осуществляется в порядке "
     "очерёдности в соответствии с действующим законодательством."),
    ("formal", "social", "Ваше обращение рассмотрено, разъяснения даны в пределах компетенции. Порядок предоставления "
     "мер социальной поддержки установлен нормативными правовыми актами."),
    ("formal", "energy", "Сетевая организация выполняет обязательства в полном объёме. Кратковременные отключения "
     "связаны с погодными условиями."),
    ("formal", "services", "Вопросы качества услуг сотовой связи не относятся к компетенции органов государственной "
     "власти субъекта. Рекомендуем обратиться к оператору связи."),
    ("formal", "ecology", "Ваше обращение направлено по компетенции."),
    ("formal", "other", "Обращение рассмотрено. Оснований для принятия мер не имеется."),
]

_ADDRESS_RE = re.compile(r"^(?P<street>[^,]+?)(?:, д\. \d+[а-я]?)?$")


def street_of(address: str, streets: set[tuple[str, str]]) -> bool:
    """True if the address names a street of kaluga_city_streets.csv, written either
    'ул. Ленина, д. 15' (type first) or 'Грабцевское ш.' (type last)."""
    m = _ADDRESS_RE.match(address)
    if not m:
        return False
    street = m.group("street")
    head, _, tail = street.partition(" ")
    if (tail, head) in streets:
        return True
    head2, _, tail2 = street.rpartition(" ")
    return (head2, tail2) in streets


def build_texts(taxonomy):
    block_of = {c["code"]: c["block"] for c in taxonomy["categories"]}
    appeals = [
        {"block": block_of[cat], "category": cat, "text": text, "place": place, "address": address}
        for cat, place, address, text in APPEALS
    ]
    answers = [{"kind": kind, "block": block, "text": text} for kind, block, text in ANSWERS]
    return {"appeals": appeals, "answers": answers}


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

class Checks:
    def __init__(self):
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def error(self, cond: bool, msg: str):
        if not cond:
            self.errors.append(msg)

    def warn(self, cond: bool, msg: str):
        if not cond:
            self.warnings.append(msg)


def _unique(checks, items, key, what):
    seen = set()
    for it in items:
        checks.error(it[key] not in seen, f"duplicate {what} {it[key]!r}")
        checks.error(bool(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", it[key])), f"{what} {it[key]!r} is not a slug")
        checks.error(len(it[key]) <= 64, f"{what} {it[key]!r} longer than 64")
        seen.add(it[key])
    return seen


def resolve_route(rules, category, block, chain):
    """The rule the intended precedence picks for a category at a territory (chain: the
    territory and its ancestors, nearest first), or None."""
    best = None
    for r in rules:
        if r["category"] is not None and r["category"] != category:
            continue
        if r["category"] is None and r["block"] != block:
            continue
        if r["territory"] is not None and r["territory"] not in chain:
            continue
        depth = chain.index(r["territory"]) if r["territory"] is not None else len(chain)
        rank = (0 if r["category"] else 1, depth)
        if best is None or rank < best[0]:
            best = (rank, r)
    return best[1] if best else None


def validate(territories, mf_full, taxonomy, organisations, routing, texts, streets, sizes, report):
    c = Checks()
    levels = {"region", "city_district", "municipal_district", "okrug", "settlement"}
    tcodes = _unique(c, territories, "code", "territory code")
    by_code = {t["code"]: t for t in territories}
    parent_levels = {
        "region": {None},
        "city_district": {"region"},
        "municipal_district": {"region"},
        "okrug": {"city_district"},
        "settlement": {"city_district", "municipal_district", "okrug"},
    }
    for t in territories:
        c.error(t["level"] in levels, f"territory {t['code']}: bad level {t['level']}")
        c.error(t["parent"] is None or t["parent"] in tcodes, f"territory {t['code']}: parent {t['parent']} unknown")
        plevel = by_code[t["parent"]]["level"] if t["parent"] in by_code else None
        c.error(plevel in parent_levels[t["level"]], f"territory {t['code']}: {t['level']} under {plevel}")
        c.error(len(t["source"]) <= 200 and len(t["name"]) <= 200, f"territory {t['code']}: name/source too long")
        c.error((t["lat"] is None) == (t["lon"] is None), f"territory {t['code']}: half a coordinate")
        if t["level"] in ("region", "city_district", "municipal_district"):
            g = t["boundary"]
            c.error(g is not None and g["type"] in ("Polygon", "MultiPolygon"), f"{t['code']}: no boundary")
            for poly in polygons_of(g):
                for k, ring in enumerate(poly):
                    c.error(ring[0] == ring[-1], f"{t['code']}: ring not closed")
                    c.error(ring_is_valid(ring), f"{t['code']}: invalid ring")
                    c.error((signed_area(ring) > 0) == (k == 0), f"{t['code']}: ring orientation")
            c.error(point_in_geometry(t["lon"], t["lat"], g), f"{t['code']}: centre point outside its boundary")
        # Settlements with coordinates: inside the parent's boundary (simplified; full for the check).
        if t["level"] == "settlement" and t["lat"] is not None:
            c.error(t["parent"] in mf_full and point_in_geometry(t["lon"], t["lat"], mf_full[t["parent"]]),
                    f"settlement {t['code']} not inside its parent {t['parent']} (full resolution)")
            c.warn(point_in_geometry(t["lon"], t["lat"], by_code[t["parent"]]["boundary"]),
                   f"settlement {t['code']} falls outside the simplified boundary of {t['parent']}")
    n_mf = sum(t["level"] in ("city_district", "municipal_district") for t in territories)
    c.error(n_mf == 26, f"expected 26 municipal formations, got {n_mf}")
    for city, pip, expected in report["city_parent_check"]:
        c.error(pip is not None, f"city {city}: no municipal formation contains its point")
        c.error(pip == expected, f"city {city}: polygon says {pip}, HFLabs district says {expected}")
    for latin, _ru, pip, given in report["geonames_kept"]:
        c.error(pip is not None, f"GeoNames {latin}: no municipal formation contains its point")
        c.warn(pip == slugify(given), f"GeoNames {latin}: polygon says {pip}, source column says {given}")

    # Taxonomy
    block_keys = _unique(c, taxonomy["blocks"], "key", "block key")
    c.error([b["key"] for b in taxonomy["blocks"]] == [k for k, _ in BLOCKS], "blocks differ from the product's list")
    cat_codes = _unique(c, taxonomy["categories"], "code", "category code")
    cat_block = {x["code"]: x["block"] for x in taxonomy["categories"]}
    for x in taxonomy["categories"]:
        c.error(x["block"] in block_keys, f"category {x['code']}: unknown block")
        c.error(x["default_urgency"] in ("high", "normal"), f"category {x['code']}: urgency")
        c.error(x["default_regime"] in ("", "incident", "message", "appeal"), f"category {x['code']}: regime")
        c.error(0 < len(x["name"]) <= 300 and x["name"] == x["name"].strip(), f"category {x['code']}: name")
    for k in block_keys:
        c.error(any(x["block"] == k for x in taxonomy["categories"]), f"block {k} has no category")
    c.error("other-misc" in cat_codes, "no catch-all in `other`")

    # Organisations
    org_codes = _unique(c, organisations, "code", "organisation code")
    kinds = {"center", "regional", "municipal", "federal", "company"}
    for o in organisations:
        c.error(o["kind"] in kinds, f"organisation {o['code']}: kind")
        c.error(o["parent"] is None or o["parent"] in org_codes, f"organisation {o['code']}: parent unknown")
        c.error(bool(o["territories"]) and all(t in tcodes for t in o["territories"]), f"organisation {o['code']}: territories")
        c.error(o["email"].endswith("@" + EMAIL_DOMAIN), f"organisation {o['code']}: e-mail not on the demo domain")
        c.error(len(o["name"]) <= 300 and len(o["short_name"]) <= 120, f"organisation {o['code']}: name too long")
        for h in (o["work_start"], o["work_end"]):
            c.error(h is None or bool(re.fullmatch(r"\d\d:\d\d", h)), f"organisation {o['code']}: hours {h}")
        c.error((o["work_start"] is None) == (o["work_end"] is None), f"organisation {o['code']}: half the hours")
    c.error(sum(o["kind"] == "center" for o in organisations) == 1, "exactly one center expected")

    # Routing
    _unique(c, routing["queues"], "code", "queue code")
    for q in routing["queues"]:
        c.error(q["territory"] in tcodes, f"queue {q['code']}: territory")
        c.error(all(x in cat_codes for x in q["categories"]), f"queue {q['code']}: categories")
    seen_rules = {}
    for r in routing["rules"]:
        c.error(r["category"] is not None or r["block"] is not None, f"rule {r}: neither category nor block")
        c.error(r["category"] is None or r["category"] in cat_codes, f"rule: unknown category {r['category']}")
        c.error(r["block"] is None or r["block"] in block_keys, f"rule: unknown block {r['block']}")
        c.error(r["category"] is None or r["block"] is None or cat_block.get(r["category"]) == r["block"],
                f"rule: category {r['category']} not in block {r['block']}")
        c.error(r["territory"] is None or r["territory"] in tcodes, f"rule: unknown territory {r['territory']}")
        c.error(r["organisation"] in org_codes, f"rule: unknown organisation {r['organisation']}")
        key = (r["category"], r["block"], r["territory"])
        c.error(key not in seen_rules, f"rule: duplicate scope {key}")
        seen_rules[key] = r["organisation"]

    # Coverage under the intended precedence, over every category x municipal formation.
    chains = {}
    for t in territories:
        chain, node = [], t
        while node is not None:
            chain.append(node["code"])
            node = by_code.get(node["parent"]) if node["parent"] else None
        chains[t["code"]] = chain
    mfs = [t["code"] for t in territories if t["level"] in ("city_district", "municipal_district")]
    uncovered = [
        (x["code"], m) for x in taxonomy["categories"] for m in mfs
        if resolve_route(routing["rules"], x["code"], x["block"], chains[m]) is None
    ]
    report["route_combinations"] = (len(taxonomy["categories"]) * len(mfs), len(uncovered))
    report["uncovered_categories_everywhere"] = sorted(
        {code for code, _ in uncovered if sum(1 for cc, _ in uncovered if cc == code) == len(mfs)}
    )
    c.error(0 < len(uncovered) < len(taxonomy["categories"]) * len(mfs), "coverage should be partial")

    # Texts
    per_block: dict[str, int] = {}
    for a in texts["appeals"]:
        c.error(a["category"] in cat_codes and cat_block[a["category"]] == a["block"], f"appeal: category {a['category']}")
        c.error(a["place"] in tcodes, f"appeal: place {a['place']}")
        if a["address"] is not None:
            c.error(a["place"] == "kaluga", f"appeal: address outside Kaluga: {a['address']}")
            c.error(street_of(a["address"], streets), f"appeal: street not in the Kaluga list: {a['address']}")
        c.error(len(a["text"]) >= 10, "appeal: text too short")
        per_block[a["block"]] = per_block.get(a["block"], 0) + 1
    for k in block_keys:
        c.error(per_block.get(k, 0) >= 3, f"block {k}: fewer than 3 appeal texts")
    c.error(len({a["text"] for a in texts["appeals"]}) == len(texts["appeals"]), "duplicate appeal texts")
    for a in texts["answers"]:
        c.error(a["kind"] in ("final", "interim", "formal"), f"answer kind {a['kind']}")
        c.error(a["block"] in block_keys, f"answer block {a['block']}")
    report["appeals_per_block"] = per_block

    for name in ("territories.json", "kaluga.geojson"):
        c.error(sizes[name] < SIZE_LIMIT, f"{name} is {sizes[name]} bytes, over {SIZE_LIMIT}")
    return c


# --------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared",
                    help="folder holding geo/kaluga and data/kursk (default: ../shared)")
    args = ap.parse_args(argv)
    geo = args.shared / "geo" / "kaluga"
    topics = args.shared / "data" / "kursk" / "topic_blocks.csv"

    report: dict = {}
    territories, mf_full = build_territories(geo, report)
    taxonomy = build_taxonomy(topics)
    organisations = build_organisations()
    routing = build_routing()
    texts = build_texts(taxonomy)
    streets = {(r["name"], r["type_abbr"]) for r in read_csv(geo / "kaluga_city_streets.csv")}

    sizes = {
        "territories.json": write(DATA_OUT / "territories.json", territories),
        "taxonomy.json": write(DATA_OUT / "taxonomy.json", taxonomy),
        "organisations.json": write(DATA_OUT / "organisations.json", organisations),
        "routing.json": write(DATA_OUT / "routing.json", routing),
        "appeal_texts.json": write(DATA_OUT / "appeal_texts.json", texts),
        "kaluga.geojson": write(GEO_OUT / "kaluga.geojson", build_map(territories)),
    }

    checks = validate(territories, mf_full, taxonomy, organisations, routing, texts, streets, sizes, report)

    def count(items, key):
        out: dict[str, int] = {}
        for it in items:
            out[it[key]] = out.get(it[key], 0) + 1
        return out

    print("files:")
    for name, size in sizes.items():
        print(f"  {name:20} {size / 1024:8.1f} KB")
    print("territories by level:", count(territories, "level"))
    print("boundary points (MF full -> simplified):", report["mf_points"], "region outline:", report["region_points"])
    print("okrug raw lines / settlements kept:", report["okrug_lines"])
    print("categories by block:", count(taxonomy["categories"], "block"))
    cats = taxonomy["categories"]
    print("  high urgency:", sum(x["default_urgency"] == "high" for x in cats),
          "municipal:", sum(x["municipal_competence"] for x in cats),
          "not public:", sum(not x["is_public"] for x in cats))
    print("organisations:", len(organisations), count(organisations, "kind"))
    print("routing: queues", len(routing["queues"]), "rules", len(routing["rules"]),
          "uncovered category x MF combinations: {1} of {0}".format(*report["route_combinations"]))
    print("  categories uncovered everywhere:", ", ".join(report["uncovered_categories_everywhere"]))
    print("appeal texts:", len(texts["appeals"]), report["appeals_per_block"])
    print("answer texts:", len(texts["answers"]), count(texts["answers"], "kind"))
    for w in checks.warnings:
        print("WARNING:", w)
    for e in checks.errors:
        print("ERROR:", e)
    print("validation:", "FAILED" if checks.errors else "ok")
    return 1 if checks.errors else 0


if __name__ == "__main__":
    sys.exit(main())
