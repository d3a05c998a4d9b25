"""Polls' figures for the KPIs (tsur.analytics.kpi). What the follow-up polls say of an
organisation's fixes:
«подтверждено жителями после решения» — of the residents who answered «Проблема действительно
решена?» about the organisation's appeals, the share who said yes. Partly and no count against.
Below a minimum of answers the share is not given («недостаточно данных»): three answers say
nothing of an organisation. And the polls the region held in a period (the federal rating's
«проведённые опросы»)."""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.db.models import Count, Q

from tsur.polls.models import Ballot, FollowUp, Kind, Poll


def min_answers() -> int:
    return int(getattr(settings, "TSUR_KPI_MIN_FOLLOWUPS", 5))


@dataclasses.dataclass(frozen=True)
class ResidentsConfirmation:
    answered: int  # follow-ups the residents answered
    yes: int
    partly: int
    no: int

    @property
    def enough(self) -> bool:
        return self.answered >= min_answers()

    @property
    def share(self) -> float | None:
        """Yes among the answers; None below the minimum."""
        return self.yes / self.answered if self.answered and self.enough else None


def confirmation_by_organisation(appeals: Q) -> dict[int | None, ResidentsConfirmation]:
    """Per organisation (its id), the answered follow-ups of the appeals `appeals` selects — a
    condition through FollowUp's `appeal__` (the KPI page's filters with that prefix). One grouped query."""
    rows = (
        FollowUp.objects.filter(appeals, state=FollowUp.State.ANSWERED)
        .values("appeal__organisation_id")
        .annotate(
            n=Count("pk"),
            yes=Count("pk", filter=Q(outcome=FollowUp.Outcome.YES)),
            partly=Count("pk", filter=Q(outcome=FollowUp.Outcome.PARTLY)),
            no=Count("pk", filter=Q(outcome=FollowUp.Outcome.NO)),
        )
        .order_by()
    )
    return {r["appeal__organisation_id"]: ResidentsConfirmation(r["n"], r["yes"], r["partly"], r["no"]) for r in rows}


@dataclasses.dataclass(frozen=True)
class PollsHeld:
    """The region's polls of the population over a period (the federal rating counts them)."""

    polls: int  # operators' polls open at some moment of the period
    ballots: int  # their votes cast in the period
    followups_answered: int  # residents' answers to «Проблема действительно решена?» in the period


def polls_held(start, end) -> PollsHeld:
    """Polls open during [start, end) — published before its end, not closed before its start —
    and the votes cast in it. Follow-up checks are counted apart (one per resolved problem)."""
    open_in = Poll.objects.filter(kind=Kind.REGULAR, published_at__lt=end).filter(Q(closed_at=None) | Q(closed_at__gte=start))
    ballots = Ballot.objects.filter(poll__in=open_in, cast_at__gte=start, cast_at__lt=end).count()
    answered = FollowUp.objects.filter(state=FollowUp.State.ANSWERED, answered_at__gte=start, answered_at__lt=end).count()
    return PollsHeld(open_in.count(), ballots, answered)
