"""1. Territories: the region, its 26 municipal formations (OSM boundaries), the okrugs of the city
of Kaluga and the settlements (HFLabs cities, GeoNames places, the Kaluga okrug settlement list)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from .common import read_csv, slugify
from .geometry import M_PER_DEG_LAT, M_PER_DEG_LON_EQ, count_points, point_in_geometry, representative_point, simplify_shared

# Douglas–Peucker tolerance for the municipal boundaries and the region outline, in metres
# (the source's simplified file is ~30 m; 50 m keeps territories.json well under 600 KB).
MF_TOLERANCE_M = 50.0

SOURCE_OSM_MF = "OpenStreetMap (© OpenStreetMap contributors, ODbL 1.0), admin boundaries of Nov 2020, simplified to ~50 m"
SOURCE_OSM_REGION = "OpenStreetMap (© OpenStreetMap contributors, ODbL 1.0): union of the 26 boundaries, simplified"
SOURCE_HFLABS = "HFLabs city (CC BY-SA 4.0); parent by point-in-polygon on OpenStreetMap boundaries"
SOURCE_GEONAMES = "GeoNames cities1000 (CC BY 4.0); Russian name by the project"
SOURCE_OKRUG_SETTLEMENT = "Settlement list of the Kaluga urban okrug (6jlarogap/cemetery); no coordinates"
SOURCE_OKRUG = "Administrative okrug of the city of Kaluga; no boundary in the data (not on the map)"

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
