"""The Django side of triage: run the engine on a newly received appeal, store what it decided
(with confidences and reasons), apply it where nobody has decided yet, join near-duplicates, and
record operators' corrections as labelled examples for the next training run."""

from __future__ import annotations

import datetime as dt
import functools
import logging

from django.conf import settings
from django.db.models import Q

from tsur.appeals import services as appeal_services
from tsur.appeals.models import OPEN_STATUSES, Appeal, Event, Status
from tsur.core.errors import DomainError
from tsur.directory.models import Category, Regime, Territory
from tsur.triage.models import Correction, TriageResult

log = logging.getLogger(__name__)

DUPLICATE_WINDOW = dt.timedelta(days=14)
# Below this the suggested category is stored and shown, but not applied to the appeal.
APPLY_MIN_CONFIDENCE = 0.5


@functools.cache
def engine():
    """The triage pipeline, loaded once per process (the shipped default model unless configured)."""
    from tsur.triage.engine.pipeline import Triage

    return Triage.load(getattr(settings, "TSUR_TRIAGE_MODEL_DIR", "") or None)


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def category_for(name: str) -> Category | None:
    """The configured category a model label names (the demo taxonomy uses the rubricator's names).
    Matched on whitespace- and case-folded names; a few hundred rows, read per call so an edit in
    the admin is seen at once."""
    wanted = _norm(name or "")
    if not wanted:
        return None
    for pk, category_name in Category.objects.filter(is_active=True).values_list("pk", "name"):
        if _norm(category_name) == wanted:
            return Category.objects.select_related("block").get(pk=pk)
    return None


def triage_appeal(appeal_id: int) -> TriageResult | None:
    """Run the pipeline on a received appeal; idempotent (a second run does nothing)."""
    appeal = Appeal.objects.select_related("territory").filter(pk=appeal_id).first()
    if appeal is None or appeal.status != Status.RECEIVED or appeal.triage_results.exists():
        return None
    record = {
        "id": appeal.number,
        "text": appeal.text,
        "lat": appeal.lat,
        "lon": appeal.lon,
        "address": appeal.address,
        "channel": appeal.channel,
        "created_at": appeal.received_at.isoformat(),
    }
    out = next(iter(engine().process([record])))
    if "error" in out:
        result = TriageResult.objects.create(appeal=appeal, model_version=_version(), warnings=[out["error"]])
        return result
    category = category_for(out.get("category") or "")
    territory_info = out.get("territory") or None
    territory = Territory.objects.filter(code=territory_info["code"]).first() if territory_info else None
    from tsur.lib.pdmask import find_personal_data

    result = TriageResult.objects.create(
        appeal=appeal,
        model_version=_version(),
        block=out.get("block") or "",
        block_confidence=out.get("block_confidence"),
        category=(out.get("category") or "")[:300],
        category_code=category.code if category else "",
        category_confidence=out.get("category_confidence"),
        territory_code=territory.code if territory else "",
        place_evidence=(territory_info or {}).get("evidence", []),
        address=((territory_info or {}).get("address") or "")[:300],
        urgency=out.get("urgency") or "",
        urgency_reason=(out.get("urgency_reason") or "")[:300],
        is_complaint=out.get("is_complaint"),
        complaint_probability=out.get("complaint_probability"),
        personal_data_kinds=sorted({f["kind"] for f in find_personal_data(appeal.text)}),
        warnings=out.get("warnings") or [],
    )
    confident = (out.get("category_confidence") or 0) >= APPLY_MIN_CONFIDENCE
    proposal = appeal_services.AutoTriage(
        category=category if confident else None,
        block_key=(out.get("block") or "") if (out.get("block_confidence") or 0) >= APPLY_MIN_CONFIDENCE else "",
        confidence=out.get("category_confidence") if confident else out.get("block_confidence"),
        territory=territory,
        address=result.address,
        urgency_reason=result.urgency_reason if out.get("urgency") == "high" else "",
        summary={"triage_result": result.pk, "model": result.model_version},
    )
    appeal = appeal_services.apply_auto_triage(appeal.pk, proposal)
    result.applied = appeal.events.filter(kind="auto_triage").last().data.get("applied", {})
    lead = find_duplicate_lead(appeal)
    if lead is not None:
        result.duplicate_of = lead
        _join_duplicate(appeal, lead)
    result.save(update_fields=["applied", "duplicate_of"])
    return result


