"""A published poll over the test world's district (its village included), and helpers."""

from __future__ import annotations

import datetime as dt

import pytest

from tsur.core import clock
from tsur.polls import services
from tsur.polls.models import QuestionKind, Verification

NOW = dt.datetime(2027, 3, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.TSUR_POLL_CODE_SENDER = "tsur.polls.senders.OutboxSender"


def build_poll(w, *, verification=Verification.ACCOUNT_OR_CODE, territories=None, **fields):
    with clock.at(NOW):
        poll = services.create_poll(
            w.operator,
            title="Благоустройство дворов: что сделать первым?",
            description="Выберите, что важнее всего.",
            verification=verification,
            territories=[w.district] if territories is None else territories,
            starts_at=NOW,
            ends_at=NOW + dt.timedelta(days=14),
            **fields,
        )
        services.save_question(
            poll, w.operator, kind=QuestionKind.SINGLE, text="Что сделать первым?", options=["Детская площадка", "Освещение", "Парковка"]
        )
        services.save_question(
            poll,
            w.operator,
            kind=QuestionKind.MULTIPLE,
            text="Что ещё нужно?",
            options=["Скамейки", "Урны", "Деревья"],
            required=False,
            max_choices=2,
        )
        services.save_question(poll, w.operator, kind=QuestionKind.SCALE, text="Как вы оцениваете двор сейчас?", scale_min=1, scale_max=5)
        services.save_question(poll, w.operator, kind=QuestionKind.TEXT, text="Ваше предложение", required=False)
    return poll


def good_answers(poll) -> dict:
    q = list(poll.questions.order_by("order"))
    return {q[0].pk: q[0].options.first().pk, q[1].pk: [o.pk for o in q[1].options.all()[:2]], q[2].pk: 4, q[3].pk: "Больше света"}


@pytest.fixture
def poll(world):
    p = build_poll(world)
    with clock.at(NOW):
        services.publish_poll(p, world.operator)
    p.refresh_from_db()
    return p
