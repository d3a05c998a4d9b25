"""Matching events and appeals: place, time and topic, both ways, explained, batched; the
operators' decisions stay."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.monitoring.helpers import LAT, T0, event, heating_appeal, metres_north, pressure_kind
from tsur.appeals.models import Appeal
from tsur.core import clock
from tsur.monitoring import matching
from tsur.monitoring.models import Link, LinkStatus, MonitoringEvent

pytestmark = pytest.mark.django_db


def test_it_links_an_event_with_an_appeal_near_in_place_time_and_topic(world):
    kind = pressure_kind(world)
    a = heating_appeal(world, T0 + dt.timedelta(hours=3), lat=metres_north(LAT, 120))
    e = event(kind, T0)
    assert matching.match_pending() == 1
    link = Link.objects.get()
    assert (link.event_id, link.appeal_id, link.status) == (e.pk, a.pk, LinkStatus.AUTO)
    assert link.reason == (
        "в 120 м от события, через 3 часа после него, категория «Нет отопления» соответствует виду события «Падение давления в теплосети»"
    )
    assert 0.8 < link.score <= 1
    assert MonitoringEvent.objects.get(pk=e.pk).matched_at is not None
    assert matching.match_pending() == 0


def test_a_new_appeal_finds_the_events_around_it(world):
    kind = pressure_kind(world)
    e = event(kind, T0)
    matching.match_pending()
    a = heating_appeal(world, T0 + dt.timedelta(hours=30), lat=metres_north(LAT, -300))
    link = Link.objects.get(appeal=a)
    assert link.event_id == e.pk
    assert link.reason.startswith("в 300 м от события, через 30 часов после него")


@pytest.mark.parametrize(
    ("where", "hours", "category"),
    [
        ({"lat": metres_north(LAT, 2500)}, 3, "heating"),  # too far
        ({}, 80, "heating"),  # 80 h after: beyond after_hours (72)
        ({}, -30, "heating"),  # 30 h before: beyond before_hours (24)
        ({}, 3, "garbage"),  # another block altogether
    ],
)
def test_it_does_not_link_what_is_far_in_place_time_or_topic(world, where, hours, category):
    kind = pressure_kind(world)
    heating_appeal(world, T0 + dt.timedelta(hours=hours), category_code=category, **where)
    event(kind, T0)
    matching.match_pending()
    assert not Link.objects.exists()


def test_the_event_s_own_time_counts_not_when_it_arrived(world):
    kind = pressure_kind(world)
    a = heating_appeal(world, T0 + dt.timedelta(hours=2))
    late = event(kind, T0)
    late.received_at = T0 + dt.timedelta(days=5)
    late.save()
    with clock.at(T0 + dt.timedelta(days=5)):
        matching.match_pending()
    assert Link.objects.get().appeal_id == a.pk


def test_the_same_block_links_weaker_only_while_the_category_is_unknown(world):
    kind = pressure_kind(world)
    other = world.heating.block.categories.create(code="hot-water", name="Нет горячей воды")
    another_topic = heating_appeal(world, T0 + dt.timedelta(hours=1), category_code=other.code)
    block_only = heating_appeal(world, T0 + dt.timedelta(hours=1))
    Appeal.objects.filter(pk=block_only.pk).update(category=None)  # classified to its block only
    event(kind, T0)
    matching.match_pending()
    # Another category of the same block is another problem; the block alone is a weaker sign.
    assert not Link.objects.filter(appeal=another_topic).exists()
    link = Link.objects.get(appeal=block_only)
    assert "блок «ЖКХ» тот же, что у вида события «Падение давления в теплосети»" in link.reason
    full = heating_appeal(world, T0 + dt.timedelta(hours=1))
    assert Link.objects.get(appeal=full).score > link.score


def test_an_appeal_without_a_point_links_by_its_address_or_territory(world):
    kind = pressure_kind(world)
    by_address = heating_appeal(world, T0 + dt.timedelta(hours=1), lat=None, lon=None, address="г. Город, улица Ленина, д. 5")
    by_territory = heating_appeal(world, T0 + dt.timedelta(hours=1), lat=None, lon=None)
    e = event(kind, T0, address="Город, ул. Ленина 5")
    e.territory = world.city
    e.save()
    matching.match_pending()
    reasons = dict(Link.objects.values_list("appeal_id", "reason"))
    assert reasons[by_address.pk].startswith("по тому же адресу")
    assert reasons[by_territory.pk].startswith("на той же территории («Город»)")
    assert Link.objects.get(appeal=by_address).score > Link.objects.get(appeal=by_territory).score


def test_a_reclassified_appeal_loses_its_automatic_link_but_an_operator_s_decision_stays(world):
    from tsur.appeals import services
    from tsur.monitoring.links import reject_link

    kind = pressure_kind(world)
    moved = heating_appeal(world, T0 + dt.timedelta(hours=1))
    rejected = heating_appeal(world, T0 + dt.timedelta(hours=2))
    e = event(kind, T0)
    matching.match_pending()
    assert Link.objects.count() == 2
    reject_link(Link.objects.get(appeal=rejected), world.operator, "Это другой дом, там своя котельная")
    with clock.at(T0 + dt.timedelta(hours=4)):
        services.reclassify(moved.pk, world.operator, category_code="garbage")
        services.change_place(rejected.pk, world.operator, territory_code="city", address="ул. Ленина, 7")
    assert not Link.objects.filter(appeal=moved).exists()
    # Matched again (a new version of the event), the rejected pair stays rejected.
    MonitoringEvent.objects.filter(pk=e.pk).update(matched_at=None)
    matching.match_pending()
    assert Link.objects.get(appeal=rejected).status == LinkStatus.REJECTED


def test_a_batch_reads_the_candidates_with_a_constant_number_of_queries(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    kind = pressure_kind(world)
    for n in range(30):
        heating_appeal(world, T0 + dt.timedelta(minutes=n), lat=metres_north(LAT, 40 * n))
    for n in range(5):
        event(kind, T0 + dt.timedelta(minutes=n), lat=metres_north(LAT, 200 * n))
    with CaptureQueriesContext(connection) as small:
        assert matching.match_pending() == 5
    for n in range(60):
        event(kind, T0 + dt.timedelta(minutes=n), lat=metres_north(LAT, 20 * n))
    with CaptureQueriesContext(connection) as large:
        assert matching.match_pending() == 60

    # The matcher's own statements: those before it marks the events matched (the subscribers of
    # evidence_changed, points of tension, run after its commit). SQLite splits a long INSERT.
    def own(c) -> list[str]:
        sqls = [q["sql"] for q in c.captured_queries if not q["sql"].startswith(("INSERT", "SAVEPOINT", "RELEASE"))]
        return sqls[: next(i for i, sql in enumerate(sqls) if sql.startswith('UPDATE "monitoring_monitoringevent"'))]

    selects = [sql for sql in own(large) if 'FROM "appeals_appeal"' in sql and "monitoring_link" not in sql]
    assert len(selects) <= 4  # the candidates; the problems, publication and status of those linked
    reads = [[sql[:30] for sql in own(c)] for c in (small, large)]
    assert reads[0] == reads[1]


def test_a_refused_appeal_keeps_no_automatic_link(world):
    from tsur.appeals import services

    a = heating_appeal(world, T0 + dt.timedelta(hours=1))
    event(pressure_kind(world), T0)
    matching.match_pending()
    assert Link.objects.filter(appeal=a).exists()
    with clock.at(T0 + dt.timedelta(hours=2)):
        services.reject_appeal(a.pk, world.operator, reason_code="test", note="Тестовое сообщение")
    assert not Link.objects.filter(appeal=a).exists()


def test_a_backlog_is_worked_through_in_claims_and_a_limit_is_kept(world, monkeypatch):
    monkeypatch.setattr(matching, "CLAIM_AT_MOST", 4)
    kind = pressure_kind(world)
    heating_appeal(world, T0 + dt.timedelta(hours=1))
    for n in range(10):
        event(kind, T0 + dt.timedelta(minutes=n))
    assert matching.match_pending(limit=3) == 3
    assert MonitoringEvent.objects.filter(matched_at__isnull=True).count() == 7
    assert matching.match_pending() == 7
    assert Link.objects.count() == 10
