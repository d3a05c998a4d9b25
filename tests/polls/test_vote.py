"""Casting a vote: one per verified resident, inside the poll's territory and dates, every answer
checked, nothing stored on refusal."""

from __future__ import annotations

import datetime as dt

import pytest

from tsur.core import clock
from tsur.polls import services
from tsur.polls.errors import AlreadyVoted, InvalidAnswers, OutsideTerritory, PollNotOpen, VerificationRequired
from tsur.polls.models import Answer, Audience, Ballot, PollEvent, Verification
from tsur.polls.services.voting import account_may_vote

from .conftest import NOW, build_poll, good_answers

LATER = NOW + dt.timedelta(hours=2)


def vote(poll, identity, territory, answers=None, channel="widget"):
    with clock.at(LATER):
        return services.cast_vote(poll, identity, territory, good_answers(poll) if answers is None else answers, channel=channel)


def test_a_resident_votes_once_by_account(poll, world):
    me = services.account_identity(world.resident)
    ballot = vote(poll, me, world.village)
    assert ballot.territory == world.village and ballot.channel == "widget" and ballot.cast_at == LATER
    assert Answer.objects.filter(ballot=ballot).count() == 5  # single + two of multiple + scale + text
    assert ballot.voter_key not in (str(world.resident.pk), world.resident.username)
    with pytest.raises(AlreadyVoted, match="Вы уже проголосовали в этом опросе"):
        vote(poll, me, world.district)
    assert Ballot.objects.count() == 1
    assert PollEvent.objects.filter(poll=poll, kind="vote_cast").count() == 1
    vote(poll, services.account_identity(world.other_resident), world.district)
    assert Ballot.objects.count() == 2


def test_the_voter_key_differs_between_polls(world):
    first, second = build_poll(world), build_poll(world)
    for p in (first, second):
        with clock.at(NOW):
            services.publish_poll(p, world.operator)
    me = services.account_identity(world.resident)
    assert vote(first, me, world.village).voter_key != vote(second, me, world.village).voter_key


def test_votes_outside_the_polls_territory_are_refused(poll, world):
    me = services.account_identity(world.resident)
    with pytest.raises(OutsideTerritory, match="другой территории") as err:
        vote(poll, me, world.city)
    assert err.value.field_errors == {"territory": ["Территория вне опроса."]}
    with pytest.raises(OutsideTerritory):
        vote(poll, me, None)
    with pytest.raises(OutsideTerritory):
        vote(poll, me, 999_999)
    assert not Ballot.objects.exists()


def test_a_poll_over_the_whole_region_takes_any_territory(world):
    p = build_poll(world, territories=[])
    with clock.at(NOW):
        services.publish_poll(p, world.operator)
    assert vote(p, services.account_identity(world.resident), world.city).territory == world.city


@pytest.mark.parametrize(
    ("moment", "code", "message"),
    [
        (NOW - dt.timedelta(minutes=1), "poll_not_started", "ещё не начался: голосование откроется 10 марта 2027 г. 12:00"),
        (NOW + dt.timedelta(days=14), "poll_ended", "завершился 24 марта 2027 г. 12:00"),
    ],
)
def test_votes_outside_the_polls_dates_are_refused_in_moscow_time(poll, world, moment, code, message):
    with clock.at(moment), pytest.raises(PollNotOpen, match=message) as err:
        services.cast_vote(poll, services.account_identity(world.resident), world.village, good_answers(poll), channel="app")
    assert err.value.code == code
    assert not Ballot.objects.exists()


def test_drafts_and_closed_polls_take_no_votes(world, poll):
    draft = build_poll(world)
    with pytest.raises(PollNotOpen, match="не опубликован"):
        vote(draft, services.account_identity(world.resident), world.village)
    with clock.at(LATER):
        services.close_poll(poll, world.operator)
    poll.refresh_from_db()
    with pytest.raises(PollNotOpen, match="завершён"):
        vote(poll, services.account_identity(world.resident), world.village)


