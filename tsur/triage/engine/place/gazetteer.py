"""The gazetteer: the territories of the configured region, and `locate`, which weighs what the
coordinates, the address and the text say (the rules are in the package docstring)."""

from __future__ import annotations

import functools
import json
import statistics
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tsur.lib import geo
from tsur.triage.engine.place.config import DEMO_OUTSIDE, DEMO_STREETS, DEMO_TERRITORIES, PlaceConfig
from tsur.triage.engine.place.names import NameIndex
from tsur.triage.engine.place.records import Found, Territory
from tsur.triage.engine.place.words import ADDRESS_CUES, PAREN


def _depth(code: str, parents: dict[str, str | None]) -> int:
    d, seen = 0, {code}
    node = parents.get(code)
    while node:
        d += 1
        if node in seen:
            raise ValueError(f"territory parent cycle at {code!r}")
        seen.add(node)
        node = parents.get(node)
    return d



class Gazetteer:
    """Territory lookup from coordinates, addresses and free text (see the package docstring).

    `rows`: dicts with `code`, `name`, `level` (region / city_district / municipal_district /
    okrug / settlement), `parent` (a code, or None; `parent_code` is accepted too), optional
    `lat`, `lon` and `boundary` (a GeoJSON Polygon / MultiPolygon, or its JSON text). A bracketed
    type in a name («Горенское (село)») is not part of the name; it helps a marker choose
    between homonyms. `streets`: dicts with `name`, `type` (улица, переулок…) and `territory`.
    `outside`: the places outside the region residents name (dicts with `name`, `kind`; see
    `PlaceConfig`). `near_km`: how far from a settlement a point outside every boundary may lie.
    `use_natasha`: allow the NER fallback (natasha stays optional: without it, or with its model
    unreadable, the gazetteer alone answers). `streets_imply`: let a listed street alone give its
    territory. Thread-safe for concurrent `locate` calls once built.
    """

    def __init__(
        self,
        rows: Iterable[Mapping[str, Any]],
        streets: Iterable[Mapping[str, Any]] = (),
        *,
        outside: Iterable[Mapping[str, Any]] = (),
        near_km: float = 5.0,
        use_natasha: bool = True,
        streets_imply: bool = True,
    ) -> None:
        self.near_km = near_km
        self.use_natasha = use_natasha
        self.streets_imply = streets_imply
        self.territories: dict[str, Territory] = {}
        self._base_names: dict[str, str] = {}  # the name without its bracketed type
        for row in rows:
            code = row["code"]
            parent = row.get("parent", row.get("parent_code", row.get("parent__code")))
            full = row["name"].strip()
            m = PAREN.search(full)
            boundary = row.get("boundary") or None
            if isinstance(boundary, str):
                boundary = json.loads(boundary)
            self.territories[code] = Territory(
                code=code,
                name=full,
                level=row["level"],
                parent=parent or None,
                lat=row.get("lat"),
                lon=row.get("lon"),
                boundary=boundary,
                type_hint=m.group(1).strip() if m else "",
                bbox=geo.bbox(boundary) if boundary else None,
            )
            self._base_names[code] = PAREN.sub(" ", full).strip()
        parents = {c: t.parent for c, t in self.territories.items()}
        for t in self.territories.values():
            t.depth = _depth(t.code, parents)
        # Deepest first, so the first boundary that contains a point is the answer.
        self._polygons = sorted((t for t in self.territories.values() if t.boundary), key=lambda t: -t.depth)
        self._points = [t for t in self.territories.values() if t.level == "settlement" and t.lat is not None and t.lon is not None]
        self._names = NameIndex(self.territories, self._base_names, streets, outside)
        self.streets = self._names.streets
        self._natasha = None
        self._natasha_lock = threading.Lock()

    @classmethod
    def from_config(cls, config: PlaceConfig, **kwargs: Any) -> Gazetteer:
        return cls(config.territories, config.streets, outside=config.outside, **kwargs)

    @classmethod
    def from_files(
        cls,
        territories_json: str | Path = DEMO_TERRITORIES,
        streets_json: str | Path | None = DEMO_STREETS,
        outside_json: str | Path | None = DEMO_OUTSIDE,
        **kwargs: Any,
    ) -> Gazetteer:
        """Build from JSON files (see `PlaceConfig.from_files`); by default the demo
        configuration's, for the command-line tools, benchmarks and evaluation scripts."""
        return cls.from_config(PlaceConfig.from_files(territories_json, streets_json, outside_json), **kwargs)

    # ---- resolution --------------------------------------------------------------------

    def _ancestors(self, code: str) -> list[str]:
        chain = []
        node: str | None = code
        while node:
            chain.append(node)
            node = self.territories[node].parent if node in self.territories else None
        return chain

    def _common_parent(self, codes: Sequence[str]) -> str | None:
        chains = [self._ancestors(c) for c in codes]
        if not chains:
            return None
        shared = set(chains[0]).intersection(*map(set, chains[1:]))
        for c in chains[0]:
            if c in shared:
                return c
        return None

    def _name(self, code: str) -> str:
        return self.territories[code].name

    def _resolve(self, found: list[tuple[str, Found]]) -> tuple[str | None, list[str], float]:
        """Choose one territory from the mentions; returns (code, evidence, confidence)."""
        evidence: list[str] = []
        scores: dict[str, float] = {}
        snippets: dict[str, list[str]] = {}
        ambiguous_notes: list[str] = []
        homonyms: set[str] = set()
        for text, f in found:
            for m in f.mentions:
                snippet = text[m.start : m.end]
                label = "gazetteer" if m.source == "text" else "address"
                weight = m.weight * (2.0 if m.source == "address" else 1.0)
                if len(m.codes) == 1:
                    code = m.codes[0]
                else:
                    code = self._common_parent(m.codes) or m.codes[0]
                    homonyms.add(code)
                    ambiguous_notes.append(f"ambiguous: «{snippet}» names {' / '.join(self._name(c) for c in m.codes)}; using {self._name(code)}")
                scores[code] = scores.get(code, 0.0) + weight
                snippets.setdefault(code, []).append(f"{label}:«{snippet}»")
        if not scores:
            return None, evidence, 0.0
        codes = list(scores)
        # support: a named territory adds its weight to every named territory inside it
        chains = {c: self._ancestors(c) for c in codes}
        leaves = [c for c in codes if not any(c != o and c in chains[o] for o in codes)]
        support = {leaf: sum(scores[c] for c in codes if c in chains[leaf]) for leaf in leaves}
        ranked = sorted(leaves, key=lambda c: (-support[c], -self.territories[c].depth))
        top = ranked[0]
        confidence = 0.9
        if len(ranked) > 1:
            second = ranked[1]
            if support[top] >= 1.3 * support[second]:
                others = ", ".join(self._name(c) for c in ranked[1:4])
                ambiguous_notes.append(f"also named: {others}; {self._name(top)} is named more strongly")
                confidence = 0.7
            else:
                lca = self._common_parent(ranked) or top
                ambiguous_notes.append(
                    f"ambiguous: {' / '.join(self._name(c) for c in ranked[:4])} named equally; using their common parent {self._name(lca)}"
                )
                top, confidence = lca, 0.5
        used = [c for c in codes if c == top or c in chains.get(top, self._ancestors(top)) or top in chains[c]]
        for c in sorted(used, key=lambda c: self.territories[c].depth):
            evidence.extend(snippets[c])
        if top not in scores:  # the common parent: show every mention
            for c in ranked:
                evidence.extend(s for s in snippets[c] if s not in evidence)
        evidence.extend(ambiguous_notes)
        if top in homonyms:
            confidence = min(confidence, 0.6)
        return top, evidence, confidence

    def _point(self, lat: float, lon: float) -> tuple[str | None, str]:
        for t in self._polygons:
            x0, y0, x1, y1 = t.bbox
            if x0 <= lon <= x1 and y0 <= lat <= y1 and geo.contains(t.boundary, lat, lon):
                return t.code, f"polygon: {t.name}"
        best, best_km = None, None
        for t in self._points:
            km = geo.distance_km(lat, lon, t.lat, t.lon)
            if best_km is None or km < best_km:
                best, best_km = t, km
        if best is not None and best_km is not None and best_km <= self.near_km:
            return best.code, f"nearest settlement {best.name}, {best_km:.1f} km"
        if best is not None and best_km is not None:
            return None, f"point outside every territory (nearest settlement {best.name}, {best_km:.1f} km)"
        return None, "point outside every territory"

    # ---- natasha fallback --------------------------------------------------------------

    def _natasha_parts(self):
        if self._natasha is None:
            with self._natasha_lock:
                if self._natasha is None:
                    try:
                        from natasha import NewsEmbedding, NewsNERTagger, Segmenter

                        self._natasha = (Segmenter(), NewsNERTagger(NewsEmbedding()))
                    except Exception:  # natasha missing or its model unreadable: no fallback
                        self._natasha = False
        return self._natasha or None

    def prepare_ner(self) -> bool:
        """Load natasha now instead of on first need (≈ 1 s, ≈ 150 MB): a parent process does it
        before forking workers, so they share one copy and none loads it mid-stream. True when
        the fallback is on and natasha is usable."""
        return self.use_natasha and self._natasha_parts() is not None

    def _natasha_locate(self, text: str) -> tuple[str | None, list[str]]:
        parts = self._natasha_parts()
        if parts is None:
            return None, []
        from natasha import Doc

        segmenter, ner = parts
        doc = Doc(text)
        doc.segment(segmenter)
        doc.tag_ner(ner)
        for span in doc.spans:
            if span.type != "LOC":
                continue
            codes = self._fuzzy_codes(span.text)
            if codes:
                code = codes[0] if len(codes) == 1 else (self._common_parent(codes) or codes[0])
                return code, [f"natasha:LOC «{span.text}»"]
        return None, []

    def _fuzzy_codes(self, phrase: str) -> list[str]:
        """Territories a natasha LOC span names (see `NameIndex.fuzzy_codes`)."""
        return self._names.fuzzy_codes(phrase)

    # ---- public ------------------------------------------------------------------------

    def extract_address(self, text: str) -> str:
        """The first street address in `text` («ул. Ленина, д. 15»), or ""."""
        found = self._names.scan(text or "")
        return found.streets[0][0] if found.streets else ""

    def locate(self, text: str | None, *, lat: float | None = None, lon: float | None = None, address: str | None = None) -> dict[str, Any] | None:
        """The territory an appeal is about, or None. Returns {code, name, level, evidence,
        address, confidence}; `evidence` names everything that was used."""
        text = text or ""
        scanned: list[tuple[str, Found]] = []
        if address:
            scanned.append((address, self._names.scan(address, source="address")))
        scanned.append((text, self._names.scan(text, source="text")))
        if lat is None and all(not (f.mentions or f.streets or f.surnames) for _, f in scanned):
            # Nothing in the text (the common case): only natasha could still find something.
            if self.use_natasha and text and ADDRESS_CUES.search(text) and self._names.ner_may_add(scanned[-1][1]):
                ncode, nevidence = self._natasha_locate(text)
                if ncode is not None:
                    return self._result(ncode, nevidence, "", 0.6)
            return None
        street_address = ""
        for _, f in scanned:
            if f.streets:
                street_address = f.streets[0][0]
                break

        code, evidence, confidence = self._resolve(scanned)
        ignored = [note for _, f in scanned for note in f.ignored]
        natasha_done = False

        # A surname-like name was left out («Жуков, ул. Садовая…»): let NER say if it is a place
        # before a bare street name decides.
        if (code is None or self.territories[code].level == "region") and self.use_natasha and any(f.surnames for _, f in scanned):
            ncode, nevidence = self._natasha_locate(text if not address else f"{address}. {text}")
            if ncode is not None:
                code, confidence = ncode, 0.6
                evidence = evidence + nevidence
                settled = nevidence[0].split("«", 1)[1]  # "<span>»"
                ignored = [note for note in ignored if f"«{settled}" not in note]
            natasha_done = True

        # Streets: a listed street (of the type written) implies its territory when nothing more
        # specific is named and no other city or region is.
        foreign = [x for _, f in scanned for x in f.foreign]
        street_codes: list[str] = []
        street_notes: list[str] = []
        mismatched: list[str] = []
        for k, (_, f) in enumerate(scanned):
            prefix = "address " if address and k == 0 else ""
            for _addr, streets, snippet, agrees in f.streets:
                terrs = sorted({s.territory for s in streets if s.territory in self.territories})
                if not terrs:
                    continue
                place = " / ".join(self._name(t) for t in terrs)
                if not agrees:
                    kinds = ", ".join(sorted({s.type for s in streets}))
                    mismatched.append(f"{prefix}street:«{snippet}» not used: {place} has it only as {kinds}")
                    continue
                street_codes.extend(terrs)
                street_notes.append(f"{prefix}street:«{snippet}» in the street list of {place}")
        if street_codes and self.streets_imply:
            scode = street_codes[0] if len(set(street_codes)) == 1 else (self._common_parent(street_codes) or street_codes[0])
            if code is None or self.territories[code].level == "region":
                if foreign:
                    evidence.append(f"street not used: another place is named («{foreign[0]}»)")
                elif code is None or code in self._ancestors(scode):
                    evidence = evidence + street_notes[:2]
                    confidence = 0.7 if code is not None else 0.5
                    code = scode
            elif scode in self._ancestors(code) or code in self._ancestors(scode):
                evidence = evidence + street_notes[:1]  # consistent with the place named
        ignored = mismatched[:1] + ignored

        # Coordinates.
        if lat is not None and lon is not None:
            pcode, note = self._point(float(lat), float(lon))
            if pcode is not None:
                if code is not None and pcode in self._ancestors(code) and code != pcode:
                    evidence = [note, *evidence]
                    confidence = max(confidence, 0.95)
                else:
                    if code is not None and code != pcode and code not in self._ancestors(pcode):
                        evidence = [note, f"text names {self._name(code)}, outside the point's territory: the point is used"]
                    else:
                        evidence = [note, *evidence]
                    code = pcode
                    confidence = 0.95 if note.startswith("polygon") else 0.7
            else:
                evidence.append(note)
                confidence = min(confidence, 0.7)  # the text says one thing, the point another

        # natasha: only when nothing was found and the text looks like it has an address.
        if code is None and self.use_natasha and not natasha_done and text and ADDRESS_CUES.search(text) and self._names.ner_may_add(scanned[-1][1]):
            ncode, nevidence = self._natasha_locate(text)
            if ncode is not None:
                code, confidence = ncode, 0.6
                evidence = evidence + nevidence

        if code is None:
            return None
        evidence.extend(ignored[:3])
        return self._result(code, evidence, street_address, confidence)

    def _result(self, code: str, evidence: list[str], address: str, confidence: float) -> dict[str, Any]:
        t = self.territories[code]
        return {"code": t.code, "name": t.name, "level": t.level, "evidence": evidence, "address": address, "confidence": confidence}


