"""The poll's own lifecycle through its services: drafts, questions, publishing, closing, the audit."""

from __future__ import annotations

import datetime as dt

import pytest

from tsur.core import clock
from tsur.core.errors import ValidationFailed
from tsur.polls import services
from tsur.polls.errors import PollLocked
from tsur.polls.events import poll_changed
from tsur.polls.models import Ballot, Poll, PollEvent, QuestionKind, Status
from tsur.polls.tasks import close_ended_polls, purge_codes

from .conftest import NOW, build_poll


def kinds(poll) -> list[str]:
    return list(PollEvent.objects.filter(poll=poll).values_list("kind", flat=True))


def test_it_creates_a_draft_with_questions_and_audits_each_step(world):
    poll = build_poll(world)
    assert poll.status == Status.DRAFT
    assert [q.kind for q in poll.questions.order_by("order")] == ["single", "multiple", "scale", "text"]
    assert [o.text for o in poll.questions.order_by("order")[0].options.all()] == ["Детская площадка", "Освещение", "Парковка"]
    assert kinds(poll) == ["created"] + ["question_saved"] * 4
    assert PollEvent.objects.filter(poll=poll).first().actor == world.operator
    assert len(poll.token) >= 12


def test_it_refuses_a_poll_without_title_or_with_an_end_before_its_start(world):
    with pytest.raises(ValidationFailed) as err:
        services.create_poll(world.operator, title="  ")
    assert "title" in err.value.field_errors
    with pytest.raises(ValidationFailed) as err:
        services.create_poll(world.operator, title="Опрос", starts_at=NOW, ends_at=NOW - dt.timedelta(hours=1))
    assert err.value.field_errors["ends_at"] == ["Окончание опроса должно быть позже его начала."]
    assert not Poll.objects.exists()


def test_it_refuses_choice_questions_with_fewer_than_two_options_and_bad_scales(world):
    poll = build_poll(world)
    with pytest.raises(ValidationFailed) as err:
        services.save_question(poll, world.operator, kind=QuestionKind.SINGLE, text="Да?", options=["Да", " "])
    assert "options" in err.value.field_errors
    with pytest.raises(ValidationFailed) as err:
        services.save_question(poll, world.operator, kind=QuestionKind.SINGLE, text="Да?", options=["Да", "да"])
    assert err.value.field_errors["options"] == ["Варианты ответа повторяются."]
    with pytest.raises(ValidationFailed):
        services.save_question(poll, world.operator, kind=QuestionKind.SCALE, text="Оценка", scale_min=5, scale_max=5)
    with pytest.raises(ValidationFailed):
        services.save_question(poll, world.operator, kind=QuestionKind.SCALE, text="Оценка", scale_min=0, scale_max=11)
    assert poll.questions.count() == 4


def test_it_publishes_only_a_draft_with_questions_and_tells_subscribers_after_commit(world):
    seen = []
    poll_changed.subscribe(lambda events: seen.extend(events), uid="test.polls.seen")
    try:
        empty = services.create_poll(world.operator, title="Пустой")
        with pytest.raises(ValidationFailed, match="нет ни одного вопроса"):
            services.publish_poll(empty, world.operator)
        poll = build_poll(world)
        with clock.at(NOW):
            services.publish_poll(poll, world.operator)
        poll.refresh_from_db()
        assert poll.status == Status.PUBLISHED and poll.published_at == NOW
        assert [(e.poll_id, e.kind) for e in seen] == [(poll.pk, "published")]
        with pytest.raises(PollLocked):
            services.publish_poll(poll, world.operator)
    finally:
        poll_changed.unsubscribe("test.polls.seen")


def test_a_published_poll_keeps_its_questions_and_allows_only_its_wording_and_end_to_change(poll, world):
    question = poll.questions.first()
    with pytest.raises(PollLocked):
        services.save_question(poll, world.operator, question=question, text="Другое", options=["А", "Б"])
    with pytest.raises(PollLocked):
        services.delete_question(question, world.operator)
    with pytest.raises(PollLocked, match="только название"):
        services.update_poll(poll, world.operator, verification="account")
    with clock.at(NOW):
        services.update_poll(poll, world.operator, title="Дворы 2027", ends_at=NOW + dt.timedelta(days=30))
    poll.refresh_from_db()
    assert poll.title == "Дворы 2027"
    assert PollEvent.objects.filter(poll=poll, kind="edited").get().details == {"fields": ["ends_at", "title"]}


def test_a_draft_question_is_deleted(world):
    poll = build_poll(world)
    with clock.at(NOW):
        services.delete_question(poll.questions.order_by("order").last(), world.operator)
    assert poll.questions.count() == 3
    assert kinds(poll)[-1] == "question_deleted"


def test_closing_stops_the_poll_and_the_tick_closes_ended_polls(poll, world):
    with clock.at(NOW + dt.timedelta(days=1)):
        assert close_ended_polls(clock.now()) == 0
    end = poll.ends_at
    assert close_ended_polls(end) == 1
    poll.refresh_from_db()
    assert poll.status == Status.CLOSED and poll.closed_at is not None
    event = PollEvent.objects.filter(poll=poll, kind="closed").get()
    assert event.actor is None and event.details == {"reason": "ended"}
    with pytest.raises(PollLocked):
        services.close_poll(poll, world.operator)


def test_old_codes_are_purged(poll, world):
    with clock.at(NOW):
        services.request_code(poll, "+7 900 111-22-33", ip="10.0.0.1")
    assert purge_codes(NOW + dt.timedelta(hours=23)) == 0
    assert purge_codes(NOW + dt.timedelta(days=2)) == 1


def test_a_ballot_has_no_field_that_could_hold_personal_data():
    names = {f.name for f in Ballot._meta.get_fields()}
    assert names == {"id", "poll", "territory", "voter_key", "channel", "cast_at", "answers"}
