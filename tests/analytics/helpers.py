"""A small varied history of appeals, made through the real services, for the analytics tests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.factories import Channel, new_appeal
from tsur.answers import services as answers
from tsur.appeals import services
from tsur.core import clock

MSK = ZoneInfo("Europe/Moscow")
DAY0 = dt.datetime(2025, 3, 3, 10, 0, tzinfo=MSK)
GOOD_ANSWER = "Покрытие восстановлено 04.03.2025, работы приняты комиссией, замечаний по качеству нет."
FORMAL_ANSWER = "Ваше обращение будет рассмотрено по мере финансирования."


def answered(world, when: dt.datetime, *, text: str = GOOD_ANSWER, after: dt.timedelta = dt.timedelta(days=1), returned: bool = False, **kw):
    with clock.at(when):
        a = new_appeal(world, channel=Channel.OPERATOR, **kw)
        services.route_appeal(a, world.operator)
    a.refresh_from_db()
    coordinator = world.city_coordinator if a.organisation_id == world.city_admin.pk else world.coordinator
    with clock.at(when + after):
        services.accept_appeal(a.pk, coordinator)
        if returned:
            answers.prepare_answer(a.pk, coordinator, text=FORMAL_ANSWER)
            answers.return_answer(a.pk, world.operator, note="Нет срока выполнения работ")
        answers.prepare_answer(a.pk, coordinator, text=text)
        # A formal answer is approved only with a reason (the center overrules the check on record).
        answers.approve_answer(a.pk, world.operator, note="Проверено оператором ЦУР")
        answers.publish_answer(a.pk, world.operator)
    a.refresh_from_db()
    return a


def history(world) -> dict:
    """Appeals over three days: answered in time, late, formal, returned, rated well and badly
    (reopened), open and overdue, joined to a problem, another territory and channel."""
    out = {}
    out["quick"] = answered(world, DAY0, after=dt.timedelta(hours=5))
    out["late"] = answered(world, DAY0 + dt.timedelta(hours=1), after=dt.timedelta(days=45))
    out["formal"] = answered(world, DAY0 + dt.timedelta(days=1), text=FORMAL_ANSWER)
    out["returned"] = answered(world, DAY0 + dt.timedelta(days=1, hours=2), returned=True)
    out["city"] = answered(world, DAY0 + dt.timedelta(days=2), territory_code="city", after=dt.timedelta(days=3))
    with clock.at(DAY0 + dt.timedelta(days=3)):
        answers.rate_appeal(out["quick"].pk, None, score=5)
        answers.rate_appeal(out["formal"].pk, None, score=2)  # reopens it
        answers.rate_appeal(out["city"].pk, None, score=4)
    with clock.at(DAY0 + dt.timedelta(days=2, hours=3)):
        out["open"] = new_appeal(world, channel=Channel.OPERATOR, category_code="garbage")
        services.route_appeal(out["open"], world.operator)
        out["lead"] = new_appeal(world)
        out["member"] = new_appeal(world, channel=Channel.APP, text="Снова яма у остановки, никто не чинит")
        services.join_to_problem(out["member"].pk, world.operator, lead_number=out["lead"].number)
    for a in out.values():
        a.refresh_from_db()
    return out
