"""Import of a ПОС export: every row stored as an inbound payload (idempotent on the ПОС message
number), turned into an appeal by the same ingestion path as every channel, then brought to the
status the export shows through the appeal services, as the system.

Statuses: a source status is mapped to a target (mapping.TARGETS). "in_progress" and "answered"
are reproduced by routing (to the responsible organisation when the directory knows it, otherwise
by the routing rules), accepting, and for "answered" preparing, checking and publishing the
source answer; "rejected" by rejecting with the source status as the reason. When the services
cannot reproduce it (no answer text, a transition not allowed), the appeal stays as received and
the `pos_import` event records the source status, the answer and why. Every imported row gets
that event. Notifications these steps create are marked skipped: the resident is answered in ПОС.

A re-import of the same number never creates a second appeal; if the export shows a status the
appeal has not reached yet, the appeal is brought forward ("updated"), otherwise "unchanged".
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.db import transaction
from django.db.models import Max

from tsur.appeals.models import Appeal, Notification, Status
from tsur.channels import claiming, processing, receiving, to_appeals
from tsur.channels.base import RawItem
from tsur.channels.models import ChannelConfig, InboundMessage
from tsur.channels.pos_import.mapping import FIELD_LABELS, parse_date, resolve_columns, status_target
from tsur.channels.pos_import.reader import ExportError, read_table
from tsur.core import clock
from tsur.core.errors import DomainError, ValidationFailed

KIND = "pos_import"
CHUNK = 200
# How far along the lifecycle a status is; a re-import only ever moves an appeal forward.
RANK = {
    Status.RECEIVED: 0, Status.MODERATION: 0, Status.ROUTED: 1, Status.IN_PROGRESS: 2,
    Status.ANSWER_PREPARED: 3, Status.ANSWER_CHECKED: 4, Status.PUBLISHED: 5, Status.CLOSED: 6,
}
GOAL = {"received": 0, "in_progress": 2, "answered": 5}
ACTION_LABELS = {"created": "создано", "updated": "обновлено", "unchanged": "без изменений", "rejected": "отклонено"}


@dataclass
class RowResult:
    line: int
    number: str
    action: str = ""  # created / updated / unchanged / rejected (in a dry run: what would happen)
    appeal: str = ""
    status: str = ""
    reasons: list[str] = field(default_factory=list)  # why rejected; warnings otherwise


@dataclass
class ImportReport:
    file: str
    channel: str
    dry_run: bool
    columns: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # the whole file was refused
    rows: list[RowResult] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTION_LABELS, 0)
        for row in self.rows:
            counts[row.action] = counts.get(row.action, 0) + 1
        return counts

    def as_dict(self) -> dict:
        return {**asdict(self), "counts": self.counts}

    def as_text(self) -> str:
        head = "Пробный прогон: ничего не записано." if self.dry_run else "Импорт выполнен."
        lines = [f"{head} Файл: {self.file}; канал: {self.channel}."]
        if self.problems:
            lines += ["Файл не принят:"] + [f"  {p}" for p in self.problems]
            return "\n".join(lines)
        lines.append("Столбцы: " + ", ".join(f"{FIELD_LABELS[k]} ← «{v}»" for k, v in self.columns.items()))
        lines.append("Итого: " + ", ".join(f"{ACTION_LABELS[k]} {v}" for k, v in self.counts.items()))
        for row in self.rows:
            if row.action == "rejected" or row.reasons:
                what = ACTION_LABELS.get(row.action, row.action)
                lines.append(f"  строка {row.line}, № {row.number or '—'}: {what}. {'; '.join(row.reasons)}")
        return "\n".join(lines)


@dataclass
class _Row:
    result: RowResult
    item: RawItem
    target: str


def pos_channel(code: str = "") -> ChannelConfig:
    """The ПОС import channel: the one named, or the only one, or a new one with defaults."""
    if code:
        config = ChannelConfig.objects.filter(code=code).first()
        if config is None:
            raise ValidationFailed(f"Канал «{code}» не найден.")
        if config.kind != KIND:
            raise ValidationFailed(f"Канал «{code}» не является каналом импорта из ПОС.")
        return config
    configs = list(ChannelConfig.objects.filter(kind=KIND)[:2])
    if len(configs) > 1:
        raise ValidationFailed("Каналов импорта из ПОС несколько: укажите нужный (--channel КОД).")
    if configs:
        return configs[0]
    config, _ = ChannelConfig.objects.get_or_create(code="pos", defaults={"kind": KIND, "name": "ПОС (импорт)", "enabled": True})
    return config


def import_file(
    source: str | Path | BinaryIO,
    *,
    name: str = "",
    config: ChannelConfig | None = None,
    columns: dict | None = None,
    statuses: dict | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import (or with dry_run, only check) one export file; `columns` and `statuses` override
    the channel's settings for this file."""
    config = config or pos_channel()
    report = ImportReport(file=name or str(source), channel=config.code, dry_run=dry_run)
    try:
        plugin = config.plugin()
        if columns or statuses:
            merged = plugin.settings.model_dump()
            merged["columns"] = {**merged["columns"], **(columns or {})}
            merged["statuses"] = {**merged["statuses"], **(statuses or {})}
            plugin = type(plugin)(plugin.validate_settings(merged))
    except Exception as exc:
        from tsur.channels.forms import settings_errors

        report.problems = settings_errors(exc) if hasattr(exc, "errors") else [f"настройки канала: {exc}"]
        return report
    try:
        table = read_table(source, name)
    except ExportError as exc:
        report.problems = [str(exc)]
        return report
    resolved, problems = resolve_columns(table.headers, plugin.settings.columns)
    report.columns = resolved
    if problems:
        report.problems = problems + [f"в файле есть столбцы: {', '.join(h for h in table.headers if h) or 'нет'}"]
        return report
    rows = _validate(table.rows, resolved, plugin, report)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        if dry_run:
            _simulate(config, plugin, chunk)
        else:
            _import(config, plugin, chunk)
    return report


