"""The triage pipeline: one JSON-able record in, one decision out, in input order.

`Triage.load(model_dir=None).process(records)` takes dicts (`id`, `text`, optional `lat`, `lon`,
`address`, `channel`, `created_at`, context columns) and yields, per record, either a decision

    {"id", "block", "block_confidence", "category", "category_code", "category_confidence",
     "territory": {"code", "name", "level", "evidence", "address", …} | None, "address",
     "urgency", "urgency_reason", "is_complaint", "complaint_probability", "duplicate_of",
     "personal_data", "warnings"}

or `{"id": …, "error": "…"}` for a record that cannot be classified (empty, binary, over-long,
not an object …); the stream always goes on. The schema is documented in docs/classify.md.

Pure Python (no Django). The place lookup needs the configured places (`places=`, a
`PlaceConfig`): the platform passes its directory rows, the command-line tools the demo's files;
without it the territory is null and `Triage.fallbacks` says so, as it does for complaint
screening when it is turned off. The pipeline's own modules are imported plainly: a missing or
broken one is a bug to see at once, not a field quietly left empty.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
from collections.abc import Hashable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from tsur.lib.pdmask import find_personal_data
from tsur.triage.engine import text as textmod
from tsur.triage.engine.duplicates import DuplicateDetector
from tsur.triage.engine.model import ModelError, TextModel, classify_features
from tsur.triage.engine.place import PlaceConfig, shared_gazetteer
from tsur.triage.engine.screening import ComplaintScreen
from tsur.triage.engine.urgency import assess

MODELS_DIR = Path(__file__).resolve().parents[1] / "models" / "default"
DEFAULT_MODEL_DIR = MODELS_DIR / "sector"
DEFAULT_SCREENING_DIR = MODELS_DIR / "screening"
MAX_LINE_BYTES = 1_000_000
"""Longest input line the `classify` command parses (bytes); longer lines are rejected unread."""
BATCH = 512
LOW_CYRILLIC = 0.5
"""Below this share of Cyrillic letters a text is treated as not Russian: low confidence + warning."""

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffd]")
_ID_IN_BROKEN = re.compile(rb'"id"\s*:\s*("(?:[^"\\]|\\.){0,200}"|-?\d{1,30})')


class RecordError(ValueError):
    """A record that cannot be triaged; the message goes into the output line's `error`."""


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _parse_time(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(float(value), dt.UTC).replace(tzinfo=None)
    text = str(value).strip().replace("Z", "+00:00")
    moment = dt.datetime.fromisoformat(text)
    return moment.replace(tzinfo=None) if moment.tzinfo is None else moment.astimezone(dt.UTC).replace(tzinfo=None)


def _coordinate(value: Any, limit: float) -> float | None:
    if value in (None, ""):
        return None
    number = float(value)
    if not math.isfinite(number) or abs(number) > limit:
        raise ValueError(value)
    return number


def is_binary(raw: str) -> bool:
    """True for text that looks like binary data decoded by accident (NULs, control characters or
    undecodable bytes in more than a trace amount)."""
    if "\x00" in raw:
        return True
    bad = len(_CONTROL.findall(raw[:5000]))
    return bad > max(3, len(raw[:5000]) // 100)


def broken_line_id(line: bytes) -> Any:
    """Best-effort id of a line that is not valid JSON (so its error line can still be matched)."""
    m = _ID_IN_BROKEN.search(line[:4096])
    if not m:
        return None
    try:
        return json.loads(m.group(1))
    except (ValueError, UnicodeDecodeError):
        return None


class Triage:
    """Loaded models and gazetteer; `process` is safe to call repeatedly (duplicates are detected
    within one `process` call, i.e. within one input stream)."""

    def __init__(
        self,
        model: TextModel,
        *,
        block_model: TextModel | None = None,
        gazetteer: Any = None,
        screen: Any = None,
        assess_urgency: Any = None,
        duplicate_factory: Any = None,
        find_personal_data: Any = None,
        fallbacks: Mapping[str, str] | None = None,
    ) -> None:
        self.model = model
        self.block_model = block_model
        self.gazetteer = gazetteer
        self.screen = screen
        self.assess_urgency = assess_urgency
        self.duplicate_factory = duplicate_factory
        self.find_personal_data = find_personal_data
        self.fallbacks = dict(fallbacks or {})
        self.load_options: dict[str, Any] | None = None
        info = model.info
        self.version = f"{Path(info.get('directory', 'model')).name}@{info.get('trained_at', '?')}"

    # -- loading -----------------------------------------------------------------------------
    @classmethod
    def load(
        cls, model_dir: str | Path | None = None, *, places: PlaceConfig | None = None, place_ner: bool = True, with_screening: bool = True
    ) -> Triage:
        """The shipped default model, or the model in `model_dir` (its primary head becomes
        `category`; the block then comes from the model itself when it knows blocks, else from the
        default model), with a gazetteer of `places` (None: no place lookup). `place_ner=False`
        turns off the place module's natasha NER fallback (the slowest part of the pipeline).
        Raises `ModelError` naming the file for a broken model."""
        model = TextModel.load(model_dir or DEFAULT_MODEL_DIR)
        block_model = None
        head = model.heads[model.primary]
        if "block" not in model.heads and not head.label_blocks and model_dir is not None:
            block_model = TextModel.load(DEFAULT_MODEL_DIR)
        fallbacks: dict[str, str] = {}
        screen = None
        if with_screening:
            screen = ComplaintScreen.load(DEFAULT_SCREENING_DIR)
        else:
            fallbacks["is_complaint"] = "screening disabled: is_complaint is null"
        triage = cls(
            model,
            block_model=block_model,
            screen=screen,
            assess_urgency=assess,
            duplicate_factory=DuplicateDetector,
            find_personal_data=find_personal_data,
            fallbacks=fallbacks,
        )
        # How to load the same pipeline again (a worker process that cannot inherit it).
        triage.load_options = {"model_dir": model_dir, "place_ner": place_ner, "with_screening": with_screening}
        return triage.with_places(places, place_ner=place_ner)

    def with_places(self, places: PlaceConfig | None, *, place_ner: bool | None = None) -> Triage:
        """This pipeline (the same loaded models) with a gazetteer of `places`: how the platform
        follows an edit of its territories or streets without loading the models again.
        `place_ner`: None keeps this pipeline's choice."""
        new = copy.copy(self)
        new.fallbacks = dict(self.fallbacks)
        if place_ner is None:
            place_ner = bool((self.load_options or {}).get("place_ner", getattr(self.gazetteer, "use_natasha", True)))
        if self.load_options is not None:  # None: not made by `load`, so a worker cannot load it again
            new.load_options = {**self.load_options, "places": places, "place_ner": place_ner}
        new.fallbacks.pop("territory", None)
        if places is None:
            new.gazetteer = None
            new.fallbacks["territory"] = "no places given (place lookup off): territory is null"
            return new
        gazetteer = shared_gazetteer(places)
        if not place_ner and gazetteer.use_natasha:
            gazetteer = copy.copy(gazetteer)  # shares the built dictionaries, read-only
            gazetteer.use_natasha = False
        new.gazetteer = gazetteer
        return new

    # -- validation --------------------------------------------------------------------------
    def _validate(self, record: Any) -> dict:
        """The record's cleaned fields, or RecordError."""
        if not isinstance(record, Mapping):
            raise RecordError("a JSON object is expected")
        rid = record.get("id")
        if isinstance(rid, bool) or (rid is not None and not isinstance(rid, (str, int, float))):
            raise RecordError("'id' must be a string or a number")
        raw = record.get("text")
        if raw is None:
            raise RecordError("'text' is missing")
        if not isinstance(raw, str):
            raise RecordError("'text' must be a string")
        if is_binary(raw):
            raise RecordError("'text' looks like binary data, not text")
        if len(raw) > MAX_LINE_BYTES:
            raise RecordError(f"'text' is too long: {len(raw)} characters (limit {textmod.MAX_TEXT_CHARS} after HTML clean-up)")
        cleaned = textmod.clean(raw)
        if not cleaned:
            raise RecordError("'text' is empty" + (" after HTML clean-up" if raw.strip() else ""))
        if len(cleaned) > textmod.MAX_TEXT_CHARS:
            raise RecordError(f"'text' is too long: {len(cleaned)} characters after HTML clean-up, the limit is {textmod.MAX_TEXT_CHARS}")
        warnings: list[str] = []
        try:
            lat = _coordinate(record.get("lat"), 90.0)
            lon = _coordinate(record.get("lon"), 180.0)
            if (lat is None) != (lon is None):
                warnings.append("only one of lat/lon given: coordinates ignored")
                lat = lon = None
        except (TypeError, ValueError):
            warnings.append("lat/lon are not valid coordinates: ignored")
            lat = lon = None
        try:
            created = _parse_time(record.get("created_at"))
        except (TypeError, ValueError, OverflowError, OSError):
            warnings.append("created_at is not an ISO date-time: ignored")
            created = None
        address = record.get("address")
        address = textmod.clean(address) if isinstance(address, str) else None
        context = {c: str(record.get(c) or "") for c in self.model.context_columns}
        if self.model.context_columns and not any(context.values()):
            warnings.append(f"context columns {', '.join(self.model.context_columns)} missing: classified from the text alone")
        if cleaned != raw.strip() and "<" in raw:
            warnings.append("HTML removed")
        share = textmod.cyrillic_share(cleaned)
        return {
            "id": rid,
            "raw": raw,
            "text": cleaned,
            "lat": lat,
            "lon": lon,
            "created_at": created,
            "address": address,
            "channel": record.get("channel"),
            "context": context,
            "cyrillic": share,
            "warnings": warnings,
        }

    # -- processing --------------------------------------------------------------------------
    def process(self, records: Iterable[Any]) -> Iterator[dict]:
        """One output dict per input record, in order (see the module docstring)."""
        detector = self.duplicate_factory() if self.duplicate_factory is not None else None
        seen_texts: dict[str, Any] = {}
        batch: list[Any] = []
        for record in records:
            batch.append(record)
            if len(batch) >= BATCH:
                yield from self._batch(batch, detector, seen_texts)
                batch = []
        if batch:
            yield from self._batch(batch, detector, seen_texts)

    def process_lines(self, lines: Iterable[bytes | str]) -> Iterator[dict]:
        """Like `process`, for raw JSON lines (blank lines skipped; malformed ones become errors)."""
        return self.process(self._parse_lines(lines))

    def stream(self) -> StreamSession:
        """A session keeping duplicate state across several `process_lines` calls (one input stream
        fed in chunks, as the `classify` command does)."""
        return StreamSession(self)

    @staticmethod
    def _parse_lines(lines: Iterable[Any]) -> Iterator[Any]:
        for line in lines:
            if isinstance(line, _Broken):
                yield line
                continue
            if isinstance(line, str):
                data = line.encode("utf-8", "surrogatepass")
            else:
                data = line
            if not data.strip():
                continue
            if len(data) > MAX_LINE_BYTES:
                yield _Broken(broken_line_id(data), f"line too long: {len(data)} bytes (limit {MAX_LINE_BYTES} bytes per line)")
                continue
            if b"\x00" in data:
                yield _Broken(broken_line_id(data), "binary data, not a JSON line")
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                yield _Broken(broken_line_id(data), "not UTF-8 text (binary data?)")
                continue
            try:
                yield json.loads(text)
            except json.JSONDecodeError as exc:
                yield _Broken(broken_line_id(data), f"malformed JSON: {exc.msg} (column {exc.colno})")
            except RecursionError:
                yield _Broken(broken_line_id(data), "malformed JSON: nested too deeply")

    def _batch(self, records: list[Any], detector: Any, seen_texts: dict[str, Any]) -> list[dict]:
        return link_duplicates(self.analyse(records), detector, seen_texts)

    def analyse(self, records: list[Any]) -> list[tuple[dict, dict | None]]:
        """Every stage except duplicate detection, for one batch: per record, its output dict
        (`duplicate_of` still null) and what `link_duplicates` needs to fill that in (None for
        an error line or a record without an id). Depends on nothing but the records, so batches
        can be analysed in any process and order; see tsur.triage.engine.parallel."""
        out: list[tuple[dict, dict | None] | None] = [None] * len(records)
        valid: list[tuple[int, dict]] = []
        for i, record in enumerate(records):
            if isinstance(record, _Broken):
                out[i] = ({"id": record.id, "error": record.error}, None)
                continue
            try:
                valid.append((i, self._validate(record)))
            except RecordError as exc:
                rid = record.get("id") if isinstance(record, Mapping) else None
                out[i] = ({"id": rid if isinstance(rid, (str, int, float)) else None, "error": str(exc)}, None)
        if valid:
            items = [v for _, v in valid]
            texts = [v["text"] for v in items]
            contexts = [v["context"] for v in items] if self.model.context_columns else None
            x = self.model.features.transform(texts, contexts)
            block_x = self.block_model.features.transform(texts) if self.block_model is not None else None
            classes = classify_features(self.model, x, block_model=self.block_model, block_x=block_x)
            screened = self.screen.predict(texts) if self.screen is not None else [(None, None)] * len(items)
            codes = self.model.heads[self.model.primary].info.get("label_codes") or {}
            for (i, item), c, (is_complaint, p_complaint) in zip(valid, classes, screened, strict=True):
                out[i] = self._decide(item, c, is_complaint, p_complaint, codes)
        return out  # type: ignore[return-value]

    def _decide(self, item: dict, c: Any, is_complaint: Any, p_complaint: Any, codes: Mapping) -> tuple[dict, dict | None]:
        warnings = list(item["warnings"])
        block_conf, cat_conf = c.block_confidence, c.category_confidence
        share = item["cyrillic"]
        if share < LOW_CYRILLIC:
            factor = max(share, 0.05)
            block_conf = None if block_conf is None else block_conf * factor
            cat_conf = cat_conf * factor
            warnings.append(f"not Russian text (Cyrillic letters {share:.0%}): block and category are unreliable, confidence lowered")
        text = item["text"]
        territory = None
        if self.gazetteer is not None:
            territory = self.gazetteer.locate(text, lat=item["lat"], lon=item["lon"], address=item["address"])
        address = (territory or {}).get("address") or item["address"] or ""
        if self.assess_urgency is not None:
            urgency, reason = self.assess_urgency(text, block=c.block, category=c.category, when=item["created_at"])
        else:
            urgency, reason = "normal", ""
        rid = item["id"]
        probe = None
        if rid is not None:
            probe = {
                "id": rid,
                "text": text,
                "territory": (territory or {}).get("code"),
                "address": address or None,
                "lat": item["lat"],
                "lon": item["lon"],
                "created_at": item["created_at"],
                "block": c.block,
                "grams": None,
            }
            text_grams = getattr(self.duplicate_factory, "text_grams", None)
            if text_grams is not None and (probe["territory"] or address or item["lat"] is not None):
                # The text's n-grams depend on it alone: computed here, where batches may run in
                # worker processes, not in the one process that links duplicates in order.
                probe["grams"] = text_grams(text)
        personal = []
        if self.find_personal_data is not None:
            personal = sorted({f["kind"] for f in self.find_personal_data(item["raw"])})
        decision = {
            "id": rid,
            "block": c.block,
            "block_confidence": _round(block_conf),
            "category": c.category,
            "category_code": codes.get(c.category),
            "category_confidence": _round(cat_conf),
            "territory": territory,
            "address": address,
            "urgency": urgency,
            "urgency_reason": reason,
            "is_complaint": is_complaint,
            "complaint_probability": _round(p_complaint),
            "duplicate_of": None,  # filled in by link_duplicates, in input order
            "personal_data": personal,
            "warnings": warnings,
        }
        return decision, probe


def link_duplicates(analysed: Iterable[tuple[dict, dict | None]], detector: Any, seen_texts: dict[str, Any]) -> list[dict]:
    """The output dicts of `Triage.analyse` with `duplicate_of` set. Stateful across the stream
    (`detector` and `seen_texts` belong to it), so it must see the batches in input order: a
    duplicate always refers to an earlier line."""
    out = []
    for decision, probe in analysed:
        if probe is not None:
            rid = probe["id"]
            duplicate_of = None
            if detector is not None:
                duplicate_of = detector.check_and_add(
                    rid,
                    probe["text"],
                    territory=probe["territory"],
                    address=probe["address"],
                    lat=probe["lat"],
                    lon=probe["lon"],
                    created_at=probe["created_at"],
                    block=probe["block"],
                    grams=probe["grams"],
                )
            else:
                key = textmod.normalise(probe["text"])
                duplicate_of = seen_texts.get(key)
                if duplicate_of is None:
                    seen_texts[key] = rid
            if isinstance(duplicate_of, Hashable) and duplicate_of == rid:
                duplicate_of = None
            decision["duplicate_of"] = duplicate_of
        out.append(decision)
    return out


class StreamSession:
    """Duplicate state shared across chunks of one stream."""

    def __init__(self, triage: Triage) -> None:
        self.triage = triage
        self.detector = triage.duplicate_factory() if triage.duplicate_factory is not None else None
        self.seen_texts: dict[str, Any] = {}

    def process_lines(self, lines: Iterable[bytes | str]) -> list[dict]:
        records = list(Triage._parse_lines(lines))
        out: list[dict] = []
        for start in range(0, len(records), BATCH):
            out.extend(self.triage._batch(records[start : start + BATCH], self.detector, self.seen_texts))
        return out

    def finish(self) -> list[dict]:
        """Output still owed at the end of the stream: none, this session answers each chunk at
        once (the same call as `ParallelSession.finish`, which may have batches in flight)."""
        return []


def too_long_line(head: bytes, size: int) -> _Broken:
    """The error item for an input line of `size` bytes that was not kept (its start is `head`)."""
    return _Broken(broken_line_id(head), f"line too long: {size} bytes (limit {MAX_LINE_BYTES} bytes per line)")


class _Broken:
    __slots__ = ("error", "id")

    def __init__(self, rid: Any, error: str) -> None:
        self.id = rid
        self.error = error


__all__ = ["MAX_LINE_BYTES", "ModelError", "RecordError", "Triage"]
