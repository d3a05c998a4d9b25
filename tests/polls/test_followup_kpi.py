"""The organisations' KPIs count the follow-up answers: «подтверждено жителями после решения» —
the share of yes, with the counts, and «недостаточно данных» below the minimum."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from tsur.analytics import kpi
from tsur.analytics.filters import Filters
from tsur.appeals.models import Notification
from tsur.core import clock
from tsur.polls import followup, services
from tsur.polls.models import FollowUp

from .conftest import NOW, build_poll, good_answers
from .test_followup import RATED, VOTED, closed, token_of, vote

pytestmark = pytest.mark.django_db
PERIOD = {"from": "2025-03-01", "to": "2025-03-31"}


def answered_followups(world, outcomes: list[int]) -> None:
    for i, outcome in enumerate(outcomes):
        a = closed(world, email=f"r{i}@example.org")
        f = FollowUp.objects.get(appeal=a)
        vote(f.poll, token_of(Notification.objects.get(appeal=a, kind="followup_poll")), outcome, world=world)
    with clock.at(VOTED):
        followup.settle_answers()


def test_the_share_of_yes_per_organisation(world, settings):
    settings.TSUR_KPI_MIN_ANSWERED = 1
    settings.TSUR_KPI_MIN_FOLLOWUPS = 4
    answered_followups(world, [1, 1, 1, 2, 3])  # yes ×3, partly, no
    [roads] = [s for s in kpi.organisation_rating(Filters.parse(PERIOD)) if s.code == "roads-min"]
    c = roads.confirmed
    assert (c.answered, c.yes, c.partly, c.no, c.enough) == (5, 3, 1, 1, True)
    assert c.share == pytest.approx(0.6)
    # The page's filters select the appeals (by the day they were received, like every KPI column).
    [day] = [s for s in kpi.organisation_rating(Filters.parse({"from": "2025-03-03", "to": "2025-03-03"})) if s.code == "roads-min"]
    assert day.confirmed.answered == 5
    other = kpi.organisation_rating(Filters.parse({"from": "2025-04-01", "to": "2025-04-30"}))
    assert all(s.confirmed is None for s in other)


def test_the_kpi_page_shows_the_column_and_too_few_answers_honestly(world, client, settings):
    settings.TSUR_KPI_MIN_ANSWERED = 1
    answered_followups(world, [1, 3])
    client.force_login(world.analyst)
    with clock.at(RATED + dt.timedelta(days=2)):
        page = client.get(reverse("workspace:center_kpi"), PERIOD).content.decode()
    assert "Подтверждено жителями после решения" in page
    assert 'data-testid="kpi-confirmed-roads-min"><span class="muted">недостаточно данных (2 отв.)' in page
    settings.TSUR_KPI_MIN_FOLLOWUPS = 2
    with clock.at(RATED + dt.timedelta(days=2)):
        page = client.get(reverse("workspace:center_kpi"), PERIOD).content.decode()
    assert '50,0 % <span class="muted">(1 из 2)</span>' in page
    assert "Меньше 2 ответов — «недостаточно данных»" in page


def test_the_region_page_counts_the_polls_held_and_their_votes(world, client):
    poll = build_poll(world)
    with clock.at(NOW):
        services.publish_poll(poll, world.operator)
    with clock.at(NOW + dt.timedelta(hours=1)):
        services.cast_vote(poll, services.account_identity(world.resident), world.village, good_answers(poll), channel="widget")
    answered_followups(world, [1])  # a follow-up check: counted apart, not as a poll held
    march_2027 = Filters.parse({"from": "2027-03-01", "to": "2027-03-31"})
    held = kpi.region_figures(march_2027).polls
    assert (held.polls, held.ballots) == (1, 1)
    assert kpi.region_figures(Filters.parse({"from": "2027-02-01", "to": "2027-02-28"})).polls.polls == 0
    assert kpi.region_figures(Filters.parse(PERIOD)).polls.followups_answered == 1
    client.force_login(world.analyst)
    with clock.at(NOW + dt.timedelta(days=1)):
        html = client.get(reverse("workspace:center_region"), {"from": "2027-03-01", "to": "2027-03-31"}).content.decode()
    assert 'data-testid="region-polls"><span class="tile-value">1<' in html and "голосов за период: 1" in html


def test_the_kpi_export_carries_the_residents_confirmation(world, client, settings):
    settings.TSUR_KPI_MIN_ANSWERED = 1
    settings.TSUR_KPI_MIN_FOLLOWUPS = 2
    answered_followups(world, [1, 3])
    client.force_login(world.analyst)
    raw = b"".join(client.get(reverse("workspace:center_kpi_export", args=["csv"]), PERIOD).streaming_content)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][-2:] == ["Ответов на проверку решения", "Подтверждено жителями после решения, %"]
    [roads] = [r for r in rows[2:] if r[2] == "Миндор"]
    assert roads[-2:] == ["2", "50.0"]
    settings.TSUR_KPI_MIN_FOLLOWUPS = 3
    raw = b"".join(client.get(reverse("workspace:center_kpi_export", args=["csv"]), PERIOD).streaming_content)
    [roads] = [r for r in csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";") if len(r) > 2 and r[2] == "Миндор"]
    assert roads[-2:] == ["2", "недостаточно данных"]
