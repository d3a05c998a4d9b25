"""The situation center's map: appeals (clustered), points of tension with their heat, and the
region's municipal boundaries as vector layers (no tile server needed; an optional raster base
layer from settings.TSUR_MAP_TILE_URL).

The data endpoint must stay fast on a million appeals, so it never ships them all: the newest
`MAP_APPEALS_CAP` appeals within the filters go out one by one, and the older rest as counts per
H3 cell. The rest is first binned in SQL on a fine lat/lon grid (one GROUP BY, a few thousand
rows at most), and the bins' centres are then put into H3 cells in Python: binning 1M rows in the
database costs a fraction of fetching them, and a bin (~300 m) is far smaller than a cell (~5 km²),
so a count lands in a neighbouring cell only at the very edge.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

import h3
from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Floor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET

from tsur.analytics.filters import Filters, choices
from tsur.appeals import access
from tsur.appeals.models import Status
from tsur.core import clock
from tsur.core.db_router import replica_reads  # read-only pages: the replica when one is configured
from tsur.core.errors import ValidationFailed
from tsur.directory.models import Category, Territory
from tsur.lib import geo
from tsur.monitoring.models import EventState, MonitoringEvent
from tsur.tension import queries as tension
from tsur.workspace.center import weekly_tension
from tsur.workspace.center.guards import center_required
from tsur.workspace.views import nav_context

# The newest appeals shipped one by one; the rest go as H3-cell counts.
MAP_APPEALS_CAP = 5000
# H3 resolution of the aggregated rest: region-wide 5 (~250 km² a cell, ~10 km across: a region
# is a hundred or so cells, each visible at the region's zoom); within a chosen municipality 7
# (~5 km² a cell, a district is a few dozen cells).
REGION_RESOLUTION = 5
TERRITORY_RESOLUTION = 7
# The SQL pre-binning grid per resolution, a bin several times smaller than a cell: 1/60 of a
# degree (~1.9 km of latitude) for ~10 km cells, 1/300 (~370 m) for ~2.5 km cells. Coarser bins
# are fewer groups for the database to sort.
BINS_PER_DEGREE = {REGION_RESOLUTION: 60, TERRITORY_RESOLUTION: 300}
# Points of tension drawn at most (the list page has them all).
MAP_POINTS_LIMIT = 500

STATUS_LABELS = dict(Status.choices)
# Monitoring events on the map: the active ones and those resolved within this many hours.
MAP_EVENTS_RESOLVED_HOURS = 72
MAP_EVENTS_LIMIT = 3000


def _number(value: int) -> str:
    """«123 456»: Russian digit groups, with a no-break space."""
    return f"{value:,}".replace(",", "\u00a0")


def _region_bounds() -> str:
    """«lat0,lon0,lat1,lon1» of the configured region, for the first view without tiles."""
    region = Territory.objects.filter(level=Territory.Level.REGION).order_by("pk").only("pk", "lat", "lon").first()
    if region is None:
        return ""
    boundary = Territory.objects.filter(pk=region.pk).values_list("boundary", flat=True).first()
    if boundary:
        lon0, lat0, lon1, lat1 = geo.bbox(boundary)
        return f"{lat0},{lon0},{lat1},{lon1}"
    if region.lat is not None and region.lon is not None:
        return f"{region.lat - 0.5},{region.lon - 0.8},{region.lat + 0.5},{region.lon + 0.8}"
    return ""


@require_GET
@center_required
@replica_reads()
def center_map(request: HttpRequest) -> HttpResponse:
    error = ""
    try:
        filters = Filters.parse(request.GET)
        raw = filters.params()
    except ValidationFailed as exc:
        error = exc.message
        filters = Filters.parse({})
        raw = request.GET
    ctx = {
        **nav_context(request, "center_map"),
        "filters": filters,
        "filter_error": error,
        "raw": raw,
        "filter_choices": choices(),
        "action": reverse("workspace:center_map"),
        "data_url": reverse("workspace:center_map_data") + "?" + filters.query(),
        "boundaries_url": reverse("intake:boundaries"),
        "card_url": reverse("workspace:card", args=["NUMBER"]),
        "tile_url": settings.TSUR_MAP_TILE_URL,
        "tile_attribution": settings.TSUR_MAP_TILE_ATTRIBUTION,
        "region_bounds": _region_bounds(),
        "cap": _number(MAP_APPEALS_CAP),
    }
    return render(request, "workspace/center/map.html", ctx, status=400 if error else 200)


def _newest(placed: QuerySet) -> list[tuple]:
    """The newest appeals with coordinates, at most MAP_APPEALS_CAP (one backward index scan)."""
    return list(placed.order_by("-received_at", "-pk").values_list("number", "lat", "lon", "status", "category_id", "received_at")[:MAP_APPEALS_CAP])


def h3_resolution(filters: Filters) -> int:
    if filters.territory is not None and filters.territory.level != Territory.Level.REGION:
        return TERRITORY_RESOLUTION
    return REGION_RESOLUTION


def _bins(selected: QuerySet, per_degree: int) -> tuple[dict[tuple[int, int], int], int]:
    """One pass over the selection: appeals per lat/lon bin, and how many have no coordinates."""
    rows = (
        selected.annotate(blat=Floor(F("lat") * per_degree), blon=Floor(F("lon") * per_degree))
        .values("blat", "blon")
        .annotate(n=Count("pk"))
        .order_by()
    )
    bins: dict[tuple[int, int], int] = {}
    unplaced = 0
    for row in rows:
        if row["blat"] is None or row["blon"] is None:
            unplaced += row["n"]
        else:
            bins[(int(row["blat"]), int(row["blon"]))] = row["n"]
    return bins, unplaced


def _cells(bins: dict[tuple[int, int], int], shown: list[tuple], per_degree: int, resolution: int) -> list[dict]:
    """The appeals not shown one by one, as counts per H3 cell with each cell's centre and
    outline: every bin's count goes to the cell of the bin's centre, less the shown appeals
    (binned the same way: the same floating-point product and floor as the database's)."""
    counts: dict[str, int] = defaultdict(int)
    cell_of: dict[tuple[int, int], str] = {}
    for (blat, blon), n in bins.items():
        cell_of[(blat, blon)] = h3.latlng_to_cell((blat + 0.5) / per_degree, (blon + 0.5) / per_degree, resolution)
        counts[cell_of[(blat, blon)]] += n
    for _num, lat, lon, *_rest in shown:
        key = (math.floor(lat * per_degree), math.floor(lon * per_degree))
        if key in cell_of:
            counts[cell_of[key]] -= 1
    cells = []
    for cell, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if n <= 0:
            continue
        lat, lon = h3.cell_to_latlng(cell)
        cells.append(
            {
                "cell": cell,
                "count": n,
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                "outline": [[round(a, 6), round(b, 6)] for a, b in h3.cell_to_boundary(cell)],
            }
        )
    return cells


def _points(filters: Filters) -> list[dict]:
    """Points of tension with a place on the map: their own point, else their territory's centre."""
    out = []
    for p in tension.points(filters, limit=MAP_POINTS_LIMIT):
        lat, lon = p.lat, p.lon
        if (lat is None or lon is None) and p.territory_id:
            lat, lon = p.territory.lat, p.territory.lon
        if lat is None or lon is None:
            continue
        v = weekly_tension.view_of(p)
        out.append(
            {
                "id": v.id,
                "url": v.url,
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                "state": v.state,
                "state_label": v.state_label,
                # JSON has no Infinity: an unbounded surprise goes as null (drawn as the strongest).
                "score": round(p.score, 3) if math.isfinite(p.score) else None,
                "score_label": v.score,
                "count": p.count,
                "title": v.title,
                "explanation": v.explanation,
            }
        )
    return out


def _events(filters: Filters) -> list[dict]:
    """Monitoring events with a point: active, or resolved within MAP_EVENTS_RESOLVED_HOURS (the
    map is about now, whatever the appeals' period), in the chosen territory if any."""
    since = clock.now() - dt.timedelta(hours=MAP_EVENTS_RESOLVED_HOURS)
    qs = MonitoringEvent.objects.filter(lat__isnull=False, lon__isnull=False).filter(
        Q(state=EventState.ACTIVE) | Q(state=EventState.RESOLVED, resolved_at__gte=since)
    )
    if filters.territory_ids:
        qs = qs.filter(territory_id__in=sorted(filters.territory_ids))
    rows = qs.select_related("source", "kind").order_by("-occurred_at", "-pk")[:MAP_EVENTS_LIMIT]
    return [
        {
            "url": reverse("workspace:center_monitoring_event", args=[e.pk]),
            "lat": round(e.lat, 6),
            "lon": round(e.lon, 6),
            "source_kind": e.source.kind,
            "source": e.source.name,
            "kind": e.kind.name,
            "title": e.title or e.kind.name,
            "address": e.address,
            "state": e.state,
            "state_label": e.get_state_display(),
            "occurred_at": e.occurred_at.isoformat(),
            "resolved_at": e.resolved_at.isoformat() if e.resolved_at else None,
        }
        for e in rows
    ]


@require_GET
@center_required
@replica_reads()
def center_map_data(request: HttpRequest) -> HttpResponse:
    """JSON for the map: appeals (capped), H3 counts of the rest, points of tension."""
    try:
        filters = Filters.parse(request.GET)
    except ValidationFailed as exc:
        return JsonResponse({"error": exc.message, "fields": exc.field_errors}, status=400, json_dumps_params={"ensure_ascii": False})
    selected = access.appeals_for(request.user).filter(filters.appeals_q())
    shown = _newest(selected.filter(lat__isnull=False, lon__isnull=False))
    resolution = h3_resolution(filters)
    per_degree = BINS_PER_DEGREE[resolution]
    if len(shown) < MAP_APPEALS_CAP:
        total, cells = len(shown), []
        unplaced = selected.filter(Q(lat__isnull=True) | Q(lon__isnull=True)).count()
    else:
        bins, unplaced = _bins(selected, per_degree)
        total = sum(bins.values())
        cells = _cells(bins, shown, per_degree, resolution)
    categories = dict(Category.objects.values_list("pk", "name"))
    appeals = [
        [number, round(lat, 6), round(lon, 6), status, categories.get(category_id, ""), received.isoformat()]
        for number, lat, lon, status, category_id, received in shown
    ]
    note = f"Показаны {_number(len(appeals))} из {_number(total)} обращений с координатами"
    if total > len(appeals):
        note += f"; остальные {_number(total - len(appeals))} — числом по участкам карты"
    if unplaced:
        note += f". Без координат: {_number(unplaced)}"
    payload = {
        "filters": filters.params(),
        "describe": filters.describe(),
        "total": total,
        "shown": len(appeals),
        "cap": MAP_APPEALS_CAP,
        "unplaced": unplaced,
        "note": note + ".",
        "statuses": STATUS_LABELS,
        "appeal_fields": ["number", "lat", "lon", "status", "category", "received_at"],
        "appeals": appeals,
        "h3_resolution": resolution,
        "cells": cells,
        "points": _points(filters),
        "events": _events(filters),
    }
    return JsonResponse(payload, json_dumps_params={"ensure_ascii": False})


urlpatterns: list[URLPattern] = [
    path("map/", center_map, name="center_map"),
    path("map/data/", center_map_data, name="center_map_data"),
]
