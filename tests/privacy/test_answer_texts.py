"""What the platform wrote back to a purged resident, and what they said of it: answers' texts,
ratings' comments and channel deliveries are masked after the purge (the topic subscribers), and
the sweeps catch what a subscriber missed."""

from __future__ import annotations

import datetime as dt

from tests.privacy.helpers import PLANTED, T0, closed_appeal
from tsur.answers import retention as answer_retention
from tsur.answers.models import Answer, Rating
from tsur.appeals.models import Appeal, Event
from tsur.appeals.services.retention import personal_data_purged, purge_expired
from tsur.channels import retention as channel_retention
from tsur.channels.models import ChannelConfig, Delivery
from tsur.core.tasks import periodic_jobs

# A neighbour's phone, not the resident's own: only the patterns can find it.
NEIGHBOUR = "+7 900 555-44-33"
NEIGHBOUR_NEEDLES = ("555-44-33", "9005554433")
ANSWER = f"Уважаемый {PLANTED['name']}! Яма у остановки заделана, покрытие восстановлено по акту подрядчика."
COMMENT = f"Спасибо! Соседка тоже довольна, её номер {NEIGHBOUR}"
NEEDLES = ("Зеленопупкин", "Аристарх", "131-72-83", *NEIGHBOUR_NEEDLES)
SUBSCRIBERS = {"tsur.answers.retention": answer_retention, "tsur.channels.retention": channel_retention}


def answered(world, n: int):
    return closed_appeal(world, T0, answer=ANSWER, comment=COMMENT, email=f"r{n}@example.net")


def delivery(appeal, state: str) -> Delivery:
    config = ChannelConfig.objects.get_or_create(code="tg-pd", defaults={"kind": "telegram", "name": "Канал", "settings": {}})[0]
    return Delivery.objects.create(appeal=appeal, channel=config, reply_to={"chat_id": 131}, text=ANSWER, state=state)


def leaks(appeal) -> list[str]:
    texts = [a.text for a in Answer.objects.filter(appeal=appeal)]
    texts += [r.comment for r in Rating.objects.filter(appeal=appeal)]
    texts += [f"{d.text} {d.reply_to}" for d in Delivery.objects.filter(appeal=appeal)]
    texts += [f"{e.reason} {e.data}" for e in Event.objects.filter(appeal=appeal)]
    return [t for t in texts for needle in NEEDLES if needle.casefold() in t.casefold()]


def test_the_subscribers_mask_answers_ratings_and_deliveries_and_the_sweeps_catch_what_they_missed(world, settings):
    settings.TSUR_PD_RETENTION_DAYS = settings.TSUR_PD_RETENTION_DAYS_MESSAGES = 30
    a, b = answered(world, 1), answered(world, 2)
    sent_a, waiting_a = delivery(a, Delivery.State.SENT), delivery(a, Delivery.State.RETRYING)
    sent_b = delivery(b, Delivery.State.SENT)
    kept = answered(world, 3)
    later = T0 + dt.timedelta(days=100)
    # `kept` closes after the cutoff: its resident is not due.
    Appeal.objects.filter(pk=kept.pk).update(closed_at=later)
    assert leaks(a) and leaks(b) and leaks(kept)
    wired = {uid: personal_data_purged._subscribers.get(uid) for uid in SUBSCRIBERS}
    for module in SUBSCRIBERS.values():
        module.subscribe()
    purge_expired(later, limit=1)  # the subscribers hear of `a`
    assert leaks(a) == []
    answer = Answer.objects.get(appeal=a)
    assert answer.text.startswith("Уважаемый [ФИО]!") and "покрытие восстановлено" in answer.text  # the substance stays
    assert answer.pd_purged_at is not None
    assert Rating.objects.get(appeal=a).comment == "Спасибо! Соседка тоже довольна, её номер [телефон]"
    sent_a.refresh_from_db()
    waiting_a.refresh_from_db()
    assert (sent_a.state, sent_a.reply_to) == (Delivery.State.SENT, {})
    # A delivery still due has nowhere to go: it fails with a reason the operator reads.
    assert (waiting_a.state, waiting_a.reply_to) == (Delivery.State.FAILED, {})
    assert waiting_a.last_error == channel_retention.NOWHERE_TO_SEND
    for uid in SUBSCRIBERS:
        personal_data_purged.unsubscribe(uid)
    try:
        purge_expired(later)  # `b` purged with nobody listening
    finally:
        for uid, subscriber in wired.items():
            if subscriber is not None:
                personal_data_purged.subscribe(subscriber, uid=uid)
    assert Answer.objects.get(appeal=b).text == ANSWER and Delivery.objects.get(pk=sent_b.pk).reply_to == {"chat_id": 131}
    jobs = periodic_jobs()
    assert jobs["answers.pd_texts"](later) == 2  # b's answer and rating
    assert jobs["channels.pd_payloads"](later) == 1  # b's delivery
    assert leaks(b) == []
    assert Answer.objects.get(appeal=kept).text == ANSWER and Rating.objects.get(appeal=kept).comment == COMMENT
    # Done once: the marks (and the emptied addresses) keep the sweeps from working again.
    assert (jobs["answers.pd_texts"](later), jobs["channels.pd_payloads"](later)) == (0, 0)
    assert answer_retention.mask_texts([a.pk, b.pk]) == 0
