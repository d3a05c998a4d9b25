"""The center's pages of points of tension: the ranked list with filters and chips, a point's page
with its explanation, chart data and appeals, the decisions with Russian confirmations and errors,
403 for organisations' staff, no codes shown to people."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import reverse

from tests.factories import new_appeal
from tests.tension.platform import MSK
from tests.tension.test_services import make_point
from tsur.core import clock
from tsur.tension.models import Handling, TensionAction

pytestmark = pytest.mark.django_db
AT = dt.datetime(2025, 3, 20, 12, 0, tzinfo=MSK)
PERIOD = {"from": "2025-03-01", "to": "2025-03-20"}


def _login(client, user) -> None:
    client.force_login(user)


def _point_with_appeals(world):
    with clock.at(AT - dt.timedelta(days=2)):
        appeals = [new_appeal(world) for _ in range(3)]
    point = make_point(world, series=[{"day": "2025-03-18", "count": 3, "expected": 0.5}])
    point.appeals.set(appeals)
    return point, appeals


def _no_codes(html: str) -> None:
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", html, flags=re.S))
    for code in ("pothole", "roads-min", "district", "growing", "open", "acknowledged", "category"):
        assert re.search(rf"\b{code}\b", text) is None, code


def test_it_lists_points_ranked_with_filters_and_chips(client, world):
    low = make_point(world, score=5.0, explanation="Низкая точка")
    high = make_point(world, score=20.0, category=world.snow, explanation="Высокая точка")
    make_point(world, score=30.0, state="resolved", explanation="Завершённая точка")
    _login(client, world.operator)
    with clock.at(AT):
        r = client.get(reverse("workspace:center_tension"), PERIOD)
    assert r.status_code == 200
    html = r.content.decode()
    assert html.index("Высокая точка") < html.index("Низкая точка")
    assert "Завершённая точка" not in html
    assert "Точки напряжённости" in html and "Состояние:" in html and "растёт" in html
    _no_codes(html)
    with clock.at(AT):
        only_snow = client.get(reverse("workspace:center_tension"), {**PERIOD, "category": "snow"}).content.decode()
        resolved = client.get(reverse("workspace:center_tension"), {**PERIOD, "state": "resolved"}).content.decode()
        elsewhere = client.get(reverse("workspace:center_tension"), {**PERIOD, "territory": "city"}).content.decode()
    assert "Высокая точка" in only_snow and "Низкая точка" not in only_snow
    assert "Завершённая точка" in resolved and "Высокая точка" not in resolved
    assert "точек напряжённости нет" in elsewhere
    del low, high


def test_it_explains_bad_filters_in_russian(client, world):
    _login(client, world.analyst)
    with clock.at(AT):
        r = client.get(reverse("workspace:center_tension"), {"from": "2025-03-20", "to": "2025-03-01"})
    assert r.status_code == 400
    assert "Начало периода позже его конца" in r.content.decode()


def test_it_shows_a_point_with_its_chart_and_appeals(client, world):
    point, appeals = _point_with_appeals(world)
    _login(client, world.analyst)
    r = client.get(reverse("workspace:center_tension_point", args=[point.pk]))
    assert r.status_code == 200
    html = r.content.decode()
    assert point.explanation in html
    for a in appeals:
        assert reverse("workspace:card", args=[a.number]) in html
    data = json.loads(re.search(r'<script id="tension-series" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert data["counts"] == [3] and data["start"] == "2025-03-14"
    assert "vendor/echarts/dist/echarts.min.js" in html and "center/tension.js" in html
    assert "Принять к сведению" in html and "Передать организации" in html and "Отклонить" in html
    _no_codes(html)


def test_it_takes_the_decisions_with_confirmations_and_errors(client, world):
    point, _ = _point_with_appeals(world)
    _login(client, world.operator)
    url = reverse("workspace:center_tension_point", args=[point.pk])
    r = client.post(reverse("workspace:center_tension_acknowledge", args=[point.pk]), {"note": "Следим"}, follow=True)
    assert r.redirect_chain[-1][0] == url
    assert "Точка принята к сведению." in r.content.decode()
    r = client.post(reverse("workspace:center_tension_assign", args=[point.pk]), {"organisation": ""})
    assert r.status_code == 422 and "Выберите действующую организацию." in r.content.decode()
    r = client.post(reverse("workspace:center_tension_assign", args=[point.pk]), {"organisation": "roads-min", "note": "Разобраться"}, follow=True)
    assert "Точка передана организации «Миндор»." in r.content.decode()
    r = client.post(reverse("workspace:center_tension_dismiss", args=[point.pk]), {"reason": ""})
    assert r.status_code == 422 and "Укажите причину отклонения" in r.content.decode()
    r = client.post(reverse("workspace:center_tension_dismiss", args=[point.pk]), {"reason": "Плановые работы"}, follow=True)
    assert "Точка отклонена, причина записана." in r.content.decode()
    point.refresh_from_db()
    assert point.handling == Handling.DISMISSED
    kinds = list(TensionAction.objects.filter(point=point).order_by("at", "pk").values_list("kind", "actor__username"))
    assert kinds == [("acknowledged", "operator"), ("assigned", "operator"), ("dismissed", "operator")]
    html = client.get(url).content.decode()
    assert "История решений" in html and "Плановые работы" in html
    _no_codes(html)


@pytest.mark.parametrize("who", ["executor", "coordinator", "city_operator"])
def test_it_forbids_organisations_staff(client, world, who):
    point, _ = _point_with_appeals(world)
    _login(client, getattr(world, who))
    assert client.get(reverse("workspace:center_tension")).status_code == 403
    assert client.get(reverse("workspace:center_tension_point", args=[point.pk])).status_code == 403
    r = client.post(reverse("workspace:center_tension_dismiss", args=[point.pk]), {"reason": "Не наше дело"})
    assert r.status_code == 403
    assert not TensionAction.objects.exists()


def test_it_sends_anonymous_visitors_to_log_in(client, world):
    point, _ = _point_with_appeals(world)
    r = client.get(reverse("workspace:center_tension_point", args=[point.pk]))
    assert r.status_code == 302 and "login" in r["Location"]
