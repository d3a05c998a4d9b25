"""The Django side of triage: what the engine decides is stored with its confidence, applied only
where nobody has decided, near-duplicates are joined, and operators' corrections are kept as
labelled examples. The engine is replaced by a fixed one here; test_pipeline covers the real one."""

from __future__ import annotations

import pytest

from tests.factories import Channel, new_appeal
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
    "category_code": "snow",  # the configured category is found by this code, not by the label
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
    assert event.actor_label == "автоматический разбор"
    # The history names what was applied; the event's data keeps the keys.
    assert event.reason == "категория: Снег на дороге, территория: Город, адрес: ул. Ленина, д. 1, срочность: срочное"
    assert event.data["applied"]["category"] == "snow" and event.data["applied"]["territory"] == "city"


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


def test_duplicates_are_sought_at_the_same_place_not_across_the_territory(world, with_engine):
    text = "Снег не убран у дома, машины буксуют, пройти нельзя"
    first = new_appeal(world, category_code="", territory_code="", address="улица Ленина, дом 1", text=text)
    elsewhere = new_appeal(world, category_code="", territory_code="", address="ул. Гагарина, д. 7", text=text)
    same = new_appeal(world, category_code="", territory_code="", address="ул. Ленина, д. 1", text=text + "!")
    elsewhere.refresh_from_db()
    same.refresh_from_db()
    assert elsewhere.status == Status.MODERATION and elsewhere.problem is None  # same city, other house
    assert same.status == Status.JOINED and same.problem.lead == first  # the address written differently


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


# --- a batch of appeals created together ------------------------------------------------------


def _batch(world, *texts_and_addresses, received_at=None):
    """Appeals created with one `create_appeals` call, so their follow-up is one batch."""

    from tsur.appeals.services import NewAppeal, create_appeals

    items = [
        NewAppeal(
            channel=Channel.WIDGET, text=text, address=address, name="Иван Петров", email="ivan@example.org",
            phone="+7 900 000-00-00", received_at=received_at,
        )
        for text, address in texts_and_addresses
    ]
    created = create_appeals(items)
    for a in created:
        a.refresh_from_db()
    return created


class CountingEngine(FixedEngine):
    """Counts its calls, and raises on any call that includes a record with `poison` in its text."""

    def __init__(self, poison="", **out):
        super().__init__(**out)
        self.poison, self.calls = poison, 0

    def process(self, records):
        records = list(records)
        self.calls += 1
        if self.poison and any(self.poison in r["text"] for r in records):
            raise RuntimeError("the engine cannot read this record")
        yield from super().process(records)


def test_a_batch_is_triaged_with_one_engine_call(world, settings, monkeypatch):
    settings.TSUR_TRIAGE_ENABLED = True
    fake = CountingEngine(**DECISION)
    monkeypatch.setattr(triage, "engine", lambda: fake)
    appeals = _batch(world, ("Снег у дома на Ленина 1", ""), ("Яма на Гагарина 7", ""), ("Нет света на Кирова 3", ""))
    assert fake.calls == 1
    assert {a.status for a in appeals} == {Status.MODERATION}
    assert TriageResult.objects.filter(appeal__in=appeals).count() == 3


def test_one_appeal_breaking_the_engine_does_not_hold_back_its_batch(world, settings, monkeypatch):
    settings.TSUR_TRIAGE_ENABLED = True
    fake = CountingEngine(poison="СБОЙ", **DECISION)
    monkeypatch.setattr(triage, "engine", lambda: fake)
    good1, bad, good2 = _batch(world, ("Снег у дома на Ленина 1", ""), ("СБОЙ в тексте", ""), ("Яма на Гагарина 7", ""))
    assert {a.status for a in (good1, bad, good2)} == {Status.MODERATION}  # nobody is held back
    for a in (good1, good2):
        assert a.category == world.snow and TriageResult.objects.get(appeal=a).applied["category"] == "snow"
    assert not TriageResult.objects.filter(appeal=bad).exists() and bad.category is None  # untriaged, for an operator