def _validate(table_rows: list[tuple[int, dict]], resolved: dict[str, str], plugin, report: ImportReport) -> list[_Row]:
    seen: dict[str, int] = {}
    valid: list[_Row] = []
    now = clock.now()
    for line, values in table_rows:
        number = str(values.get(resolved["number"]) or "").strip()
        result = RowResult(line=line, number=number)
        report.rows.append(result)
        problems = []
        if not number:
            problems.append("нет номера сообщения ПОС")
        elif len(number) > 200:
            problems.append("номер длиннее 200 знаков")
        elif number in seen:
            problems.append(f"номер уже встречался в строке {seen[number]}")
        if not str(values.get(resolved["text"]) or "").strip():
            problems.append("нет текста сообщения")
        raw_date = values.get(resolved["date"])
        received = parse_date(raw_date)
        if received is None:
            problems.append(f"дата «{raw_date or ''}» не распознана" if raw_date else "нет даты")
        elif received > now + dt.timedelta(days=1):
            problems.append("дата в будущем")
        if problems:
            result.action, result.reasons = "rejected", problems
            continue
        seen[number] = line
        item = RawItem(external_id=number, payload={"columns": values, "mapping": resolved}, kind="row")
        message = plugin.normalise(item)
        source_status = message.extra["source_status"]
        target = status_target(source_status, plugin.settings.statuses)
        if target is None:
            result.reasons.append(f"статус «{source_status}» не распознан: обращение поступит на модерацию")
            target = "received"
        if message.extra["category_name"] and not message.category_code:
            result.reasons.append(f"категория «{message.extra['category_name']}» не найдена в классификаторе: без категории")
        if message.extra["answered_at"] and parse_date(message.extra["answered_at"]) is None:
            result.reasons.append("дата ответа не распознана: ответ датируется временем импорта")
        valid.append(_Row(result=result, item=item, target=target))
    return valid


