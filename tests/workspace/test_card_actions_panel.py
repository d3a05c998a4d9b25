"""The card's actions panel says the right thing: one «Принять в работу», no false promise to analysts."""

from __future__ import annotations

from tests.factories import new_appeal
from tsur.appeals import services


def test_it_shows_accept_once_to_the_operator(desk, world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    body = desk.as_(world.operator).card(a).content.decode()
    # It was a folded «Принять в работу» above its own «Принять в работу» button.
    assert body.count("Принять в работу") == 1
    assert 'data-action="accept"' in body


def test_it_tells_the_analyst_their_role_only_reads(desk, world):
    a = new_appeal(world)
    body = desk.as_(world.analyst).card(a).content.decode()
    assert "только просмотр" in body
    assert "В статусе" not in body.split('data-testid="no-actions"')[1][:200]


def test_it_tells_an_acting_role_that_this_status_has_nothing_for_them(desk, world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    services.assign_executor(a, world.coordinator, executor_id=world.executor.pk)
    services.reject_appeal(a, world.operator, reason_code="spam")
    body = desk.as_(world.operator).card(a).content.decode()
    assert "В статусе «Отклонено» действий с этим обращением для вас нет." in body
