"""The situation center's figures are computed once per TSUR_CENTER_FIGURES_SECONDS for every user
(tsur.workspace.center.kept): a second view within the period shows the first's figures and
says when they were computed; other filters are computed apart; with the period 0, or when the
cache is down, every view computes them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.factories import make_user, new_appeal
from tsur.accounts.models import Role
from tsur.core import clock
from tsur.workspace.center import dashboards, front

MSK = ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2026, 11, 25, 12, 0, 5, tzinfo=MSK)
PAGES = [
    ("/workspace/center/", front, "_figures"),
    ("/workspace/center/dashboard/", dashboards, "_dashboard_figures"),
    ("/workspace/center/kpi/", dashboards, "_rating_groups"),
    ("/workspace/center/region/", dashboards, "_region_figures"),
]


def counted(monkeypatch, module, name) -> list:
    calls = []
    real = getattr(module, name)

    def compute(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, compute)
    return calls


@pytest.fixture
def kept_period(settings):
    settings.TSUR_CENTER_FIGURES_SECONDS = 60
    return settings


@pytest.mark.parametrize(("url", "module", "name"), PAGES)
def test_a_second_view_within_the_period_shows_the_first_ones_figures(client, world, kept_period, monkeypatch, url, module, name):
    with clock.at(NOW - dt.timedelta(days=1)):
        new_appeal(world)
    calls = counted(monkeypatch, module, name)
    client.force_login(world.analyst)
    with clock.at(NOW):
        first = client.get(url)
    other = make_user("analyst2", Role.ANALYST)  # another user of the center: the same figures
    client.force_login(other)
    with clock.at(NOW + dt.timedelta(seconds=20)):
        second = client.get(url)
    assert (first.status_code, second.status_code) == (200, 200)
    assert len(calls) == 1
    assert "12:00:05" in first.content.decode() and "12:00:05" in second.content.decode()  # computed at the first view
    assert "12:00:25" not in second.content.decode()
    assert 'data-testid="figures-at" title="Показатели пересчитываются не чаще раза в 60 с"' in second.content.decode()
    assert second.content.decode().count('class="table-wrap"') == first.content.decode().count('class="table-wrap"')
    assert "&lt;div" not in second.content.decode()  # the kept tables are still markup, not text


def test_other_filters_are_computed_apart(client, world, kept_period, monkeypatch):
    calls = counted(monkeypatch, dashboards, "_dashboard_figures")
    client.force_login(world.analyst)
    with clock.at(NOW):
        client.get("/workspace/center/dashboard/")
        client.get("/workspace/center/dashboard/?block=roads")
        client.get("/workspace/center/dashboard/?block=roads")
    assert len(calls) == 2


@pytest.mark.parametrize(("url", "module", "name"), PAGES)
def test_without_a_period_every_view_computes_them(client, world, settings, monkeypatch, url, module, name):
    settings.TSUR_CENTER_FIGURES_SECONDS = 0
    calls = counted(monkeypatch, module, name)
    client.force_login(world.analyst)
    with clock.at(NOW):
        pages = [client.get(url) for _ in range(2)]
    assert [p.status_code for p in pages] == [200, 200] and len(calls) == 2
    assert "пересчитываются" not in pages[0].content.decode()


def test_a_cache_that_cannot_be_reached_leaves_the_page_computing_its_own(client, world, kept_period, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    calls = counted(monkeypatch, front, "_figures")
    client.force_login(world.analyst)
    with clock.at(NOW):
        assert [client.get("/workspace/center/").status_code for _ in range(2)] == [200, 200]
    assert len(calls) == 2
