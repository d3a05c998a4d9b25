"""The ЦУР KPI rating of organisations and the region's own figures (docs/analytics.md).

An organisation's score (0–100) over the selection:

    timeliness   T = answered in time / (answered + overdue now): an appeal past its due date and
                     still unanswered counts as late already
    quality      Q = 1 − (formal replies + answers returned + reopened + repeat complaints) / answered
                     (not below 0)
    satisfaction S = latest ratings 4–5 / rated
    score        = 100 × (0.4·T + 0.3·Q + 0.3·S) / (sum of the weights present)

An organisation with fewer than MIN_ANSWERED answers in the period is not scored («недостаточно
данных»); with fewer than MIN_RATED ratings, S is left out and the other weights carry the score.
Organisations are ranked within their group (Organisation.kind): a ministry is compared with
ministries, a municipality with municipalities. Zones: green ≥ 80, yellow ≥ 60, red below.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings

from tsur.analytics import figures
from tsur.analytics.filters import Filters
from tsur.directory.models import Organisation
from tsur.monitoring.queries import ObjectiveFigures, objective_summary_by_organisation
from tsur.polls import kpi as polls_kpi
from tsur.polls.kpi import PollsHeld, ResidentsConfirmation, confirmation_by_organisation

WEIGHTS = {"timeliness": 0.4, "quality": 0.3, "satisfaction": 0.3}
GREEN, YELLOW = 80.0, 60.0
NOT_ENOUGH = "недостаточно данных"

FORMULA = (
    "Своевременность С = ответы в срок / (все ответы + просроченные сейчас без ответа). "
    "Качество К = 1 − (отписки по автоматической проверке + ответы, возвращённые на доработку + "
    "возобновлённые жителями + повторные жалобы на ту же проблему) / все ответы (не ниже 0). "
    "Удовлетворённость У = доля последних оценок жителей 4–5 среди оценённых. "
    "Итог = 100 × (0,4·С + 0,3·К + 0,3·У) / сумма весов учтённых частей. "
    "Меньше {min_answered} ответов за период — «недостаточно данных», организация не ранжируется; "
    "меньше {min_rated} оценок — удовлетворённость не учитывается. Организации сравниваются внутри "
    "своей группы (вид организации). Зоны: зелёная — от 80, жёлтая — от 60, красная — ниже 60."
)
OBJECTIVE_TEXT = (
    "Объективный контроль (в балл не входит): «подтверждено объективно» — доля ответов, устранение "
    "проблемы по которым подтвердили связанные события мониторинга (дело ГЖИ закрыто, показания "
    "датчиков вернулись в норму, камеры не фиксируют нарушение), среди ответов по обращениям, с "
    "которыми связаны события; «противоречит событиям» — ответы, после которых события показали, что "
    "проблема не устранена. Связи, отклонённые оператором, не учитываются."
)


def min_answered() -> int:
    return int(getattr(settings, "TSUR_KPI_MIN_ANSWERED", 10))


def min_rated() -> int:
    return int(getattr(settings, "TSUR_KPI_MIN_RATED", 10))


def formula_text() -> str:
    return FORMULA.format(min_answered=min_answered(), min_rated=min_rated())


def objective_text() -> str:
    return OBJECTIVE_TEXT


def confirmed_text() -> str:
    return (
        "Подтверждено жителями после решения (в балл не входит): доля ответов «да, решена» среди ответов "
        "жителей на опрос «Проблема действительно решена?», который приходит после закрытия обращения; "
        f"«частично» и «нет» считаются против. Меньше {polls_kpi.min_answers()} ответов — «недостаточно данных»."
    )


@dataclasses.dataclass(frozen=True)
class OrganisationScore:
    code: str
    name: str
    kind: str
    kind_label: str
    figures: figures.Overview
    timeliness: float | None
    overdue_share: float | None
    quality: float | None
    satisfaction: float | None  # None: not enough ratings
    score: float | None  # None: not enough answers
    zone: str  # green / yellow / red / none
    rank: int | None  # within the group
    group_size: int  # scored organisations in the group
    note: str  # «недостаточно данных» and why, or ""
    # What objective monitoring says of the answers (tsur.monitoring): shown beside the score.
    objective: ObjectiveFigures | None = None
    # What the residents said in the follow-up polls after the fixes (tsur.polls.kpi).
    confirmed: ResidentsConfirmation | None = None


def score_of(f: figures.Overview) -> tuple[float | None, float | None, float | None, float | None, float | None, str]:
    """(timeliness, overdue share, quality, satisfaction, score, note) of one organisation's figures."""
    overdue_share = f.overdue_now / f.open_now if f.open_now else 0.0
    if f.answered < min_answered():
        return None, overdue_share, None, None, None, f"{NOT_ENOUGH}: ответов {f.answered} из нужных {min_answered()}"
    timeliness = f.answered_in_time / (f.answered + f.overdue_now)
    quality = max(0.0, 1 - (f.formal + f.returned + f.reopened + f.repeat) / f.answered)
    parts = {"timeliness": timeliness, "quality": quality}
    satisfaction = None
    note = ""
    if f.rated >= min_rated():
        satisfaction = f.rated_good / f.rated
        parts["satisfaction"] = satisfaction
    else:
        note = f"удовлетворённость: {NOT_ENOUGH} (оценок {f.rated} из нужных {min_rated()})"
    weight = sum(WEIGHTS[k] for k in parts)
    score = 100 * sum(WEIGHTS[k] * v for k, v in parts.items()) / weight
    return timeliness, overdue_share, quality, satisfaction, score, note


