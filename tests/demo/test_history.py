"""The demo's generated year: deterministic, seasonal, weekly, by population, with its planted
episodes standing far above the usual, free of personal data, written whole through record_history."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from tsur.answers.models import Answer, Rating
from tsur.appeals.models import Appeal, Event, Resident, Status
from tsur.core import clock
from tsur.demo.history import EPISODES, episode_days, generate, stories
from tsur.demo.loader import RECENT_DAYS, create_users, load_demo, load_reference

MSK = ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=MSK)
PHONE = re.compile(r"(\+7|\b8)[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
NAME = re.compile(r"меня зовут|с уважением,|\bФИО\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def year(django_db_setup, django_db_blocker):
    """The demo's reference data and a year of stories ending on NOW (not written)."""
    with django_db_blocker.unblock():
        load_reference()
        create_users()
        with clock.at(NOW):
            items = list(stories(days=365, end=NOW, seed=2026))
    yield items
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def per_month(items, category: str) -> Counter:
    return Counter(timezone.localtime(i.received_at).month for i in items if i.category_code == category)


def signature(items) -> list[tuple]:
    return [
        (i.received_at, i.channel, i.category_code, i.territory_code, i.text, i.address, i.lat, i.lon,
         tuple((s.name, s.at, s.score, s.text, s.organisation) for s in i.steps))
        for i in items
    ]


def test_it_is_deterministic_for_a_seed(db, year):
    with clock.at(NOW):
        first = signature(stories(days=45, end=NOW, seed=7, per_day=20))
        again = signature(stories(days=45, end=NOW, seed=7, per_day=20))
        other = signature(stories(days=45, end=NOW, seed=8, per_day=20))
    assert first == again
    assert first != other
    assert 45 * 20 <= len(first) < 45 * 20 * 1.2  # the background's count, plus the live episode


def test_it_follows_the_seasons(db, year):
    snow, heating = per_month(year, "roads-snow-ice-local"), per_month(year, "housing-heating-mkd")
    potholes, weeds = per_month(year, "roads-potholes-local"), per_month(year, "housing-weeds-private")
    assert snow[1] > 10 * max(snow[7], 1)
    assert heating[10] > 4 * max(heating[6], 1)
    assert potholes[4] > 2 * potholes[8]
    assert weeds[7] > 10 * max(weeds[1], 1)


def test_it_has_waste_peaks_after_the_holidays(db, year):
    days = Counter(
        timezone.localtime(i.received_at).date() for i in year if i.category_code.startswith("waste-collection")
        and i.territory_code != "maloyaroslavets"
    )
    after_new_year = sum(days[dt.date(2026, 1, d)] for d in range(9, 13)) / 4
    february = sum(days[dt.date(2026, 2, d)] for d in range(9, 28)) / 19
    assert after_new_year > 1.6 * february


def test_it_is_quieter_at_weekends(db, year):
    per_day = Counter(timezone.localtime(i.received_at).date() for i in year)
    by_weekday: dict[int, list[int]] = {}
    for day, n in per_day.items():
        by_weekday.setdefault(day.weekday(), []).append(n)
    mean = {wd: sum(v) / len(v) for wd, v in by_weekday.items()}
    assert min(mean[wd] for wd in range(5)) > 1.3 * max(mean[5], mean[6])


def test_it_follows_the_population(db, year):
    places = Counter(i.territory_code for i in year)
    assert places["kaluga"] > 2.5 * places["obninsk"] > 2.5 * places["meshchovsk"] > 0
    assert 12_000 < len(year) < 17_000  # ~42 a day for the region


