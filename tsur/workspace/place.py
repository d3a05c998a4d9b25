"""The place of an appeal as the card tells it: one story of the territory (and who set it), the
address, the point, and — when the point lies outside the territory — a visible flag naming both.
The card's map draws the same: the territory's boundary, the point, and the boundary of the
territory the point is in when they disagree; its caption names what is drawn."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from tsur.appeals.models import Appeal, ClassificationSource
from tsur.directory.models import Territory
from tsur.directory.placement import PointCheck, boundary_holder, check_point, outside_message

MUNICIPAL_LEVELS = (Territory.Level.CITY_DISTRICT, Territory.Level.MUNICIPAL_DISTRICT)


def _check(appeal: Appeal) -> PointCheck | None:
    return check_point(appeal.territory if appeal.territory_id else None, appeal.lat, appeal.lon)


def _map_boundary(territory: Territory) -> Territory | None:
    """The municipal formation up the chain (what a reader recognises), else the nearest boundary."""
    chain = territory.ancestors_and_self()
    municipal = [t for t in chain if t.level in MUNICIPAL_LEVELS and t.boundary]
    return municipal[0] if municipal else boundary_holder(territory)


def _point_text(lat: float, lon: float) -> str:
    return f"{lat:.5f}, {lon:.5f}"


def place_facts(appeal: Appeal, check: PointCheck | None = None) -> dict:
    """The «Сведения» rows about the place."""
    check = check if check is not None else _check(appeal)
    has_point = appeal.lat is not None and appeal.lon is not None
    return {
        "territory": appeal.territory if appeal.territory_id else None,
        "source": ClassificationSource(appeal.place_source).label if appeal.place_source else "",
        "address": appeal.address,
        "point": _point_text(appeal.lat, appeal.lon) if has_point else "",
        "outside": outside_message(check) if check is not None and check.outside else "",
    }


def _caption(holder: Territory | None, point: bool, check: PointCheck | None) -> str:
    parts = []
    if holder is not None:
        parts.append(f"синяя граница — «{holder.name}»")
    if check is not None and check.outside and check.point_in is not None:
        parts.append(f"оранжевая — «{check.point_in.name}», где стоит точка")
    parts.append("красная точка — место обращения" if point else "точка не указана")
    return "На карте: " + "; ".join(parts) + "."


def map_data(appeal: Appeal) -> dict | None:
    """The card map: vector boundaries from the configured territories (`Territory.boundary`),
    the point, and the layers every map shares (optional tiles, places to orient by)."""
    check = _check(appeal)
    holder = _map_boundary(appeal.territory) if appeal.territory_id else None
    point = [appeal.lat, appeal.lon] if appeal.lat is not None and appeal.lon is not None else None
    if point is None and holder is None:
        return None
    other = check.point_in if check is not None and check.outside and check.point_in is not None else None
    other_holder = _map_boundary(other) if other is not None else None
    return {
        "point": point,
        "boundary": holder.boundary if holder is not None else None,
        "boundary_name": holder.name if holder is not None else "",
        "point_boundary": other_holder.boundary if other_holder is not None and other_holder != holder else None,
        "caption": _caption(holder, point is not None, check),
        "tiles": settings.TSUR_MAP_TILE_URL,
        "tiles_attribution": settings.TSUR_MAP_TILE_ATTRIBUTION,
        "places_url": reverse("intake:places"),
    }


def point_change_text(before: list | None, after: list | None) -> str:
    """The point's change in the timeline's words: «точка перенесена: 54.51345, 36.26123 → …»."""
    if before and after:
        return f"точка перенесена: {_point_text(*before)} → {_point_text(*after)}"
    if after:
        return f"точка поставлена: {_point_text(*after)}"
    return f"точка убрана (была {_point_text(*before)})" if before else ""
