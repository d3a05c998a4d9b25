"""«Следующее обращение» from the card walks the operator's last queue: its filters, order and scope."""

from __future__ import annotations

import datetime as dt

from django.http import QueryDict
from django.urls import reverse

from tests.factories import new_appeal
from tsur.appeals import access, services
from tsur.appeals.models import Appeal
from tsur.workspace.navigation import queue_of
from tsur.workspace.queries import SORTS, QueueFilterForm, run_queue


def _due(a, hours: float | None) -> None:
    # Deadlines set directly: the queue sorts by them, and the test needs a known order.
    due = None if hours is None else dt.datetime(2026, 12, 10, 12, tzinfo=dt.UTC) + dt.timedelta(hours=hours)
    Appeal.objects.filter(pk=a.pk).update(due_at=due)


def _next(desk, a):
    return desk.client.get(reverse("workspace:next_appeal", args=[a.number]))


def _previous(desk, a):
    return desk.client.get(reverse("workspace:previous_appeal", args=[a.number]))


def _card_of(response) -> str:
    assert response.status_code == 302, response.status_code
    return response["Location"]


def card_url(a) -> str:
    return reverse("workspace:card", args=[a.number])


def test_it_steps_through_the_queue_in_its_sort_order(desk, world):
    first, second, third, undated = (new_appeal(world, text=f"Яма номер {i} у дома") for i in range(4))
    _due(third, 30)
    _due(first, 10)
    _due(second, 20)
    _due(undated, None)
    desk.as_(world.operator).queue(sort="due")
    assert _card_of(_next(desk, first)) == card_url(second)
    assert _card_of(_next(desk, second)) == card_url(third)
    assert _card_of(_next(desk, third)) == card_url(undated)  # no deadline: last, as the queue shows it
    assert _card_of(_previous(desk, undated)) == card_url(third)
    assert _card_of(_previous(desk, second)) == card_url(first)


def test_it_follows_the_reversed_sort(desk, world):
    first, second = new_appeal(world), new_appeal(world)
    _due(first, 10)
    _due(second, 20)
    desk.as_(world.operator).queue(sort="-due")
    assert _card_of(_next(desk, second)) == card_url(first)


def test_it_keeps_the_queues_filters(desk, world):
    pothole_a = new_appeal(world, text="Яма на дороге раз")
    new_appeal(world, text="Не вывозят мусор", category_code="garbage")
    pothole_b = new_appeal(world, text="Яма на дороге два")
    _due(pothole_a, 1)
    _due(pothole_b, 3)
    Appeal.objects.filter(category__code="garbage").update(due_at=dt.datetime(2026, 12, 10, 14, tzinfo=dt.UTC))
    desk.as_(world.operator).queue(category="pothole", page="1")
    # The garbage appeal sorts between the two but is outside the chosen category.
    assert _card_of(_next(desk, pothole_a)) == card_url(pothole_b)
    desk.queue()
    assert _card_of(_next(desk, pothole_a)) != card_url(pothole_b)


def test_it_goes_on_after_an_appeal_that_left_the_queue(desk, world):
    first, second = new_appeal(world), new_appeal(world)
    _due(first, 1)
    _due(second, 2)
    third = new_appeal(world)
    _due(third, 400)
    desk.as_(world.operator).queue(status="moderation")
    desk.card(first)
    # «На модерации» no longer lists it, and routing gave it a new, later deadline (after the third's).
    services.route_appeal(first, world.operator)
    _due(first, 500)
    assert _card_of(_next(desk, first)) == card_url(second)


def test_it_stays_within_the_users_scope(desk, world):
    mine = new_appeal(world)
    services.route_appeal(mine, world.operator)
    services.assign_executor(mine, world.coordinator, executor_id=world.executor.pk)
    theirs = new_appeal(world)
    services.route_appeal(theirs, world.operator)
    services.assign_executor(theirs, world.coordinator, executor_id=world.colleague.pk)
    _due(mine, 1)
    _due(theirs, 2)
    desk.as_(world.executor).queue()
    response = _next(desk, mine)
    assert _card_of(response) == reverse("workspace:queue")  # the colleague's appeal is not theirs to see


def test_it_returns_to_the_filtered_queue_at_its_end(desk, world):
    only = new_appeal(world)
    desk.as_(world.operator).queue(category="pothole", page="2")
    response = _next(desk, only)
    assert _card_of(response) == reverse("workspace:queue") + "?category=pothole"
    follow = desk.client.get(response["Location"]).content.decode()
    assert f"После обращения № {only.number} в вашей очереди обращений нет." in follow
    assert _card_of(desk.client.get(reverse("workspace:back_to_queue"))) == reverse("workspace:queue") + "?category=pothole"


def test_it_walks_my_appeals_when_that_was_the_list(desk, world):
    a, b, c = new_appeal(world), new_appeal(world), new_appeal(world)
    for x, who in ((a, world.executor), (b, world.colleague), (c, world.executor)):
        services.route_appeal(x, world.operator)
        services.assign_executor(x, world.coordinator, executor_id=who.pk)
    _due(a, 1)
    _due(b, 2)
    _due(c, 3)
    desk.as_(world.coordinator).client.get(reverse("workspace:queue"))
    assert _card_of(_next(desk, a)) == card_url(b)
    # «Мои обращения» of the coordinator is empty; of the executor: a then c.
    desk.as_(world.executor).client.get(reverse("workspace:mine"))
    assert _card_of(_next(desk, a)) == card_url(c)


def test_it_refuses_an_appeal_outside_the_scope(desk, world):
    a = new_appeal(world)
    desk.as_(world.executor)
    assert _next(desk, a).status_code == 404


def test_it_steps_back_from_a_card_it_opened(desk, world):
    first, second = new_appeal(world), new_appeal(world)
    _due(first, 1)
    _due(second, 1)  # the same deadline: the order falls to the time of receipt, to the microsecond
    desk.as_(world.operator).queue()
    # The queue lists the later one first (newest first within one deadline).
    desk.card(second)
    assert _card_of(_next(desk, second)) == card_url(first)
    desk.card(first)
    assert _card_of(_previous(desk, first)) == card_url(second)


def test_it_orders_as_the_queue_page_does(world):
    for i, hours in enumerate((5, None, 1, 5, 3)):
        _due(new_appeal(world, text=f"Яма номер {i}"), hours)
    for sort in SORTS:
        query = f"sort={sort}&category=pothole"
        form = QueueFilterForm(QueryDict(query))
        form.is_valid()
        page_order = list(run_queue(access.appeals_for(world.operator), form).queryset.values_list("number", flat=True))
        assert list(queue_of(world.operator, "queue", query).values_list("number", flat=True)) == page_order, sort