def _existing(config: ChannelConfig, numbers: list[str]) -> dict[str, InboundMessage]:
    return {
        m.external_id: m
        for m in InboundMessage.objects.filter(channel=config, external_id__in=numbers).select_related("appeal", "channel")
    }


def _simulate(config: ChannelConfig, plugin, chunk: list[_Row]) -> None:
    """What a real import would do, read-only: the same validation, no writes."""
    from tsur.appeals.services import validate_new_appeal

    known = _existing(config, [r.item.external_id for r in chunk])
    for row in chunk:
        inbound = known.get(row.item.external_id)
        message = plugin.normalise(row.item)
        if inbound is not None and inbound.appeal is not None:
            row.result.appeal, row.result.status = inbound.appeal.number, inbound.appeal.get_status_display()
            row.result.action = "updated" if _would_move(inbound.appeal.status, row.target) else "unchanged"
            continue
        if inbound is not None and inbound.state == InboundMessage.State.FAILED:
            row.result.action, row.result.reasons = "rejected", [inbound.last_error]
            continue
        stored = InboundMessage(channel=config, external_id=row.item.external_id, raw=row.item.payload, received_at=clock.now())
        try:
            validate_new_appeal(to_appeals.new_appeal_from(config, stored, message))
        except ValidationFailed as exc:
            if not set(exc.field_errors) <= set(to_appeals.DROPPABLE_FIELDS):
                row.result.action, row.result.reasons = "rejected", [to_appeals.validation_reason(exc)]
                continue
            row.result.reasons.append(f"не приняты поля: {', '.join(exc.field_errors)}")
        if row.target == "answered" and not message.extra["answer"]:
            row.result.reasons.append("в выгрузке нет текста ответа: статус не воспроизводится, обращение поступит на модерацию")
        row.result.action = "created"
        # What the real import ends with: a channel's appeals are taken to moderation as they are created.
        row.result.status = {"received": "На модерации", "in_progress": "В работе", "answered": "Ответ опубликован", "rejected": "Отклонено"}[
            row.target if row.target != "answered" or message.extra["answer"] else "received"
        ]


def _would_move(status: str, target: str) -> bool:
    if target == "rejected":
        return status in (Status.RECEIVED, Status.MODERATION, Status.ROUTED, Status.IN_PROGRESS)
    return status in RANK and RANK[status] < GOAL[target]


def _import(config: ChannelConfig, plugin, chunk: list[_Row]) -> None:
    numbers = [r.item.external_id for r in chunk]
    # One transaction per chunk: the appeals, their status steps and the skipped notifications
    # commit together, and nothing is sent to residents before the notifications are skipped.
    with transaction.atomic():
        before = set(_existing(config, numbers))
        last_note = Notification.objects.aggregate(m=Max("pk"))["m"] or 0
        receiving.receive(config, [r.item for r in chunk], process=False)
        known = _existing(config, numbers)
        processing.process_rows(claiming.claim_rows([m.pk for m in known.values() if m.state == InboundMessage.State.PENDING]))
        known = _existing(config, numbers)
        touched = []
        for row in chunk:
            inbound = known.get(row.item.external_id)
            _reconcile(row, inbound, plugin, created=row.item.external_id not in before)
            if inbound is not None and inbound.appeal_id:
                touched.append(inbound.appeal_id)
        Notification.objects.filter(pk__gt=last_note, appeal_id__in=touched, state=Notification.State.PENDING).update(
            state=Notification.State.SKIPPED, last_error="сообщение импортировано из ПОС: житель получает ответы в ПОС"
        )