def test_its_planted_episodes_stand_far_above_the_usual(db, year):
    windows = episode_days(NOW, 365)
    assert set(windows) == {e.key for e in EPISODES}
    for e in EPISODES:
        first, last = windows[e.key]
        length = (last - first).days + 1
        places = {e.territory}
        inside = outside = 0
        for i in year:
            if i.category_code != e.category or i.territory_code not in places:
                continue
            if first <= timezone.localtime(i.received_at).date() <= last:
                inside += 1
            else:
                outside += 1
        usual = outside / (365 - length) * length
        assert inside >= 10 and inside > 8 * max(usual, 0.5), (e.key, inside, usual)
    assert windows["heating"][0].month == 1 and windows["potholes"][0].month == 4
    assert windows["dump"][0].month == 7 and windows["water"][0].month == 8
    assert windows["waste"][1] == NOW.date()  # the live one runs up to the end


def test_it_carries_no_personal_data(db, year):
    for item in year:
        for text in (item.text, item.address, *(s.text for s in item.steps), *(s.reason for s in item.steps)):
            assert not PHONE.search(text) and not EMAIL.search(text) and not NAME.search(text), text


def test_it_writes_stories_the_lifecycle_accepts(db, year):
    with clock.at(NOW):
        written = generate(days=40, end=NOW, per_day=25, seed=11)
    assert written == Appeal.objects.count() > 1000
    assert not Resident.objects.exists()
    assert len(set(Appeal.objects.values_list("access_key", flat=True))) == written  # each its own status-page key
    statuses = Counter(Appeal.objects.values_list("status", flat=True))
    assert statuses[Status.CLOSED] > written / 3
    assert statuses[Status.JOINED] + Appeal.objects.filter(status=Status.CLOSED, problem__isnull=False).count() > 0
    assert {Status.IN_PROGRESS, Status.REJECTED, Status.PUBLISHED} <= set(statuses)
    assert Appeal.objects.filter(reopened_count__gt=0).exists()
    assert Appeal.objects.filter(answered_at__gt=F("due_at")).exists()  # some answered late
    scores = Counter(Rating.objects.values_list("score", flat=True))
    assert scores[5] + scores[4] > 2 * (scores[1] + scores[2]) > 0
    assert Answer.objects.filter(check_state=Answer.Check.RETURNED).exists()
    created = Event.objects.filter(kind="created").count()
    assert created == written and Event.objects.count() > 5 * written


def test_it_loads_the_demo_with_a_small_history_before_the_recent_appeals(db, year):
    now = timezone.now()
    counts, _users = load_demo(count=3, history_days=10, history_per_day=6)
    assert counts["appeals"] == 3 and counts["history"] >= 60
    history = list(Appeal.objects.order_by("pk")[: counts["history"]])
    recent = list(Appeal.objects.order_by("pk")[counts["history"] :])
    start = now - dt.timedelta(days=RECENT_DAYS)
    live = [a for a in history if a.received_at >= start]
    assert all(a.territory.code == "maloyaroslavets" and a.category.code == "waste-collection-mkd" for a in live)
    assert len(live) < len(history) and all(a.received_at >= start - dt.timedelta(days=11) for a in history)
    # The recent appeals: those made through the services and the residents' messages of the
    # monitoring history's completed burst (tsur.demo.monitoring_history), all after the history.
    assert counts["burst_appeals"] > 0
    assert len(recent) == 3 + counts["burst_appeals"] and all(a.received_at >= start for a in recent)


def test_it_refuses_impossible_history_options_clearly(db, year):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="history-days"):
        call_command("load_demo", "--history-days", "-5")
    with pytest.raises(ValueError, match="days"):
        list(stories(days=0, end=NOW))
    with pytest.raises(ValueError, match="aware"):
        list(stories(days=5, end=NOW.replace(tzinfo=None)))


def test_it_joins_duplicates_only_where_record_history_can_find_the_lead(db, year):
    with clock.at(NOW):
        written = generate(days=20, end=NOW, per_day=40, seed=12, batch=40)  # ~20 batches, leads across their edges
    assert written == Appeal.objects.count()
    assert Appeal.objects.filter(problem__isnull=False).exclude(problem__lead=F("pk")).exists()