# --------------------------------------------------------------------------------------------
# One per configuration, and the benchmark
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def shared_gazetteer(config: PlaceConfig) -> Gazetteer:
    """One gazetteer per configuration object per process (construction precomputes every case
    form of every name: about a second for the demo region), shared read-only by the pipelines
    loaded from it. Two are kept: the platform's current places and the ones it is replacing."""
    return Gazetteer.from_config(config)


def bench_place(texts: Sequence[str], *, gazetteer: Gazetteer | None = None, runs: int = 5) -> dict[str, Any]:
    """Speed of `locate` over `texts`: the gazetteer path alone (natasha off) and with the natasha
    fallback, median of `runs` runs each, plus the construction time and how many texts got a
    place. Counts only: no text is returned."""
    t0 = time.perf_counter()
    fresh = Gazetteer.from_files() if gazetteer is None else None
    construction_s = time.perf_counter() - t0
    gaz = gazetteer or fresh
    assert gaz is not None
    texts = list(texts)
    out: dict[str, Any] = {"texts": len(texts), "runs": runs, "construction_s": round(construction_s, 3) if fresh else None}
    saved = gaz.use_natasha
    try:
        for label, natasha in (("gazetteer", False), ("with_natasha", True)):
            gaz.use_natasha = natasha
            if natasha:
                gaz.locate("ул. Садовая, д. 1, деревня Ивановка")  # load natasha outside the timing
            rates = []
            found = 0
            for _ in range(max(1, runs)):
                start = time.perf_counter()
                found = sum(1 for t in texts if gaz.locate(t) is not None)
                elapsed = time.perf_counter() - start
                rates.append(len(texts) / elapsed if elapsed > 0 else float("inf"))
            out[f"{label}_texts_per_s"] = round(statistics.median(rates), 1)
            out[f"{label}_found"] = found
    finally:
        gaz.use_natasha = saved
    return out

