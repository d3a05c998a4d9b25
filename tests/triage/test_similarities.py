"""The duplicate detector with a shared `Similarities`: exactly the decisions of the detector
without it, with each distinct pair of texts compared once (a storm repeats a few wordings)."""

from __future__ import annotations

import datetime as dt
import random

from tsur.triage.engine import duplicates
from tsur.triage.engine.duplicates import DuplicateDetector, Similarities

T0 = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
WORDINGS = (
    "Огромная яма на проезжей части у дома 5, машины бьют колёса",
    "Во дворе не вывозят мусор уже неделю, контейнеры переполнены",
    "Третий день нет горячей воды, управляющая компания не отвечает",
    "Не горят фонари на улице, вечером темно и опасно",
)
PREFIXES = ("", "Присоединяюсь! ", "Сколько можно? ")
SUFFIXES = ("", " Примите меры!")
ADDRESSES = ("ул. Ленина, 5", "ул. Кирова, 12", "")


def stream(seed: int, count: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        out.append(
            {
                "id": i,
                "text": rng.choice(PREFIXES) + rng.choice(WORDINGS) + rng.choice(SUFFIXES),
                "address": rng.choice(ADDRESSES) or None,
                "territory": "kaluga",
                "created_at": T0 + dt.timedelta(minutes=i),
                "block": rng.choice(("roads", "roads", "housing")),
            }
        )
    return out


def decisions(detector: DuplicateDetector, messages: list[dict]) -> list[tuple]:
    out = []
    for m in messages:
        lead = detector.check_and_add(
            m["id"], m["text"], territory=m["territory"], address=m["address"], created_at=m["created_at"], block=m["block"]
        )
        out.append((lead, detector.last_match, detector.last_similarity))
    return out


def test_it_decides_exactly_as_the_detector_without_it():
    for seed in (1, 2, 3):
        messages = stream(seed, 300)
        plain = decisions(DuplicateDetector(), messages)
        shared = decisions(DuplicateDetector(similarities=Similarities()), messages)
        assert shared == plain
        assert any(lead is not None for lead, _m, _s in plain)  # the stream does have duplicates


def test_each_distinct_pair_is_compared_once(monkeypatch):
    calls = []
    real = duplicates.jaccard

    def counting(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(duplicates, "jaccard", counting)
    messages = [
        {"id": i, "text": WORDINGS[i % 2], "address": "ул. Ленина, 5", "territory": None, "created_at": T0 + dt.timedelta(minutes=i), "block": None}
        for i in range(60)
    ]
    decisions(DuplicateDetector(similarities=Similarities()), messages)
    # Two wordings: the pairs (A, A), (A, B) and (B, B) — whatever the order they are met in.
    assert len(calls) == 3
    calls.clear()
    decisions(DuplicateDetector(), messages)
    assert len(calls) > 1000  # without it, every comparison


def test_it_forgets_its_pairs_past_its_bound():
    similarities = Similarities(max_pairs=4)
    sets = [frozenset({i, i + 1, i + 2}) for i in range(6)]
    values = [similarities(sets[0], s) for s in sets]
    assert values == [duplicates.jaccard(sets[0], s) for s in sets]
    assert len(similarities._pairs) <= 5

def test_match_decides_as_check_and_add_would_and_adds_nothing():
    """`match` answers a new message from a replay without adding it (the duplicate search shares
    one replay between the appeals of a spot): the lead, match and similarity `check_and_add`
    gives, for messages in order, out of order and past the window, and the detector unchanged."""
    for seed in (4, 5, 6):
        messages = stream(seed, 200)
        rng = random.Random(seed)
        for m in messages[::7]:  # some come late, some after a gap longer than the window
            m["created_at"] -= dt.timedelta(minutes=rng.randint(0, 600))
        for m in messages[::31]:
            m["created_at"] += dt.timedelta(days=15)
        matching = DuplicateDetector(similarities=Similarities())
        adding = DuplicateDetector(similarities=Similarities())
        found = 0
        for m in messages:
            place = {k: m[k] for k in ("territory", "address", "created_at", "block")}
            size = len(matching)
            lead = matching.match(m["text"], **place)
            answer = (lead, matching.last_match, matching.last_similarity)
            assert len(matching) == size
            assert answer == (adding.check_and_add(m["id"], m["text"], **place), adding.last_match, adding.last_similarity)
            matching.check_and_add(m["id"], m["text"], **place)
            found += lead is not None
        assert found > 50
