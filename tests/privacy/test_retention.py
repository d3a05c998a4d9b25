"""The retention purge: residents whose appeals all closed before the cutoff are pseudonymised,
their appeals and statistics stay, each purge is an event and a run record, and it runs once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
from django.core.management import call_command

from tests.privacy.helpers import NEEDLES, PLANTED, T0, appeal_at, closed_appeal
from tsur.analytics.figures import overview
from tsur.analytics.filters import Filters
from tsur.appeals.event_labels import event_label
from tsur.appeals.models import Appeal, Event, InternalNote, Notification, PurgeRun, Resident
from tsur.appeals.services import add_resident_message
from tsur.appeals.services.retention import PURGED_EVENT, purge_expired, residents_due
from tsur.core.tasks import periodic_jobs

DAY = dt.timedelta(days=1)


def figures(*, recount: bool = False) -> dict:
    """Every headline figure, the live counts included; `recount`: the daily rows rebuilt from the
    appeals first (a purged appeal recounted must give the same)."""
    if recount:
        call_command("analytics", "rebuild", stdout=io.StringIO())
    f = Filters(date_from=dt.date(2019, 1, 1), date_to=dt.date(2031, 1, 1))
    return dataclasses.asdict(overview(f, live=True))


def leaks(appeal: Appeal) -> list[str]:
    """Every stored text of the appeal that still holds a planted value."""
    texts = [appeal.text, appeal.text_masked, appeal.search_text]
    texts += [f"{e.reason} {e.data}" for e in Event.objects.filter(appeal=appeal)]
    texts += [n.text for n in InternalNote.objects.filter(appeal=appeal)]
    texts += [f"{n.subject} {n.body}" for n in Notification.objects.filter(appeal=appeal)]
    return [t for t in texts for needle in NEEDLES if needle.casefold() in t.casefold()]


@pytest.fixture
def old_and_new(world, settings):
    settings.TSUR_PD_RETENTION_DAYS = 365
    settings.TSUR_PD_RETENTION_DAYS_MESSAGES = 365
    old = closed_appeal(world, T0)
    add_resident_message(old, text=f"Дополняю: {PLANTED['name']}, тел. {PLANTED['phone']}", photos=[], source="status_page")
    InternalNote.objects.create(appeal=old, author=world.operator, text=f"Звонил {PLANTED['name']}, просил перезвонить")
    recent = closed_appeal(
        world, T0 + 300 * DAY, name="Другой Житель", email="other@example.net", phone="+7 900 111-22-33", text="Снег не убран во дворе"
    )
    return old, recent


def test_it_pseudonymises_only_residents_whose_appeals_all_closed_before_the_cutoff(world, old_and_new):
    old, recent = old_and_new
    now = T0 + 500 * DAY
    assert list(residents_due(now)) == [old.resident]
    assert leaks(old)  # the planted values are there before
    before = figures(recount=True)
    assert before["received"] == 2, before
    run = purge_expired(now)
    assert (run.residents, run.appeals, run.reason) == (1, 1, PurgeRun.Reason.RETENTION)
    assert run.finished_at is not None and run.cutoff == now - 365 * DAY
    old.refresh_from_db()
    r = Resident.objects.get(pk=old.resident_id)
    assert (r.name, r.phone, r.email, r.account_link, r.user_id) == ("", "", "", "", None)
    assert r.pseudonymised_at is not None and r.pseudonym.startswith("R-")
    assert leaks(old) == []
    assert "Яма на дороге" in old.text  # the substance of the appeal stays
    purged = Event.objects.get(appeal=old, kind=PURGED_EVENT)
    assert purged.data["run"] == run.pk and event_label(PURGED_EVENT) == "Персональные данные жителя обезличены"
    # The other resident's appeal closed after the cutoff: untouched.
    recent.refresh_from_db()
    assert recent.resident.name == "Другой Житель" and not Event.objects.filter(appeal=recent, kind=PURGED_EVENT).exists()
    # Statistics read appeals, events and ratings, not the resident: every figure is the same.
    assert figures() == before
    assert figures(recount=True) == before


def test_it_runs_once_and_skips_a_resident_with_an_open_appeal(world, old_and_new):
    old, _recent = old_and_new
    appeal_at(world, T0 + 400 * DAY)  # the same e-mail: a new resident row, its appeal open
    now = T0 + 500 * DAY
    assert purge_expired(now).residents == 1
    assert purge_expired(now) is None  # nothing left: idempotent
    assert Event.objects.filter(appeal=old, kind=PURGED_EVENT).count() == 1
    # A resident whose later appeal is still open keeps their data until it closes.
    mixed = closed_appeal(world, T0, name="Смешанный Житель", email="mixed@example.net")
    Appeal.objects.filter(pk=appeal_at(world, T0 + 450 * DAY).pk).update(resident=mixed.resident)
    assert mixed.resident not in residents_due(now)


def test_it_resumes_in_batches_and_is_a_registered_periodic_job(world, settings):
    settings.TSUR_PD_RETENTION_DAYS = 30
    settings.TSUR_PD_RETENTION_DAYS_MESSAGES = 30
    appeals = [closed_appeal(world, T0 + n * DAY, email=f"r{n}@example.net") for n in range(3)]
    job = periodic_jobs()["pd_retention"]
    now = T0 + 100 * DAY
    assert purge_expired(now, limit=2).residents == 2
    assert job(now) == 1  # the rest at the next tick
    assert job(now) == 0
    assert all(Resident.objects.get(pk=a.resident_id).pseudonymised_at for a in appeals)


def test_a_message_regime_may_have_a_shorter_period(world, settings):
    settings.TSUR_PD_RETENTION_DAYS = 1000
    settings.TSUR_PD_RETENTION_DAYS_MESSAGES = 30
    a = closed_appeal(world, T0)
    now = T0 + 100 * DAY
    Appeal.objects.filter(pk=a.pk).update(regime="message")
    assert list(residents_due(now)) == [a.resident]
    Appeal.objects.filter(pk=a.pk).update(regime="appeal")
    assert list(residents_due(now)) == []
