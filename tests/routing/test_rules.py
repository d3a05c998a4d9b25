"""Routing precedence: specific beats general, and the decision says why."""

from __future__ import annotations

from tests.factories import new_appeal
from tsur.appeals import services
from tsur.routing.models import RoutingRule
from tsur.routing.services import decide


def test_it_prefers_the_territorial_rule_over_the_regional_one(world):
    a = new_appeal(world, territory_code="city")
    decision = decide(a)
    assert decision.organisation == world.city_admin
    assert decision.rule_id == world.city_roads_rule.pk
    # The rule that matched but lost is named, not just counted.
    regional = RoutingRule.objects.get(block=world.roads, territory=None)
    assert f"подходили также правило №{regional.pk} (блок «Дороги» × любая территория → Миндор) — это правило точнее" in decision.reason


def test_it_inherits_rules_of_parent_territories(world):
    a = new_appeal(world, territory_code="village")  # village is inside district, inside region
    assert decide(a).organisation == world.roads_ministry


def test_it_prefers_a_category_rule_over_a_block_rule(world):
    RoutingRule.objects.create(block=world.waste, organisation=world.city_admin)
    a = new_appeal(world, category_code="garbage", territory_code="district")
    assert decide(a).organisation == world.waste_operator


def test_it_lets_priority_override_specificity(world):
    RoutingRule.objects.create(block=world.roads, organisation=world.waste_operator, priority=10)
    a = new_appeal(world, territory_code="city")
    decision = decide(a)
    assert decision.organisation == world.waste_operator and "приоритет 10" in decision.reason


def test_it_falls_back_to_the_center_with_the_reason(world):
    a = new_appeal(world, category_code="heating")
    decision = decide(a)
    assert decision.organisation == world.center and decision.rule_id is None
    assert decision.reason.startswith("Очередь разбора ЦУР")


def test_it_ignores_inactive_rules(world):
    RoutingRule.objects.update(is_active=False)
    assert decide(new_appeal(world)).organisation == world.center


def test_it_stores_the_reason_and_a_manual_choice(world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator, organisation_code="waste-op", reason="звонок в ЕДДС")
    assert a.organisation == world.waste_operator
    assert a.routing_reason == "Выбрано оператором вручную: звонок в ЕДДС"
    assert a.events.last().reason == a.routing_reason


def test_it_transfers_with_a_reason_and_recomputes_the_deadline(world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    world.waste_operator.work_end = __import__("datetime").time(17, 0)
    world.waste_operator.save()
    services.transfer_appeal(a, world.coordinator, organisation_code="waste-op", reason="вопрос вывоза отходов")
    a.refresh_from_db()
    assert a.organisation == world.waste_operator and a.status == "routed"
    assert a.due_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Moscow")).hour == 17
    event = a.events.last()
    # Every transition that moves the deadline records the new one (tsur.appeals.lifecycle: clock).
    due = a.due_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Moscow")).isoformat()
    assert event.kind == "transfer" and event.data == {"from": "roads-min", "to": "waste-op", "due_at": due}


def test_it_names_three_losing_rules_and_counts_the_rest(world):
    for org in (world.waste_operator, world.center, world.roads_ministry):
        RoutingRule.objects.create(block=world.roads, organisation=org)
    reason = decide(new_appeal(world, territory_code="city")).reason
    assert reason.count("№") == 1 + 3
    assert reason.endswith(", ещё 1 подходящее — это правило точнее")
