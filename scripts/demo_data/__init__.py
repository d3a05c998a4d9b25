"""The tables and steps of scripts/build_demo_data.py (the Kaluga demo reference configuration).

The entry point is ``scripts/build_demo_data.py`` (``main()``, the command line); this package holds
what it assembles, one module per concern:

* ``common`` — text helpers: slugs, CSV reading;
* ``geometry`` — boundary simplification, rings, point-in-polygon;
* ``territories`` — the region, its municipal formations, okrugs and settlements;
* ``taxonomy`` — the sector blocks and the categories (from the Kursk rubricator topics);
* ``organisations`` — the demo organisations;
* ``routing`` — the territorial queues and the routing rules;
* ``appeals`` and ``texts`` — the synthetic appeal and answer texts;
* ``output`` — JSON/GeoJSON writing and the map layer;
* ``validate`` — the validation pass.

Pure standard library (and ``tsur.lib.geo``, itself pure Python).
"""
