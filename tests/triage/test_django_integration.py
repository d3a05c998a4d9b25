"""The Django side of triage: what the engine decides is stored with its confidence, applied only
where nobody has decided, near-duplicates are joined, and operators' corrections are kept as
labelled examples. The engine is replaced by a fixed one here; test_pipeline covers the real one."""

from __future__ import annotations

import pytest

from tests.factories import new_appeal
from tsur.appeals import services
from tsur.appeals.models import Status
from tsur.triage import services as triage
from tsur.triage.models import Correction, TriageResult


class FixedEngine:
    version = "fixed-test-engine"

    def __init__(self, **out):
        self.out = out

    def process(self, records):
        for r in records:
            yield {"id": r["id"], **self.out}


DECISION = {
    "block": "roads",
    "block_confidence": 0.93,
    "category": "Снег на дороге",
    "category_confidence": 0.81,
    "territory": {"code": "city", "name": "Город", "level": "city_district", "evidence": ["gazetteer:«в Городе»"], "address": "ул. Ленина, д. 1"},
    "urgency": "high",
    "urgency_reason": "снег мешает проезду зимой",
    "is_complaint": True,
    "complaint_probability": 0.9,
    "duplicate_of": None,
}


@pytest.fixture
def with_engine(settings, monkeypatch):
    settings.TSUR_TRIAGE_ENABLED = True

    def use(**overrides):
        monkeypatch.setattr(triage, "engine", lambda: FixedEngine(**{**DECISION, **overrides}))

    use()
    return use


def test_it_applies_what_nobody_decided_and_explains_it(world, with_engine):
    a = new_appeal(world, category_code="", territory_code="", text="Снег не чищен в Городе на ул. Ленина, д. 1, не проехать")
    a.refresh_from_db()
    assert a.status == Status.MODERATION
    assert a.category == world.snow and a.classification_source == "auto" and a.classification_confidence == pytest.approx(0.81)
    assert a.territory == world.city and a.place_source == "auto" and a.address == "ул. Ленина, д. 1"
    assert a.urgency == "high" and a.urgency_reason == "снег мешает проезду зимой"
    result = TriageResult.objects.get(appeal=a)
    assert result.place_evidence == ["gazetteer:«в Городе»"] and result.applied["category"] == "snow"
    event = a.events.get(kind="auto_triage")
    assert event.actor_label == "автоматический разбор" and "category" in event.reason


def test_it_keeps_what_the_resident_chose(world, with_engine):
    a = new_appeal(world, category_code="pothole", territory_code="district")
    a.refresh_from_db()
    assert a.category == world.pothole and a.territory == world.district
    assert TriageResult.objects.get(appeal=a).category_code == "snow"  # stored and shown, not applied


def test_it_does_not_apply_a_low_confidence_category(world, with_engine):
    with_engine(category_confidence=0.3, block_confidence=0.4)
    a = new_appeal(world, category_code="")
    a.refresh_from_db()
    assert a.category is None and a.block is None


def test_it_joins_a_near_duplicate_at_the_same_place(world, with_engine):
    text = "Снег не убран у дома на Ленина 1, машины буксуют"
    first = new_appeal(world, category_code="", territory_code="", address="ул. Ленина, д. 1", text=text)
    second = new_appeal(world, category_code="", territory_code="", address="ул. Ленина, д. 1", text=text + "!!")
    second.refresh_from_db()
    assert second.status == Status.JOINED and second.problem.lead == first
    assert TriageResult.objects.get(appeal=second).duplicate_of == first
    # An operator who disagrees detaches it, and that is a labelled example too.
    services.detach_from_problem(second.pk, world.operator, reason="другой двор")
    second.refresh_from_db()
    assert second.status == Status.MODERATION and second.problem is None
    assert Correction.objects.get(appeal=second, field="duplicate").predicted == first.number


def test_it_records_operator_corrections_as_training_examples(world, with_engine):
    a = new_appeal(world, category_code="", text="Иван Петров, тел. +7 900 123-45-67: снег у дома")
    services.reclassify(a.pk, world.operator, category_code="pothole", reason="на фото яма")
    c = Correction.objects.get(appeal=a, field="category")
    assert (c.predicted, c.corrected, c.corrected_by) == ("snow", "pothole", world.operator)
    [row] = list(triage.training_examples())
    assert row["category"] == "Ямы на дороге" and row["block"] == "roads"
    assert "+7 900" not in row["text"]  # personal data masked in what leaves for training


def test_it_never_holds_an_appeal_back_when_triage_fails(world, settings, monkeypatch):
    settings.TSUR_TRIAGE_ENABLED = True

    def broken():
        raise RuntimeError("model file corrupted")

    monkeypatch.setattr(triage, "engine", broken)
    a = new_appeal(world)
    a.refresh_from_db()
    assert a.status == Status.MODERATION


def test_it_exports_corrections_for_training(world, with_engine, tmp_path):
    import json

    from django.core.management import call_command

    a = new_appeal(world, category_code="")
    services.reclassify(a.pk, world.operator, category_code="pothole")
    out = tmp_path / "corrections.jsonl"
    call_command("triage_corrections", "--out", str(out))
    [row] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["id"] == a.number and row["category"] == "Ямы на дороге"
