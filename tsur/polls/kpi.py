"""What the follow-up polls say of an organisation's fixes, for the KPIs (tsur.analytics.kpi):
«подтверждено жителями после решения» — of the residents who answered «Проблема действительно
решена?» about the organisation's appeals, the share who said yes. Partly and no count against.
Below a minimum of answers the share is not given («недостаточно данных»): three answers say
nothing of an organisation."""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.db.models import Count, Q

from tsur.polls.models import FollowUp


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
