"""Writing stories: batches, each in one transaction; numbers from the yearly counter; one insert
per table (COPY on PostgreSQL) of plain value rows."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

from django.db import connection, models, transaction
from django.utils import timezone

from tsur.answers.history.reference import Reference, Routing
from tsur.answers.history.story import PastAppeal, Refused, Story, build
from tsur.answers.models import Answer, Rating
from tsur.appeals.models import Appeal, Event, Problem
from tsur.appeals.services import next_numbers
from tsur.core.db import copy_rows, update_rows
from tsur.core.errors import DomainError, ValidationFailed

APPEAL_FIELDS = [f for f in Appeal._meta.concrete_fields]
ANSWER_COLUMNS = [
    "id", "appeal", "kind", "text", "author", "organisation_name", "created_at", "check_state", "checked_by", "checked_at",
    "check_note", "formal_findings", "published_at",
]
RATING_COLUMNS = ["id", "appeal", "answer", "score", "comment", "created_at"]
EVENT_COLUMNS = ["appeal", "kind", "actor", "actor_label", "at", "from_status", "to_status", "reason", "data"]


def record_history(
    items: Iterable[PastAppeal],
    *,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
    routing: Routing | None = None,
) -> int:
    """Write past appeals with their whole story; returns how many were written.

    Items are written `batch` at a time, each batch in one transaction: a story refused (a
    ValidationFailed naming the item and the step) leaves nothing of its batch written; batches
    written before it stay. `progress(n)` is called with the running total after each batch.
    Publishes no `appeal_changed`: run `tsur analytics rebuild` and `tsur tension recompute` after
    an import (the package's docstring says why). `routing`: a Routing the caller already uses."""
    ref = Reference(routing)
    # The items of the previous batch, by key, for joins across a batch boundary. Only one batch
    # back, so a million items stream in constant memory: a lead further back is named by number.
    previous: dict[str, Appeal] = {}
    written = 0
    for chunk in _chunks(items, batch):
        previous = _write_batch(chunk, ref, previous)
        written += len(chunk)
        if progress is not None:
            progress(written)
    return written


def _chunks(items: Iterable[PastAppeal], size: int) -> Iterator[list[PastAppeal]]:
    chunk: list[PastAppeal] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write_batch(items: list[PastAppeal], ref: Reference, previous: dict[str, Appeal]) -> dict[str, Appeal]:
    with transaction.atomic():
        stories: list[Story] = []
        in_batch: dict[str, Story] = {}
        for item in items:
            try:
                story = build(item, ref, in_batch, previous)
            except (Refused, DomainError) as exc:
                message = exc.message if isinstance(exc, DomainError) else str(exc)
                raise ValidationFailed(
                    f"История обращения «{item.key}» не записана: {message}", field_errors={item.key: [message]}
                ) from exc
            stories.append(story)
            in_batch[item.key] = story
        _number(stories)
        _insert(stories)
    return {story.item.key: story.appeal for story in stories}


def _number(stories: list[Story]) -> None:
    """Consecutive numbers per year of receipt, in the order of the items (as creation does)."""
    by_year: dict[int, list[Story]] = {}
    for story in stories:
        by_year.setdefault(timezone.localtime(story.appeal.received_at).year, []).append(story)
    for group in by_year.values():
        for story, number in zip(group, next_numbers(len(group), group[0].appeal.received_at), strict=True):
            story.appeal.number = number
            story.appeal.refresh_search_text()


def _insert(stories: list[Story]) -> None:
    appeals = [s.appeal for s in stories]
    for appeal, pk in zip(appeals, _ids(Appeal, len(appeals)), strict=True):
        appeal.pk = pk
        appeal._state.adding = False
    now = timezone.now()
    _write(
        Appeal,
        [f.name for f in APPEAL_FIELDS],
        [[now if getattr(f, "auto_now", False) else getattr(a, f.attname) for f in APPEAL_FIELDS] for a in appeals],
    )
    _link_problems(stories)
    answers = [a for s in stories for a in s.answers]
    for answer, pk in zip(answers, _ids(Answer, len(answers)), strict=True):
        answer.pk = pk
    _write(Answer, ANSWER_COLUMNS, [
        [a.pk, a.appeal.pk, a.kind, a.text, a.author_id, a.organisation_name, a.created_at, a.check_state, a.checked_by_id,
         a.checked_at, a.check_note, a.formal_findings, a.published_at]
        for a in answers
    ])
    ratings = [r for s in stories for r in s.ratings]
    for rating, pk in zip(ratings, _ids(Rating, len(ratings)), strict=True):
        rating.pk = pk
    _write(Rating, RATING_COLUMNS, [
        [r.pk, r.appeal.pk, r.answer.pk if r.answer else None, r.score, r.comment, r.created_at] for r in ratings
    ])
    for s in stories:
        for data, key, obj in s.refs:
            data[key] = obj.number if isinstance(obj, Appeal) else obj.pk
    _write(Event, EVENT_COLUMNS, [
        [e.appeal.pk, e.kind, e.actor_id, e.actor_label, e.at, e.from_status, e.to_status, e.reason, e.data]
        for s in stories for e in s.events
    ])


def _link_problems(stories: list[Story]) -> None:
    """Problems for the leads duplicates were joined to (a stored lead may head one already), and
    the appeals' links to them."""
    problems: dict[int, Problem] = {}  # id() of the lead's appeal -> its problem
    for s in stories:
        if s.lead is not None:
            problems.setdefault(id(s.lead_appeal), Problem(lead=s.lead_appeal, created_at=s.joined_at))
    if not problems:
        return
    known = {p.lead_id: p for p in Problem.objects.filter(lead_id__in=[p.lead.pk for p in problems.values()])}
    for key, problem in list(problems.items()):
        problems[key] = known.get(problem.lead.pk, problem)
    copy_rows(Problem, [p for p in problems.values() if p.pk is None], with_ids=True)
    changed: dict[int, Appeal] = {}
    for s in stories:
        if s.lead is None:
            continue
        lead = s.lead_appeal
        problem = problems[id(lead)]
        s.appeal.problem = problem
        changed[id(s.appeal)] = s.appeal
        for data in (s.join_data, s.led_data):
            if data is not None:
                data["problem"] = problem.pk
        if lead.problem_id != problem.pk:
            lead.problem = problem
            changed[id(lead)] = lead
    update_rows(Appeal, list(changed.values()), ["problem", "version"])


def _ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys, ascending. PostgreSQL: from the table's sequence (safe beside other
    writers). Elsewhere (SQLite, the embedded demo): after the largest, inside the batch's
    transaction, whose first write takes SQLite's database lock."""
    if not count:
        return []
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count])
            return sorted(row[0] for row in cursor.fetchall())
        qn = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({qn(pk)}), 0) FROM {qn(table)}")
        first = cursor.fetchone()[0] + 1
    return list(range(first, first + count))


def _write(model: type[models.Model], names: list[str], rows: list[list]) -> None:
    """Insert plain value rows (one list per row, in the order of `names`, related rows by id):
    COPY on PostgreSQL, one executemany INSERT elsewhere.

    Why not `core.db.copy_rows`: it takes model instances and prepares every field through Django;
    a history batch has ~8 events and two answers per appeal, and building and preparing those
    instances was most of the import's time. The values here are already what the columns hold:
    only JSON (dumped) and, off PostgreSQL, datetimes are converted."""
    if not rows:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    converters = [_converter(f) for f in fields]
    plain = all(c is None for c in converters)
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    values = rows if plain else [[v if c is None else c(v) for c, v in zip(converters, row, strict=True)] for row in rows]
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})", values)


def _converter(field: models.Field) -> Callable | None:
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda v: json.dumps(v, cls=encoder)
    if isinstance(field, models.DateTimeField) and connection.vendor != "postgresql":
        return connection.ops.adapt_datetimefield_value
    return None  # text choices are str subclasses, written as their value by both drivers
