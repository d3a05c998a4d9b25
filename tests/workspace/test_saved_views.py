"""Saved views: save the current filters, share with my organisation, delete my own, live counters."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import new_appeal
from tsur.appeals import access, services
from tsur.workspace.models import SavedView
from tsur.workspace.queries import FilterChoices, FilterScope
from tsur.workspace.saved import counters


def save(desk, name: str, query: str, *, share: bool = False):
    data = {"name": name, "query": query, "list": "queue"}
    if share:
        data["share"] = "on"
    return desk.client.post(reverse("workspace:view_save"), data)


def views_shown(response) -> dict[str, int]:
    return {vc.view.name: vc.count for vc in response.context["views"]}


def test_it_saves_the_current_filters_and_counts_open_appeals(desk, world):
    new_appeal(world)
    new_appeal(world, category_code="snow")
    garbage = new_appeal(world, category_code="garbage")
    services.reject_appeal(garbage, world.operator, reason_code="spam")
    new_appeal(world, category_code="garbage")
    desk.as_(world.operator)
    response = save(desk, "Снег", "block=roads&category=snow&page=3&q=")
    assert response.status_code == 302 and response["Location"] == "/workspace/?block=roads&category=snow&page=3"
    save(desk, "Мусор", "category=garbage&status=all")
    view = SavedView.objects.get(name="Снег")
    assert view.query == "block=roads&category=snow"  # the page is a place in a list, not part of the view
    assert views_shown(desk.queue()) == {"Снег": 1, "Мусор": 1}  # open appeals only: the rejected one is not counted
    body = desk.queue().content.decode()
    assert 'href="/workspace/?block=roads&amp;category=snow"' in body


def test_it_shares_a_view_with_my_organisation_only(desk, world):
    services.route_appeal(new_appeal(world), world.operator)
    desk.as_(world.coordinator)
    save(desk, "Наш общий", "status=routed", share=True)
    save(desk, "Мой личный", "status=routed")
    assert SavedView.objects.get(name="Наш общий").organisation == world.roads_ministry
    assert views_shown(desk.as_(world.executor).queue()) == {"Наш общий": 0}  # the executor's scope: nothing assigned yet
    assert views_shown(desk.as_(world.city_coordinator).queue()) == {}
    assert views_shown(desk.as_(world.coordinator).queue()) == {"Наш общий": 1, "Мой личный": 1}


def test_an_executor_cannot_share(desk, world):
    desk.as_(world.executor)
    save(desk, "Попытка", "status=routed", share=True)
    assert not SavedView.objects.exists()


def test_only_the_owner_deletes_a_view(desk, world):
    desk.as_(world.coordinator)
    save(desk, "Общий", "", share=True)
    view = SavedView.objects.get()
    desk.as_(world.executor).client.post(reverse("workspace:view_delete", args=[view.pk]), {"list": "queue"})
    assert SavedView.objects.filter(pk=view.pk).exists()
    desk.as_(world.coordinator).client.post(reverse("workspace:view_delete", args=[view.pk]), {"list": "queue"})
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_a_views_filters_are_checked_against_the_users_scope(desk, world):
    garbage = new_appeal(world, category_code="garbage")
    services.route_appeal(garbage, world.operator)  # to the waste operator
    services.route_appeal(new_appeal(world), world.operator)  # to the roads ministry
    # A view naming another organisation, shared with the roads ministry (e.g. its author moved there).
    SavedView.objects.create(owner=world.operator, organisation=world.roads_ministry, name="Чужое", query="organisation=waste-op")
    response = desk.as_(world.coordinator).queue()
    assert views_shown(response) == {"Чужое": 1}  # the organisation filter is dropped; the scope stays the ministry's
    listed = desk.queue(organisation="waste-op")
    assert {r["appeal"].number for r in listed.context["rows"]} != {garbage.number}
    assert garbage.number not in {r["appeal"].number for r in listed.context["rows"]}


def test_the_counters_cost_one_query_for_all_views(desk, world, django_assert_num_queries):
    new_appeal(world)
    desk.as_(world.operator)
    statuses = ["moderation", "routed", "in_progress", "answer_prepared", "answer_checked", "published"]
    for i, status in enumerate(statuses):
        save(desk, f"Вид {i}", f"block=roads&status={status}")
    scope = access.appeals_for(world.operator)
    choices = FilterChoices.load(FilterScope.of(world.operator, scope))
    with django_assert_num_queries(2):  # the list of views, then one pass counting them all
        shown = counters(world.operator, scope, choices)
    assert [vc.count for vc in shown] == [1, 0, 0, 0, 0, 0]
