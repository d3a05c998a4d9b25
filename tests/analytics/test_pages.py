"""The dashboards, the KPI page, the region's figures and the drill-down list: access, numbers
that drill down to exactly as many appeals, bad filters answered in Russian."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.analytics.helpers import DAY0, history
from tsur.core import clock

PERIOD = {"from": "2025-03-01", "to": "2025-03-31"}


@pytest.fixture
def analyst(client, world):
    client.force_login(world.analyst)
    return client


def tile(html: str, code: str) -> tuple[str, int]:
    m = re.search(rf'<a class="tile[^"]*" href="([^"]+)" data-testid="tile-{code}" data-value="(\d+)"', html)
    assert m, code
    return m.group(1).replace("&amp;", "&"), int(m.group(2))


def found(client, url: str) -> int:
    resp = client.get(url)
    assert resp.status_code == 200
    return int(re.search(r'data-testid="found-count">(\d+)<', resp.content.decode()).group(1))


def test_it_drills_every_tile_down_to_as_many_appeals(world, analyst):
    history(world)
    with clock.at(DAY0 + dt.timedelta(days=60)):
        resp = analyst.get(reverse("workspace:center_dashboard"), PERIOD)
        assert resp.status_code == 200
        html = resp.content.decode()
        checked = 0
        for code in ("received", "answered", "in_time", "overdue", "good", "reopened", "formal", "returned", "repeat", "review", "answer"):
            url, value = tile(html, code)
            assert found(analyst, url) == value, code
            checked += value
        assert checked > 0
        _, overdue = tile(html, "overdue")
        assert overdue >= 2  # the routed garbage appeal and the reopened formal one, due a month after


def test_it_drills_table_rows_down_by_organisation(world, analyst):
    history(world)
    resp = analyst.get(reverse("workspace:center_dashboard"), PERIOD)
    html = resp.content.decode()
    assert "Миндор" in html and "Горадмин" in html
    url = reverse("workspace:center_appeals") + "?" + "from=2025-03-01&to=2025-03-31&only=answered&organisation=city-admin"
    assert found(analyst, url) == 1


def test_it_describes_the_selection_in_russian(world, analyst):
    history(world)
    resp = analyst.get(reverse("workspace:center_appeals"), {**PERIOD, "only": "late", "block": "roads"})
    text = resp.content.decode()
    assert "Обращения с ответом позже срока: с 01.03.2025 по 31.03.2025, блок «Дороги»" in text
    assert found(analyst, reverse("workspace:center_appeals") + "?from=2025-03-01&to=2025-03-31&only=late&block=roads") == 1


@pytest.mark.parametrize(
    "params, words",
    [
        ({"from": "2025-13-01"}, "не распознана"),
        ({"from": "2025-03-10", "to": "2025-03-01"}, "Начало периода позже его конца"),
        ({"territory": "atlantis"}, "«atlantis» не найден"),
        ({"only": "everything"}, "Показатель «everything» не известен"),
        ({"block": "housing", "category": "pothole"}, "не входит в блок"),
    ],
)
def test_it_answers_bad_filters_with_a_russian_400_page(world, analyst, params, words):
    for name in ("center_dashboard", "center_kpi", "center_region", "center_appeals"):
        resp = analyst.get(reverse(f"workspace:{name}"), params)
        if name != "center_appeals" and "only" in params:
            assert resp.status_code == 200  # only the drill-down reads «only»
            continue
        assert resp.status_code == 400, name
        assert words in resp.content.decode()


def test_it_lets_only_the_center_in(world, client):
    urls = [reverse(f"workspace:{n}") for n in ("center_dashboard", "center_kpi", "center_region", "center_appeals")]
    urls += [reverse("workspace:center_appeals_export", args=["csv"]), reverse("workspace:center_kpi_export", args=["xlsx"])]
    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 302 and "login" in resp["Location"], url
    for user in (world.executor, world.coordinator):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)
    client.force_login(world.resident)  # a resident is sent to their own cabinet, shown nothing
    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"] == "/cabinet/", url
    for user in (world.operator, world.admin, world.analyst):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)


def test_it_shows_the_region_figures_with_the_polls_held(world, analyst):
    history(world)
    html = analyst.get(reverse("workspace:center_region"), PERIOD).content.decode()
    assert "голосов за период: 0" in html  # no poll in this history (tests/polls count them)
    assert "Район" in html and "Город" in html


def test_it_shows_the_kpi_formula_and_groups(world, analyst, settings):
    settings.TSUR_KPI_MIN_ANSWERED = 1
    settings.TSUR_KPI_MIN_RATED = 5
    history(world)
    html = analyst.get(reverse("workspace:center_kpi"), PERIOD).content.decode()
    assert "Итог = 100 × (0,4·С + 0,3·К + 0,3·У)" in html
    assert "Региональный орган власти" in html and "Орган местного самоуправления" in html
    assert "удовлетворённость: недостаточно данных" in html
