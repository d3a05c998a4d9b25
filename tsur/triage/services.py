"""The Django side of triage: run the engine on a newly received appeal, store what it decided
(with confidences and reasons), apply it where nobody has decided yet, join near-duplicates, and
record operators' corrections as labelled examples for the next training run."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings

from tsur.appeals import services as appeal_services
from tsur.appeals.events import AppealChange
from tsur.appeals.models import Appeal
from tsur.appeals.services.problems import join_to_problems
from tsur.core.db import copy_rows, update_rows
from tsur.directory.models import Block, Category, Organisation, Territory
from tsur.triage import places
from tsur.triage.duplicates import AUTO_JOIN_REASON, Candidates, find_duplicate_lead, joins_automatically
from tsur.triage.models import Correction, TriageResult

if TYPE_CHECKING:
    from tsur.triage.engine.pipeline import Triage

log = logging.getLogger(__name__)

# The duplicate window and radius, the candidate bounds and the confidence needed to apply a
# category are settings (tsur/settings.py, "triage thresholds"), read at each use.

_engine_lock = threading.Lock()
_engine: tuple[tuple, Triage] | None = None  # (what it was built from, the pipeline)


def engine() -> Triage:
    """The triage pipeline of this process: the shipped model (or TSUR_TRIAGE_MODEL_DIR) with the
    gazetteer of the configured places (tsur.triage.places), never the demo's files.

    Loaded once per process; when the places change (their stamp, one small query per call) only
    the gazetteer is rebuilt, the models are kept. Without complaint screening: an appeal is a
    complaint by how it came (a form, a letter), or the channel that heard the post screened it
    already and keeps that decision on its row."""
    global _engine
    model_dir = getattr(settings, "TSUR_TRIAGE_MODEL_DIR", "") or None
    key = (model_dir, places.stamp())
    built = _engine
    if built is not None and built[0] == key:
        return built[1]
    with _engine_lock:
        built = _engine
        if built is None or built[0] != key:
            # Read after the stamp: an edit in between makes the next call rebuild once more,
            # never keeps stale places under a new stamp.
            config = places.place_config()
            if built is None or built[0][0] != model_dir:
                # Imported here, not at the top: the models pull in numpy and scipy, which every
                # process that never triages (migrate, the admin) would otherwise pay for at start.
                from tsur.triage.engine.pipeline import Triage

                triage = Triage.load(model_dir, places=config, with_screening=False)
            else:
                triage = built[1].with_places(config)
            _engine = built = (key, triage)
        return built[1]


@functools.lru_cache(maxsize=2)
def _suggester(directory: str):
    from tsur.triage.engine.orgs import OrgSuggester

    return OrgSuggester.load(directory)


def organisation_suggestions(appeal: Appeal, k: int = 3) -> list[tuple[Organisation, float]]:
    """Up to k active organisations the history-trained suggester proposes for the appeal (text,
    category, territory), most probable first; [] when none is configured or it cannot be read."""
    directory = getattr(settings, "TSUR_ORG_SUGGESTER_DIR", "")
    if not directory:
        return []
    try:
        suggester = _suggester(directory)
        ranked = suggester.suggest(
            appeal.text, appeal.category.code if appeal.category_id else None, appeal.territory.code if appeal.territory_id else None, k=k
        )
    except Exception as exc:  # a missing or corrupted model must not break the card
        log.warning("organisation suggester %s unusable: %s", directory, exc)
        return []
    active = {o.code: o for o in Organisation.objects.filter(code__in=[code for code, _ in ranked], is_active=True)}
    return [(active[code], p) for code, p in ranked if code in active]


def routing_history(since: dt.datetime | None = None):
    """(text with personal data masked, category code, territory code, organisation code) of every
    appeal that was routed to an organisation: the training rows of the organisation suggester.
    The text is the copy masked at intake (tsur.appeals.privacy), as in every export."""
    qs = Appeal.objects.filter(organisation__isnull=False).exclude(organisation__code="")
    if since is not None:
        qs = qs.filter(received_at__gte=since)
    rows = qs.order_by("received_at", "pk").values_list("text_masked", "category__code", "territory__code", "organisation__code")
    yield from rows.iterator(chunk_size=2000)


class _Directory:
    """The active categories (by code) and the territories a batch needs, read once per batch
    rather than per appeal; a batch is short-lived, so an edit in the admin is seen by the next
    one."""

    def __init__(self) -> None:
        self._categories: dict[str, Category] | None = None
        self._territories: dict[str, Territory | None] = {}
        self._blocks: dict[str, Block] | None = None

    def category(self, code: str) -> Category | None:
        if not code:
            return None
        if self._categories is None:
            self._categories = {c.code: c for c in Category.objects.filter(is_active=True).select_related("block")}
        return self._categories.get(code)

    def block(self, key: str) -> Block | None:
        if self._blocks is None:
            self._blocks = {b.key: b for b in Block.objects.all()}
        return self._blocks.get(key)

    def territories(self, codes: set[str]) -> None:
        wanted = codes - set(self._territories)
        if wanted:
            found = {t.code: t for t in Territory.objects.filter(code__in=wanted)}
            self._territories.update({code: found.get(code) for code in wanted})

    def territory(self, code: str | None) -> Territory | None:
        if not code:
            return None
        self.territories({code})
        return self._territories[code]


def category_code(out: dict) -> str:
    """The configured category's code in an engine decision. The shipped model knows the taxonomy
    code of every label (`category_code`); a model trained with `tsur triage train` on some label
    column has no codes, and its label is then taken as the code (train it on category codes)."""
    return out.get("category_code") or out.get("category") or ""


def _record(appeal: Appeal) -> dict:
    return {
        "id": appeal.number,
        "text": appeal.text,
        "lat": appeal.lat,
        "lon": appeal.lon,
        "address": appeal.address,
        "channel": appeal.channel,
        "created_at": appeal.received_at.isoformat(),
    }


def _engine_outputs(appeals: list[Appeal]) -> dict[str, dict]:
    """The engine's decision per appeal number, from one `process` call over the batch. Should that call
    raise, each appeal is tried on its own, so one record that breaks the engine costs only its
    own triage; an appeal the engine fails on is left out (it goes to moderation untriaged)."""
    if not appeals:
        return {}
    try:
        outs = list(engine().process([_record(a) for a in appeals]))
        if len(outs) == len(appeals):
            return {a.number: out for a, out in zip(appeals, outs, strict=True)}
        log.warning("triage engine returned %s decisions for %s appeals; retrying one by one", len(outs), len(appeals))
    except Exception:
        if len(appeals) == 1:
            raise
        log.exception("triage of a batch of %s appeals failed; retrying one by one", len(appeals))
    decided: dict[str, dict] = {}
    for appeal in appeals:
        try:
            decided[appeal.number] = next(iter(engine().process([_record(appeal)])))
        except Exception:
            log.exception("triage of appeal %s failed; it goes to moderation untriaged", appeal.number)
    return decided


class TriageBatch:
    """Triage of a batch of new appeals, in the parts the intake pipeline (tsur.appeals.batch)
    needs. Creating it runs the engine once for the whole batch, outside any transaction (the
    appeals may not be stored yet). Then, in the pipeline's transaction: `proposals` decides what
    to apply where nobody has decided yet and `store` inserts the results once the appeals have
    ids; once that transaction has committed, `after` joins near-duplicates (one transaction per
    join).

    Idempotent: an appeal already triaged gets no second result. An appeal the engine fails on
    gets none (logged) and goes to moderation untriaged; the others go on.

    The engine's own `duplicate_of` (a match among the records of one call) is not used: the
    database search is the only judge of duplicates. It runs in the order the appeals came, after
    the whole batch's places are applied, and sees the earlier appeals of the batch as candidates,
    so an appeal is joined to the same lead whether its near-duplicate came in the same batch or
    an earlier one."""

    def __init__(self, appeals: list[Appeal]) -> None:
        self.outs = _engine_outputs(appeals)  # by appeal number
        self.results: dict[str, TriageResult] = {}
        self._decided: dict[str, tuple[dict, Category | None, Territory | None]] = {}
        self._proposals: dict[str, appeal_services.AutoTriage] = {}

    def proposals(self, appeals: list[Appeal]) -> dict[str, appeal_services.AutoTriage]:
        """The results of these appeals (kept until `store`) and what to apply, by number."""
        from tsur.lib.pdmask import find_personal_data

        wanted = [a for a in appeals if a.number in self.outs]
        stored = [a.pk for a in wanted if a.pk is not None]
        done = set(TriageResult.objects.filter(appeal_id__in=stored).values_list("appeal__number", flat=True)) if stored else set()
        wanted = [a for a in wanted if a.number not in done]
        directory = _Directory()
        directory.territories({(self.outs[a.number].get("territory") or {}).get("code") for a in wanted} - {None})
        version = _version()
        self.results, self._decided, self._proposals = {}, {}, {}
        for appeal in wanted:
            out = self.outs[appeal.number]
            if "error" in out:
                self.results[appeal.number] = TriageResult(appeal=appeal, model_version=version, warnings=[out["error"]])
                continue
            category = directory.category(category_code(out))
            territory_info = out.get("territory") or None
            territory = directory.territory(territory_info.get("code")) if territory_info else None
            result = self.results[appeal.number] = TriageResult(
                appeal=appeal,
                model_version=version,
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
                personal_data_kinds=out["personal_data"] if "personal_data" in out else sorted({f["kind"] for f in find_personal_data(appeal.text)}),
                warnings=out.get("warnings") or [],
            )
            self._decided[appeal.number] = (out, category, territory)
            self._proposals[appeal.number] = _proposal(result, out, category, territory, directory)
        return dict(self._proposals)

    def store(self) -> None:
        """Insert the results (one statement); the proposals' event data then name them."""
        for result in self.results.values():
            result.appeal_id = result.appeal.pk  # set when the appeal was inserted after the result was built
        copy_rows(TriageResult, list(self.results.values()), with_ids=True)
        for number, proposal in self._proposals.items():
            proposal.summary["triage_result"] = self.results[number].pk

    def after(self, done) -> None:
        """Record what was applied, then join each appeal to the problem of a near-duplicate.

        The search runs appeal by appeal in the order they came, as if each were joined before
        the next is searched (an appeal found a duplicate leaves the candidates: a joined appeal
        is no longer open); the joins are then written for the whole batch at once
        (`join_to_problems`: one transaction, a constant number of statements), not one
        transition each — in a storm of complaints about a few problems most of a batch is
        joined, and a transaction per join (with its subscribers after each commit) was most of
        the batch's time."""
        from django.db.models import prefetch_related_objects

        triaged = [a for a in done.appeals if a.number in self._decided]
        prefetch_related_objects(triaged, "territory", "block")
        candidates = Candidates()
        candidates.expect(triaged)
        changed = []
        joins: list[tuple[int, int]] = []
        joined: set[int] = set()
        for appeal in triaged:
            result = self.results[appeal.number]
            result.applied = done.applied.get(appeal.number, {})
            lead = find_duplicate_lead(appeal, candidates, joined=joined)
            if lead is not None:
                result.duplicate_of = lead
                if joins_automatically(appeal, lead):
                    joins.append((appeal.pk, lead.pk))
                    joined.add(appeal.pk)
            changed.append(result)
        update_rows(TriageResult, changed, ("applied", "duplicate_of"))
        if joins:
            join_to_problems(joins, reason=AUTO_JOIN_REASON)


