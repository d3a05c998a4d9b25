"""Extensions (59-FZ), interim answers, answer checking, auto-closing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.factories import Channel, new_appeal
from tsur.answers import services as answers
from tsur.answers.checking import find_formal_reply, is_formal_reply
from tsur.appeals import services
from tsur.appeals.models import Notification, Status
from tsur.core import clock
from tsur.core.errors import TransitionNotAllowed, ValidationFailed

MSK = ZoneInfo("Europe/Moscow")


def routed_formal_appeal(world, when: dt.datetime):
    with clock.at(when):
        a = new_appeal(world, channel=Channel.OPERATOR)  # an operator-registered letter: 59-FZ regime
        services.route_appeal(a, world.operator)
    return a


def test_it_counts_59fz_from_registration_and_extends_once_with_notice(world):
    a = routed_formal_appeal(world, dt.datetime(2025, 3, 3, 10, 0, tzinfo=MSK))
    assert a.regime == "appeal"
    # 30 calendar days after 2025-03-03 is Wednesday 2025-04-02, end of the working day.
    assert a.due_at == dt.datetime(2025, 4, 2, 18, 0, tzinfo=MSK)
    assert a.registration_due_at == dt.datetime(2025, 3, 6, 18, 0, tzinfo=MSK)
    assert a.transfer_due_at == dt.datetime(2025, 3, 10, 18, 0, tzinfo=MSK)
    req = answers.request_extension(a.pk, world.coordinator, days=30, reason="Нужна экспертиза")
    answers.decide_extension(a.pk, world.operator, request_id=req.pk, grant=True)
    a.refresh_from_db()
    # +30 days = 2025-05-02, a day off (May holidays) -> next working day 2025-05-05 (Mon), 18:00.
    assert a.due_at == dt.datetime(2025, 5, 5, 18, 0, tzinfo=MSK)
    assert Notification.objects.filter(appeal=a, kind="extension").exists()
    with pytest.raises(TransitionNotAllowed):
        answers.request_extension(a.pk, world.coordinator, days=5, reason="Ещё раз")


def test_it_refuses_an_extension_over_thirty_days(world):
    a = routed_formal_appeal(world, dt.datetime(2025, 3, 3, 10, 0, tzinfo=MSK))
    with pytest.raises(ValidationFailed):
        answers.request_extension(a.pk, world.coordinator, days=31, reason="Много работы")


def test_it_stops_the_incident_clock_on_an_interim_answer(world):
    with clock.at(dt.datetime(2025, 3, 3, 10, 0, tzinfo=MSK)):
        a = new_appeal(world, channel=Channel.VK, external_id="vk-1")
        services.route_appeal(a, world.operator)
    assert a.regime == "incident"
    assert a.due_at == dt.datetime(2025, 3, 3, 18, 0, tzinfo=MSK)  # 8 working hours: 10:00-18:00
    with clock.at(dt.datetime(2025, 3, 3, 12, 0, tzinfo=MSK)):
        answers.give_interim_answer(a.pk, world.coordinator, text="Проверяем информацию, выехала бригада.")
    a.refresh_from_db()
    # 7 working days after 2025-03-03: 4,5,6,7 (shortened),10,11,12 -> 2025-03-12 18:00.
    assert a.due_at == dt.datetime(2025, 3, 12, 18, 0, tzinfo=MSK)


def test_it_changes_no_deadline_on_an_interim_answer_in_the_message_regime(world):
    a = routed_formal_appeal(world, dt.datetime(2025, 3, 3, 10, 0, tzinfo=MSK))
    before = a.due_at
    answers.give_interim_answer(a.pk, world.coordinator, text="Работы запланированы.")
    a.refresh_from_db()
    assert a.due_at == before


def test_it_switches_regime_and_deadline_on_reclassification(world):
    with clock.at(dt.datetime(2025, 3, 3, 10, 0, tzinfo=MSK)):
        a = new_appeal(world, category_code="pothole")
        assert a.due_at == dt.datetime(2025, 4, 2, 18, 0, tzinfo=MSK)  # 30 calendar days
        services.reclassify(a, world.operator, category_code="snow", reason="на фото снег")
    # snow is urgent by default: 10 working days after 2025-03-03 -> 4,5,6,7,10,11,12,13,14,17.
    assert a.urgency == "high" and a.due_at == dt.datetime(2025, 3, 17, 18, 0, tzinfo=MSK)
    # An urgency set by hand, with its reason, survives reclassification.
    services.change_urgency(a, world.operator, urgency="normal", reason="снег уже убран, остался вал")
    services.reclassify(a, world.operator, category_code="pothole")
    services.reclassify(a, world.operator, category_code="snow")
    assert a.urgency == "normal"
    world.snow.default_regime = "incident"
    world.snow.save()
    services.reclassify(a, world.operator, category_code="snow")
    assert a.regime == "incident"
    assert a.events.filter(kind="reclassify").count() == 4


def test_it_closes_unrated_answers_after_seven_days(world):
    a = routed_formal_appeal(world, dt.datetime(2025, 3, 3, 10, 0, tzinfo=MSK))
    with clock.at(dt.datetime(2025, 3, 5, 10, 0, tzinfo=MSK)):
        services.accept_appeal(a.pk, world.coordinator)
        answers.prepare_answer(a.pk, world.coordinator, text="Покрытие восстановлено 04.03.2025, работы приняты.")
        answers.approve_answer(a.pk, world.operator)
        answers.publish_answer(a.pk, world.operator)
    assert answers.auto_close_due(dt.datetime(2025, 3, 12, 9, 0, tzinfo=MSK)) == 0
    assert answers.auto_close_due(dt.datetime(2025, 3, 12, 10, 1, tzinfo=MSK)) == 1
    a.refresh_from_db()
    assert a.status == Status.CLOSED and a.close_reason == "auto"
    # A late rating on an auto-closed appeal is still taken, and a low one reopens it.
    answers.rate_appeal(a.pk, None, score=2)
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS


def test_it_flags_formal_replies():
    assert is_formal_reply("Ваше обращение будет рассмотрено по мере финансирования.")
    assert not is_formal_reply(
        "По вашему обращению сообщаем: яма на ул. Ленина, д. 15 заделана 12.05.2025, работы приняты по акту подрядчика."
    )
    assert find_formal_reply("Информация принята к сведению.")


def test_it_rejects_a_rating_out_of_range(world):
    a = new_appeal(world)
    with pytest.raises(ValidationFailed):
        answers.rate_appeal(a.pk, None, score=7)
