"""The queue: filters, Cyrillic case-insensitive search, counters, sorting, pagination, HTMX."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from tests.factories import new_appeal
from tests.workspace.helpers import numbers
from tsur.appeals import services
from tsur.appeals.models import Appeal


def test_it_finds_cyrillic_text_regardless_of_case(desk, world):
    pit = new_appeal(world, text="Глубокая яма у школы")
    new_appeal(world, text="Не убран снег во дворе", category_code="snow")
    response = desk.as_(world.operator).queue(q="ЯМА")
    assert numbers(response) == {pit.number}
    assert numbers(desk.queue(q="Яма ШКОЛЫ")) == {pit.number}  # every word must match
    assert numbers(desk.queue(q="яма двор")) == set()


def test_it_finds_by_number_and_address(desk, world):
    a = new_appeal(world, address="ул. Ленина, 5")
    other = new_appeal(world)
    assert numbers(desk.as_(world.operator).queue(q=a.number)) == {a.number}
    assert numbers(desk.queue(q="ЛЕНИНА")) == {a.number}
    assert other.number not in numbers(desk.queue(q=a.number))


def test_it_filters_by_block_category_territory_organisation_and_channel(desk, world):
    pit = new_appeal(world)
    snow_city = new_appeal(world, category_code="snow", territory_code="city", channel="vk", external_id="vk-1")
    garbage = new_appeal(world, category_code="garbage", territory_code="village")
    services.route_appeal(pit, world.operator)
    services.route_appeal(garbage, world.operator)
    desk.as_(world.operator)
    assert numbers(desk.queue(block="roads")) == {pit.number, snow_city.number}
    assert numbers(desk.queue(category="garbage")) == {garbage.number}
    assert numbers(desk.queue(territory="district")) == {pit.number, garbage.number}  # includes the village
    assert numbers(desk.queue(territory="village")) == {garbage.number}
    assert numbers(desk.queue(organisation="waste-op")) == {garbage.number}
    assert numbers(desk.queue(channel="vk")) == {snow_city.number}
    assert numbers(desk.queue(status="routed")) == {pit.number, garbage.number}
    assert numbers(desk.queue(status="moderation")) == {snow_city.number}


def test_it_shows_open_appeals_by_default_and_closed_on_request(desk, world):
    open_one = new_appeal(world)
    rejected = new_appeal(world)
    services.reject_appeal(rejected, world.operator, reason_code="spam")
    desk.as_(world.operator)
    assert numbers(desk.queue()) == {open_one.number}
    assert numbers(desk.queue(status="all")) == {open_one.number, rejected.number}
    assert numbers(desk.queue(status="rejected")) == {rejected.number}


def test_it_filters_overdue_and_due_soon(desk, world):
    late = new_appeal(world)
    soon = new_appeal(world)
    later = new_appeal(world)
    now = timezone.now()
    Appeal.objects.filter(pk=late.pk).update(due_at=now - dt.timedelta(hours=2))
    Appeal.objects.filter(pk=soon.pk).update(due_at=now + dt.timedelta(hours=5))
    Appeal.objects.filter(pk=later.pk).update(due_at=now + dt.timedelta(days=9))
    desk.as_(world.operator)
    assert numbers(desk.queue(overdue="on")) == {late.number}
    assert numbers(desk.queue(due_soon="on")) == {soon.number}
    response = desk.queue()
    assert response.context["result"].overdue == 1 and response.context["result"].due_soon == 1
    body = response.content.decode()
    assert f'<tr class="due-overdue" data-number="{late.number}">' in body
    assert f'<tr class="due-soon" data-number="{soon.number}">' in body
    assert f'<tr class="" data-number="{later.number}">' in body


def test_it_counts_appeals_per_status(desk, world):
    for _ in range(2):
        new_appeal(world)
    services.route_appeal(new_appeal(world), world.operator)
    response = desk.as_(world.operator).queue()
    counts = {c["code"]: c["count"] for c in response.context["result"].counters}
    assert counts["moderation"] == 2 and counts["routed"] == 1 and counts["closed"] == 0
    assert response.context["result"].total_open == 3


def test_it_sorts_by_due_date_and_by_receipt(desk, world):
    first, second = new_appeal(world), new_appeal(world)
    now = timezone.now()
    Appeal.objects.filter(pk=first.pk).update(due_at=now + dt.timedelta(days=5), received_at=now - dt.timedelta(days=2))
    Appeal.objects.filter(pk=second.pk).update(due_at=now + dt.timedelta(days=1), received_at=now - dt.timedelta(days=1))
    desk.as_(world.operator)

    def order(**params):
        return [r["appeal"].number for r in desk.queue(**params).context["rows"]]

    assert order(sort="due") == [second.number, first.number]
    assert order(sort="-due") == [first.number, second.number]
    assert order(sort="received") == [first.number, second.number]
    assert order(sort="-received") == [second.number, first.number]


def test_it_paginates_fifty_per_page(desk, world):
    for i in range(53):
        new_appeal(world, text=f"Яма номер {i}")
    desk.as_(world.operator)
    first = desk.queue()
    assert len(first.context["rows"]) == 50 and first.context["page"].paginator.num_pages == 2
    assert len(desk.queue(page=2).context["rows"]) == 3
    assert "page=2" in first.content.decode()


def test_it_returns_only_the_results_fragment_for_htmx(desk, world):
    new_appeal(world, text="Яма у рынка")
    desk.as_(world.operator)
    response = desk.client.get(reverse("workspace:queue"), {"q": "рынка"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="queue-results"') and "<html" not in body
    restore = desk.client.get(reverse("workspace:queue"), {"q": "рынка"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in restore.content.decode()


def test_it_survives_unknown_filter_values(desk, world):
    a = new_appeal(world)
    response = desk.as_(world.operator).queue(status="bogus", block="nope", sort="sideways", page="x")
    assert response.status_code == 200
    assert a.number in numbers(response)


def test_it_keeps_the_filters_in_the_form(desk, world):
    body = desk.as_(world.operator).queue(q="яма", block="roads", overdue="on").content.decode()
    assert 'value="яма"' in body
    assert '<option value="roads" selected>' in body
    assert 'name="overdue" id="id_overdue" checked' in body
