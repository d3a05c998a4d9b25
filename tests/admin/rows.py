"""At least one row of every model registered in the admin, made the way the platform makes them
where a service exists (appeals, answers, problems), directly otherwise."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.utils import timezone

from tests.factories import new_appeal
from tsur.accounts.models import ApiToken
from tsur.answers import services as answers
from tsur.answers.models import AnswerTemplate, Rating
from tsur.appeals import services
from tsur.channels.models import ChannelConfig, Delivery, InboundMessage, SignalPurge
from tsur.core import clock
from tsur.deadlines.models import StaffAlert
from tsur.directory.models import CalendarException, OutsidePlace, Street
from tsur.monitoring.models import EventKind, Link, MonitoringEvent, Reject, SensorState, Source
from tsur.polls.models import Announcement, AnnouncementTarget, Poll
from tsur.replay.models import ReplayRun
from tsur.tension.models import TensionAction, TensionPoint

AT = dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)  # 12:30 in Moscow


def populate(w: SimpleNamespace) -> SimpleNamespace:
    """Everything happens at AT (the clock is set), so pages show known Moscow times."""
    with clock.at(AT):
        return _populate(w)


def _populate(w: SimpleNamespace) -> SimpleNamespace:
    rows = SimpleNamespace()
    a = rows.appeal = new_appeal(w)
    services.route_appeal(a, w.operator)
    services.join_to_problem(new_appeal(w), w.operator, lead_number=a.number)
    services.accept_appeal(a, w.coordinator)
    answers.request_extension(a, w.coordinator, days=5, reason="экспертиза")
    answers.prepare_answer(a, w.coordinator, text="Ремонт выполнен 12.05.2025, покрытие восстановлено.")
    answer = a.answers.first()
    Rating.objects.create(appeal=a, answer=answer, score=4, comment="Спасибо")
    AnswerTemplate.objects.create(code="done", name="Работы выполнены", text="Работы выполнены.")
    StaffAlert.objects.create(appeal=a, kind="reminder", organisation=w.roads_ministry, text="Напоминание")
    ApiToken.issue(w.operator, "Интеграция")
    Street.objects.create(name="Ленина", type="улица", territory=w.city)
    OutsidePlace.objects.create(name="Москва", kind="city")
    CalendarException.objects.create(date=dt.date(2026, 12, 31), is_working=False, note="Перенос выходного")

    source = Source.objects.create(code="sensors", name="Датчики теплосети", kind="sensor")
    kind = EventKind.objects.create(code="pressure", source_kind="sensor", name="Падение давления")
    event = MonitoringEvent.objects.create(
        source=source, external_id="e-1", kind=kind, occurred_at=AT, version_at=AT, title="Падение давления", territory=w.city
    )
    Reject.objects.create(source=source, code="malformed", reason="Не разобран JSON", received_at=AT)
    SensorState.objects.create(source=source, sensor="s-1", metric="pressure", read_at=AT, event=event)
    Link.objects.create(event=event, appeal=a, score=0.8, reason="рядом по месту и времени")

    channel = ChannelConfig.objects.create(code="mail", kind="email", name="Электронная почта")
    InboundMessage.objects.create(channel=channel, external_id="m-1", raw={"subject": "Яма"}, received_at=AT)
    Delivery.objects.create(appeal=a, channel=channel, text="Ответ")
    SignalPurge.objects.create(cutoff=AT, purged=3, by_channel={"mail": 3})

    poll = Poll.objects.create(title="Благоустройство двора")
    AnnouncementTarget.objects.create(name="Группа ВКонтакте", channel_code="mail")
    Announcement.objects.create(poll=poll, channel_code="mail", text="Опрос открыт")

    point = TensionPoint.objects.create(
        place_kind="territory", place=w.city.code, territory=w.city, level="block", block=w.roads, state="growing",
        window_start=dt.date(2026, 11, 28), window_end=dt.date(2026, 12, 5), count=12, expected=3.0, surprise=4.0,
        score=0.9, explanation="Рост числа обращений о ямах",
    )  # fmt: skip
    TensionAction.objects.create(point=point, kind="assigned", from_handling="open", to_handling="assigned", actor=w.operator, at=AT)
    ReplayRun.objects.create(region="spb", data_dir="/srv/replay", started_at=AT, finished_at=timezone.now())
    return rows
