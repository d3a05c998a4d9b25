"""Appeals at every stage of their life, with a resident whose values are easy to find."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.factories import new_appeal
from tsur.answers import services as answers
from tsur.appeals import services
from tsur.appeals.models import Appeal, Status
from tsur.core import clock

MSK = ZoneInfo("Europe/Moscow")
T0 = dt.datetime(2020, 3, 2, 10, 0, tzinfo=MSK)

# Distinctive values that appear nowhere else in the code or the fixtures.
PLANTED = {
    "name": "Зеленопупкин Аристарх",
    "phone": "+7 977 131-72-83",
    "email": "aristarkh.zelenopupkin@example.net",
    "account_link": "https://vk.com/zelenopupkin_131",
}
NEEDLES = ("Зеленопупкин", "Аристарх", "131-72-83", "9771317283", "zelenopupkin")


def planted_text(extra: str = "") -> str:
    return (
        f"Меня зовут {PLANTED['name']}, звоните {PLANTED['phone']} или пишите {PLANTED['email']}. "
        f"Яма на дороге у остановки, машины бьют колёса. {extra}"
    )


def appeal_at(world, at: dt.datetime, **kw) -> Appeal:
    with clock.at(at):
        data = {"name": PLANTED["name"], "phone": PLANTED["phone"], "email": PLANTED["email"], "text": planted_text()}
        data.update(kw)
        return new_appeal(world, **data)


ANSWER = "Покрытие восстановлено, работы приняты по акту подрядчика."


def closed_appeal(world, at: dt.datetime, *, answer: str = ANSWER, comment: str = "Спасибо, всё сделали", **kw) -> Appeal:
    """Received at `at`, answered and rated well within two days: closed."""
    a = appeal_at(world, at, **kw)
    with clock.at(at + dt.timedelta(hours=2)):
        a.refresh_from_db()
        if a.status == Status.MODERATION:
            services.route_appeal(a.pk, world.operator, organisation_code="roads-min")
        services.accept_appeal(a.pk, world.coordinator)
        answers.prepare_answer(a.pk, world.coordinator, text=answer)
        answers.approve_answer(a.pk, world.operator)
        answers.publish_answer(a.pk, world.operator)
    with clock.at(at + dt.timedelta(days=1)):
        answers.rate_appeal(a.pk, None, score=5, comment=comment)
    a.refresh_from_db()
    assert a.status == Status.CLOSED, a.status
    return a