def _proposal(
    result: TriageResult, out: dict, category: Category | None, territory: Territory | None, directory: _Directory
) -> appeal_services.AutoTriage:
    """What to apply of a stored decision: the category and the block only when confident."""
    threshold = settings.TSUR_TRIAGE_APPLY_MIN_CONFIDENCE
    confident = (out.get("category_confidence") or 0) >= threshold
    block_key = (out.get("block") or "") if (out.get("block_confidence") or 0) >= threshold else ""
    block = directory.block(block_key) if block_key else None
    return appeal_services.AutoTriage(
        category=category if confident else None,
        block_key=block_key if block is not None else "",  # a block the directory does not have is not applied
        block=block,
        confidence=out.get("category_confidence") if confident else out.get("block_confidence"),
        territory=territory,
        address=result.address,
        urgency_reason=result.urgency_reason if out.get("urgency") == "high" else "",
        summary={"triage_result": result.pk, "model": result.model_version},  # the pk is filled in by `store`
    )


def _version() -> str:
    return str(getattr(engine(), "version", "") or "default")[:120]


# --- corrections ----------------------------------------------------------------------------

_CORRECTED = {"reclassify": Correction.Field.CATEGORY, "change_place": Correction.Field.TERRITORY, "change_urgency": Correction.Field.URGENCY}


