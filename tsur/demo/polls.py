"""The demo's population poll: «Благоустройство дворов 2027: что сделать первым?» over Калуга,
published a few days ago, with a few hundred ballots cast through the voting service so the
results by territory have a shape. The voters are made up (numbered identities, hashed like any
other): no name, phone or e-mail exists anywhere for them."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from tsur.core import clock
from tsur.directory.models import Territory
from tsur.polls import services
from tsur.polls.models import Channel, Poll, QuestionKind, Verification
from tsur.polls.services.identity import Identity, IdentityKind, contact_key

TITLE = "Благоустройство дворов 2027: что сделать первым?"
CITY = "kaluga"
BALLOTS = 360
SEED = 2027
FIRST = ["Детская площадка", "Освещение двора", "Парковочные места", "Ремонт проездов и тротуаров", "Озеленение"]
ALSO = ["Скамейки", "Урны", "Велопарковка", "Площадка для выгула собак", "Контейнерная площадка"]
# Each part of the city leans its own way (weights over FIRST), so results by territory differ.
LEANING = {
    "kaluga-leninskiy-okrug": [5, 2, 4, 6, 1],
    "kaluga-moskovskiy-okrug": [7, 3, 2, 3, 2],
    "kaluga-oktyabrskiy-okrug": [3, 5, 5, 2, 3],
    CITY: [4, 3, 3, 3, 2],
}
SUGGESTIONS = [
    "Сделайте освещение у подъездов, вечером темно.",
    "Нужна площадка для детей постарше, с турниками.",
    "Машины паркуются на газонах — нужна парковка.",
    "Проезд во двор весь в ямах.",
    "Посадите деревья вместо вырубленных.",
]


def load(operator) -> dict[str, int]:
    """Create and fill the demo poll once (nothing happens when it exists or Калуга is not configured)."""
    city = Territory.objects.filter(code=CITY).first()
    if city is None or Poll.objects.filter(title=TITLE).exists():
        return {}
    now = timezone.now()
    start = now - dt.timedelta(days=6)
    with clock.at(start):
        poll = services.create_poll(
            operator,
            title=TITLE,
            description=(
                "Город готовит программу благоустройства дворов на 2027 год. Расскажите, что в вашем дворе "
                "нужно сделать в первую очередь: итоги опроса учтут при распределении средств."
            ),
            territories=[city],
            starts_at=start,
            ends_at=now + dt.timedelta(days=24),
            verification=Verification.ACCOUNT_OR_CODE,
        )
        first = services.save_question(poll, operator, kind=QuestionKind.SINGLE, text="Что сделать в вашем дворе первым?", options=FIRST)
        also = services.save_question(
            poll, operator, kind=QuestionKind.MULTIPLE, text="Что ещё нужно двору?", options=ALSO, required=False, max_choices=3
        )
        scale = services.save_question(
            poll,
            operator,
            kind=QuestionKind.SCALE,
            text="Как вы оцениваете состояние двора сейчас?",
            scale_min=1,
            scale_max=5,
            scale_min_label="очень плохо",
            scale_max_label="отлично",
        )
        text = services.save_question(poll, operator, kind=QuestionKind.TEXT, text="Ваше предложение", required=False)
        services.publish_poll(poll, operator)
    first_ids = list(first.options.order_by("order").values_list("pk", flat=True))
    also_ids = list(also.options.order_by("order").values_list("pk", flat=True))
    places = {t.code: t for t in Territory.objects.filter(code__in=list(LEANING))}
    codes = [c for c in LEANING if c in places]
    rng = random.Random(SEED)
    channels = [Channel.WIDGET] * 5 + [Channel.APP] * 3 + [Channel.LINK] * 2
    span = (now - start).total_seconds() - 60
    for n in range(BALLOTS):
        code = rng.choices(codes, weights=[3, 4, 3, 1][: len(codes)])[0]
        answers: dict[int, object] = {
            first.pk: rng.choices(first_ids, weights=LEANING[code])[0],
            scale.pk: rng.choices([1, 2, 3, 4, 5], weights=[2, 4, 5, 3, 1])[0],
        }
        if rng.random() < 0.7:
            answers[also.pk] = rng.sample(also_ids, rng.randint(1, 3))
        if rng.random() < 0.08:
            answers[text.pk] = rng.choice(SUGGESTIONS)
        voter = Identity(IdentityKind.CONTACT, contact_key(f"demo-voter-{n}"))
        with clock.at(start + dt.timedelta(seconds=span * (n + rng.random()) / BALLOTS)):
            services.cast_vote(poll, voter, places[code], answers, channel=rng.choice(channels))
    return {"poll_ballots": BALLOTS}
