"""The queue's rows, written in Python.

A queue page shows 50 appeals of ten cells each. Django's template engine resolved about sixty
variables and filters per row (dates, defaults, the countdown's include), which was a third of a
queue page's server time, and the page's own polling asks for it every 30 seconds per operator.
The markup is the one the template wrote (`tests/workspace/test_queue_rows.py` renders the old
row template beside this and compares); every value passes through `format_html`'s escaping.

The names in a row (territory, block, category, organisation and its working hours) come from the
process's copy of those tables (`tsur.workspace.directory`), not from joins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from tsur.appeals.models import Appeal
from tsur.workspace.countdown import Countdown
from tsur.workspace.tones import status_tone

EMPTY = mark_safe("")


def local(value: dt.datetime, fmt: str) -> str:
    """What the template's `date` filter writes for the formats used here ("d.m H:i",
    "d.m.Y H:i"): the value in the current time zone, digits zero-padded."""
    return timezone.localtime(value).strftime(fmt)


def countdown_html(cd: Countdown, *, short: bool = False, badge: bool = False) -> SafeString:
    """A countdown's span: the card's head (`badge`) and the queue's due column (`short`)."""
    minutes = cd.unit == "minutes"
    data = EMPTY
    if minutes:
        data = format_html(' data-minutes="{}" data-running="{}" data-until="{}"', cd.minutes, "1" if cd.running else "0", cd.until_ms)
    paused = EMPTY
    if minutes and not cd.running:
        paused = format_html(" · отсчёт стоит до {} (нерабочее время)", local(cd.until, "%d.%m.%Y %H:%M") if cd.until else "")
    return format_html(
        '<span class="countdown cd-{}{}" data-countdown data-unit="{}"{}{} title="{}{}">{}</span>',
        cd.state,
        " badge badge-lg" if badge else "",
        cd.unit,
        data,
        mark_safe(' data-short="1"') if short else EMPTY,
        cd.text,
        paused,
        cd.short if short else cd.text,
    )


def _person(user) -> str:
    return user.get_full_name() or user.username


def _category_cell(a: Appeal) -> SafeString:
    title = (a.block.name if a.block else "") + (f" / {a.category.name}" if a.category else "")
    if a.category or a.block:
        label = a.category.name if a.category else a.block.name  # escaped by format_html below
    else:
        label = mark_safe('<span class="muted">не определено</span>')
    return format_html('<td title="{}">{}</td>', title, label)


def _organisation_cell(a: Appeal) -> SafeString:
    if not a.organisation:
        return mark_safe('<td title=""><span class="muted">—</span></td>')
    name = a.organisation.short_name
    if a.executor:
        person = _person(a.executor)
        return format_html('<td title="{} — {}">{}<span class="row-address"> · {}</span></td>', name, person, name, person)
    return format_html('<td title="{}">{}</td>', name, name)


def _due_cell(a: Appeal, cd: Countdown | None) -> SafeString:
    due = local(a.due_at, "%d.%m.%Y %H:%M") if a.due_at else ""
    shown = countdown_html(cd, short=True) if cd is not None else due or "—"  # a string is escaped below
    return format_html('<td class="col-due due-cell" title="{}">{}</td>', f"Срок: {due}" if due else "", shown)


def _urgency_cell(a: Appeal) -> SafeString:
    if a.urgency == "high":
        return format_html('<td class="col-urgency"><span class="badge tone-urgent">{}</span></td>', a.get_urgency_display())
    return format_html('<td class="col-urgency"><span class="muted">{}</span></td>', a.get_urgency_display())


def row_html(row: dict, checked: Collection[str] = ()) -> SafeString:
    """One `<tr>` of the queue: `row` as `views_queue._context` builds it."""
    a: Appeal = row["appeal"]
    url = row["url"]
    address = format_html('<span class="row-address"> · {}</span>', a.address) if a.address else EMPTY
    territory = a.territory.name if a.territory else ""
    return format_html(
        '<tr class="{}" data-number="{}">'
        '<td class="col-check"><input type="checkbox" class="row-select" name="number" value="{}" aria-label="Отметить обращение {}"{}>'
        '<input type="hidden" name="version-{}" value="{}"></td>'
        '<td class="col-number"><a href="{}" class="appeal-link">{}</a></td>'
        '<td class="col-date" title="{}">{}</td>'
        '<td class="col-text" title="{}{}"><a href="{}" class="text-link">{}</a>{}</td>'
        "{}"
        '<td title="{}">{}</td>'
        "{}"
        '<td><span class="badge tone-{}">{}</span></td>'
        "{}{}</tr>",
        f"due-{row['due_state']}" if row["due_state"] else "",
        a.number,
        a.number,
        a.number,
        mark_safe(" checked") if a.number in checked else EMPTY,
        a.number,
        a.version,
        url,
        a.number,
        a.channel_label,
        local(a.received_at, "%d.%m %H:%M") if a.received_at else "",
        row["title"],
        f" — {a.address}" if a.address else "",
        url,
        row["text"],
        address,
        _category_cell(a),
        territory,
        territory or "—",
        _organisation_cell(a),
        status_tone(a.status),
        a.get_status_display(),
        _due_cell(a, row["countdown"]),
        _urgency_cell(a),
    )


def rows_html(rows: list[dict], checked: Collection[str] = ()) -> SafeString:
    return mark_safe("\n".join(row_html(row, checked) for row in rows))  # each row escaped by format_html
