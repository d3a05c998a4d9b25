"""Which column of an export holds which field, which source status means what, and how dates
are read. The defaults cover the usual Russian column headers; a channel's settings or a
`--mapping` override change them per export."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

# field -> header names accepted by default (compared case- and space-insensitively).
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("номер", "№", "номер сообщения", "номер обращения", "id", "идентификатор"),
    "date": ("дата", "дата сообщения", "дата создания", "дата поступления", "дата регистрации", "создано"),
    "text": ("текст", "текст сообщения", "текст обращения", "сообщение", "содержание", "суть"),
    "category": ("категория", "тематика", "рубрика", "тема", "подкатегория"),
    "address": ("адрес", "место", "адрес проблемы"),
    "status": ("статус", "состояние"),
    "answer": ("ответ", "текст ответа", "ответ организации"),
    "responsible": ("ответственный", "ответственное лицо", "исполнитель", "организация", "ответственная организация"),
    "answered_at": ("дата ответа",),
    "author": ("автор", "заявитель", "фио"),
    "email": ("e-mail", "email", "электронная почта", "почта"),
    "phone": ("телефон",),
}
REQUIRED = ("number", "date", "text")
FIELD_LABELS = {
    "number": "номер", "date": "дата", "text": "текст", "category": "категория", "address": "адрес",
    "status": "статус", "answer": "ответ", "responsible": "ответственный", "answered_at": "дата ответа",
    "author": "автор", "email": "e-mail", "phone": "телефон",
}

# What a source status means for the appeal (see docs/channels.md, "ПОС import: statuses"):
# received    — created as received; the usual moderation follows
# in_progress — routed (to the responsible organisation when it is in the directory) and accepted
# answered    — routed, accepted, the source answer prepared, checked and published
# rejected    — rejected with the source status (and answer, if any) as the stated reason
TARGETS = ("received", "in_progress", "answered", "rejected")
DEFAULT_STATUSES: dict[str, str] = {
    "новое": "received", "новый": "received", "поступило": "received", "получено": "received",
    "зарегистрировано": "received", "модерация": "received", "на модерации": "received",
    "в работе": "in_progress", "рассмотрение": "in_progress", "на рассмотрении": "in_progress",
    "назначено": "in_progress", "направлено исполнителю": "in_progress", "промежуточный ответ": "in_progress",
    "на исполнении": "in_progress",
    "ответ дан": "answered", "дан ответ": "answered", "получен ответ": "answered", "отвечено": "answered",
    "ответ направлен": "answered", "решено": "answered", "выполнено": "answered", "закрыто": "answered",
    "завершено": "answered",
    "отклонено": "rejected", "отказано": "rejected", "отказ": "rejected", "спам": "rejected",
}


def fold(value: str) -> str:
    """Header and status comparison key: case-folded, «ё» as «е», spaces collapsed."""
    return re.sub(r"\s+", " ", str(value or "")).strip().casefold().replace("ё", "е")


def resolve_columns(headers: list[str], overrides: dict[str, str | list[str]] | None = None) -> tuple[dict[str, str], list[str]]:
    """{field: header} for the headers of a file, and the problems (missing required columns)."""
    by_key = {fold(h): h for h in headers if str(h or "").strip()}
    resolved: dict[str, str] = {}
    overrides = overrides or {}
    for name, defaults in DEFAULT_COLUMNS.items():
        wanted = overrides.get(name)
        candidates = ([wanted] if isinstance(wanted, str) else list(wanted)) if wanted else list(defaults)
        for candidate in candidates:
            header = by_key.get(fold(candidate))
            if header is not None:
                resolved[name] = header
                break
    problems = []
    for name in REQUIRED:
        if name not in resolved:
            wanted = overrides.get(name) or DEFAULT_COLUMNS[name]
            names = [wanted] if isinstance(wanted, str) else list(wanted)
            problems.append(f"нет столбца «{FIELD_LABELS[name]}» (ожидался один из: {', '.join(names)})")
    return resolved, problems


def status_target(source: str, overrides: dict[str, str] | None = None) -> str | None:
    """The target of a source status; None when it is unknown. «Завершено: …» matches «завершено»."""
    table = {**DEFAULT_STATUSES, **{fold(k): v for k, v in (overrides or {}).items()}}
    key = fold(source)
    if not key:
        return "received"
    if key in table:
        return table[key]
    head = key.split(":", 1)[0].strip()
    return table.get(head)


_DATE_FORMATS = (
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d.%m.%y %H:%M", "%d.%m.%y",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M", "%d/%m/%Y",
)


def parse_date(value) -> dt.datetime | None:
    """A cell as an aware datetime (naive values are in the platform's time zone), or None."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            for fmt in _DATE_FORMATS:
                try:
                    moment = dt.datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
            else:
                return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment
