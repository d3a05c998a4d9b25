"""The places every map shows to orient by when there is no tile layer: the configured
settlements (and the streets that have coordinates) as labelled points, with their credit.

Public like the boundaries: names and centre points of settlements and streets are public facts,
and the resident's map needs them as much as the operator's. Which label shows at which zoom is
the map's business (tsur/static/maps/layers.js); here each place only gets its kind.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from tsur.directory.models import Street, Territory
from tsur.intake.views import DEFAULT_BOUNDARIES_ATTRIBUTION

# The shipped settlements are HFLabs (CC BY-SA 4.0) and GeoNames (CC BY 4.0) rows (see NOTICE);
# another region's data brings its own credit through the setting.
DEFAULT_PLACES_ATTRIBUTION = (
    'Населённые пункты: <a href="https://github.com/hflabs/city">HFLabs</a> (CC BY-SA 4.0), '
    '<a href="https://www.geonames.org">GeoNames</a> (CC BY 4.0)'
)
# A settlement this large is a town (labelled earlier than a village).
TOWN_POPULATION = 10_000


def _kind(level: str, population: int | None) -> str:
    if level == Territory.Level.CITY_DISTRICT:
        return "city"
    if level == Territory.Level.MUNICIPAL_DISTRICT:
        return "district"
    if population and population >= TOWN_POPULATION:
        return "town"
    return "village"


def places_payload() -> dict:
    rows = (
        Territory.objects.exclude(level=Territory.Level.REGION)
        .exclude(lat=None)
        .exclude(lon=None)
        .order_by("name")
        .values_list("code", "name", "level", "population", "lat", "lon")
    )
    places = [
        {"code": code, "name": name, "kind": _kind(level, population), "lat": round(lat, 5), "lon": round(lon, 5)}
        for code, name, level, population, lat, lon in rows
    ]
    streets = [
        {
            "name": f"{Street.Type(kind).label} {name}" if kind in Street.Type.values else name,
            "kind": "street",
            "lat": round(lat, 5),
            "lon": round(lon, 5),
        }
        for name, kind, lat, lon in Street.objects.exclude(lat=None).exclude(lon=None).values_list("name", "type", "lat", "lon")
    ]
    return {
        "attribution": getattr(settings, "TSUR_MAP_PLACES_ATTRIBUTION", DEFAULT_PLACES_ATTRIBUTION),
        # For the maps that draw boundaries from the card's or the center's own data.
        "boundaries_attribution": getattr(settings, "TSUR_MAP_BOUNDARIES_ATTRIBUTION", DEFAULT_BOUNDARIES_ATTRIBUTION),
        "places": places + streets,
    }


@require_GET
def places(request: HttpRequest) -> HttpResponse:
    """Browsers keep it for an hour and revalidate it by the newest change of a place."""
    t = Territory.objects.aggregate(newest=Max("updated_at"), count=Count("pk"))
    s = Street.objects.aggregate(newest=Max("updated_at"), count=Count("pk"))
    stamps = [x["newest"].timestamp() if x["newest"] else 0 for x in (t, s)]
    etag = f'"{t["count"]}-{s["count"]}-{max(stamps)}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = JsonResponse(places_payload(), json_dumps_params={"ensure_ascii": False})
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=3600"
    return response