def _version() -> str:
    return str(getattr(engine(), "version", "") or "default")[:120]


def find_duplicate_lead(appeal: Appeal) -> Appeal | None:
    """An open appeal about the same problem at the same place within the window, or None."""
    from tsur.triage.engine.duplicates import DuplicateDetector

    since = appeal.received_at - DUPLICATE_WINDOW
    place = Q()
    if appeal.territory_id:
        place |= Q(territory_id=appeal.territory_id)
    if appeal.address:
        place |= Q(address__iexact=appeal.address)
    if appeal.lat is not None:
        place |= Q(lat__range=(appeal.lat - 0.003, appeal.lat + 0.003), lon__range=(appeal.lon - 0.005, appeal.lon + 0.005))
    if not place:
        return None
    candidates = (
        Appeal.objects.filter(place, received_at__gte=since, received_at__lt=appeal.received_at, status__in=OPEN_STATUSES)
        .exclude(pk=appeal.pk)
        .order_by("received_at")[:500]
    )
    detector = DuplicateDetector(window=DUPLICATE_WINDOW)
    for c in candidates:
        detector.check_and_add(
            c.number, c.text, territory=c.territory.code if c.territory_id else None, address=c.address or None,
            lat=c.lat, lon=c.lon, created_at=c.received_at, block=c.block.key if c.block_id else None,
        )
    lead_number = detector.check_and_add(
        appeal.number, appeal.text, territory=appeal.territory.code if appeal.territory_id else None,
        address=appeal.address or None, lat=appeal.lat, lon=appeal.lon, created_at=appeal.received_at,
        block=appeal.block.key if appeal.block_id else None,
    )
    if not lead_number:
        return None
    lead = Appeal.objects.filter(number=lead_number).first()
    if lead is not None and lead.problem_id and lead.problem.lead_id != lead.pk:
        lead = lead.problem.lead
    return lead


def _join_duplicate(appeal: Appeal, lead: Appeal) -> None:
    """Join automatically, except 59-FZ appeals: the law wants each answered on its own, so the
    duplicate is only suggested (shown on the card) for an operator to decide."""
    if appeal.regime == Regime.APPEAL or lead.regime == Regime.APPEAL:
        return
    try:
        appeal_services.join_to_problem(appeal.pk, None, lead_number=lead.number, reason="автоматически: та же проблема, то же место")
    except DomainError as exc:
        log.info("duplicate of %s not joined: %s", lead.number, exc.message)


# --- corrections ----------------------------------------------------------------------------

_CORRECTED = {"reclassify": Correction.Field.CATEGORY, "change_place": Correction.Field.TERRITORY, "change_urgency": Correction.Field.URGENCY}


def record_correction(sender, appeal: Appeal, event: Event, **kwargs) -> None:
    """An operator changed what triage decided: keep it as a labelled example."""
    field = _CORRECTED.get(event.kind)
    if field is None and event.kind == "detach_from_problem" and event.actor_id:
        field = Correction.Field.DUPLICATE
    if field is None or event.actor_id is None:
        return
    result = appeal.triage_results.first()
    if result is None:
        return
    predicted, corrected = {
        Correction.Field.CATEGORY: (result.category_code or result.category, appeal.category.code if appeal.category_id else ""),
        Correction.Field.TERRITORY: (result.territory_code, appeal.territory.code if appeal.territory_id else ""),
        Correction.Field.URGENCY: (result.urgency, appeal.urgency),
        Correction.Field.DUPLICATE: (result.duplicate_of.number if result.duplicate_of_id else "", "не дубликат"),
    }[field]
    if predicted != corrected:
        Correction.objects.create(appeal=appeal, field=field, predicted=predicted, corrected=corrected, corrected_by=event.actor)


def training_examples(since: dt.datetime | None = None):
    """Corrected labels as rows for `tsur triage train` (text with personal data masked)."""
    from tsur.lib.pdmask import mask_personal_data

    qs = Correction.objects.filter(field=Correction.Field.CATEGORY).select_related("appeal__category__block")
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    for c in qs.order_by("created_at"):
        category = c.appeal.category
        if category is None:
            continue
        yield {
            "id": c.appeal.number,
            "text": mask_personal_data(c.appeal.text),
            "category": category.name,
            "block": category.block.key,
            "created_at": c.appeal.received_at.isoformat(),
            "corrected_at": c.created_at.isoformat(),
        }
