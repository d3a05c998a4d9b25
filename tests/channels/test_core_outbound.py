"""Outbound: answers, interim answers and extension notices published back in the channel the
appeal came from, with retries of transient errors and failures shown to the operator."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import new_appeal
from tsur.answers.services import approve_answer, give_interim_answer, prepare_answer, publish_answer
from tsur.appeals.services import accept_appeal, route_appeal
from tsur.channels import deliveries, services, tasks
from tsur.channels.base import DeliveryError, RawItem
from tsur.channels.models import Delivery, InboundMessage
from tsur.core import clock


@pytest.fixture
def vk_appeal(world, fake_channel, complaint_screen):
    config = fake_channel("vk", name="ВК: Город")
    payload = {"text": "Яма на дороге у школы", "author": "Пётр", "link": "https://vk.com/id5"}
    services.receive(config, [RawItem("wall-5_1", payload, "post")])
    appeal = InboundMessage.objects.get().appeal
    route_appeal(appeal, world.operator, organisation_code="roads-min")
    accept_appeal(appeal, world.coordinator)
    appeal.refresh_from_db()
    return appeal


def plugin_of(appeal):
    return type(appeal.inbound_messages.get().channel.plugin())


def publish(world, appeal, text="Яму заделали 12 марта, спасибо за сообщение."):
    prepare_answer(appeal, world.coordinator, text=text)
    approve_answer(appeal, world.operator)
    return publish_answer(appeal, world.operator)


def test_it_publishes_the_answer_in_the_thread_it_came_from(world, vk_appeal):
    publish(world, vk_appeal)
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.SENT
    assert delivery.kind == "answer" and delivery.attempts == 1 and delivery.external_id == "reply-1"
    reply_to, text = plugin_of(vk_appeal).sent[0]
    assert reply_to == {"post": "wall-5_1"}
    assert text == f"Ответ на обращение {vk_appeal.number}:\n\nЯму заделали 12 марта, спасибо за сообщение."
    assert "/status/" not in text  # the private status link never goes to a (possibly public) thread
    assert vk_appeal.events.filter(kind="channel_delivery_sent").count() == 1


def test_it_publishes_interim_answers_too(world, vk_appeal):
    give_interim_answer(vk_appeal, world.coordinator, text="Передали в дорожную службу, ответим до пятницы.")
    assert plugin_of(vk_appeal).sent == [({"post": "wall-5_1"}, "Передали в дорожную службу, ответим до пятницы.")]


def test_it_retries_a_transient_error_with_growing_pauses(world, vk_appeal):
    plugin = plugin_of(vk_appeal)
    plugin.deliver_errors.extend(
        [DeliveryError("слишком много запросов", retryable=True, retry_after=120), DeliveryError("тайм-аут", retryable=True)]
    )
    publish(world, vk_appeal)
    d = Delivery.objects.get()
    assert d.state == Delivery.State.RETRYING and d.attempts == 1
    assert d.last_error == "слишком много запросов"
    assert d.next_attempt_at >= clock.now() + dt.timedelta(seconds=119)  # the service's retry-after is honoured
    assert deliveries.send(d.pk) == "not due"
    with clock.at(d.next_attempt_at + dt.timedelta(seconds=1)):
        assert deliveries.send(d.pk) == "retrying"
        d.refresh_from_db()
        assert d.attempts == 2 and d.last_error == "тайм-аут"
    with clock.at(d.next_attempt_at + dt.timedelta(seconds=1)):
        tasks.sweep(clock.now())  # the sweeper sends what is due
    d.refresh_from_db()
    assert d.state == Delivery.State.SENT and d.attempts == 3 and d.last_error == ""


def test_it_shows_a_permanent_failure_to_the_operator(world, vk_appeal):
    plugin_of(vk_appeal).deliver_errors.append(DeliveryError("запись удалена автором", retryable=False))
    publish(world, vk_appeal)
    [row] = deliveries.deliveries_for(vk_appeal)
    assert row.state == "failed" and row.needs_operator
    assert row.last_error == "запись удалена автором"
    assert row.channel == "ВК: Город" and row.kind == "Ответ"
    event = vk_appeal.events.get(kind="channel_delivery_failed")
    assert event.reason == "Не удалось опубликовать в канале «ВК: Город»: запись удалена автором"
    assert deliveries.retry_failed([row.id]) == 1
    assert Delivery.objects.get().state == Delivery.State.SENT


def test_it_gives_up_after_the_last_attempt(world, vk_appeal, settings):
    settings.TSUR_DELIVERY_MAX_ATTEMPTS = 2
    plugin_of(vk_appeal).deliver_errors.extend([DeliveryError("сеть", retryable=True)] * 2)
    publish(world, vk_appeal)
    d = Delivery.objects.get()
    with clock.at(d.next_attempt_at + dt.timedelta(seconds=1)):
        assert deliveries.send(d.pk) == "failed"
    d.refresh_from_db()
    assert d.state == Delivery.State.FAILED and d.last_error == "сеть (попыток: 2)"


def test_it_waits_while_the_channel_is_disabled(world, vk_appeal):
    vk_appeal.inbound_messages.get().channel.__class__.objects.update(enabled=False)
    publish(world, vk_appeal)
    d = Delivery.objects.get()
    assert d.state == Delivery.State.PENDING and d.attempts == 0
    assert d.last_error == "канал отключён: отправка отложена"


def test_it_sends_nothing_for_appeals_from_other_sources(world):
    appeal = new_appeal(world)
    route_appeal(appeal, world.operator)
    accept_appeal(appeal, world.coordinator)
    publish(world, appeal)
    assert not Delivery.objects.exists()


def test_it_sends_nothing_when_the_channel_has_nowhere_to_answer(world, fake_channel, complaint_screen):
    config = fake_channel("vk")
    services.receive(config, [RawItem("p", {"text": "Яма", "reply": False}, "post")])
    appeal = InboundMessage.objects.get().appeal
    route_appeal(appeal, world.operator, organisation_code="roads-min")
    accept_appeal(appeal, world.coordinator)
    publish(world, appeal)
    assert not Delivery.objects.exists()


def test_it_lists_deliveries_for_the_appeal_card(world, vk_appeal):
    plugin_of(vk_appeal).deliver_errors.append(DeliveryError("сеть", retryable=True))
    give_interim_answer(vk_appeal, world.coordinator, text="Работаем.")
    [row] = deliveries.deliveries_for(vk_appeal)
    assert row.kind == "Промежуточный ответ" and row.state_label == "повтор после ошибки"
    assert row.next_attempt_at is not None and not row.needs_operator
