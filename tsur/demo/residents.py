"""The demo resident's own appeals, so the cabinet (/cabinet/) shows what a resident with an
account sees: an answer awaiting their rating, an appeal in work with an operator's open question,
and a fresh one in moderation. A few of the generated recent appeals (fictitious residents) are
linked to the `resident` account; nothing is made up beyond the question."""

from __future__ import annotations

from tsur.appeals import channels
from tsur.appeals import services as appeal_services
from tsur.appeals.models import Appeal, Resident, Status
from tsur.core.errors import DomainError

QUESTION = "Уточните, пожалуйста, где именно и с какого дня вы это наблюдаете."


def link_resident_account(resident_user, operator) -> int:
    """Link up to three recent appeals to the demo resident's account; ask one of them a question.
    Returns how many were linked (none when the account has appeals already)."""
    if Resident.objects.filter(user=resident_user).exists():
        return 0
    picked: list[Appeal] = []
    for status in (Status.PUBLISHED, Status.IN_PROGRESS, Status.MODERATION):
        appeal = (
            Appeal.objects.filter(status=status, channel__in=(channels.WIDGET, channels.APP), resident__isnull=False, resident__user=None)
            .exclude(pk__in=[a.pk for a in picked])
            .order_by("-received_at")
            .first()
        )
        if appeal is not None:
            picked.append(appeal)
    Resident.objects.filter(pk__in=[a.resident_id for a in picked]).update(user=resident_user)
    for appeal in picked:
        if appeal.status == Status.IN_PROGRESS:
            try:
                appeal_services.request_clarification(appeal, operator, question=QUESTION)
            except DomainError:
                pass  # the demo goes on without the question rather than stop the load
    return len(picked)