def record_corrections(changes: Sequence[AppealChange]) -> None:
    """Subscriber of appeals' `appeal_changed` (after commit): an operator changed what triage
    decided — keep it as a labelled example for the next model."""
    wanted = {}
    for change in changes:
        field = _CORRECTED.get(change.kind)
        if field is None and change.kind == "detach_from_problem":
            field = Correction.Field.DUPLICATE
        if field is not None and change.actor_id is not None:
            wanted[change.event_id] = (change, field)
    if not wanted:
        return
    appeals = Appeal.objects.select_related("category", "territory").defer("territory__boundary").in_bulk([c.appeal_id for c, _ in wanted.values()])
    results: dict[int, TriageResult] = {}
    for r in TriageResult.objects.filter(appeal_id__in=appeals).select_related("duplicate_of"):
        results.setdefault(r.appeal_id, r)  # the first in the model's order, as appeal.triage_results.first()
    for change, field in wanted.values():
        appeal, result = appeals.get(change.appeal_id), results.get(change.appeal_id)
        if appeal is None or result is None:
            continue
        predicted, corrected = {
            Correction.Field.CATEGORY: (result.category_code or result.category, appeal.category.code if appeal.category_id else ""),
            Correction.Field.TERRITORY: (result.territory_code, appeal.territory.code if appeal.territory_id else ""),
            Correction.Field.URGENCY: (result.urgency, appeal.urgency),
            Correction.Field.DUPLICATE: (result.duplicate_of.number if result.duplicate_of_id else "", "не дубликат"),
        }[field]
        if predicted != corrected:
            Correction.objects.create(appeal=appeal, field=field, predicted=predicted, corrected=corrected, corrected_by_id=change.actor_id)


def training_examples(since: dt.datetime | None = None):
    """Corrected labels as rows for `tsur triage train` (the text masked at intake)."""
    qs = Correction.objects.filter(field=Correction.Field.CATEGORY).select_related("appeal__category__block")
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    for c in qs.order_by("created_at"):
        category = c.appeal.category
        if category is None:
            continue
        yield {
            "id": c.appeal.number,
            "text": c.appeal.text_masked,
            "category": category.name,
            "block": category.block.key,
            "created_at": c.appeal.received_at.isoformat(),
            "corrected_at": c.created_at.isoformat(),
        }
