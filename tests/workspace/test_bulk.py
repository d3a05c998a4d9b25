"""Bulk actions of the queue: each appeal through its own door, one refusal undoes nothing else."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import new_appeal
from tsur.appeals import services
from tsur.appeals.models import Appeal, Event, Status
from tsur.workspace.bulk import MAX_BATCH


def post_bulk(desk, op: str, appeals: list[Appeal], data: dict | None = None, *, versions: dict | None = None, numbers=None):
    payload = {"op": op, "list": "queue", "query": "", "number": numbers if numbers is not None else [a.number for a in appeals]}
    for a in appeals:
        a.refresh_from_db()
        payload[f"version-{a.number}"] = (versions or {}).get(a.number, a.version)
    payload.update({f"{op}-{k}": v for k, v in (data or {}).items()})
    return desk.client.post(reverse("workspace:queue_bulk"), payload, HTTP_HX_REQUEST="true")


def test_it_routes_fifty_appeals_in_one_bulk_action(desk, world):
    appeals = [new_appeal(world) for _ in range(50)]
    response = post_bulk(desk.as_(world.operator), "route", appeals, {"organisation": "", "reason": ""})
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (len(summary.done), summary.refused) == (50, [])
    assert summary.headline == "Направлено 50 из 50"
    assert "Направлено 50 из 50" in response.content.decode()
    assert Appeal.objects.filter(status=Status.ROUTED, organisation=world.roads_ministry).count() == 50
    assert Event.objects.filter(appeal__in=appeals, kind="route").count() == 50  # one event per appeal, through the door


def test_it_keeps_the_others_when_one_was_routed_by_someone_else(desk, world):
    first, taken, third = (new_appeal(world) for _ in range(3))
    seen = {a.number: Appeal.objects.get(pk=a.pk).version for a in (first, taken, third)}  # what the queue showed
    services.route_appeal(taken, world.admin, organisation_code="city-admin", reason="звонок")  # another operator was quicker
    response = post_bulk(desk.as_(world.operator), "route", [first, taken, third], {"organisation": "waste-op", "reason": "проверено"}, versions=seen)
    summary = response.context["summary"]
    assert summary.error == "", summary.error
    assert summary.done == [first.number, third.number], summary.refused
    assert summary.refused == [(taken.number, "уже изменено другим пользователем (сейчас: «Направлено в организацию»)")]
    assert summary.headline == "Направлено 2 из 3; не выполнено 1"
    body = response.content.decode()
    assert f"{taken.number}</a> — уже изменено другим пользователем (сейчас: «Направлено в организацию»)" in body
    taken.refresh_from_db()
    assert taken.organisation == world.city_admin  # untouched by the bulk action
    assert Appeal.objects.get(pk=first.pk).organisation == world.waste_operator


def test_it_names_the_service_reason_for_a_wrong_status_and_for_appeals_outside_the_scope(desk, world):
    mine = new_appeal(world, territory_code="city", category_code="pothole")
    outside = new_appeal(world)  # the district: not in the city queue
    closed = new_appeal(world, territory_code="city")
    services.reject_appeal(closed, world.operator, reason_code="spam")
    response = post_bulk(desk.as_(world.city_operator), "urgency", [mine, outside, closed], {"urgency": "high", "reason": "угроза жизни"})
    summary = response.context["summary"]
    assert summary.done == [mine.number]
    reasons = dict(summary.refused)
    assert reasons[outside.number] == "не найдено или нет прав"
    assert "невозможно" in reasons[closed.number] and "Отклонено" in reasons[closed.number]
    assert Appeal.objects.get(pk=mine.pk).urgency == "high"


def test_it_limits_the_batch(desk, world):
    a = new_appeal(world)
    numbers = [a.number] + [f"X-{i}" for i in range(MAX_BATCH)]
    response = post_bulk(desk.as_(world.operator), "route", [a], {"organisation": ""}, numbers=numbers)
    assert response.status_code == 422
    assert "не больше 200 обращений, отмечено 201" in response.content.decode()
    assert Appeal.objects.get(pk=a.pk).status == Status.MODERATION


def test_it_asks_to_tick_appeals_and_to_fill_the_form(desk, world):
    a = new_appeal(world)
    response = post_bulk(desk.as_(world.operator), "reject", [], {"reason": "spam"}, numbers=[])
    assert "Отметьте обращения в списке." in response.content.decode()
    response = post_bulk(desk, "urgency", [a], {"urgency": "high", "reason": ""})
    assert response.status_code == 422 and "Проверьте поля формы" in response.content.decode()
    assert Appeal.objects.get(pk=a.pk).urgency == "normal"


def test_it_rejects_as_spam_with_a_reason(desk, world):
    appeals = [new_appeal(world) for _ in range(3)]
    response = post_bulk(desk.as_(world.operator), "reject", appeals, {"reason": "spam", "note": "рассылка"})
    assert response.context["summary"].headline == "Отклонено 3 из 3"
    assert set(Appeal.objects.filter(pk__in=[a.pk for a in appeals]).values_list("status", "rejection_note")) == {(Status.REJECTED, "рассылка")}


def test_it_joins_the_ticked_appeals_to_the_chosen_lead(desk, world):
    lead, second, third = (new_appeal(world) for _ in range(3))
    services.route_appeal(lead, world.operator)
    response = post_bulk(desk.as_(world.operator), "join", [lead, second, third], {"lead": lead.number})
    summary = response.context["summary"]
    assert summary.done == [second.number, third.number] and summary.refused == []
    assert Appeal.objects.get(pk=second.pk).problem.lead_id == lead.pk
    assert Appeal.objects.get(pk=lead.pk).status == Status.ROUTED


def test_a_coordinator_assigns_an_executor_and_may_not_route(desk, world):
    appeals = [new_appeal(world) for _ in range(2)]
    for a in appeals:
        services.route_appeal(a, world.operator)
    desk.as_(world.coordinator)
    body = desk.queue().content.decode()
    assert 'data-bulk="assign"' in body and 'data-bulk="route"' not in body
    response = post_bulk(desk, "assign", appeals, {"executor": world.executor.pk})
    assert response.context["summary"].headline == "Назначено 2 из 2"
    assert {a.executor_id for a in Appeal.objects.filter(pk__in=[a.pk for a in appeals])} == {world.executor.pk}
    refused = post_bulk(desk, "route", appeals, {"organisation": ""})
    assert refused.context["summary"].error == "Это действие вам недоступно."


def test_an_operator_is_not_offered_assignment_and_an_executor_no_bulk_bar(desk, world):
    new_appeal(world)
    body = desk.as_(world.operator).queue().content.decode()
    for op in ("route", "reject", "join", "urgency"):
        assert f'data-bulk="{op}"' in body
    assert 'data-bulk="assign"' not in body
    assert 'id="bulk-bar"' not in desk.as_(world.executor).queue().content.decode()


def test_it_gives_stable_hooks_for_keyboard_selection(desk, world):
    a = new_appeal(world)
    body = desk.as_(world.operator).queue().content.decode()
    assert f'data-number="{a.number}"' in body
    assert f'<input type="checkbox" class="row-select" name="number" value="{a.number}"' in body
    assert 'id="bulk-bar"' in body and 'id="bulk-summary"' in body
    assert f'name="version-{a.number}" value="{Appeal.objects.get(pk=a.pk).version}"' in body
