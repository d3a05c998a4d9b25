"""Look-ups over the reference data: territory of a point, queue of an appeal."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from tsur.core.refcache import Cached
from tsur.directory.models import Block, Category, Organisation, Queue, Territory
from tsur.lib import geo


def _load_categories() -> dict[str, Category]:
    return {c.code: c for c in Category.objects.filter(is_active=True).select_related("block")}


def _load_territories() -> dict[str, Territory]:
    return {t.code: t for t in Territory.objects.defer("boundary")}


_active_categories = Cached("active-categories", _load_categories, watch=[Category, Block])
_territories = Cached("territories", _load_territories, watch=[Territory])


def active_categories(codes: Iterable[str]) -> dict[str, Category]:
    """The active categories (with their blocks) of these codes, by code; kept per process
    (tsur.core.refcache): a resident's request names one, and no query is made for it."""
    rows = _active_categories.get()
    return {code: rows[code] for code in codes if code in rows}


def territories_by_code(codes: Iterable[str]) -> dict[str, Territory]:
    """The territories of these codes (boundaries not loaded), by code; kept per process."""
    rows = _territories.get()
    return {code: rows[code] for code in codes if code in rows}


@lru_cache(maxsize=1)
def _polygons() -> list[tuple[int, int, tuple[float, float, float, float], dict]]:
    rows = []
    depth = {"region": 0, "city_district": 1, "municipal_district": 1, "okrug": 2, "settlement": 3}
    for t in Territory.objects.exclude(boundary=None).only("pk", "level", "boundary"):
        rows.append((depth.get(t.level, 1), t.pk, geo.bbox(t.boundary), t.boundary))
    rows.sort(key=lambda r: -r[0])  # deepest first
    return rows


def territory_at(lat: float, lon: float) -> Territory | None:
    """The deepest territory whose boundary contains the point, or None."""
    for _depth, pk, (x0, y0, x1, y1), boundary in _polygons():
        if x0 <= lon <= x1 and y0 <= lat <= y1 and geo.contains(boundary, lat, lon):
            return Territory.objects.get(pk=pk)
    return None


def region_contains(lat: float, lon: float) -> bool | None:
    """True/False when the configured region has a boundary; None when nothing to check against."""
    polys = _polygons()
    if not polys:
        return None
    return territory_at(lat, lon) is not None


def queue_for(territory: Territory | None, category: Category | None) -> Queue | None:
    if territory is None or category is None:
        return None
    chain = {t.pk for t in territory.ancestors_and_self()}
    for queue in Queue.objects.filter(is_active=True, territory_id__in=chain).prefetch_related("categories"):
        cats = {c.pk for c in queue.categories.all()}
        if (cats and category.pk in cats) or (not cats and category.municipal_competence):
            return queue
    return None


class QueueLookup:
    """`queue_for` remembered per (territory, category) for one batch of appeals."""

    def __init__(self) -> None:
        self._found: dict[tuple[int, int], Queue | None] = {}

    def __call__(self, territory: Territory | None, category: Category | None) -> Queue | None:
        if territory is None or category is None:
            return None
        key = (territory.pk, category.pk)
        if key not in self._found:
            self._found[key] = queue_for(territory, category)
        return self._found[key]


def center() -> Organisation:
    org = Organisation.objects.filter(kind=Organisation.Kind.CENTER, is_active=True).order_by("pk").first()
    if org is None:
        raise Organisation.DoesNotExist("No organisation of kind 'center' is configured")
    return org


def forget_cached_boundaries(**_kwargs) -> None:
    _polygons.cache_clear()
