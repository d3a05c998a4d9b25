"""Counting a poll's ballots: per question, the votes for each option (with the share of the
ballots that answered it) and a scale's distribution and mean, overall or within territories.
No free-text answers here: those are read by operators only (tsur.polls.results, which also
reads every answer row and masks the texts again); this is what a resident sees after voting,
counted by the database in a few aggregate queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from tsur.polls.models import Answer, Ballot, Poll, QuestionKind


@dataclass
class OptionCount:
    option_id: int | None
    label: str
    votes: int
    share: float  # of the ballots that answered the question, 0..1


@dataclass
class QuestionTally:
    question_id: int
    text: str
    kind: str
    answered: int
    options: list[OptionCount] = field(default_factory=list)
    mean: float | None = None  # scale questions


@dataclass
class Tally:
    ballots: int
    questions: list[QuestionTally]


def tally(poll: Poll, *, territory_ids: set[int] | None = None) -> Tally:
    ballots = Ballot.objects.filter(poll=poll)
    answers = Answer.objects.filter(ballot__poll=poll)
    if territory_ids is not None:
        ballots = ballots.filter(territory_id__in=territory_ids)
        answers = answers.filter(ballot__territory_id__in=territory_ids)
    answered = dict(answers.values("question").annotate(n=Count("ballot", distinct=True)).values_list("question", "n"))
    by_option = dict(answers.filter(option__isnull=False).values("option").annotate(n=Count("pk")).values_list("option", "n"))
    scale_rows = answers.filter(value__isnull=False).values("question", "value").annotate(n=Count("pk"))
    by_value = {(q, v): n for q, v, n in scale_rows.values_list("question", "value", "n")}
    out: list[QuestionTally] = []
    for q in poll.questions.prefetch_related("options").order_by("order", "pk"):
        total = answered.get(q.pk, 0)
        row = QuestionTally(q.pk, q.text, q.kind, total)
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            for o in q.options.all():
                votes = by_option.get(o.pk, 0)
                row.options.append(OptionCount(o.pk, o.text, votes, votes / total if total else 0.0))
        elif q.kind == QuestionKind.SCALE:
            weighted = 0
            for value in range(q.scale_min, q.scale_max + 1):
                votes = by_value.get((q.pk, value), 0)
                weighted += value * votes
                named = {q.scale_min: q.scale_min_label, q.scale_max: q.scale_max_label}.get(value, "")
                label = f"{value} — {named}" if named else str(value)
                row.options.append(OptionCount(None, label, votes, votes / total if total else 0.0))
            row.mean = weighted / total if total else None
        out.append(row)
    return Tally(ballots.count(), out)
