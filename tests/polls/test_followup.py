"""The follow-up after a fix: a resolved appeal's resident is invited once to «Проблема
действительно решена?»; the answer is settled from the ballot, a «нет» reopens the appeal through
the lifecycle's door; no follow-up for the unreachable, the rejected, the old or the repeated."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail

from tests.analytics.helpers import DAY0, answered
from tests.factories import new_appeal
from tsur.answers import services as answers
from tsur.appeals import services as appeal_services
from tsur.appeals.events import AppealChange
from tsur.appeals.models import Event, Notification, Status
from tsur.core import clock
from tsur.polls import followup, followup_tasks, services
from tsur.polls.events import ballot_cast
from tsur.polls.models import Audience, Ballot, FollowUp, FollowUpPoll, Invitation, Kind, Poll, PollEvent, QuestionKind
from tsur.polls.models import Status as PollStatus

pytestmark = pytest.mark.django_db

RATED = DAY0 + dt.timedelta(days=3)
VOTED = RATED + dt.timedelta(days=1)


def closed(world, **kw):
    """An answered appeal the resident rated well: closed, resolved."""
    a = answered(world, DAY0, **kw)
    with clock.at(RATED):
        answers.rate_appeal(a.pk, None, score=5)
    a.refresh_from_db()
    return a


def token_of(note: Notification) -> str:
    return re.search(r"/polls/[\w-]+/\?i=([\w-]+)", note.body).group(1)


def vote(poll: Poll, token: str, outcome: int, comment: str = "", territory=None, world=None) -> Ballot:
    """The resident opens the invitation's link and answers (P1's services, as the pages do)."""
    q = list(poll.questions.order_by("order"))
    option = q[0].options.get(order=outcome)
    answers_ = {q[0].pk: option.pk}
    if comment:
        answers_[q[1].pk] = comment
    with clock.at(VOTED):
        identity = services.invitation_identity(poll, token)
        return services.cast_vote(poll, identity, territory or world.district, answers_, channel="followup")


def test_a_resolved_appeal_invites_its_resident_once(world):
    a = closed(world)
    assert a.status == Status.CLOSED
    f = FollowUp.objects.get()
    assert (f.appeal_id, f.round, f.source, f.state) == (a.pk, 0, "appeal", FollowUp.State.SENT)
    poll = f.poll
    assert (poll.kind, poll.status, poll.audience, poll.subject_appeal_id) == (Kind.FOLLOWUP, PollStatus.PUBLISHED, Audience.INVITED, a.pk)
    assert poll.title == "Проблема действительно решена?" and "Ямы на дороге — Район" in poll.description
    q = list(poll.questions.order_by("order"))
    assert [o.text for o in q[0].options.all()] == ["Да, решена", "Частично", "Нет, не решена"] and q[0].required
    assert q[1].kind == QuestionKind.TEXT and not q[1].required
    assert poll.ends_at == RATED + dt.timedelta(days=14)
    note = Notification.objects.get(appeal=a, kind="followup_poll")
    assert f"/polls/{poll.token}/?i=" in note.body and a.number in note.subject
    # Delivered by e-mail (the appeal came by phone to an operator: no channel carries it).
    [message] = [m for m in mail.outbox if "Проблема действительно решена?" in m.subject]
    assert token_of(note) in message.body and message.to == ["ivan@example.org"]
    assert f.invitation.appeal_id == a.pk and Invitation.objects.count() == 1
    # The same resolution published twice (a sweeper, a replayed message) asks nobody again.
    assert followup.record({a.pk: "appeal"}) == []
    assert followup.point_resolved([a.pk], "Ямы на дороге, Район", 77) == []
    assert FollowUp.objects.count() == 1 and Notification.objects.filter(kind="followup_poll").count() == 1


def test_no_from_the_resident_reopens_the_appeal_audited(world):
    a = closed(world)
    f = FollowUp.objects.get()
    note = Notification.objects.get(kind="followup_poll")
    vote(f.poll, token_of(note), 3, "Яма на месте, звоните +7 915 000-11-22", world=world)
    # Settled as the vote commits: the periodic settling (the sweeper) finds nothing left.
    with clock.at(VOTED + dt.timedelta(minutes=1)):
        assert followup_tasks.settle_followup_answers(clock.now()) == 0
    f.refresh_from_db()
    a.refresh_from_db()
    assert (f.state, f.outcome, f.reopened, f.answered_at) == (FollowUp.State.ANSWERED, "no", True, VOTED)
    assert a.status == Status.IN_PROGRESS and a.reopened_count == 1 and a.closed_at is None
    ev = Event.objects.filter(appeal=a, kind="reopen").latest("pk")
    assert ev.actor is None and ev.actor_label == "житель (опрос после решения)"
    assert "проблема не решена" in ev.reason and "Яма на месте" in ev.reason and "000-11-22" not in ev.reason
    assert PollEvent.objects.filter(poll=f.poll, kind="followup_answered", details__outcome="no").count() == 1
    # Settling again does nothing.
    with clock.at(VOTED):
        assert followup.settle_answers() == 0
    # Fixed again and resolved again: a new round, a new invitation to a fresh poll.
    coordinator = world.coordinator
    with clock.at(VOTED + dt.timedelta(days=2)):
        answers.prepare_answer(a.pk, coordinator, text="Яму заделали повторно 20.03.2025, работы приняты, фото приложено.")
        answers.approve_answer(a.pk, world.operator)
        answers.publish_answer(a.pk, world.operator)
        answers.rate_appeal(a.pk, None, score=5)
    assert list(FollowUp.objects.filter(appeal=a).order_by("round").values_list("round", "state")) == [(0, "answered"), (1, "sent")]
    assert FollowUp.objects.get(round=1).poll_id != f.poll_id


def test_the_periodic_settling_catches_a_vote_the_subscriber_missed(world):
    a = closed(world)
    f = FollowUp.objects.get()
    note = Notification.objects.get(kind="followup_poll")
    ballot_cast.unsubscribe("tsur.polls.followup.settle")  # a worker died between the vote and its settling
    try:
        vote(f.poll, token_of(note), 3, world=world)
    finally:
        ballot_cast.subscribe(followup.on_ballots_cast, uid="tsur.polls.followup.settle")
    f.refresh_from_db()
    assert f.state == FollowUp.State.SENT
    with clock.at(VOTED + dt.timedelta(minutes=1)):
        assert followup_tasks.settle_followup_answers(clock.now()) == 1
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS


@pytest.mark.parametrize(("choice", "outcome"), [(1, "yes"), (2, "partly")])
def test_yes_or_partly_is_recorded_and_reopens_nothing(world, choice, outcome):
    a = closed(world)
    f = FollowUp.objects.get()
    vote(f.poll, token_of(Notification.objects.get(kind="followup_poll")), choice, world=world)
    with clock.at(VOTED):
        followup.settle_answers()
    f.refresh_from_db()
    a.refresh_from_db()
    assert (f.outcome, f.reopened, a.status) == (outcome, False, Status.CLOSED)


def test_the_settling_follows_the_invitation_rule_of_the_voting_service(world):
    """invited_voter_key repeats tsur.polls.services.invitations' rule; a vote through that service
    is found (this fails if the two rules drift apart)."""
    closed(world)
    f = FollowUp.objects.get()
    ballot = vote(f.poll, token_of(Notification.objects.get(kind="followup_poll")), 1, world=world)
    assert followup.invited_voter_key(f) == ballot.voter_key


def test_nobody_unreachable_rejected_old_or_disabled_is_asked(world, settings):
    # No e-mail and no channel carrying invitations: nothing recorded.
    silent = closed(world, email="", phone="")
    assert not FollowUp.objects.filter(appeal=silent).exists()
    # A rejected appeal in a point of tension.
    with clock.at(DAY0):
        refused = new_appeal(world)
        appeal_services.reject_appeal(refused.pk, world.operator, reason_code="spam")
    assert followup.point_resolved([refused.pk], "Ямы на дороге, Район", 5) == []
    # An old closure (a replay of history published now): nobody is asked about it.
    a = answered(world, DAY0)
    with clock.at(RATED):
        answers.rate_appeal(a.pk, None, score=5)
    FollowUp.objects.all().delete()
    Invitation.objects.all().delete()
    ev = Event.objects.filter(appeal=a, kind="rate_satisfied").get()
    with clock.at(RATED + dt.timedelta(days=30)):
        followup.on_appeals_changed([AppealChange.of(ev)])
    assert not FollowUp.objects.exists()
    with clock.at(RATED + dt.timedelta(hours=1)):
        followup.on_appeals_changed([AppealChange.of(ev)])
    assert FollowUp.objects.count() == 1
    # Switched off for the region.
    settings.TSUR_POLLS_FOLLOWUP_ENABLED = False
    assert closed(world) and FollowUp.objects.count() == 1


def test_when_the_notification_path_cannot_reach_the_resident_nothing_is_left(world, settings):
    """Channels configured to carry invitations: an appeal without e-mail is recorded, but the
    notification path finds no thread for it — the invitation, the poll and the notice roll back."""
    settings.TSUR_CHANNEL_DELIVERED_KINDS = ("answer", "followup_poll")
    a = closed(world, email="")
    f = FollowUp.objects.get(appeal=a)
    assert f.state == FollowUp.State.SKIPPED and "нет адреса" in f.skip_reason
    assert not Invitation.objects.exists() and not Poll.objects.exists() and not FollowUpPoll.objects.exists()
    assert not Notification.objects.filter(kind="followup_poll").exists()


def test_a_point_of_tension_asks_its_residents_with_one_shared_poll(world):
    with clock.at(DAY0):
        one = answered(world, DAY0)
        two = answered(world, DAY0, email="maria@example.org", name="Мария")
    with clock.at(RATED):
        ids = followup.point_resolved([one.pk, two.pk], "Ямы на дороге, ул. Ленина", 42)
    assert len(ids) == 2
    polls = set(FollowUp.objects.values_list("poll", flat=True))
    assert len(polls) == 1
    poll = Poll.objects.get()
    assert (poll.subject_tension_point_id, poll.subject_label) == (42, "Ямы на дороге, ул. Ленина")
    assert Invitation.objects.filter(poll=poll).count() == 2
    # When the residents later close their appeals, this resolution has been asked about already.
    with clock.at(RATED + dt.timedelta(hours=1)):
        answers.rate_appeal(one.pk, None, score=5)
    assert FollowUp.objects.count() == 2


def test_area_wide_polls_are_open_to_the_territory(world, settings):
    settings.TSUR_POLLS_FOLLOWUP_AREA = True
    a = closed(world)
    poll = FollowUp.objects.get().poll
    assert poll.audience == Audience.EVERYONE and list(poll.territories.all()) == [a.territory]


def test_a_lost_message_is_sent_by_the_sweeper(world, monkeypatch):
    monkeypatch.setattr(followup, "enqueue_ids", lambda name, ids: None)
    a = closed(world)
    f = FollowUp.objects.get(appeal=a)
    assert f.state == FollowUp.State.PENDING
    with clock.at(RATED + dt.timedelta(seconds=10)):
        assert followup_tasks.sweep_followups(clock.now()) == 0  # not lost yet
    with clock.at(RATED + dt.timedelta(minutes=5)):
        assert followup_tasks.sweep_followups(clock.now()) == 1
    f.refresh_from_db()
    assert f.state == FollowUp.State.SENT
    # Sending twice sends once.
    assert followup.send([f.pk]) == 0


def test_a_problem_member_saying_no_reopens_itself_and_the_lead(world):
    with clock.at(DAY0):
        lead = new_appeal(world)
        member = new_appeal(world, email="petr@example.org", name="Пётр")
        appeal_services.join_to_problem(member.pk, world.operator, lead_number=lead.number)
        appeal_services.route_appeal(lead.pk, world.operator)
    with clock.at(DAY0 + dt.timedelta(days=1)):
        appeal_services.accept_appeal(lead.pk, world.coordinator)
        answers.prepare_answer(lead.pk, world.coordinator, text="Яма заделана 04.03.2025, работы приняты комиссией без замечаний.")
        answers.approve_answer(lead.pk, world.operator)
        answers.publish_answer(lead.pk, world.operator)
    with clock.at(RATED):
        answers.rate_appeal(member.pk, None, score=5)
        answers.rate_appeal(lead.pk, None, score=5)
    fs = {f.appeal_id: f for f in FollowUp.objects.select_related("poll")}
    assert set(fs) == {lead.pk, member.pk} and fs[lead.pk].poll_id == fs[member.pk].poll_id
    lead.refresh_from_db()
    assert fs[member.pk].poll.subject_problem_id == lead.problem_id is not None
    note = Notification.objects.get(appeal=member, kind="followup_poll")
    vote(fs[member.pk].poll, token_of(note), 3, world=world)
    with clock.at(VOTED):
        followup.settle_answers()
    lead.refresh_from_db()
    member.refresh_from_db()
    assert member.status == Status.JOINED and lead.status == Status.IN_PROGRESS
    assert Event.objects.filter(appeal=lead, kind="reopen", actor_label="житель (опрос после решения)").exists()


def test_the_follow_up_poll_page_tells_how_the_invitations_went(world, client):
    a = closed(world)
    f = FollowUp.objects.get()
    vote(f.poll, token_of(Notification.objects.get(kind="followup_poll")), 3, world=world)
    with clock.at(VOTED):
        followup.settle_answers()
    client.force_login(world.analyst)
    html = client.get(f"/workspace/polls/{f.poll_id}/").content.decode()
    assert f'обращение <a href="/workspace/appeals/{a.number}/">{a.number}</a>' in html
    assert "житель ответил — 1" in html and "нет, не решена — 1" in html
    assert "Голосуют только по личным ссылкам из приглашений" in html and "embed-code" not in html
    assert "Ivan" not in html and "ivan@example.org" not in html and "Иван Петров" not in html


def test_an_objective_closure_asks_too(world):
    """Objective monitoring's closure (the system's close_objective transition) resolves the appeal."""
    a = answered(world, DAY0)
    with clock.at(RATED), appeal_services.changing(a.pk, "close_objective", None) as ch:
        ch.appeal.closed_at = clock.now()
    f = FollowUp.objects.get(appeal=a)
    assert (f.source, f.state) == (FollowUp.Source.OBJECTIVE, FollowUp.State.SENT)


def test_the_whole_way_over_http_from_the_email_link_to_the_reopened_appeal(world, client):
    """The resident opens the e-mail's link on the residents' poll page, answers «нет» with a
    comment, and the appeal is reopened as the vote commits."""
    a = closed(world)
    [message] = [m for m in mail.outbox if "Проблема действительно решена?" in m.subject]
    link = re.search(r"https?://\S+/polls/[\w-]+/\?i=[\w-]+", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    with clock.at(VOTED):
        page = client.get("/" + path)
        html = page.content.decode()
        assert page.status_code == 200 and "Проблема действительно решена?" in html
        # The appeal's own territory is preselected: the invited resident need not look for it.
        assert re.search(rf'<option value="{a.territory_id}"[^>]*selected', html)
        form_token = re.search(r'name="form_token" value="([^"]+)"', html).group(1)
        proof = re.search(r'name="proof" value="([^"]+)"', html).group(1)
        poll = FollowUp.objects.get().poll
        choice, comment = list(poll.questions.order_by("order"))
        no = choice.options.get(order=3)
        form = {"form_token": form_token, "proof": proof, "territory": str(world.district.pk)}
        form |= {f"q{choice.pk}": str(no.pk), f"q{comment.pk}": "Всё как было"}
        r = client.post(f"/polls/{poll.token}/vote/", form)
        assert r.status_code in (200, 302), r.content.decode()[:500]
        assert Ballot.objects.filter(poll=poll).count() == 1
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS and FollowUp.objects.get().outcome == "no"
    # The link is used up: opening it again says so.
    with clock.at(VOTED):
        again = client.get("/" + path).content.decode()
    assert "уже проголосовали" in again
