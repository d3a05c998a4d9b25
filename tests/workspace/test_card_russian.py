"""The card speaks Russian about an appeal triaged with keys: the automatic triage section names
the block, category and territory, reads the place evidence, warnings and personal data kinds in
Russian, the history's automatic triage names what it applied (rows written with keys by older
code included), and the routing reason names the other rules that matched."""

from __future__ import annotations

import datetime as dt
import re

from tests.factories import new_appeal
from tsur.appeals import services
from tsur.appeals.models import Event, Status
from tsur.core import clock
from tsur.routing.models import RoutingRule
from tsur.triage.models import TriageResult

AT = dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)
KEYS = ("roads", "pothole", "city", "district", "email", "phone", "polygon", "street list", "the point is used", "HTML", "sector@")


def triaged(world):
    a = new_appeal(world, territory_code="city", category_code="")
    TriageResult.objects.create(
        appeal=a, model_version="sector@2026-11-20T10:00:00+00:00", block="roads", block_confidence=0.91,
        category="pothole", category_code="pothole", category_confidence=0.84, territory_code="city",
        place_evidence=[
            "polygon: Город",
            "text names Район, outside the point's territory: the point is used",
            "street:«ул. Ленина, д. 1» in the street list of Город",
        ],
        urgency="normal", personal_data_kinds=["email", "name", "phone"], warnings=["HTML removed"],
        applied={"category": "pothole", "territory": "city"},
    )  # fmt: skip
    # As older code wrote it: the reason with keys, the data with what was applied.
    Event.objects.create(
        appeal=a, kind="auto_triage", actor_label="автоматический разбор", from_status=Status.RECEIVED,
        to_status=Status.RECEIVED, reason="category: pothole, territory: city",
        data={"applied": {"category": "pothole", "territory": "city", "urgency": "high"}},
    )  # fmt: skip
    return a


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_it_names_what_triage_found_instead_of_keys(desk, world):
    with clock.at(AT):
        a = triaged(world)
    body = desk.as_(world.operator).card(a).content.decode()
    section = visible_text(body.split('data-testid="triage"', 1)[1].split("</section>", 1)[0])
    for name in ("Дороги", "Ямы на дороге", "Город", "адрес электронной почты, имя, телефон"):
        assert name in section, name
    assert "точка на карте — в границах: Город" in section
    assert "в тексте названо: Район, но точка на карте вне этой территории — принята точка" in section
    assert "улица «ул. Ленина, д. 1» есть в перечне улиц: Город" in section
    assert "из текста удалена разметка" in section
    assert "модель от 20.11.2026 13:00" in section  # 10:00 UTC in Moscow time
    for key in KEYS:
        assert key not in section, key


def test_it_names_what_the_automatic_triage_applied_in_the_history(desk, world):
    with clock.at(AT):
        a = triaged(world)
    text = visible_text(desk.as_(world.operator).card(a).content.decode())
    assert "категория: Ямы на дороге, территория: Город, срочность: срочное" in text
    assert "category: pothole" not in text


def test_it_names_the_other_rules_that_matched(desk, world):
    a = new_appeal(world, territory_code="city")
    services.route_appeal(a, world.operator)
    regional = RoutingRule.objects.get(block=world.roads, territory=None)
    text = visible_text(desk.as_(world.operator).card(a).content.decode())
    assert f"подходили также правило №{regional.pk} (блок «Дороги» × любая территория → Миндор) — это правило точнее" in text
    assert "подходили ещё" not in text


def test_it_never_shows_an_event_kind_as_its_key(desk, world):
    a = new_appeal(world)
    Event.objects.create(appeal=a, kind="some_future_kind", actor_label="система")
    text = visible_text(desk.as_(world.operator).card(a).content.decode())
    assert "some_future_kind" not in text and "Служебное событие" in text


def test_it_names_events_on_the_card_as_the_admin_does():
    from tsur.appeals import event_labels
    from tsur.monitoring.links import EVENT_LABELS as MONITORING
    from tsur.workspace.card import EVENT_LABELS, event_label

    # The admin lives below the workspace and names events from tsur.appeals.event_labels: a kind
    # the card names must be named the same there.
    for kind in {**EVENT_LABELS, **MONITORING}:
        assert event_labels.event_label(kind) == event_label(kind), kind


def test_it_names_what_each_delivery_in_the_channel_was(desk, world):
    from tsur.channels.models import ChannelConfig, Delivery

    a = new_appeal(world)
    channel = ChannelConfig.objects.create(code="mail", kind="email", name="Электронная почта")
    Delivery.objects.create(appeal=a, channel=channel, kind="clarification", text="Уточните адрес")
    Delivery.objects.create(appeal=a, channel=channel, kind="rejected", text="Отклонено")
    section = visible_text(desk.as_(world.operator).card(a).content.decode().split('data-testid="deliveries"', 1)[1].split("</section>", 1)[0])
    assert "Запрос уточнения" in section and "Обращение отклонено" in section
    assert "clarification" not in section and "rejected" not in section
