"""The center's decisions about a point: each through one service, audited with actor, time and
reason; dismissal needs a reason; only the center's roles decide."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.tension.platform import MSK
from tsur.core import clock
from tsur.core.errors import AccessDenied, ValidationFailed
from tsur.tension import services
from tsur.tension.models import ActionKind, Handling, TensionAction, TensionPoint

pytestmark = pytest.mark.django_db
AT = dt.datetime(2025, 3, 20, 12, 0, tzinfo=MSK)


def make_point(world, **overrides) -> TensionPoint:
    fields = {
        "place_kind": "territory", "place": "district", "territory": world.district, "level": "category",
        "block": world.roads, "category": world.pothole, "state": "growing", "window_start": dt.date(2025, 3, 14),
        "window_end": dt.date(2025, 3, 21), "count": 30, "expected": 4.0, "surprise": 9.0, "score": 10.0,
        "explanation": "Ямы на дороге (Дороги) — Район: 30 обращений за 7 дней при обычных 4",
    }  # fmt: skip
    fields.update(overrides)
    return TensionPoint.objects.create(**fields)


def test_it_acknowledges_a_point_with_an_audit_row(world):
    point = make_point(world)
    with clock.at(AT):
        services.acknowledge_point(point, world.operator, "Смотрим")
    point.refresh_from_db()
    assert point.handling == Handling.ACKNOWLEDGED
    action = TensionAction.objects.get(point=point)
    assert (action.kind, action.actor, action.at, action.reason) == (ActionKind.ACKNOWLEDGED, world.operator, AT, "Смотрим")
    assert (action.from_handling, action.to_handling) == (Handling.OPEN, Handling.ACKNOWLEDGED)
    with pytest.raises(ValidationFailed, match="уже разобрана"):
        services.acknowledge_point(point, world.operator)


def test_it_assigns_a_point_to_an_organisation(world):
    point = make_point(world)
    with clock.at(AT):
        services.assign_point(point, world.analyst, world.roads_ministry, "Проверить участок")
    point.refresh_from_db()
    assert point.handling == Handling.ASSIGNED and point.organisation == world.roads_ministry
    action = point.actions.get()
    assert action.organisation == world.roads_ministry and action.actor == world.analyst
    with pytest.raises(ValidationFailed, match="уже передана"):
        services.assign_point(point, world.analyst, world.roads_ministry)
    with pytest.raises(ValidationFailed, match="действующую организацию"):
        services.assign_point(point, world.analyst, None)
    world.city_admin.is_active = False
    world.city_admin.save()
    with pytest.raises(ValidationFailed, match="действующую организацию"):
        services.assign_point(point, world.analyst, world.city_admin)


def test_it_needs_a_reason_to_dismiss(world):
    point = make_point(world)
    for reason in ("", "   ", "нет"):
        with pytest.raises(ValidationFailed) as caught:
            services.dismiss_point(point, world.operator, reason)
        assert "причину" in caught.value.field_errors["reason"][0]
    assert not TensionAction.objects.exists()
    with clock.at(AT):
        services.dismiss_point(point, world.admin, "Плановые работы на участке")
    point.refresh_from_db()
    assert point.handling == Handling.DISMISSED and point.handled_score == 10.0
    assert point.actions.get().reason == "Плановые работы на участке"


@pytest.mark.parametrize("who", ["executor", "coordinator", "city_operator", "resident", "outsider"])
def test_it_lets_only_the_centers_roles_decide(world, who):
    point = make_point(world)
    user = getattr(world, who)
    with pytest.raises(AccessDenied):
        services.acknowledge_point(point, user)
    with pytest.raises(AccessDenied):
        services.assign_point(point, user, world.roads_ministry)
    with pytest.raises(AccessDenied):
        services.dismiss_point(point, user, "Не проблема вовсе")
    point.refresh_from_db()
    assert point.handling == Handling.OPEN and not TensionAction.objects.exists()
