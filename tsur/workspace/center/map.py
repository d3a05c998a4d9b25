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

from collections import defaultdict

import h3
from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Round
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET

from tsur.analytics.filters import Filters, choices
from tsur.appeals import access
from tsur.appeals.models import Status
from tsur.core.errors import ValidationFailed
from tsur.directory.models import Category, Territory
from tsur.lib import geo
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
# The SQL pre-binning grid: 1/BINS_PER_DEGREE of a degree (~300 m of latitude).
BINS_PER_DEGREE = 300
# Points of tension drawn at most (the list page has them all).
MAP_POINTS_LIMIT = 500

STATUS_LABELS = dict(Status.choices)


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


def _appeals(scope: QuerySet) -> tuple[list[list], Q | None]:
    """The newest appeals one by one (compact rows), and the condition selecting the older rest
    (None when everything fitted under the cap)."""
    categories = dict(Category.objects.values_list("pk", "name"))
    rows = list(
        scope.order_by("-received_at", "-pk").values_list("pk", "number", "lat", "lon", "status", "category_id", "received_at")[
            :MAP_APPEALS_CAP
        ]
    )
    appeals = [
        [number, round(lat, 6), round(lon, 6), status, categories.get(category_id, ""), received.isoformat()]
        for _pk, number, lat, lon, status, category_id, received in rows
    ]
    if len(rows) < MAP_APPEALS_CAP:
        return appeals, None
    last_pk, last_at = rows[-1][0], rows[-1][6]
    return appeals, Q(received_at__lt=last_at) | Q(received_at=last_at, pk__lt=last_pk)


def h3_resolution(filters: Filters) -> int:
    if filters.territory is not None and filters.territory.level != Territory.Level.REGION:
        return TERRITORY_RESOLUTION
    return REGION_RESOLUTION


def _cells(rest: QuerySet, resolution: int) -> list[dict]:
    """The older rest as counts per H3 cell, with each cell's centre and outline."""
    bins = (
        rest.annotate(blat=Round(F("lat") * BINS_PER_DEGREE), blon=Round(F("lon") * BINS_PER_DEGREE))
        .values("blat", "blon")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[str, int] = defaultdict(int)
    for row in bins:
        cell = h3.latlng_to_cell(row["blat"] / BINS_PER_DEGREE, row["blon"] / BINS_PER_DEGREE, resolution)
        counts[cell] += row["n"]
    cells = []
    for cell, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
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
                "score": round(p.score, 3),
                "score_label": v.score,
                "count": p.count,
                "title": v.title,
                "explanation": v.explanation,
            }
        )
    return out


@require_GET
@center_required
def center_map_data(request: HttpRequest) -> HttpResponse:
    """JSON for the map: appeals (capped), H3 counts of the rest, points of tension."""
    try:
        filters = Filters.parse(request.GET)
    except ValidationFailed as exc:
        return JsonResponse({"error": exc.message, "fields": exc.field_errors}, status=400, json_dumps_params={"ensure_ascii": False})
    selected = access.appeals_for(request.user).filter(filters.appeals_q())
    placed = selected.filter(lat__isnull=False, lon__isnull=False)
    appeals, rest_q = _appeals(placed)
    total = placed.count() if rest_q is not None else len(appeals)
    resolution = h3_resolution(filters)
    cells = _cells(placed.filter(rest_q), resolution) if rest_q is not None else []
    unplaced = selected.filter(Q(lat__isnull=True) | Q(lon__isnull=True)).count()
    note = f"Показаны {_number(len(appeals))} из {_number(total)} обращений с координатами"
    if rest_q is not None:
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
    }
    return JsonResponse(payload, json_dumps_params={"ensure_ascii": False})


urlpatterns: list[URLPattern] = [
    path("map/", center_map, name="center_map"),
    path("map/data/", center_map_data, name="center_map_data"),
]
