"""The daily rollup equals a direct count of the appeals, after services change them (the
incremental recount) and after a full rebuild."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command

from tests.analytics.helpers import DAY0, history
from tsur.analytics import figures, measures, rollup, tasks
from tsur.analytics.filters import Filters
from tsur.analytics.models import COUNT_FIELDS, DailyFigures, DailyPlaceFigures, DailyTopicFigures, DirtyDay, MonthlyPlaceFigures, Rebuild
from tsur.appeals import services
from tsur.appeals.models import Appeal
from tsur.core import clock

MEASURE_OF = {
    "received": "received", "routed": "routed", "answered": "answered", "answered_in_time": "in_time",
    "answered_late": "late", "reopened": "reopened", "rated": "rated", "rated_good": "good",
    "formal": "formal", "returned": "returned", "repeat": "repeat",
}


def direct(now) -> dict:
    appeals = measures.annotate_facts(Appeal.objects.all())
    out = {field: appeals.filter(measures.condition(code, now)).count() for field, code in MEASURE_OF.items()}
    out["ratings_sum"] = sum(a.last_score or 0 for a in appeals)
    return out


def rolled() -> dict:
    """The fine rollup's totals, after checking the two coarse ones sum to the same."""
    models = (DailyFigures, DailyPlaceFigures, DailyTopicFigures)
    totals = [{f: sum(getattr(r, f) for r in model.objects.all()) for f in COUNT_FIELDS} for model in models]
    assert totals[0] == totals[1] == totals[2]
    return totals[0]


def test_it_keeps_the_rollup_equal_to_a_direct_count_as_appeals_change(world):
    h = history(world)
    now = DAY0 + dt.timedelta(days=60)
    assert not DirtyDay.objects.exists()  # every change was recounted after its commit
    expected = direct(now)
    assert rolled() == expected
    assert expected["received"] == 8 and expected["formal"] == 2 and expected["returned"] == 1
    assert expected["answered_late"] == 1 and expected["reopened"] == 1 and expected["repeat"] == 1
    assert expected["rated"] == 3 and expected["rated_good"] == 2 and expected["ratings_sum"] == 11
    # A reclassification moves the appeal to another key of the same day.
    with clock.at(DAY0 + dt.timedelta(days=4)):
        services.reclassify(h["open"].pk, world.operator, category_code="heating")
    heating = DailyFigures.objects.filter(category_id=world.heating.pk)
    assert sum(r.received for r in heating) == 1
    assert rolled() == direct(now)
    assert Rebuild.objects.filter(reason=Rebuild.Reason.CHANGE).exists()


def test_it_rebuilds_from_scratch_to_the_same_figures(world):
    history(world)
    before = sorted(DailyFigures.objects.values_list(*rollup.KEYS, *COUNT_FIELDS))
    DailyFigures.objects.all().delete()
    call_command("analytics", "rebuild")
    assert sorted(DailyFigures.objects.values_list(*rollup.KEYS, *COUNT_FIELDS)) == before
    call_command("analytics", "rebuild", "--from", "2025-03-04")
    assert sorted(DailyFigures.objects.values_list(*rollup.KEYS, *COUNT_FIELDS)) == before
    assert Rebuild.objects.filter(reason=Rebuild.Reason.COMMAND).count() == 2


def test_it_recounts_a_lost_recount_in_the_sweeper(world):
    history(world)
    DailyFigures.objects.filter(day=DAY0.date()).delete()  # as if the recount never ran
    marked = clock.now()
    rollup.mark_dirty([DAY0.date()])
    assert tasks.sweep(marked) == 0  # marked just now: its own recount may still be on its way
    assert not DailyFigures.objects.filter(day=DAY0.date()).exists()
    assert tasks.sweep(marked + dt.timedelta(minutes=2)) == 1
    assert rolled() == direct(DAY0 + dt.timedelta(days=60))
    assert not DirtyDay.objects.exists()


def test_it_keeps_a_mark_made_during_a_recount(world):
    history(world)
    rollup.mark_dirty([DAY0.date()])
    token = DirtyDay.objects.get(day=DAY0.date()).token
    rollup.mark_dirty([DAY0.date()])  # a change arrives while the first recount runs
    DirtyDay.objects.filter(day=DAY0.date(), token=token).delete()  # what the first recount deletes
    assert DirtyDay.objects.filter(day=DAY0.date()).exists()


def test_it_runs_the_nightly_rebuild_once_a_night(world):
    history(world)
    night = DAY0.replace(day=20, hour=2)
    assert tasks.nightly(night) is False
    assert tasks.nightly(night.replace(hour=3, minute=5)) is True
    assert tasks.nightly(night.replace(hour=4)) is False
    assert Rebuild.objects.filter(reason=Rebuild.Reason.NIGHTLY, finished_at__isnull=False, rows__gt=0).exists()


def test_it_reads_whole_months_from_the_monthly_rows_to_the_same_sums(world):
    history(world)
    filters = Filters.parse({"from": "2025-02-15", "to": "2025-04-10"})
    daily = rollup_rows_sums(filters)
    assert figures.grouped_sums(filters)[0] == daily
    assert MonthlyPlaceFigures.objects.filter(month=dt.date(2025, 3, 1)).exists()
    by_org = {r["organisation_id"]: r["received"] for r in figures.grouped_sums(filters, ("organisation_id",))}
    assert by_org == {None: 2, world.roads_ministry.pk: 4, world.city_admin.pk: 1, world.waste_operator.pk: 1}
    # A recount of one day rewrites its month's row too.
    for model in (DailyFigures, DailyPlaceFigures, DailyTopicFigures, MonthlyPlaceFigures):
        model.objects.all().delete()
    rollup.recount_days(DAY0.date(), DAY0.date(), reason=Rebuild.Reason.COMMAND)
    assert figures.grouped_sums(filters)[0]["received"] == 2


def rollup_rows_sums(filters) -> dict:
    from django.db.models import Sum

    from tsur.analytics.models import ANSWER_FIELDS, REVIEW_FIELDS

    return DailyFigures.objects.filter(day__gte=filters.date_from, day__lte=filters.date_to).aggregate(
        **{n: Sum(n, default=0) for n in COUNT_FIELDS + REVIEW_FIELDS + ANSWER_FIELDS}
    )
