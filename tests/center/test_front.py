"""The governor's front page: key tiles linking to their lists, the top points of tension with
their explanations, what changed, the worst overdue organisations; only for the center's roles."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.center.helpers import make_point
from tests.factories import new_appeal
from tsur.appeals import services
from tsur.appeals.models import Appeal
from tsur.core import clock

MSK = ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=MSK)  # Wednesday


@pytest.fixture
def center_day(world):
    with clock.at(NOW):
        today = [new_appeal(world, received_at=NOW - dt.timedelta(hours=h)) for h in (1, 2, 3)]
        new_appeal(world, received_at=dt.datetime(2026, 11, 23, 10, tzinfo=MSK))  # Monday
        new_appeal(world, received_at=dt.datetime(2026, 11, 18, 10, tzinfo=MSK))  # a week ago, same weekday
        late = new_appeal(world, category_code="garbage", received_at=dt.datetime(2026, 11, 2, 10, tzinfo=MSK))
        services.route_appeal(late, world.operator)
        Appeal.objects.filter(pk=late.pk).update(due_at=NOW - dt.timedelta(days=2))
        make_point(world, appeals=today, first_seen=NOW - dt.timedelta(hours=5), start=dt.date(2026, 11, 19))
    return world


def test_it_shows_the_front_page_in_russian_to_an_analyst(client, center_day):
    client.force_login(center_day.analyst)
    with clock.at(NOW):
        response = client.get("/workspace/center/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ситуационный центр" in html
    assert "Поступило сегодня" in html and "в тот же день прошлой недели — 1 за весь день" in html
    assert "Поступило за неделю" in html
    assert "Ямы на дороге — Район" in html and "12 обращений за неделю при обычных 2,5" in html
    assert "/workspace/center/tension/" in html
    assert "Региональный оператор ТКО" in html or "Регоператор" in html  # the worst overdue
    assert "Новые точки напряжённости" in html


def test_it_links_every_tile_to_its_list(client, center_day):
    client.force_login(center_day.operator)
    with clock.at(NOW):
        html = client.get("/workspace/center/").content.decode()
    assert 'href="/workspace/center/appeals/?from=2026-11-25&amp;to=2026-11-25"' in html  # received today
    assert 'href="/workspace/center/appeals/?from=2026-11-23&amp;to=2026-11-25"' in html  # since Monday
    assert "only=overdue" in html and "organisation=waste-op" in html


def test_it_counts_the_overdue_in_the_tile(client, center_day):
    client.force_login(center_day.analyst)
    with clock.at(NOW):
        response = client.get("/workspace/center/")
    tile = response.content.decode().split('data-testid="tile-overdue"')[1].split("</a>")[0]
    assert '<span class="front-tile-value">1</span>' in tile


def test_it_refuses_the_front_page_to_an_executor_and_a_resident(client, center_day):
    client.force_login(center_day.executor)
    assert client.get("/workspace/center/").status_code == 403
    # A resident is not refused but sent to their own cabinet (tests/intake/test_cabinet.py).
    client.force_login(center_day.resident)
    response = client.get("/workspace/center/")
    assert response.status_code == 302 and response["Location"] == "/cabinet/"
