"""The routing decision: which organisation must act, and why.

Precedence, most specific first: a higher `priority` wins; then a rule naming a category beats one
naming a block, which beats one naming neither; then a deeper territory beats a wider one; a rule
with no territory is the widest. With no rule, the appeal goes to the center's triage queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.db.models import Q

from tsur.directory.models import Organisation, Territory
from tsur.directory.services import center
from tsur.routing.models import RoutingRule


class Routable(Protocol):
    """What the decision reads of an appeal: its topic and its place (routing sits below appeals)."""

    category_id: int | None
    block_id: int | None
    territory_id: int | None
    territory: Territory | None


@dataclass(frozen=True)
class RoutingDecision:
    organisation: Organisation
    rule_id: int | None
    reason: str


def _specificity(rule: RoutingRule, depth: dict[int, int]) -> tuple[int, int, int]:
    topic = 2 if rule.category_id else (1 if rule.block_id else 0)
    place = depth[rule.territory_id] + 1 if rule.territory_id else 0
    return (rule.priority, topic, place)


def candidates(appeal: Routable) -> list[RoutingRule]:
    """Every active rule that matches, best first."""
    chain = appeal.territory.ancestors_and_self() if appeal.territory_id else []
    # Depth counted from the top of the tree: the region is 0.
    depth = {t.pk: len(chain) - 1 - i for i, t in enumerate(chain)}
    qs = (
        RoutingRule.objects.filter(is_active=True, organisation__is_active=True)
        .filter(Q(category__isnull=True) | Q(category_id=appeal.category_id))
        .filter(Q(block__isnull=True) | Q(block_id=appeal.block_id))
        .filter(Q(territory__isnull=True) | Q(territory_id__in=list(depth)))
        .select_related("organisation", "category", "block", "territory")
        # A related territory comes without the deferring manager: its boundary (kilobytes) stays unread.
        .defer("territory__boundary")
    )
    matching = list(qs)
    matching.sort(key=lambda r: (_specificity(r, depth), -r.pk), reverse=True)
    return matching


# The rules that matched but lost are named (a count alone sends the operator to the admin to
# find them); past this many, the rest are counted.
NAMED_OTHERS = 3


def _others(rules: list[RoutingRule]) -> str:
    named = [f"правило №{r.pk} ({r.describe()} → {r.organisation.short_name})" for r in rules[:NAMED_OTHERS]]
    if len(rules) > NAMED_OTHERS:
        rest = len(rules) - NAMED_OTHERS
        named.append(f"ещё {rest} {_plural(rest, 'подходящее', 'подходящих', 'подходящих')}")
    return ", ".join(named)


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    return few if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else many


def decide(appeal: Routable) -> RoutingDecision:
    rules = candidates(appeal)
    if rules:
        best = rules[0]
        reason = f"Правило №{best.pk}: {best.describe()} → {best.organisation.short_name}"
        if best.priority:
            reason += f" (приоритет {best.priority})"
        if len(rules) > 1:
            why = "у этого правила выше приоритет" if best.priority > rules[1].priority else "это правило точнее"
            reason += f"; подходили также {_others(rules[1:])} — {why}"
        return RoutingDecision(best.organisation, best.pk, reason)
    org = center()
    missing = []
    if not appeal.category_id:
        missing.append("не определена категория")
    if not appeal.territory_id:
        missing.append("не определена территория")
    why = "; ".join(missing) if missing else "ни одно правило не подходит к категории и территории"
    return RoutingDecision(org, None, f"Очередь разбора ЦУР: {why}")