def zone_of(score: float | None) -> str:
    if score is None:
        return "none"
    return "green" if score >= GREEN else "yellow" if score >= YELLOW else "red"


def organisation_rating(filters: Filters) -> list[OrganisationScore]:
    """Every organisation with appeals in the selection, grouped by kind, best first within the
    group; unscored ones at the group's end."""
    rows = [r for r in figures.by_organisation(filters) if r.key is not None]
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=[r.key for r in rows]).exclude(kind=Organisation.Kind.CENTER)}
    labels = dict(Organisation.Kind.choices)
    scored: list[OrganisationScore] = []
    for r in rows:
        org = orgs.get(r.key)
        if org is None:
            continue
        t, o, q, s, score, note = score_of(r.figures)
        scored.append(
            OrganisationScore(
                org.code, org.short_name, org.kind, labels.get(org.kind, org.kind), r.figures, t, o, q, s, score, zone_of(score), None, 0, note
            )
        )
    objective = objective_summary_by_organisation(filters.appeals_q())
    pk_of = {o.code: pk for pk, o in orgs.items()}
    scored = [dataclasses.replace(s, objective=objective.get(pk_of[s.code])) for s in scored]
    confirmed = confirmation_by_organisation(filters.appeals_q(prefix="appeal__"))
    scored = [dataclasses.replace(s, confirmed=confirmed.get(pk_of[s.code])) for s in scored]
    order = {k: i for i, k in enumerate(Organisation.Kind.values)}
    out: list[OrganisationScore] = []
    for kind in sorted({s.kind for s in scored}, key=lambda k: order.get(k, 99)):
        group = [s for s in scored if s.kind == kind]
        ranked = sorted((s for s in group if s.score is not None), key=lambda s: (-s.score, s.name))
        rest = sorted((s for s in group if s.score is None), key=lambda s: s.name)
        out += [dataclasses.replace(s, rank=i + 1, group_size=len(ranked)) for i, s in enumerate(ranked)]
        out += [dataclasses.replace(s, group_size=len(ranked)) for s in rest]
    return out


@dataclasses.dataclass(frozen=True)
class RegionFigures:
    """The region's own figures in the shape of the federal feedback platform's rating."""

    received: int
    worked: int  # answered (published) in the period
    worked_share: float | None
    connected_organisations: int  # active organisations that received appeals in the period
    active_organisations: int
    satisfaction: float | None
    rated: int
    timeliness: float | None
    overdue_now: int
    polls: PollsHeld


def region_figures(filters: Filters, breakdown: figures.Breakdown | None = None) -> RegionFigures:
    """The region's figures over the selection (pass the page's `breakdown` to save a read)."""
    b = breakdown or figures.breakdown(filters)
    f = b.total
    connected = sum(1 for r in b.organisations if r.key is not None and r.figures.received)
    active = Organisation.objects.filter(is_active=True).exclude(kind=Organisation.Kind.CENTER).count()
    return RegionFigures(
        received=f.received,
        worked=f.answered,
        worked_share=f.answered / f.received if f.received else None,
        connected_organisations=connected,
        active_organisations=active,
        satisfaction=f.satisfaction,
        rated=f.rated,
        timeliness=f.in_time_share,
        overdue_now=f.overdue_now,
        polls=polls_kpi.polls_held(filters.start, filters.end),
    )
