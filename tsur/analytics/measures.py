"""What each figure counts, written once: the rollup aggregates these conditions per day and the
drill-down list filters appeals by the very same ones, so a number and its list always agree.

Every condition is on an `Appeal` queryset annotated by `annotate_facts` (the latest rating, the
answer check's flags). Live conditions (open, overdue now) depend on the moment and are never
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
    finals = Answer.objects.filter(appeal=OuterRef("pk"), kind=Answer.Kind.FINAL)
    if connection.features.supports_json_field_contains:
        return finals.filter(formal_findings__contains=[{"why": FORMAL_VERDICT}])
    # SQLite has no JSON containment: match the stored JSON text (json.dumps escapes non-ASCII).
    stored = json.dumps({"why": FORMAL_VERDICT})[1:-1]
    return finals.annotate(findings_text=Cast("formal_findings", TextField())).filter(findings_text__contains=stored)


def annotate_facts(appeals: QuerySet) -> QuerySet:
    """Add what lives outside the appeal row: the latest rating and the answer check's flags."""
    latest = Rating.objects.filter(appeal=OuterRef("pk")).order_by("-created_at", "-pk").values("score")[:1]
    returned = Answer.objects.filter(appeal=OuterRef("pk"), check_state=Answer.Check.RETURNED)
    return appeals.annotate(
        last_score=Subquery(latest), is_formal=Exists(_formal_answers()), is_returned=Exists(returned)
    )


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
        "rated": Q(last_score__isnull=False),
        "good": Q(last_score__gte=4),
        "formal": Q(is_formal=True),
        "returned": Q(is_returned=True),
        "repeat": Q(problem__isnull=False) & ~Q(problem__lead_id=F("pk")),
        "open": Q(status__in=sorted(OPEN_STATUSES)),
        "overdue": Q(status__in=sorted(OPEN_STATUSES), due_at__lt=now),
    }[code]
