"""A poll's results as operators read them: per question the counts and shares of each option (or
the scale's distribution and average, or the free answers), overall and by territory.

Read only from ballots and answers, which hold no personal data: free answers were masked when
stored (tsur.polls.services.voting: phones, e-mails, names). Here they pass the contacts' masking
once more, a cheap second net (0.01 ms an answer); the names pass is not repeated (50 ms an answer:
a page of 200 answers would take ten seconds, an export of thousands minutes). Small counts are kept as they are and flagged: a share of
3 ballots is printed, with «мало ответов», rather than hidden or rounded into a trend.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count

from tsur.directory.models import Territory
from tsur.lib.pdmask import mask_contacts
from tsur.polls.models import Answer, Ballot, Channel, Poll, Question, QuestionKind

TEXT_ANSWERS_SHOWN = 200


def small_count() -> int:
    """Below this many ballots a share is flagged «мало ответов» (settings.TSUR_POLLS_SMALL_COUNT)."""
    return int(getattr(settings, "TSUR_POLLS_SMALL_COUNT", 10))


@dataclasses.dataclass(frozen=True)
class Line:
    """One option (or one point of a scale): how many ballots chose it and their share of the
    ballots that answered the question."""

    key: str
    label: str
    count: int
    share: float | None


@dataclasses.dataclass(frozen=True)
class TerritoryRow:
    territory_id: int
    name: str
    answered: int
    counts: list[int]  # in the order of QuestionResult.lines
    shares: list[float | None]
    average: float | None  # a scale's average in this territory
    small: bool

    @property
    def cells(self) -> list[tuple[int, float | None]]:
        return list(zip(self.counts, self.shares, strict=True))


@dataclasses.dataclass(frozen=True)
class QuestionResult:
    question: Question
    answered: int  # ballots with an answer to this question
    skipped: int
    lines: list[Line]
    average: float | None
    texts: list[str]  # free answers, masked, newest first (at most TEXT_ANSWERS_SHOWN)
    texts_total: int
    territories: list[TerritoryRow]
    small: bool

    @property
    def kind(self) -> str:
        return self.question.kind

    def chart(self) -> dict:
        """What the page's chart draws (json_script): labels and counts, overall and by territory."""
        return {
            "id": self.question.pk,
            "kind": self.question.kind,
            "labels": [line.label for line in self.lines],
            "counts": [line.count for line in self.lines],
            "territories": [{"name": t.name, "counts": t.counts} for t in self.territories],
        }


@dataclasses.dataclass(frozen=True)
class PollResults:
    poll: Poll
    ballots: int
    territories: list[tuple[str, int]]  # (name, ballots), most ballots first
    questions: list[QuestionResult]
    small: bool


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def masked(text: str) -> str:
    return mask_contacts(text)


def _lines_of(q: Question, counts: Counter) -> list[tuple[str, str, int]]:
    if q.kind == QuestionKind.SCALE:
        ends = {q.scale_min: q.scale_min_label, q.scale_max: q.scale_max_label}
        return [(str(v), f"{v} — {ends[v]}" if ends.get(v) else str(v), counts.get(v, 0)) for v in range(q.scale_min, q.scale_max + 1)]
    if q.kind == QuestionKind.TEXT:
        return []
    return [(str(o.pk), o.text, counts.get(o.pk, 0)) for o in q.options.all()]


