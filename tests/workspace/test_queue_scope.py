"""The queue's filters offer only what the user's scope can contain; the category list follows the block."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import new_appeal
from tsur.appeals import services


def options(response, field: str) -> set[str]:
    return {str(value) for value, _ in response.context["form"].fields[field].choices if value}


def category_options(response) -> set[str]:
    out = set()
    for _value, label in response.context["form"].fields["category"].choices:
        if isinstance(label, list | tuple):
            out |= {code for code, _ in label}
    return out


def test_a_coordinator_is_offered_only_their_organisation_and_its_territories(desk, world):
    services.route_appeal(new_appeal(world, territory_code="village"), world.operator)  # roads ministry, in the village
    response = desk.as_(world.city_coordinator).queue()
    assert options(response, "organisation") == {"city-admin"}
    assert options(response, "territory") == {"city"}  # the city administration's territory; nothing of the district
    response = desk.as_(world.coordinator).queue()
    assert options(response, "organisation") == {"roads-min"}
    assert {"region", "district", "village", "city"} <= options(response, "territory")  # the ministry covers the region


def test_an_executor_is_offered_their_organisation_only(desk, world):
    response = desk.as_(world.city_executor).queue()
    assert options(response, "organisation") == {"city-admin"}
    assert "district" not in options(response, "territory")


def test_a_municipal_operator_is_offered_the_queues_territories_and_the_organisations_in_it(desk, world):
    services.route_appeal(new_appeal(world, territory_code="city"), world.operator)  # city roads: the city administration
    response = desk.as_(world.city_operator).queue()
    assert options(response, "territory") == {"city"}
    assert options(response, "organisation") == {"city-admin"}


def test_the_regional_operator_is_offered_everything(desk, world):
    response = desk.as_(world.operator).queue()
    assert options(response, "organisation") == {"center", "roads-min", "city-admin", "waste-op"}
    assert options(response, "territory") == {"region", "city", "district", "village"}


def test_a_filter_outside_the_scope_is_dropped_not_obeyed(desk, world):
    garbage = new_appeal(world, category_code="garbage")
    services.route_appeal(garbage, world.operator)
    services.route_appeal(new_appeal(world), world.operator)
    response = desk.as_(world.coordinator).queue(organisation="waste-op")
    assert garbage.number not in {r["appeal"].number for r in response.context["rows"]}
    assert response.context["form"].value("organisation") == ""


def test_the_category_list_follows_the_chosen_block(desk, world):
    desk.as_(world.operator)
    assert category_options(desk.queue()) == {"pothole", "snow", "heating", "garbage"}
    assert category_options(desk.queue(block="roads")) == {"pothole", "snow"}
    assert category_options(desk.queue(block="nonsense")) == {"pothole", "snow", "heating", "garbage"}


def test_a_category_of_another_block_is_ignored(desk, world):
    pit = new_appeal(world)
    new_appeal(world, category_code="garbage")
    response = desk.as_(world.operator).queue(block="roads", category="garbage")
    assert {r["appeal"].number for r in response.context["rows"]} == {pit.number}


def test_the_htmx_results_bring_the_blocks_category_list_out_of_band(desk, world):
    desk.as_(world.operator)
    body = desk.client.get(reverse("workspace:queue"), {"block": "housing"}, HTTP_HX_REQUEST="true").content.decode()
    assert '<span id="queue-category" hx-swap-oob="true">' in body
    oob = body[body.index('id="queue-category"') : body.index("</span>", body.index('id="queue-category"'))]
    assert 'value="heating"' in oob and 'value="pothole"' not in oob
    # The page's own polling leaves the filter form alone.
    polled = desk.client.get(reverse("workspace:queue"), {"block": "housing"}, HTTP_HX_REQUEST="true", HTTP_X_QUEUE_POLL="1")
    assert "hx-swap-oob" not in polled.content.decode()


def test_without_javascript_the_full_page_shows_the_blocks_categories(desk, world):
    body = desk.as_(world.operator).queue(block="waste").content.decode()
    select = body[body.index('<select name="category"') : body.index("</select>", body.index('<select name="category"'))]
    assert 'value="garbage"' in select and 'value="pothole"' not in select


def test_the_filter_form_sends_one_request_per_submit(desk, world):
    body = desk.as_(world.operator).queue().content.decode()
    form = body[body.index('<form id="queue-filters"') : body.index(">", body.index('<form id="queue-filters"'))]
    assert 'hx-trigger="submit"' in form  # change and typing are turned into one submit by queue.js
    assert 'hx-sync="this:replace"' in form
