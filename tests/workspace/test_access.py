"""Who may enter the workspace and which appeals each named user sees."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import new_appeal
from tests.workspace.helpers import numbers
from tsur.appeals import services


@pytest.fixture
def appeals(world):
    w = world
    district = new_appeal(w, text="Яма в районе у моста")
    city = new_appeal(w, text="Яма в городе на проспекте", territory_code="city")
    garbage = new_appeal(w, text="Мусор не вывозят неделю", category_code="garbage")
    services.route_appeal(district, w.operator)
    services.route_appeal(city, w.city_operator)
    services.route_appeal(garbage, w.operator)
    return {"district": district, "city": city, "garbage": garbage}


def test_it_sends_anonymous_users_to_the_login_page(client, world):
    response = client.get(reverse("workspace:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/workspace/")


def test_it_sends_an_expired_htmx_session_to_the_login_page_as_a_whole(client, world):
    response = client.post(
        "/workspace/appeals/2025-000001/actions/accept/", {}, HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/workspace/appeals/2025-000001/",
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fworkspace%2Fappeals%2F2025-000001%2F"


def test_it_refuses_users_without_a_role(desk, world):
    response = desk.as_(world.outsider).queue()
    assert response.status_code == 403
    assert "только сотрудникам" in response.content.decode()


def test_it_sends_residents_to_their_cabinet(desk, world):
    """Residents have their own cabinet (tsur/intake/cabinet.py) instead of a «Нет доступа» page."""
    response = desk.as_(world.resident).queue()
    assert response.status_code == 302 and response["Location"] == "/cabinet/"


def test_it_shows_the_regional_operator_every_appeal(desk, world, appeals):
    response = desk.as_(world.operator).queue()
    assert response.status_code == 200
    assert numbers(response) == {a.number for a in appeals.values()}


def test_it_shows_the_city_operator_only_the_city_queue(desk, world, appeals):
    assert appeals["city"].queue == world.queue
    response = desk.as_(world.city_operator).queue()
    assert numbers(response) == {appeals["city"].number}


def test_it_shows_the_coordinator_only_the_organisations_appeals(desk, world, appeals):
    response = desk.as_(world.coordinator).queue()
    assert numbers(response) == {appeals["district"].number}
    response = desk.as_(world.waste_coordinator).queue()
    assert numbers(response) == {appeals["garbage"].number}


def test_it_shows_the_executor_only_assigned_appeals(desk, world, appeals):
    assert numbers(desk.as_(world.executor).queue()) == set()
    services.assign_executor(appeals["district"], world.coordinator, executor_id=world.executor.pk)
    assert numbers(desk.as_(world.executor).queue()) == {appeals["district"].number}
    assert numbers(desk.as_(world.colleague).queue()) == set()
    mine = desk.client.get(reverse("workspace:mine"))
    assert numbers(mine) == set()
    desk.as_(world.executor)
    assert numbers(desk.client.get(reverse("workspace:mine"))) == {appeals["district"].number}


def test_it_shows_the_analyst_the_list_but_no_personal_data(desk, world, appeals):
    response = desk.as_(world.analyst).queue()
    assert numbers(response) == {a.number for a in appeals.values()}
    card = desk.card(appeals["district"])
    body = card.content.decode()
    assert card.status_code == 200
    assert "скрыто" in body
    assert "Иван Петров" not in body and "ivan@example.org" not in body and "900 000" not in body
    assert 'data-testid="actions"' in body and "только просмотр" in body  # no actions in any status (issue 13)


def test_it_returns_404_for_a_card_outside_the_scope(desk, world, appeals):
    assert desk.as_(world.city_operator).card(appeals["district"]).status_code == 404
    assert desk.as_(world.coordinator).card(appeals["garbage"]).status_code == 404
    assert desk.as_(world.executor).card(appeals["district"]).status_code == 404
    assert desk.as_(world.operator).card(appeals["district"]).status_code == 200


def test_it_returns_404_for_an_action_outside_the_scope(desk, world, appeals):
    a = appeals["garbage"]
    response = desk.as_(world.coordinator).act(a, "accept")
    assert response.status_code == 404
    a.refresh_from_db()
    assert a.status == "routed"


def test_it_refuses_the_card_to_residents_even_their_own(desk, world):
    a = new_appeal(world, user=world.resident)
    response = desk.as_(world.resident).card(a)
    assert response.status_code == 302 and response["Location"] == "/cabinet/"  # their own pages, not the card


def test_it_shows_the_admin_link_only_to_administrators(desk, world):
    assert "Администрирование" in desk.as_(world.admin).queue().content.decode()
    assert "Администрирование" not in desk.as_(world.operator).queue().content.decode()


def test_it_shows_who_is_logged_in_in_the_top_bar(desk, world):
    body = desk.as_(world.city_operator).queue().content.decode()
    assert "Муниципальный оператор" in body and "City_Operator" in body
    assert world.queue.name in body
