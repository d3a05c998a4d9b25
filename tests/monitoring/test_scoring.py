"""The matching rule on plain values: each sign, the threshold, the Russian reason."""

from __future__ import annotations

import datetime as dt

import pytest

from tsur.monitoring.scoring import THRESHOLD, AppealFacts, EventFacts, address_keys, cell_of, score

T = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
LAT, LON = 54.52, 36.25


def ev(**kw) -> EventFacts:
    data = {
        "occurred_at": T, "kind_name": "Падение давления", "radius_m": 500, "before_hours": 24, "after_hours": 72,
        "category_ids": frozenset({1}), "block_ids": frozenset({10}), "lat": LAT, "lon": LON, "cell": cell_of(LAT, LON),
    }  # fmt: skip
    data.update(kw)
    return EventFacts(**data)


def ap(**kw) -> AppealFacts:
    data = {
        "received_at": T + dt.timedelta(hours=2),
        "category_id": 1,
        "block_id": 10,
        "category_name": "Отопление",
        "block_name": "ЖКХ",
        "lat": LAT,
        "lon": LON,
    }
    data.update(kw)
    return AppealFacts(**data)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("г. Калуга, ул. Ленина, д. 5", "улица Ленина 5"),
        ("Калуга, пр-т Ленина, 5", "проспект Ленина, дом 5"),
        ("ул. Пролетарская, 12к2", "Пролетарская ул., 12к2"),
    ],
)
def test_addresses_written_differently_have_the_same_keys(a, b):
    assert address_keys(a) == address_keys(b) != ("", "")


def test_an_address_without_a_street_type_has_no_keys():
    assert address_keys("Калуга, у магазина") == ("", "")
    assert address_keys("ул. Ленина")[1] == ""  # a street but no house


def test_the_closer_the_higher_and_the_edge_still_links():
    near = score(ev(), ap(lat=LAT + 50 / 111_200))
    edge = score(ev(), ap(lat=LAT + 490 / 111_200))
    assert near and edge and near.score > edge.score >= THRESHOLD
    assert near.reason == "в 50 м от события, через 2 часа после него, категория «Отопление» соответствует виду события «Падение давления»"


def test_time_phrases_minutes_hours_days_and_before():
    assert "через 20 минут после него" in score(ev(), ap(received_at=T + dt.timedelta(minutes=20))).reason
    assert "через 3 дня после него" in score(ev(), ap(received_at=T + dt.timedelta(hours=71))).reason
    assert "за 5 часов до него" in score(ev(), ap(received_at=T - dt.timedelta(hours=5))).reason
    assert "в то же время" in score(ev(), ap(received_at=T)).reason


def test_a_neighbouring_cell_links_beyond_a_small_radius():
    m = score(ev(radius_m=50), ap(lat=LAT + 300 / 111_200))
    assert m is not None and m.reason.startswith("в соседнем квартале")


def test_two_points_far_apart_never_match_by_territory():
    assert score(ev(territory_id=7), ap(lat=LAT + 0.05, territory_id=7)) is None
    m = score(ev(territory_id=7), ap(lat=None, lon=None, territory_id=7, territory_name="Калуга"))
    assert m is not None and m.reason.startswith("на той же территории («Калуга»)")


def test_a_recurrence_after_the_answer_matches_an_old_appeal():
    old = ap(received_at=T - dt.timedelta(days=10), published_at=T - dt.timedelta(hours=6))
    m = score(ev(), old)
    assert m is not None and "событие через 6 часов после опубликованного ответа" in m.reason
    assert score(ev(), ap(received_at=T - dt.timedelta(days=10))) is None


def test_another_topic_or_too_weak_a_pair_is_not_linked():
    assert score(ev(), ap(category_id=2, block_id=20)) is None
    # Another category of the same block, at the event's very point and time: not the same thing.
    assert score(ev(), ap(category_id=2, block_id=10)) is None
    # Only the block known (no category yet): a weaker link, said so.
    block_only = score(ev(), ap(category_id=None, block_id=10))
    assert block_only is not None and "блок «ЖКХ» тот же" in block_only.reason
    # The weakest of everything: the same territory, the window's edge, the same block.
    weak = ap(lat=None, lon=None, territory_id=7, category_id=None, received_at=T + dt.timedelta(hours=70))
    assert score(ev(territory_id=7, lat=None, lon=None, cell=""), weak) is None
