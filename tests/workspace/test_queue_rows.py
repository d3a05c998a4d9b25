"""The queue's rows written in Python (tsur.workspace.queue_rows) are the markup the row template
wrote (`queue_row_reference.html`, the template as it was), for every shape of a row."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.utils import timezone

from tsur.appeals.models import Appeal, Status
from tsur.directory.models import Block, Category, Organisation, Territory
from tsur.workspace.countdown import Countdown
from tsur.workspace.queue_rows import countdown_html, rows_html

REFERENCE = Template((Path(__file__).parent / "queue_row_reference.html").read_text(encoding="utf-8"))
COUNTDOWN = Template((Path(__file__).parent / "countdown_reference.html").read_text(encoding="utf-8"))
UTC = dt.UTC
User = get_user_model()


def _tight(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


def _appeal(**kw) -> Appeal:
    base = {
        "number": "2026-A0000001",
        "version": 3,
        "channel": "widget",
        "received_at": dt.datetime(2026, 3, 1, 22, 30, tzinfo=UTC),  # 02.03 01:30 in Moscow
        "status": Status.IN_PROGRESS,
        "urgency": "normal",
    }
    return Appeal(**{**base, **kw})


def _rows() -> list[dict]:
    block = Block(key="zhkh", name="ЖКХ & «двор»")
    category = Category(code="yard", name='Двор <b>"мусор"</b>', block=block)
    org = Organisation(code="uk", short_name="УК «Дом & Сад»")
    named = User(username="ivanov", first_name="Иван", last_name="Иванов")
    bare = User(username="petrov<x>")
    until = dt.datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    full = _appeal(
        number="2026-A0000001", block=block, category=category, territory=Territory(name="Калуга <центр>"),
        organisation=org, executor=named, address='ул. Ленина, д. 5 "А" <b>', due_at=dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        urgency="high",
    )  # fmt: skip
    block_only = _appeal(
        number="2026-A0000002", channel="vk", block=block, organisation=org, executor=bare, status=Status.ROUTED,
        due_at=dt.datetime(2026, 3, 1, 23, 59, tzinfo=UTC),
    )  # fmt: skip
    nothing = _appeal(number="2026-A0000003", channel="email", status=Status.RECEIVED)
    closed = _appeal(number="2026-A0000004", status=Status.CLOSED, organisation=org, due_at=dt.datetime(2026, 2, 1, 12, 0, tzinfo=UTC))
    days = _appeal(number="2026-A0000005", category=category, block=block, due_at=dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    return [
        {"appeal": full, "url": "/workspace/appeals/2026-A0000001/", "title": "Текст <script>alert(1)</script> & «кавычки»",
         "text": "Текст <script>", "due_state": "soon",
         "countdown": Countdown(text="осталось 1 ч 20 мин рабочего времени", state="soon", unit="minutes", minutes=80, running=True, until=until)},
        {"appeal": block_only, "url": "/workspace/appeals/2026-A0000002/", "title": "Второй", "text": "Второй", "due_state": "overdue",
         "countdown": Countdown(
             text="просрочено на 5 мин рабочего времени", state="overdue", unit="minutes", minutes=-5, running=False, until=until
         )},
        {"appeal": nothing, "url": "/workspace/appeals/2026-A0000003/", "title": "", "text": "", "due_state": "", "countdown": None},
        {"appeal": closed, "url": "/workspace/appeals/2026-A0000004/", "title": "Закрыто", "text": "Закрыто", "due_state": "", "countdown": None},
        {"appeal": days, "url": "/workspace/appeals/2026-A0000005/", "title": "Дни", "text": "Дни", "due_state": "",
         "countdown": Countdown(text="осталось 4 раб. дня", state="ok", unit="days")},
    ]  # fmt: skip


@pytest.mark.parametrize("checked", [set(), {"2026-A0000001", "2026-A0000004"}])
def test_rows_are_the_templates_markup(settings, checked):
    settings.TIME_ZONE = "Europe/Moscow"
    rows = _rows()
    with timezone.override("Europe/Moscow"):
        expected = REFERENCE.render(Context({"rows": rows, "checked": checked}))
        got = rows_html(rows, checked)
    assert _tight(got) == _tight(expected)
    # The cases are what they claim: escaped, converted to local time, each branch taken.
    assert "<script>" not in got and "&lt;script&gt;" in got
    assert ">02.03 01:30<" in got
    assert "отсчёт стоит до 02.03.2026 09:00 (нерабочее время)" in got
    assert got.count(" checked>") == len(checked)


@pytest.mark.parametrize("short,badge", [(False, False), (True, False), (False, True)])
def test_countdown_is_the_includes_markup(short, badge):
    until = dt.datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    for cd in (
        Countdown(text="осталось 3 ч рабочего времени", state="ok", unit="minutes", minutes=180, running=True, until=until),
        Countdown(text="осталось 3 ч рабочего времени", state="paused", unit="minutes", minutes=180, running=False, until=until),
        Countdown(text="срок сегодня до 18:00", state="soon", unit="days"),
    ):
        with timezone.override("Europe/Moscow"):
            expected = COUNTDOWN.render(Context({"cd": cd, "short": short, "badge": badge}))
            got = countdown_html(cd, short=short, badge=badge)
        assert _tight(got) == _tight(expected)
