"""«Взять себе»: the organisation's own staff assign the appeal to themselves (the assign service)."""

from __future__ import annotations

from tests.factories import new_appeal
from tsur.appeals import services
from tsur.appeals.models import Event, Status


def routed(w):
    a = new_appeal(w)
    services.route_appeal(a, w.operator)
    return a


def test_it_assigns_the_appeal_to_the_coordinator_who_takes_it(desk, world):
    a = routed(world)
    response = desk.as_(world.coordinator).act(a, "take", htmx=True)
    assert response.status_code == 200
    a.refresh_from_db()
    assert a.executor == world.coordinator and a.status == Status.IN_PROGRESS
    assert Event.objects.filter(appeal=a, kind="assign", actor=world.coordinator).exists()
    assert "взято вами в работу" in response.content.decode()


def test_it_takes_over_an_appeal_another_executor_has(desk, world):
    a = routed(world)
    services.assign_executor(a, world.coordinator, executor_id=world.executor.pk)
    body = desk.as_(world.coordinator).card(a).content.decode()
    assert "data-key-take" in body
    desk.act(a, "take")
    a.refresh_from_db()
    assert a.executor == world.coordinator


def test_it_is_not_offered_to_the_one_who_already_executes_it(desk, world):
    a = routed(world)
    services.assign_executor(a, world.coordinator, executor_id=world.coordinator.pk)
    assert "data-key-take" not in desk.as_(world.coordinator).card(a).content.decode()


def test_it_means_nothing_to_the_centers_operators(desk, world):
    a = routed(world)
    body = desk.as_(world.operator).card(a).content.decode()
    assert "data-key-take" not in body and "Взять себе" not in body
    response = desk.act(a, "take")
    a.refresh_from_db()
    assert a.executor is None
    assert response.status_code in (302, 400, 403, 422)


def test_it_is_refused_to_another_organisations_coordinator(desk, world):
    a = routed(world)
    response = desk.as_(world.city_coordinator).act(a, "take")
    assert response.status_code == 404  # not theirs to see, let alone take
    a.refresh_from_db()
    assert a.executor is None


def test_it_is_refused_to_an_executor_by_the_access_rules(desk, world):
    a = routed(world)
    services.assign_executor(a, world.coordinator, executor_id=world.colleague.pk)
    services.assign_executor(a, world.coordinator, executor_id=world.executor.pk)
    # The executor sees only their own appeals and may not assign: there is nothing to take.
    assert "data-key-take" not in desk.as_(world.executor).card(a).content.decode()
    desk.act(a, "take")
    a.refresh_from_db()
    assert a.executor == world.executor
