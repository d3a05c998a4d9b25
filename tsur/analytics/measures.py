"""What each figure counts, written once: the rollup aggregates these conditions per day and the
drill-down list filters appeals by the very same ones, so a number and its list always agree.

Conditions on ratings and answers are correlated EXISTS probes (an index on appeal_id): a
selection is a period's appeals, and probing them costs less than scanning every answer of the
region for a semi-join (measured on a million appeals). Live conditions (open, overdue now) depend on the moment and are never
precomputed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast

from tsur.answers.models import Answer, Rating
from tsur.appeals.models import OPEN_STATUSES

# The answer check's verdict (tsur.answers.checking.is_formal_reply): «no date and no work done».
FORMAL_VERDICT = "нет ни срока, ни выполненной работы"


def _formal_answers() -> QuerySet:
    finals = Answer.objects.filter(kind=Answer.Kind.FINAL)
    if connection.features.supports_json_field_contains:
        return finals.filter(formal_findings__contains=[{"why": FORMAL_VERDICT}])
    # SQLite has no JSON containment: match the stored JSON text (json.dumps escapes non-ASCII).
    stored = json.dumps({"why": FORMAL_VERDICT})[1:-1]
    return finals.annotate(findings_text=Cast("formal_findings", TextField())).filter(findings_text__contains=stored)


def _latest_ratings() -> QuerySet:
    """Each appeal's latest rating (by time, then id): the ratings no later one follows."""
    later = Rating.objects.filter(appeal_id=OuterRef("appeal_id")).filter(
        Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    return Rating.objects.filter(~Exists(later))


def annotate_facts(appeals: QuerySet) -> QuerySet:
    """Add the latest rating's score (the rollup sums it; exports show it)."""
    latest = Rating.objects.filter(appeal=OuterRef("pk")).order_by("-created_at", "-pk").values("score")[:1]
    return appeals.annotate(last_score=Subquery(latest))


@dataclasses.dataclass(frozen=True)
class Measure:
    code: str
    label: str  # as the selection is described: «… с ответом в срок»
    live: bool = False


MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure("received", "все поступившие"),
        Measure("routed", "направленные в организацию"),
        Measure("answered", "с опубликованным ответом"),
        Measure("in_time", "с ответом в срок"),
        Measure("late", "с ответом позже срока"),
        Measure("reopened", "возобновлённые жителем"),
        Measure("rated", "оценённые жителем"),
        Measure("good", "с оценкой 4–5"),
        Measure("formal", "с ответом-отпиской (по автоматической проверке)"),
        Measure("returned", "с ответом, возвращённым на доработку"),
        Measure("repeat", "повторные жалобы на ту же проблему"),
        Measure("open", "в работе сейчас", live=True),
        Measure("overdue", "просроченные сейчас", live=True),
    )
}


def condition(code: str, now: dt.datetime) -> Q:
    """The condition of measure `code` on annotated appeals (KeyError for an unknown code)."""
    answered = Q(published_at__isnull=False)
    return {
        "received": Q(),
        "routed": Q(routed_at__isnull=False),
        "answered": answered,
        "in_time": answered & (Q(due_at__isnull=True) | Q(published_at__lte=F("due_at"))),
        "late": answered & Q(due_at__isnull=False, published_at__gt=F("due_at")),
        "reopened": Q(reopened_count__gt=0),
        "rated": Q(Exists(Rating.objects.filter(appeal_id=OuterRef("pk")))),
        "good": Q(Exists(_latest_ratings().filter(appeal_id=OuterRef("pk"), score__gte=4))),
        "formal": Q(Exists(_formal_answers().filter(appeal_id=OuterRef("pk")))),
        "returned": Q(Exists(Answer.objects.filter(appeal_id=OuterRef("pk"), check_state=Answer.Check.RETURNED))),
        "repeat": Q(problem__isnull=False) & ~Q(problem__lead_id=F("pk")),
        "open": Q(status__in=sorted(OPEN_STATUSES)),
        "overdue": Q(status__in=sorted(OPEN_STATUSES), due_at__lt=now),
    }[code]
