"""The demo's four monitoring sources (tsur/demo/data/monitoring.json) over a small directory: a
region and a city with boundaries, the city with the OKTMO code the inspection's cases carry."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from tests.factories import square
from tsur.demo.monitoring import load_sources
from tsur.directory.models import Block, Category, Territory
from tsur.monitoring.models import Source

MSK = dt.timezone(dt.timedelta(hours=3))
NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=MSK)
CATEGORIES = ("housing-heating-mkd", "housing-water-supply-mkd", "waste-collection-mkd", "waste-illegal-dumps", "roads-snow-ice-local")


@pytest.fixture
def sources(db):
    region = Territory.objects.create(code="kaluga-oblast", name="Калужская область", level="region", boundary=square(33.0, 53.0, 38.0, 56.0))
    city = Territory.objects.create(
        code="kaluga", name="Калуга", level="city_district", parent=region, oktmo="29701000", boundary=square(36.1, 54.45, 36.4, 54.6)
    )
    block = Block.objects.create(key="housing", name="ЖКХ")
    for code in CATEGORIES:
        Category.objects.create(code=code, block=block, name=code)
    load_sources()
    return SimpleNamespace(
        region=region,
        city=city,
        camera=Source.objects.get(code="kaluga-safe-city"),
        call112=Source.objects.get(code="kaluga-112"),
        gzhi=Source.objects.get(code="kaluga-gzhi"),
        sensors=Source.objects.get(code="kaluga-sensors"),
    )


@pytest.fixture
def keys(sources):
    """A fresh key for each of the four sources, by the source's attribute name."""
    from tsur.monitoring.keys import issue_key

    return SimpleNamespace(**{name: issue_key(getattr(sources, name)) for name in ("camera", "call112", "gzhi", "sensors")})


def example(code: str) -> dict:
    """The example item of a demo source (tsur/demo/data/monitoring.json), a fresh copy."""
    import copy

    from tsur.demo.monitoring import read_config

    return copy.deepcopy(next(s["example"] for s in read_config()["sources"] if s["code"] == code))