def _reconcile(row: _Row, inbound: InboundMessage | None, plugin, *, created: bool) -> None:
    result = row.result
    if inbound is None or inbound.state == InboundMessage.State.PENDING:
        result.action = "rejected"
        result.reasons.append("строка ещё обрабатывается другим процессом: повторите импорт позже")
        return
    if inbound.appeal is None:
        result.action = "rejected"
        result.reasons.append(inbound.last_error or inbound.decision or "обращение не создано")
        return
    appeal = inbound.appeal
    message = plugin.normalise(row.item)
    moved, why = _advance(appeal, row.target, message.extra, plugin.settings)
    if created or moved or why:
        _log(appeal, message.extra, row.target, moved, why, created)
    appeal.refresh_from_db()
    result.appeal, result.status = appeal.number, appeal.get_status_display()
    result.action = "created" if created else ("updated" if moved else "unchanged")
    if why:
        result.reasons.append(why)


@contextlib.contextmanager
def _answer_clock(extra: dict, appeal: Appeal) -> Iterator[None]:
    answered = parse_date(extra.get("answered_at"))
    if answered is not None and appeal.received_at <= answered <= clock.now():
        with clock.at(answered):
            yield
    else:
        yield


def _advance(appeal: Appeal, target: str, extra: dict, settings) -> tuple[bool, str]:
    """Bring the appeal to the target through the services; (moved, why it could not)."""
    if not _would_move(appeal.status, target):
        return False, ""
    if target == "answered" and not extra["answer"]:
        return False, "в выгрузке нет текста ответа: статус не воспроизводится, обращение оставлено на модерации"
    try:
        with transaction.atomic(), _answer_clock(extra, appeal):
            _steps(appeal, target, extra, settings)
    except DomainError as exc:
        return False, f"статус не воспроизведён ({exc.message}): обращение оставлено на модерации"
    return True, ""


def _steps(appeal: Appeal, target: str, extra: dict, settings) -> None:
    from tsur.answers.services import approve_answer, prepare_answer, publish_answer
    from tsur.appeals.services import accept_appeal, reject_appeal, route_appeal

    if target == "rejected":
        note = f"Отклонено в ПОС (статус «{extra['source_status']}»). {extra['answer']}".strip()
        reject_appeal(appeal, None, reason_code="other", note=note[:2000])
        return
    for _ in range(len(RANK)):
        appeal.refresh_from_db()
        if RANK.get(appeal.status, 99) >= GOAL[target]:
            return
        if appeal.status in (Status.RECEIVED, Status.MODERATION):
            route_appeal(appeal, None, organisation_code=_organisation_code(extra["responsible"]), reason="ответственный по данным ПОС")
        elif appeal.status == Status.ROUTED:
            accept_appeal(appeal, None)
        elif appeal.status == Status.IN_PROGRESS:
            prepare_answer(appeal, None, text=extra["answer"])
        elif appeal.status == Status.ANSWER_PREPARED:
            # A flagged answer is approved only with a reason: the import's own, never empty.
            approve_answer(appeal, None, note=settings.check_note.strip() or "Ответ проверен в ПОС")
        elif appeal.status == Status.ANSWER_CHECKED:
            publish_answer(appeal, None)


def _organisation_code(name: str) -> str:
    from tsur.channels.pos_import.mapping import fold
    from tsur.directory.models import Organisation

    key = fold(name)
    if not key:
        return ""
    for code, full, short in Organisation.objects.filter(is_active=True).values_list("code", "name", "short_name"):
        if key in (fold(full), fold(short), fold(code)):
            return code
    return ""


def _log(appeal: Appeal, extra: dict, target: str, moved: bool, why: str, created: bool) -> None:
    from tsur.appeals.services import log_event

    data = {
        "source_status": extra["source_status"],
        "target": target,
        "reproduced": moved or target == "received",
        "responsible": extra["responsible"],
        "organisation": _organisation_code(extra["responsible"]) or None,
    }
    if why:
        data["why"] = why
        data["source_answer"] = extra["answer"]
    reason = f"Импорт из ПОС: статус «{extra['source_status'] or 'не указан'}»" + ("" if created else " (повторный импорт)")
    log_event(appeal, "pos_import", None, reason=reason, data=data, label="импорт из ПОС")
