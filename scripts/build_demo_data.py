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
and answer texts, Russian names for the GeoNames places) is authored in the ``demo_data``
package next to this file (one module per concern; see its ``__init__``): it is the record of
every judgment call. The outputs are committed, so the project works without ``../shared``;
rerun this script after changing the inputs or those tables.

Outputs are UTF-8 JSON with ``indent=1`` and ``ensure_ascii=False``; GeoJSON geometries are
written compactly on one line each (an indented coordinate list would triple the file size).
The script ends with a validation pass and exits non-zero if any check fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository (tsur.lib)
sys.path.insert(0, str(Path(__file__).resolve().parent))  # this folder (the demo_data package)
from demo_data.common import read_csv
from demo_data.organisations import build_organisations
from demo_data.output import build_map, write
from demo_data.routing import build_routing
from demo_data.taxonomy import build_taxonomy
from demo_data.territories import build_territories
from demo_data.texts import build_texts
from demo_data.validate import validate

REPO = Path(__file__).resolve().parent.parent
DATA_OUT = REPO / "tsur" / "demo" / "data"
GEO_OUT = REPO / "tsur" / "static" / "geo"


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
