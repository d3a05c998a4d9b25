"""Every hand-over of an appeal is a signal to whoever takes it over, once; nobody sees another
organisation's signals."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.factories import Channel, new_appeal
from tsur.answers import services as answers
from tsur.appeals import services
from tsur.appeals.models import Event
from tsur.appeals.services.notes import add_note
from tsur.core import clock
from tsur.deadlines.models import StaffAlert
from tsur.escalation import signals, tasks
from tsur.escalation.inbox import alerts_for

MSK = ZoneInfo("Europe/Moscow")
GOOD_ANSWER = "Яму заделали 5 марта, бригада уложила асфальт на участке у остановки, фото приложено к отчёту."


def kinds(user, appeal) -> list[str]:
    return sorted(alerts_for(user).filter(appeal=appeal).values_list("kind", flat=True))


def signal_rows(appeal) -> list[tuple[str, str]]:
    return sorted(StaffAlert.objects.filter(appeal=appeal).exclude(event=None).values_list("kind", "addressee"))


def test_it_signals_the_coordinators_when_routed_and_the_executor_personally_when_assigned(world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    assert kinds(world.coordinator, a) == ["routed"]
    assert kinds(world.executor, a) == []  # not theirs yet
    services.assign_executor(a, world.coordinator, executor_id=world.executor.pk)
    assert kinds(world.executor, a) == ["assigned", "routed"]  # now in their scope: the organisation's too
    assigned = StaffAlert.objects.get(appeal=a, kind="assigned")
    assert assigned.user == world.executor and assigned.organisation is None
    # The executor's personal signal is not the coordinator's, nor the colleague's.
    assert "assigned" not in kinds(world.coordinator, a)
    assert kinds(world.colleague, a) == []
    assert signal_rows(a) == [("assigned", f"user:{world.executor.pk}"), ("routed", f"org:{world.roads_ministry.pk}")]


def test_it_signals_the_new_organisation_on_a_transfer_and_never_another_organisations_coordinator(world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    services.transfer_appeal(a, world.coordinator, organisation_code="waste-op", reason="Не наша компетенция")
    assert kinds(world.waste_coordinator, a) == ["routed"]
    assert StaffAlert.objects.get(appeal=a, event__kind="transfer").organisation == world.waste_operator
    # The roads ministry no longer sees the appeal, so none of its signals either.
    assert kinds(world.coordinator, a) == []
    assert kinds(world.city_coordinator, a) == []


def test_it_signals_the_center_for_an_answer_to_check_and_the_executor_when_it_is_returned(world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    services.assign_executor(a, world.coordinator, executor_id=world.executor.pk)
    answers.prepare_answer(a.pk, world.executor, text=GOOD_ANSWER)
    check = StaffAlert.objects.get(appeal=a, kind="answer_to_check")
    assert check.user is None and check.organisation is None
    assert "answer_to_check" in kinds(world.operator, a)
    assert "answer_to_check" not in kinds(world.coordinator, a)
    answers.return_answer(a.pk, world.operator, note="Укажите сроки работ")
    returned = StaffAlert.objects.get(appeal=a, kind="answer_returned")
    assert returned.user == world.executor


def test_it_does_not_ask_the_center_to_check_an_answer_that_went_out_unchecked(world, settings):
    settings.TSUR_ANSWER_CHECK_REQUIRED = False
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    services.accept_appeal(a, world.coordinator)
    answers.prepare_answer(a.pk, world.coordinator, text=GOOD_ANSWER)
    a.refresh_from_db()
    assert a.status != "answer_prepared"
    assert not StaffAlert.objects.filter(appeal=a, kind="answer_to_check").exists()


def test_it_returns_an_answer_to_the_organisation_when_nobody_was_assigned(world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    services.accept_appeal(a, world.coordinator)
    answers.prepare_answer(a.pk, world.coordinator, text=GOOD_ANSWER)
    answers.return_answer(a.pk, world.operator, note="Укажите сроки работ")
    returned = StaffAlert.objects.get(appeal=a, kind="answer_returned")
    assert returned.user is None and returned.organisation == world.roads_ministry
    assert "answer_returned" in kinds(world.coordinator, a)


def test_it_signals_the_center_when_an_extension_is_requested(world):
    with clock.at(dt.datetime(2025, 3, 3, 10, 0, tzinfo=MSK)):
        a = new_appeal(world, channel=Channel.OPERATOR)
        services.route_appeal(a, world.operator)
        answers.request_extension(a.pk, world.coordinator, days=10, reason="Нужна экспертиза")
    alert = StaffAlert.objects.get(appeal=a, kind="extension_requested")
    assert alert.organisation is None and alert.user is None
    assert "extension_requested" in kinds(world.operator, a)
    assert "extension_requested" not in kinds(world.coordinator, a)


def test_it_signals_the_organisation_and_the_center_when_the_resident_reopens(world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    services.accept_appeal(a, world.coordinator)
    answers.prepare_answer(a.pk, world.coordinator, text=GOOD_ANSWER)
    answers.approve_answer(a.pk, world.operator)
    answers.publish_answer(a.pk, world.operator)
    answers.rate_appeal(a.pk, None, score=1, comment="Яма осталась")
    reopened = sorted(StaffAlert.objects.filter(appeal=a, kind="reopened").values_list("addressee", flat=True))
    assert reopened == ["center", f"org:{world.roads_ministry.pk}"]
    assert "reopened" in kinds(world.coordinator, a) and "reopened" in kinds(world.operator, a)


def test_it_signals_the_executor_when_the_resident_writes_again(world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    services.assign_executor(a, world.coordinator, executor_id=world.executor.pk)
    services.add_resident_message(a, text="Добавляю фото ямы", photos=[], source="email", external_id="m-1")
    message = StaffAlert.objects.get(appeal=a, kind="resident_message")
    assert message.user == world.executor
    assert "Добавляю фото" not in message.text  # the signal names the appeal, not what the resident wrote


def test_it_signals_the_center_about_a_message_on_an_appeal_not_routed_yet(world):
    a = new_appeal(world)
    services.add_resident_message(a, text="Уточняю адрес", photos=[], source="email")
    message = StaffAlert.objects.get(appeal=a, kind="resident_message")
    assert message.user is None and message.organisation is None


def test_it_signals_a_mention_to_the_mentioned_colleague_only(world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    add_note(a, world.operator, "@coordinator проверьте, пожалуйста, адрес")
    mention = StaffAlert.objects.get(appeal=a, kind="mention")
    assert mention.user == world.coordinator
    assert "mention" in kinds(world.coordinator, a)
    assert "mention" not in kinds(world.operator, a)


def test_it_makes_each_signal_once_however_often_the_event_is_processed(world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    event = Event.objects.get(appeal=a, kind="route")
    signals.make_signals([event.pk])
    signals.make_signals([event.pk])
    assert StaffAlert.objects.filter(event=event).count() == 1


def test_it_sweeps_up_the_signals_a_lost_subscriber_call_left_unmade(world, monkeypatch):
    monkeypatch.setattr(tasks, "make_signals", lambda ids: 0)  # the subscriber's call is lost
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    assert not StaffAlert.objects.filter(appeal=a).exists()
    monkeypatch.undo()
    event = Event.objects.get(appeal=a, kind="route")
    # Not yet: the subscriber may still be at work.
    assert tasks.sweep_signals(event.at)["signals"] == 0
    result = tasks.sweep_signals(event.at + dt.timedelta(minutes=5))
    assert result["events"] == 1 and result["signals"] == 1
    assert kinds(world.coordinator, a) == ["routed"]
    # Whoever assigned the appeal to themselves has no signal, rightly: not swept again and again.
    services.assign_executor(a, world.coordinator, executor_id=world.coordinator.pk)
    # Nothing left for the next pass.
    assert tasks.sweep_signals(event.at + dt.timedelta(minutes=6))["events"] == 0


def test_it_signals_the_center_when_an_organisation_returns_the_appeal(world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    services.return_to_moderation(a, world.coordinator, reason="Дорога не на нашем балансе")
    back = StaffAlert.objects.get(appeal=a, kind="returned_to_center")
    assert back.user is None and back.organisation is None
    assert "returned_to_center" in kinds(world.operator, a)
    assert kinds(world.coordinator, a) == []  # out of their scope now


def test_it_makes_no_signal_for_a_hand_over_of_the_past(world):
    """A replayed or loaded history publishes its events after the fact: a day-old hand-over is
    history, not something to act on."""
    a = new_appeal(world)
    with clock.at(clock.now() - dt.timedelta(days=3)):
        services.route_appeal(a, world.operator)  # then, it was news: the signal was made
    event = Event.objects.get(appeal=a, kind="route")
    StaffAlert.objects.filter(event=event).delete()
    assert signals.make_signals([event.pk]) == 0
    assert not StaffAlert.objects.filter(appeal=a).exists()
