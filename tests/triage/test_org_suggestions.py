"""The organisation suggester learned from this platform's own routed history: trained by
`tsur triage train-orgs --from-db`, shown on the card where no routing rule fits."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.factories import new_appeal
from tsur.appeals import services
from tsur.triage import services as triage
from tsur.workspace.card import route_preview

ROADS = [
    "Яма на дороге у остановки, машины бьют колёса",
    "Разбитый асфальт на проезжей части, колея и ямы",
    "Дорогу не ремонтировали, ямы по всей улице",
    "Провал асфальта на дороге возле перекрёстка",
    "Ямы на шоссе, нужен ямочный ремонт дороги",
    "Асфальт разрушен, на дороге глубокие ямы, звоните 8 900 111-22-33",
]
WASTE = [
    "Мусор не вывозят неделю, контейнеры переполнены",
    "Контейнерная площадка завалена мусором",
    "Не вывезли мусор из контейнеров во дворе",
    "Переполнены мусорные баки, запах на весь двор",
    "Свалка мусора у контейнерной площадки",
    "Мусоровоз не приезжал, баки переполнены",
]


def _route_history(world) -> None:
    for texts, org in ((ROADS, "roads-min"), (WASTE, world.waste_operator.code)):
        for _ in range(2):
            for text in texts:
                a = new_appeal(world, text=text, category_code="", territory_code="")
                services.route_appeal(a.pk, world.operator, organisation_code=org, reason="вручную")


def test_history_masks_personal_data(world):
    _route_history(world)
    rows = list(triage.routing_history())
    assert len(rows) == 24 and {org for *_, org in rows} == {"roads-min", world.waste_operator.code}
    assert not any("111-22-33" in text for text, *_ in rows)


def test_card_suggests_from_history_where_no_rule_fits(world, settings, tmp_path):
    _route_history(world)
    out = io.StringIO()
    call_command("triage", "train-orgs", "--from-db", "--out", str(tmp_path / "orgs"), stdout=out)
    assert json.loads(out.getvalue())["organisations"] == 2
    a = new_appeal(world, text="Мусор во дворе не вывозят, контейнеры полные", category_code="", territory_code="")
    a.refresh_from_db()
    assert "Подсказка" not in route_preview(a)  # no suggester configured
    settings.TSUR_ORG_SUGGESTER_DIR = str(tmp_path / "orgs")
    preview = route_preview(a)
    assert preview.startswith("ЦУР") or "Очередь разбора ЦУР" in preview
    assert f"Подсказка по истории обращений: {world.waste_operator.short_name}" in preview
    # A rule that fits wins, and then nothing is suggested.
    routed = new_appeal(world, text="Яма на дороге", category_code="pothole", territory_code="district")
    routed.refresh_from_db()
    assert "Подсказка" not in route_preview(routed)


def test_a_broken_suggester_does_not_break_the_card(world, settings, tmp_path):
    (tmp_path / "orgs").mkdir()
    (tmp_path / "orgs" / "manifest.json").write_text("{broken", encoding="utf-8")
    settings.TSUR_ORG_SUGGESTER_DIR = str(tmp_path / "orgs")
    a = new_appeal(world, category_code="", territory_code="")
    assert triage.organisation_suggestions(a) == []


def test_training_needs_at_least_two_organisations(world, tmp_path):
    with pytest.raises(CommandError, match="at least two"):
        call_command("triage", "train-orgs", "--from-db", "--out", str(tmp_path / "orgs"))