def poll_results(poll: Poll) -> PollResults:
    """The poll's results: a few grouped queries, whatever the number of ballots."""
    ballots = Ballot.objects.filter(poll=poll)
    total = ballots.count()
    by_territory = dict(ballots.values_list("territory").annotate(n=Count("pk")).values_list("territory", "n"))
    names = dict(Territory.objects.filter(pk__in=by_territory).values_list("pk", "name"))
    territory_order = sorted(by_territory, key=lambda t: (-by_territory[t], names.get(t, "")))
    small = small_count()

    answers = Answer.objects.filter(ballot__poll=poll)
    # (question, option or scale value) → count, overall and per territory; answered ballots per question.
    overall: dict[int, Counter] = defaultdict(Counter)
    per_territory: dict[tuple[int, int], Counter] = defaultdict(Counter)
    answered: dict[int, set[int]] = defaultdict(set)
    answered_in: dict[tuple[int, int], set[int]] = defaultdict(set)
    rows = answers.exclude(option=None, value=None).values_list("question_id", "option_id", "value", "ballot_id", "ballot__territory_id")
    for qid, option_id, value, ballot_id, territory_id in rows.iterator(chunk_size=5000):
        key = option_id if option_id is not None else value
        overall[qid][key] += 1
        per_territory[(qid, territory_id)][key] += 1
        answered[qid].add(ballot_id)
        answered_in[(qid, territory_id)].add(ballot_id)
    text_counts = dict(answers.exclude(text="").values_list("question").annotate(n=Count("ballot", distinct=True)).values_list("question", "n"))
    text_terr: dict[tuple[int, int], int] = {
        (q, t): n
        for q, t, n in answers.exclude(text="")
        .values_list("question", "ballot__territory")
        .annotate(n=Count("ballot", distinct=True))
        .values_list("question", "ballot__territory", "n")
    }

    results = []
    for q in poll.questions.prefetch_related("options").order_by("order", "pk"):
        if q.kind == QuestionKind.TEXT:
            n = text_counts.get(q.pk, 0)
            texts = [
                masked(t)
                for t in answers.filter(question=q)
                .exclude(text="")
                .order_by("-ballot__cast_at", "-pk")
                .values_list("text", flat=True)[:TEXT_ANSWERS_SHOWN]
            ]
            terr = [
                TerritoryRow(t, names.get(t, ""), text_terr.get((q.pk, t), 0), [], [], None, text_terr.get((q.pk, t), 0) < small)
                for t in territory_order
            ]
            results.append(QuestionResult(q, n, total - n, [], None, texts, n, terr, n < small))
            continue
        n = len(answered[q.pk])
        raw = _lines_of(q, overall[q.pk])
        lines = [Line(k, label, c, _share(c, n)) for k, label, c in raw]
        average = None
        if q.kind == QuestionKind.SCALE and n:
            average = sum(v * c for v, c in overall[q.pk].items()) / sum(overall[q.pk].values())
        terr = []
        for t in territory_order:
            tn = len(answered_in[(q.pk, t)])
            counts = [c for _, _, c in _lines_of(q, per_territory[(q.pk, t)])]
            t_avg = None
            if q.kind == QuestionKind.SCALE and tn:
                pt = per_territory[(q.pk, t)]
                t_avg = sum(v * c for v, c in pt.items()) / sum(pt.values())
            terr.append(TerritoryRow(t, names.get(t, ""), tn, counts, [_share(c, tn) for c in counts], t_avg, tn < small))
        results.append(QuestionResult(q, n, total - n, lines, average, [], 0, terr, n < small))
    return PollResults(poll, total, [(names.get(t, ""), by_territory[t]) for t in territory_order], results, total < small)


# --- the export's rows: one row per ballot and question, never a voter --------------------------


EXPORT_HEADER = ["Бюллетень", "Время голоса (МСК)", "Территория", "Канал", "Вопрос №", "Вопрос", "Ответ", "Значение шкалы"]


def export_rows(poll: Poll, local) -> Iterator[list]:
    """The ballots' answers, one row each: the ballot's number within the poll (not its id), the
    time, the territory, the channel, the question and the answer. `local` formats a moment."""
    channels = dict(Channel.choices)
    numbers: dict[int, int] = {}
    order = {q.pk: i for i, q in enumerate(poll.questions.order_by("order", "pk"), 1)}
    rows = (
        Answer.objects.filter(ballot__poll=poll)
        .order_by("ballot__cast_at", "ballot_id", "question__order", "question_id", "option__order", "pk")
        .values_list(
            "ballot_id",
            "ballot__cast_at",
            "ballot__territory__name",
            "ballot__channel",
            "question_id",
            "question__text",
            "option__text",
            "value",
            "text",
        )
    )
    for ballot_id, cast_at, territory, channel, qid, qtext, option, value, text in rows.iterator(chunk_size=2000):
        number = numbers.setdefault(ballot_id, len(numbers) + 1)
        answer = option if option is not None else (masked(text) if text else "")
        yield [number, local(cast_at), territory or "", channels.get(channel, channel), order.get(qid, ""), qtext, answer,
               "" if value is None else value]  # fmt: skip


SUMMARY_HEADER = ["Вопрос №", "Вопрос", "Территория", "Ответ", "Голосов", "Доля, %", "Ответили на вопрос", "Примечание"]


def summary_rows(results: PollResults) -> Iterator[list]:
    """The results table as the page shows it: every question's lines, overall then by territory."""
    for i, r in enumerate(results.questions, 1):
        note = "мало ответов" if r.small else ""
        if r.kind == QuestionKind.TEXT:
            yield [i, r.question.text, "Все территории", "свободные ответы", r.answered, "", r.answered, note]
            continue
        for line in r.lines:
            yield [i, r.question.text, "Все территории", line.label, line.count, _pct(line.share), r.answered, note]
        if r.average is not None:
            yield [i, r.question.text, "Все территории", "Среднее по шкале", round(r.average, 2), "", r.answered, note]
        for t in r.territories:
            for line, count, share in zip(r.lines, t.counts, t.shares, strict=True):
                yield [i, r.question.text, t.name, line.label, count, _pct(share), t.answered, "мало ответов" if t.small else ""]


def _pct(x: float | None) -> str | float:
    return "" if x is None else round(100 * x, 1)