def test_invalid_answers_are_refused_with_a_reason_per_question(poll, world):
    q = list(poll.questions.order_by("order"))
    other = build_poll(world)
    foreign_option = other.questions.order_by("order").first().options.first().pk
    answers = {
        q[0].pk: foreign_option,  # an option of another poll's question
        q[1].pk: [o.pk for o in q[1].options.all()],  # three where at most two may be chosen
        q[2].pk: 6,  # scale 1..5
        q[3].pk: "я" * 2001,
    }
    with pytest.raises(InvalidAnswers) as err:
        vote(poll, services.account_identity(world.resident), world.village, answers)
    assert err.value.field_errors == {
        f"q{q[0].pk}": ["Выберите один из предложенных вариантов."],
        f"q{q[1].pk}": ["Можно выбрать не больше 2."],
        f"q{q[2].pk}": ["Оценка — целое число от 1 до 5."],
        f"q{q[3].pk}": ["Ответ длиннее 2000 знаков: сократите его."],
    }
    with pytest.raises(InvalidAnswers) as err:
        vote(poll, services.account_identity(world.resident), world.village, {q[3].pk: "только текст"})
    assert set(err.value.field_errors) == {f"q{q[0].pk}", f"q{q[2].pk}"}
    assert err.value.field_errors[f"q{q[0].pk}"] == ["Ответьте на этот вопрос."]
    with pytest.raises(InvalidAnswers):
        vote(poll, services.account_identity(world.resident), world.village, {**good_answers(poll), 999_999: 1})
    assert not Ballot.objects.exists() and not Answer.objects.exists()


def test_free_answers_are_stored_with_contacts_masked(poll, world):
    q = list(poll.questions.order_by("order"))
    answers = {**good_answers(poll), q[3].pk: "Звоните мне: +7 900 123-45-67"}
    ballot = vote(poll, services.account_identity(world.resident), world.village, answers)
    assert ballot.answers.get(question=q[3]).text == "Звоните мне: [телефон]"


def test_the_polls_verification_decides_who_may_vote(world):
    by_account = build_poll(world, verification=Verification.ACCOUNT)
    by_code = build_poll(world, verification=Verification.CODE)
    invited = build_poll(world, audience=Audience.INVITED)
    for p in (by_account, by_code, invited):
        with clock.at(NOW):
            services.publish_poll(p, world.operator)
    contact = services.Identity(services.IdentityKind.CONTACT, "abc")
    with pytest.raises(VerificationRequired, match="учётную запись"):
        vote(by_account, contact, world.village)
    with pytest.raises(VerificationRequired, match="кодом"):
        vote(by_code, services.account_identity(world.resident), world.village)
    with pytest.raises(VerificationRequired, match="приглашение") as err:
        vote(invited, services.account_identity(world.resident), world.village)
    assert err.value.code == "invitation_required"
    assert not Ballot.objects.exists()


def test_staff_accounts_do_not_vote_as_residents(world):
    account_may_vote(world.resident)
    with pytest.raises(VerificationRequired, match="сотрудника"):
        account_may_vote(world.operator)


def test_an_invitation_votes_once_and_one_resident_with_two_invitations_is_one_voter(world):
    from tests.factories import new_appeal

    poll = build_poll(world, audience=Audience.INVITED)
    with clock.at(NOW):
        services.publish_poll(poll, world.operator)
    first_appeal = new_appeal(world)
    second_appeal = new_appeal(world)
    second_appeal.resident = first_appeal.resident
    second_appeal.save(update_fields=["resident"])
    _, token_a = services.create_invitation(poll, first_appeal)
    _, token_b = services.create_invitation(poll, second_appeal)
    identity = services.invitation_identity(poll, token_a)
    vote(poll, identity, world.village, channel="followup")
    with pytest.raises(Exception, match="уже проголосовали"):
        services.invitation_identity(poll, token_a)
    with pytest.raises(AlreadyVoted):
        vote(poll, services.invitation_identity(poll, token_b), world.village, channel="followup")
    with pytest.raises(Exception, match="недействительна"):
        services.invitation_identity(poll, "not-a-token")
    assert Ballot.objects.count() == 1
