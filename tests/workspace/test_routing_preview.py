"""A moderation card names the routing rules' choice twice (the route form's first choice and the
preview above it): the rules are asked once per appeal, and again when the appeal has changed."""

from __future__ import annotations

from tests.factories import new_appeal
from tsur.appeals.models import Status
from tsur.routing import services as routing
from tsur.workspace import forms


def counting(monkeypatch) -> list:
    calls = []
    real = routing.decide

    def decide(appeal):
        calls.append(appeal.pk)
        return real(appeal)

    # Wherever the workspace may take it from: its forms' import, or the routing services.
    monkeypatch.setattr(forms, "decide", decide)
    monkeypatch.setattr(routing, "decide", decide)
    return calls


def test_a_moderation_card_asks_the_rules_once_and_shows_their_choice_twice(client, world, monkeypatch):
    appeal = new_appeal(world)
    appeal.refresh_from_db()
    assert appeal.status == Status.MODERATION
    calls = counting(monkeypatch)
    client.force_login(world.operator)
    page = client.get(f"/workspace/appeals/{appeal.number}/").content.decode()
    assert calls == [appeal.pk]
    assert page.count(f"По правилам: {world.roads_ministry.short_name}") == 1  # the form's first choice
    assert world.roads_ministry.short_name in page.split("data-testid=\"route-preview\"")[1][:300]  # and the preview


def test_the_choice_is_asked_again_when_the_appeal_has_changed(world, monkeypatch):
    appeal = new_appeal(world)
    calls = counting(monkeypatch)
    first = forms.routing_decision(appeal)
    assert forms.routing_decision(appeal) is first and len(calls) == 1
    appeal.category = world.garbage
    second = forms.routing_decision(appeal)
    assert len(calls) == 2 and second.organisation == world.waste_operator
    appeal.version += 1
    forms.routing_decision(appeal)
    assert len(calls) == 3
