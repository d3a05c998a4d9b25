"""The channels' copy of a purged resident's data: raw payloads and reply addresses are emptied
after the purge (the topic subscriber), and the sweep catches what the subscriber missed."""

from __future__ import annotations

import datetime as dt

from tests.privacy.helpers import PLANTED, T0, closed_appeal
from tsur.appeals.services.retention import personal_data_purged, purge_expired
from tsur.channels import retention
from tsur.channels.models import ChannelConfig, InboundMessage
from tsur.core.tasks import periodic_jobs

RAW = {"from": {"id": 131, "first_name": "Аристарх", "last_name": "Зеленопупкин"}, "text": PLANTED["phone"]}


def inbound(appeal, n: int) -> InboundMessage:
    config = ChannelConfig.objects.get_or_create(code="tg-pd", defaults={"kind": "telegram", "name": "Канал", "settings": {}})[0]
    return InboundMessage.objects.create(
        channel=config, external_id=f"m{n}", raw=RAW, appeal=appeal, state=InboundMessage.State.APPEAL, reply_to={"chat_id": 131}
    )


def test_the_subscriber_and_the_sweep_empty_the_payloads(world, settings):
    settings.TSUR_PD_RETENTION_DAYS = settings.TSUR_PD_RETENTION_DAYS_MESSAGES = 30
    a, b = closed_appeal(world, T0), closed_appeal(world, T0, email="b@example.net")
    first, second = inbound(a, 1), inbound(b, 2)
    other = inbound(closed_appeal(world, T0 + dt.timedelta(days=400), email="c@example.net"), 3)
    uid = "tsur.channels.retention"
    wired = personal_data_purged._subscribers.get(uid)  # the app may have subscribed it already
    retention.subscribe()
    purge_expired(T0 + dt.timedelta(days=100), limit=1)  # the subscriber hears of `a`
    first.refresh_from_db()
    assert (first.raw, first.reply_to, first.purged_at is not None) == ({}, {}, True)
    personal_data_purged.unsubscribe(uid)
    try:
        purge_expired(T0 + dt.timedelta(days=100))  # `b` purged with nobody listening
    finally:
        if wired is not None:
            personal_data_purged.subscribe(wired, uid=uid)
    second.refresh_from_db()
    assert second.raw == RAW
    assert periodic_jobs()["channels.pd_payloads"](T0) == 1
    second.refresh_from_db()
    other.refresh_from_db()
    assert second.raw == {} and other.raw == RAW  # a resident not purged keeps their payload
    assert periodic_jobs()["channels.pd_payloads"](T0) == 0
