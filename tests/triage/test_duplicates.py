"""Near-duplicate detector on synthetic messages (no shared data needed)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tsur.triage.engine.duplicates import DuplicateDetector, jaccard, normalise_address, shingles

T0 = datetime(2021, 3, 1, 9, 0)
POTHOLE = "Огромная яма на дороге у дома, машины бьют колёса"
POTHOLE_AGAIN = "Огромная яма на дороге возле дома, машины бьют колеса!"
LIGHT = "Не горит фонарь во дворе уже неделю"


def test_it_joins_the_same_problem_at_the_same_address_within_the_window():
    det = DuplicateDetector()
    assert det.check_and_add("a1", POTHOLE, address="ул. Ленина, д. 5", created_at=T0) is None
    assert det.check_and_add("a2", POTHOLE_AGAIN, address="улица Ленина, дом 5", created_at=T0 + timedelta(days=3)) == "a1"
    assert det.last_match == "a1"


def test_it_joins_by_coordinates_within_the_radius():
    det = DuplicateDetector(radius_m=150)
    assert det.check_and_add("p1", POTHOLE, lat=54.5, lon=36.25, created_at=T0) is None
    # about 60 m north
    assert det.check_and_add("p2", POTHOLE_AGAIN, lat=54.50054, lon=36.25, created_at=T0 + timedelta(hours=5)) == "p1"


def test_it_does_not_join_across_places():
    det = DuplicateDetector()
    assert det.check_and_add("a1", POTHOLE, address="ул. Ленина, д. 5", lat=54.5, lon=36.25, created_at=T0) is None
    assert det.check_and_add("a2", POTHOLE_AGAIN, address="ул. Кирова, д. 40", lat=54.52, lon=36.30, created_at=T0) is None
    # about 1.1 km away, no address
    assert det.check_and_add("a3", POTHOLE_AGAIN, lat=54.51, lon=36.25, created_at=T0) is None


def test_it_does_not_join_outside_the_window():
    det = DuplicateDetector(window=timedelta(days=14))
    assert det.check_and_add("a1", POTHOLE, address="ул. Ленина, д. 5", created_at=T0) is None
    assert det.check_and_add("a2", POTHOLE_AGAIN, address="ул. Ленина, д. 5", created_at=T0 + timedelta(days=15)) is None


def test_it_does_not_join_different_problems_at_one_place():
    det = DuplicateDetector()
    assert det.check_and_add("a1", POTHOLE, address="ул. Ленина, д. 5", created_at=T0) is None
    assert det.check_and_add("a2", LIGHT, address="ул. Ленина, д. 5", created_at=T0 + timedelta(hours=1)) is None


def test_it_keeps_the_first_message_as_the_lead():
    det = DuplicateDetector()
    det.check_and_add("first", POTHOLE, address="ул. Ленина, д. 5", created_at=T0)
    assert det.check_and_add("second", POTHOLE_AGAIN, address="ул. Ленина, д. 5", created_at=T0 + timedelta(days=1)) == "first"
    # The third matches the second best, but the problem's lead is still the first.
    third = "Огромная яма возле дома на дороге, машины бьют колеса!"
    assert det.check_and_add("third", third, address="ул. Ленина, д. 5", created_at=T0 + timedelta(days=2)) == "first"


def test_it_respects_blocks_when_both_are_known():
    det = DuplicateDetector()
    det.check_and_add("a1", POTHOLE, address="ул. Ленина, д. 5", created_at=T0, block="roads")
    assert det.check_and_add("a2", POTHOLE_AGAIN, address="ул. Ленина, д. 5", created_at=T0, block="housing") is None
    assert det.check_and_add("a3", POTHOLE_AGAIN, address="ул. Ленина, д. 5", created_at=T0, block="roads") == "a1"
    assert det.check_and_add("a4", POTHOLE_AGAIN, address="ул. Ленина, д. 5", created_at=T0) == "a1"


def test_it_falls_back_to_the_territory_only_without_a_finer_place():
    det = DuplicateDetector()
    assert det.check_and_add("t1", LIGHT, territory="40-401", created_at=T0) is None
    assert det.check_and_add("t2", LIGHT + "!", territory="40-401", created_at=T0 + timedelta(hours=2)) == "t1"
    assert det.check_and_add("t3", LIGHT, territory="40-402", created_at=T0) is None
    # no place at all: never joined
    assert det.check_and_add("n1", LIGHT, created_at=T0) is None
    assert det.check_and_add("n2", LIGHT, created_at=T0) is None


def test_eviction_keeps_memory_bounded_by_the_window():
    det = DuplicateDetector(window=timedelta(days=1))
    for i in range(2000):
        det.check_and_add(i, f"{POTHOLE} {i}", address=f"ул. Ленина, д. {i % 50}", created_at=T0 + timedelta(hours=i))
        assert len(det) <= 26  # one day of hourly messages (+ the one just added)
    assert sum(len(b) for b in det._by_address.values()) == len(det)


def test_eviction_keeps_memory_bounded_by_max_entries():
    det = DuplicateDetector(max_entries=100)
    for i in range(1000):
        det.check_and_add(i, f"{LIGHT} {i}", lat=54.5 + i * 0.01, lon=36.25, created_at=T0)
    assert len(det) == 100
    assert sum(len(b) for b in det._by_cell.values()) == 100


def test_missing_created_at_uses_the_stream_time():
    det = DuplicateDetector()
    det.check_and_add("a1", POTHOLE, address="ул. Ленина, д. 5", created_at=T0)
    assert det.check_and_add("a2", POTHOLE_AGAIN, address="ул. Ленина, д. 5") == "a1"


def test_helpers():
    assert normalise_address("г. Калуга, улица Ленина, дом 5, корпус 2") == normalise_address("Калуга, ул. Ленина, д.5 к.2")
    assert jaccard(shingles(POTHOLE), shingles(POTHOLE)) == 1.0
    assert jaccard(shingles(POTHOLE), shingles(LIGHT)) < 0.2
    assert jaccard(frozenset(), shingles(LIGHT)) == 0.0
    with pytest.raises(ValueError):
        DuplicateDetector(threshold=0)
    with pytest.raises(ValueError):
        DuplicateDetector(window=timedelta(0))
