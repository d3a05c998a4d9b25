"""The demo's population poll: published over Калуга, a few hundred ballots spread over its okrugs
with different leanings, loaded once, no personal data."""

from __future__ import annotations

from collections import Counter

from tsur.demo import polls as demo_polls
from tsur.demo.loader import create_users, load_reference
from tsur.directory.models import Territory
from tsur.polls.models import Answer, Ballot, Poll, PollEvent, Status
from tsur.polls.tally import tally


def test_the_demo_poll_is_published_with_ballots_that_have_a_shape(db):
    load_reference()
    users = create_users()
    assert demo_polls.load(users.by_role["operator"]) == {"poll_ballots": demo_polls.BALLOTS}
    poll = Poll.objects.get(title=demo_polls.TITLE)
    assert poll.status == Status.PUBLISHED and [t.code for t in poll.territories.all()] == ["kaluga"]
    by_place = Counter(Ballot.objects.filter(poll=poll).values_list("territory__code", flat=True))
    assert sum(by_place.values()) == demo_polls.BALLOTS and len(by_place) == 4 and min(by_place.values()) >= 20
    first = poll.questions.order_by("order").first()

    def leader(code: str) -> str:
        ids = {Territory.objects.get(code=code).pk}
        counts = tally(poll, territory_ids=ids).questions[0].options
        return max(counts, key=lambda o: o.votes).label

    assert leader("kaluga-moskovskiy-okrug") != leader("kaluga-oktyabrskiy-okrug")
    scale = tally(poll).questions[2]
    assert [o.label for o in scale.options] == ["1 — очень плохо", "2", "3", "4", "5 — отлично"]
    assert sum(o.votes for o in scale.options) == demo_polls.BALLOTS and 1 < scale.mean < 5
    assert Answer.objects.filter(question=first).count() == demo_polls.BALLOTS
    assert set(Ballot.objects.values_list("channel", flat=True)) == {"widget", "app", "link"}
    assert PollEvent.objects.filter(poll=poll, kind="vote_cast").count() == demo_polls.BALLOTS
    # Loaded once.
    assert demo_polls.load(users.by_role["operator"]) == {}
    assert Ballot.objects.count() == demo_polls.BALLOTS
