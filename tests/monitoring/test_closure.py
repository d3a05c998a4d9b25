"""Objective confirmation and proof of closure: the roles of links, closing an appeal whose
answer the resolution proves, reopening one whose answer the events contradict (each through the
lifecycle's door), problems carried along, the quiet period of cameras."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.monitoring.helpers import LAT, LON, T0, answer, event, heating_appeal, metres_north, pressure_kind, resolve
from tsur.appeals.models import CloseReason, Status
from tsur.core import clock
from tsur.monitoring import closure, matching
from tsur.monitoring.events import evidence_changed
from tsur.monitoring.models import EventKind, EventState, EventVersion, Link, LinkRole, MonitoringEvent, Resolution, Source
from tsur.monitoring.queries import evidence_for_appeal

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


@pytest.fixture
def told():
    seen: list[int] = []
    evidence_changed.subscribe(seen.extend, uid="tests.monitoring.told")
    yield seen
    evidence_changed.unsubscribe("tests.monitoring.told")


def test_a_linked_event_confirms_the_appeal(world, told):
    a = heating_appeal(world, T0 + H)
    event(pressure_kind(world), T0)
    matching.match_pending()
    ev = evidence_for_appeal(a.pk)
    assert ev.confirmed and not ev.proven and not ev.contradicted
    assert ev.confirmation_label == "Подтверждено объективным контролем: 1 событие"
    assert ev.events[0].role_label == "подтверждает проблему"
    assert told == [a.pk]


def test_the_resolution_after_the_answer_closes_the_appeal_through_the_door(world, told):
    a = heating_appeal(world, T0 + H)
    e = event(pressure_kind(world), T0)
    matching.match_pending()
    answer(world, a, T0 + 5 * H)
    with clock.at(T0 + 8 * H):
        resolve(e, T0 + 7 * H)
    a.refresh_from_db()
    assert (a.status, a.close_reason) == (Status.CLOSED, CloseReason.CONFIRMED)
    last = a.events.order_by("-pk").first()
    assert (last.kind, last.actor_label) == ("close_objective", "объективный контроль")
    assert "устранено 01.12.2026 17:00: показания вернулись в норму" in last.reason
    ev = evidence_for_appeal(a.pk)
    assert ev.proven and ev.proof.role == LinkRole.CLOSES
    assert ev.proof_label.startswith(
        "Устранение подтверждено: «Падение давления в теплосети» (Датчики теплосети) — показания вернулись в норму, 01.12.2026 17:00"
    )
    assert a.pk in told


def test_without_may_close_the_proof_is_recorded_but_the_appeal_waits_for_the_resident(world):
    a = heating_appeal(world, T0 + H)
    e = event(pressure_kind(world, may_close=False), T0)
    matching.match_pending()
    answer(world, a, T0 + 5 * H)
    resolve(e, T0 + 7 * H)
    a.refresh_from_db()
    assert a.status == Status.PUBLISHED
    assert evidence_for_appeal(a.pk).proven


def test_a_resolution_before_the_answer_proves_but_does_not_close(world):
    a = heating_appeal(world, T0 + H)
    e = event(pressure_kind(world), T0)
    matching.match_pending()
    resolve(e, T0 + 2 * H)
    answer(world, a, T0 + 5 * H)
    a.refresh_from_db()
    assert a.status == Status.PUBLISHED
    assert evidence_for_appeal(a.pk).proven


def test_a_recurrence_after_the_answer_reopens_it_with_a_fresh_clock(world):
    kind = pressure_kind(world)
    a = heating_appeal(world, T0 + H)
    first = event(kind, T0)
    matching.match_pending()
    answer(world, a, T0 + 5 * H)
    resolve(first, T0 + 6 * H)
    a.refresh_from_db()
    assert a.status == Status.CLOSED
    with clock.at(T0 + 30 * H):
        event(kind, T0 + 29 * H, lat=metres_north(LAT, 50))
        matching.match_pending()
    a.refresh_from_db()
    assert (a.status, a.reopened_count, a.close_reason) == (Status.IN_PROGRESS, 1, "")
    last = a.events.order_by("-pk").first()
    assert last.kind == "reopen_objective"
    assert last.reason.startswith("Объективный контроль не подтверждает устранение: после ответа снова зафиксировано событие")
    assert last.data["due_at"]  # the clock restarted
    told = a.notifications.get(kind="reopened_objective")
    assert told.subject == f"Обращение {a.number} возвращено в работу"
    assert told.body.startswith(f"По данным объективного контроля проблема по обращению {a.number} не устранена: после ответа снова")
    assert "Новый срок ответа — до " in told.body
    ev = evidence_for_appeal(a.pk)
    assert ev.contradicted and not ev.proven
    assert ev.contradiction_label.startswith("Объективный контроль не подтверждает устранение: после ответа зафиксировано")


def test_an_event_still_active_after_the_grace_period_contradicts_the_answer(world):
    from tsur.monitoring import tasks

    a = heating_appeal(world, T0 + H)
    event(pressure_kind(world, quiet_hours=12), T0)
    matching.match_pending()
    answer(world, a, T0 + 5 * H)
    assert tasks.contradictions(T0 + 16 * H) == 0
    a.refresh_from_db()
    assert a.status == Status.PUBLISHED
    with clock.at(T0 + 18 * H):
        assert tasks.contradictions(T0 + 18 * H) == 1
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS
    assert "продолжается после ответа" in a.events.order_by("-pk").first().reason
    assert tasks.contradictions(T0 + 19 * H) == 0  # evaluated once


def test_without_may_reopen_a_contradiction_is_only_shown(world):
    kind = pressure_kind(world, may_reopen=False)
    a = heating_appeal(world, T0 + H)
    event(kind, T0)
    matching.match_pending()
    answer(world, a, T0 + 5 * H)
    event(kind, T0 + 8 * H)
    matching.match_pending()
    a.refresh_from_db()
    assert a.status == Status.PUBLISHED
    assert evidence_for_appeal(a.pk).contradicted


def test_a_rejected_link_proves_nothing(world):
    from tsur.monitoring.links import reject_link

    a = heating_appeal(world, T0 + H)
    e = event(pressure_kind(world), T0)
    matching.match_pending()
    reject_link(Link.objects.get(), world.operator, "Датчик на другой ветке теплосети")
    answer(world, a, T0 + 5 * H)
    resolve(e, T0 + 7 * H)
    a.refresh_from_db()
    assert a.status == Status.PUBLISHED
    ev = evidence_for_appeal(a.pk)
    assert not ev.confirmed and not ev.proven and ev.events[0].rejected


def test_the_problem_s_lead_and_its_joined_appeals_close_together(world):
    from tsur.appeals import services

    lead = heating_appeal(world, T0 + H)
    member = heating_appeal(world, T0 + 2 * H, lat=None, lon=None)  # linked through its problem only
    with clock.at(T0 + 3 * H):
        services.join_to_problem(member.pk, world.operator, lead_number=lead.number)
    e = event(pressure_kind(world, radius_m=200), T0)
    matching.match_pending()
    answer(world, lead, T0 + 5 * H)
    member.refresh_from_db()
    assert member.status == Status.PUBLISHED
    resolve(e, T0 + 7 * H)
    lead.refresh_from_db()
    member.refresh_from_db()
    assert lead.status == member.status == Status.CLOSED
    assert evidence_for_appeal(member.pk).proven  # shown on the problem's other appeals too


def test_a_camera_event_resolves_after_its_quiet_period_as_a_system_version(world):
    camera = Source.objects.create(code="cams", name="Камеры", kind="camera")
    kind = EventKind.objects.create(
        code="container", source_kind="camera", name="Переполненный контейнер", radius_m=100, resolution=Resolution.QUIET, quiet_hours=24
    )
    kind.categories.add(world.garbage)
    first = event(kind, T0, source=camera)
    again = event(kind, T0 + 10 * H, source=camera, lat=metres_north(LAT, 30))
    elsewhere = event(kind, T0, source=camera, lat=metres_north(LAT, 3000))
    assert closure.resolve_quiet(T0 + 30 * H) == 1  # the one far away; the detection near resets the period
    assert MonitoringEvent.objects.get(pk=elsewhere.pk).state == EventState.RESOLVED
    assert closure.resolve_quiet(T0 + 35 * H) == 2
    first.refresh_from_db()
    assert (first.state, first.resolved_at, first.version) == (EventState.RESOLVED, T0 + 34 * H, 2)
    assert first.matched_at is not None  # told on events_recorded, the matcher looked at it again
    version = EventVersion.objects.get(event=first, version=2)
    assert json.loads(version.payload)["reason"] == "нет новых срабатываний 24 ч"
    assert version.state == EventState.RESOLVED
    again.refresh_from_db()
    assert again.resolved_at == T0 + 34 * H
    assert closure.resolve_quiet(T0 + 40 * H) == 0


def test_through_the_intake_a_reading_back_to_normal_closes_the_appeal(world):
    """The intake's own path: a source's new version (the case closed) arrives by `ingest`."""
    from tsur.monitoring.intake import ingest

    source = Source.objects.create(
        code="gzhi",
        name="ГЖИ",
        kind="housing",
        mapping={
            "fields": {"external_id": "id", "occurred_at": "opened", "version_at": "updated", "resolved_at": "closed",
                       "kind": "type", "state": "status", "lat": "lat", "lon": "lon"},
            "kinds": {"HEAT": "gzhi-heat"},
            "states": {"open": "active", "closed": "resolved"},
        },
    )  # fmt: skip
    kind = pressure_kind(world, code="gzhi-heat", source_kind="housing", name="Нарушение теплоснабжения", resolution=Resolution.CASE_CLOSED)
    assert kind.code == "gzhi-heat"
    a = heating_appeal(world, T0 + H)
    item = {"id": "case-1", "opened": T0.isoformat(), "updated": T0.isoformat(), "type": "HEAT", "status": "open", "lat": LAT, "lon": LON}
    with clock.at(T0 + 2 * H):
        result = ingest(source, [item])
    assert result.accepted == 1, result.as_dict()
    assert Link.objects.get().appeal_id == a.pk
    answer(world, a, T0 + 5 * H)
    closed = {**item, "updated": (T0 + 9 * H).isoformat(), "closed": (T0 + 9 * H).isoformat(), "status": "closed"}
    with clock.at(T0 + 10 * H):
        assert ingest(source, [closed]).updated == 1
    a.refresh_from_db()
    assert a.status == Status.CLOSED
    assert a.events.order_by("-pk").first().kind == "close_objective"
