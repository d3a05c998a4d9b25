"""Results of a poll: per question counts, shares, scale averages, free answers masked; by territory
with small counts flagged; the page and its charts' data."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tsur.core import clock
from tsur.polls import services
from tsur.polls.results import poll_results
from tsur.polls.senders import read_outbox

from .conftest import NOW

pytestmark = pytest.mark.django_db

LATER = NOW + dt.timedelta(hours=3)


def by_code(poll, contact: str, territory, answers: dict):
    """A resident verified by a one-time code votes (the way most residents do)."""
    with clock.at(LATER):
        services.request_code(poll, contact, ip="10.0.0.9")
        identity = services.verify_code(poll, contact, read_outbox()[-1]["code"])
        return services.cast_vote(poll, identity, territory, answers, channel="widget")


def answers_for(poll, first: int, scale: int, text: str = "", more: tuple[int, ...] = (0,)) -> dict:
    q = list(poll.questions.order_by("order"))
    opts0, opts1 = list(q[0].options.all()), list(q[1].options.all())
    out = {q[0].pk: opts0[first].pk, q[1].pk: [opts1[i].pk for i in more], q[2].pk: scale}
    if text:
        out[q[3].pk] = text
    return out


@pytest.fixture
def voted(poll, world):
    by_code(poll, "+7 900 111-11-01", world.village, answers_for(poll, 0, 5, "Больше фонарей у школы"))
    by_code(poll, "+7 900 111-11-02", world.village, answers_for(poll, 0, 4, more=(0, 1)))
    by_code(poll, "+7 900 111-11-03", world.district, answers_for(poll, 1, 2))
    by_code(poll, "resident@example.org", world.district, answers_for(poll, 2, 3, "Звоните мне: +7 915 222-33-44"))
    return poll


def test_it_counts_each_option_with_shares_and_averages(voted):
    r = poll_results(voted)
    assert r.ballots == 4 and r.small  # below the default minimum of 10
    single, multiple, scale, text = r.questions
    assert [(line.label, line.count) for line in single.lines] == [("Детская площадка", 2), ("Освещение", 1), ("Парковка", 1)]
    assert single.lines[0].share == 0.5 and single.answered == 4
    # Multiple choice: shares of the ballots that answered (they add up to more than 100 %).
    assert [line.count for line in multiple.lines] == [4, 1, 0] and multiple.lines[0].share == 1.0
    assert scale.average == pytest.approx(3.5) and [line.count for line in scale.lines] == [0, 1, 1, 1, 1]
    assert [line.label for line in scale.lines] == ["1", "2", "3", "4", "5"]  # no end labels in this poll
    assert text.answered == 2 and text.skipped == 2
    assert "Больше фонарей у школы" in text.texts
    assert not any("222-33-44" in t for t in text.texts)  # the phone in a free answer is masked


def test_by_territory_with_small_counts_flagged(voted, world):
    r = poll_results(voted)
    assert r.territories == [("Район", 2), ("Село", 2)]
    single = r.questions[0]
    rows = {t.name: t for t in single.territories}
    assert rows["Село"].counts == [2, 0, 0] and rows["Село"].shares == [1.0, 0.0, 0.0] and rows["Село"].small
    assert rows["Район"].counts == [0, 1, 1]
    scale = r.questions[2]
    assert {t.name: t.average for t in scale.territories} == {"Село": 4.5, "Район": 2.5}


def test_the_page_shows_tables_charts_and_the_small_count_warning(client, voted, world, settings):
    client.force_login(world.analyst)
    html = client.get(f"/workspace/polls/{voted.pk}/results/").content.decode()
    assert 'data-testid="ballots-total">4<' in html
    assert "Мало ответов (меньше 10)" in html and "среднее 3,5" in html
    assert "50,0 %" in html and "(мало ответов)" in html
    assert "Больше фонарей у школы" in html and "222-33-44" not in html
    data = json.loads(html.split('id="poll-results-data" type="application/json">')[1].split("</script>")[0])
    assert data["questions"][0]["counts"] == [2, 1, 1]
    assert {t["name"] for t in data["questions"][0]["territories"]} == {"Район", "Село"}
    assert "vendor/echarts/dist/echarts.min.js" in html
    settings.TSUR_POLLS_SMALL_COUNT = 3
    html = client.get(f"/workspace/polls/{voted.pk}/results/").content.decode()
    assert "Мало ответов (меньше" not in html


def test_a_poll_without_votes_reads_honestly(client, poll, world):
    client.force_login(world.operator)
    html = client.get(f"/workspace/polls/{poll.pk}/results/").content.decode()
    assert 'data-testid="ballots-total">0<' in html and "Ответов пока нет." in html
    r = poll_results(poll)
    assert all(line.share is None for line in r.questions[0].lines)
