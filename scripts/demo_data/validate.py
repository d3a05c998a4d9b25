"""Validation of the built configuration: references, slugs, rings, coverage, texts, file sizes."""

from __future__ import annotations

import re

from .common import slugify
from .geometry import point_in_geometry, polygons_of, ring_is_valid, signed_area
from .organisations import EMAIL_DOMAIN
from .taxonomy import BLOCKS
from .texts import street_of

SIZE_LIMIT = 600 * 1024


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
