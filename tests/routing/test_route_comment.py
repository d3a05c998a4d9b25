"""The operator's comment survives routing «по правилам»: it is kept with the event and shown in
the card's timeline (it was dropped when no organisation was chosen by hand)."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import new_appeal
from tsur.appeals import services
from tsur.appeals.models import Event


def test_it_keeps_the_comment_when_routing_by_the_rules(world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator, reason="Житель звонил повторно, яма у школы")
    event = Event.objects.get(appeal=a, kind="route")
    assert a.organisation == world.roads_ministry
    assert event.reason.startswith(a.routing_reason.rstrip(". "))  # the rule's explanation stays first
    assert "Комментарий оператора: Житель звонил повторно, яма у школы" in event.reason
    assert event.data["commented"] is True and event.data["manual"] is False


def test_it_keeps_the_rules_explanation_alone_without_a_comment(world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator, reason="  ")
    event = Event.objects.get(appeal=a, kind="route")
    assert event.reason == a.routing_reason and "commented" not in event.data


def test_it_shows_the_comment_in_the_cards_timeline(client, world):
    a = new_appeal(world)
    client.force_login(world.operator)
    a.refresh_from_db()
    client.post(
        reverse("workspace:act", args=[a.number, "route"]),
        {"route-organisation": "", "route-reason": "Срочно: у школы", "version": a.version},
    )
    body = client.get(reverse("workspace:card", args=[a.number])).content.decode()
    timeline = body[body.index('data-testid="timeline"') :]
    assert "Комментарий оператора: Срочно: у школы" in timeline