def test_a_proposal_that_cannot_be_applied_leaves_that_appeal_as_it_came_and_the_others_go_on(world, settings, monkeypatch):
    from tsur.appeals.models import Event
    from tsur.triage import intake as batch

    settings.TSUR_TRIAGE_ENABLED = True
    monkeypatch.setattr(triage, "engine", lambda: FixedEngine(**DECISION))
    real = batch.apply_proposal

    def flaky(appeal, proposal, **kwargs):
        if "СБОЙ" in appeal.text:
            appeal.category = world.snow  # half-applied, then the failure: none of it may be written
            raise RuntimeError("a bug in applying")
        return real(appeal, proposal, **kwargs)

    monkeypatch.setattr(batch, "apply_proposal", flaky)
    first, bad, last = _batch(world, ("Снег у дома на Ленина 1", ""), ("СБОЙ при разборе", ""), ("Яма на Гагарина 7", ""))
    assert (first.status, bad.status, last.status) == (Status.MODERATION,) * 3
    assert first.category == world.snow and last.category == world.snow
    assert bad.category is None and TriageResult.objects.get(appeal=bad).applied == {}
    assert list(Event.objects.filter(appeal=bad).values_list("kind", flat=True)) == ["created", "take_to_moderation"]
    assert list(Event.objects.filter(appeal=first).values_list("kind", flat=True)) == ["created", "auto_triage", "take_to_moderation"]
    assert first.version == 3 and bad.version == 2


def test_a_failed_batch_write_leaves_every_appeal_received_and_the_sweeper_finishes_it_once(world, settings, monkeypatch):
    from django.db import DatabaseError

    from tsur.appeals.models import Event
    from tsur.triage import intake as batch
    from tsur.triage import tasks

    settings.TSUR_TRIAGE_ENABLED = True
    monkeypatch.setattr(triage, "engine", lambda: FixedEngine(**DECISION))
    real = batch.update_rows

    def broken(*args, **kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(batch, "update_rows", broken)
    appeals = _batch(world, ("Снег у дома на Ленина 1", ""), ("Яма на Гагарина 7", ""))
    assert {a.status for a in appeals} == {Status.RECEIVED}
    assert not TriageResult.objects.filter(appeal__in=appeals).exists()  # rolled back with the rest
    monkeypatch.setattr(batch, "update_rows", real)
    ids = [a.pk for a in appeals]
    assert tasks.process_new_appeals.run(ids) == {"moderation": 2}
    assert tasks.process_new_appeals.run(ids) == {"already processed": 2}  # a second delivery of the message
    for a in appeals:
        a.refresh_from_db()
        assert a.status == Status.MODERATION and a.category == world.snow
        assert TriageResult.objects.filter(appeal=a).count() == 1
        assert list(Event.objects.filter(appeal=a).values_list("kind", flat=True)) == ["created", "auto_triage", "take_to_moderation"]


def test_near_duplicates_within_one_batch_join_the_earlier_one(world, with_engine):
    from tsur.core import clock

    text = "Снег не убран у дома на Ленина 1, машины буксуют"
    # The same receipt time for all three, as a channel batch can have: the order of creation decides.
    first, elsewhere, same = _batch(
        world, (text, "ул. Ленина, д. 1"), (text, "ул. Гагарина, д. 7"), (text + "!!", "улица Ленина, дом 1"), received_at=clock.now()
    )
    assert first.status == Status.MODERATION
    assert elsewhere.status == Status.MODERATION and elsewhere.problem is None
    assert same.status == Status.JOINED and same.problem.lead == first
    assert TriageResult.objects.get(appeal=same).duplicate_of == first


def test_a_triage_that_cannot_decide_sends_the_batch_to_moderation_untriaged(world, settings, monkeypatch):
    """Not the database's failure (a bug, an output it cannot read): retrying would meet it again,
    so the appeals move on untriaged instead of staying received for the sweeper."""
    settings.TSUR_TRIAGE_ENABLED = True
    monkeypatch.setattr(triage, "engine", lambda: FixedEngine(**DECISION))

    def broken(self, appeals):
        raise KeyError("category")

    monkeypatch.setattr(triage.TriageBatch, "proposals", broken)
    appeals = _batch(world, ("Снег у дома на Ленина 1", ""), ("Яма на Гагарина 7", ""))
    assert {a.status for a in appeals} == {Status.MODERATION} and {a.category for a in appeals} == {None}
    assert not TriageResult.objects.filter(appeal__in=appeals).exists()
