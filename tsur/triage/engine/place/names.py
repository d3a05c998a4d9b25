"""Names in text: the index of every inflected form of the region's territory names and of the
listed streets, and the scan of a text (or an address) for them.

Construction precomputes every case form with pymorphy3, so `NameIndex.scan` only tokenises the
text and looks tokens up in dictionaries; pymorphy3 is called at run time only for a rare unseen
form that shares a prefix with a name (cached)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tsur.triage.engine.place.morphology import form_class, is_nominative, lemmas, word_forms, word_forms_cached
from tsur.triage.engine.place.records import Found, Mention, Pattern, Street, Territory
from tsur.triage.engine.place.words import (
    BUILDING_WORDS,
    COMMON,
    DIRECTION,
    DISTRICT_NOUNS,
    DOT_REQUIRED,
    FILLERS,
    HAS_ORDINAL,
    HOUSE_WORDS,
    MARKERS,
    NOUN_ENDINGS,
    OKRUG_NOUNS,
    ORDINAL,
    PAREN,
    PERSON,
    PERSON_CONTEXT,
    PREPOSITIONS,
    REGION_NOUNS,
    RESIDENTS,
    RIVER,
    STREET_ABBR,
    STREET_DOT_REQUIRED,
    STREET_OR_IM,
    STREET_TYPES,
    STRONG,
    TOKEN,
    fold,
)


class NameIndex:
    """Every form of the names of `territories` (keyed by code; `base_names` are the names
    without a bracketed type), of `streets` (dicts with `name`, `type`, `territory`) and of the
    places `outside` the region (dicts with `name`, `kind`: see `PlaceConfig`). Read-only once
    built, so concurrent scans are safe."""

    def __init__(
        self,
        territories: Mapping[str, Territory],
        base_names: Mapping[str, str],
        streets: Iterable[Mapping[str, Any]] = (),
        outside: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        self.territories = territories
        self._base_names = base_names
        self._index: dict[str, list[Pattern]] = {}
        self._lemma_index: dict[str, list[Pattern]] = {}
        self._prefixes: set[str] = set()
        self._build_names()
        self._build_outside(outside)
        self._street_index: dict[str, list[Street]] = {}
        self._street_last_index: dict[str, list[Street]] = {}
        self.streets: list[Street] = []
        self._build_streets(streets)

    # ---- construction ------------------------------------------------------------------

    def _add(self, pattern: Pattern) -> None:
        for form in pattern.positions[0]:
            self._index.setdefault(form, []).append(pattern)

    def _build_names(self) -> None:
        by_name: dict[tuple[str, str], list[str]] = {}
        for code, t in self.territories.items():
            base = self._base_names[code]
            words = base.split()
            if t.level in ("municipal_district", "okrug", "region") and len(words) >= 2 and words[-1].lower() in ("район", "округ", "область"):
                kind = {"municipal_district": "district", "okrug": "okrug", "region": "region"}[t.level]
                key = (kind, " ".join(words[:-1]).lower())
            else:
                key = ("name", fold(base))
            by_name.setdefault(key, []).append(code)
        for (kind, key), codes in by_name.items():
            if kind == "name":
                self._add_name(tuple(codes), self._base_names[codes[0]])
            else:
                nouns = {"district": DISTRICT_NOUNS, "okrug": OKRUG_NOUNS, "region": REGION_NOUNS}[kind]
                adjs = key.split()
                positions = [dict.fromkeys(word_forms(a, adjective=True), STRONG) for a in adjs]
                if kind == "region" and adjs[-1].endswith("ая"):  # «Калужский регион» as well as «Калужская область»
                    positions[-1].update(dict.fromkeys(word_forms(adjs[-1][:-2] + "ий", adjective=True), STRONG))
                positions.append(dict.fromkeys(nouns, STRONG))
                label = self.territories[codes[0]].name
                self._add(Pattern(tuple(codes), tuple(positions), kind, label))
                if kind != "region":  # «р-н Козельский», «округ Ленинский»: nominatives only («в районе Кировского завода» is not one)
                    head = dict.fromkeys(("район", "р-н", "рн") if kind == "district" else ("округ",), STRONG)
                    self._add(Pattern(tuple(codes), (head, *({a: STRONG} for a in adjs)), kind, label))

    def _build_outside(self, outside: Iterable[Mapping[str, Any]]) -> None:
        """Patterns that name no territory (`codes` empty): a text naming one is about another
        place. A city in every case form of each word; a region as its adjectives in every form
        followed by any region noun («Тульская обл.», «Тульской области»); an abbreviation as
        written («СПб»)."""
        rows = list(outside)
        for kind in ("city", "abbreviation", "region"):  # the order the patterns always had
            for row in rows:
                if row.get("kind", "city") != kind:
                    continue
                name = " ".join(str(row["name"]).split())
                words = name.split()
                if not words:
                    continue
                if kind == "abbreviation":
                    positions: tuple[dict[str, int], ...] = tuple({fold(w): STRONG} for w in words)
                elif kind == "region" and len(words) >= 2 and fold(words[-1]) in REGION_NOUNS:
                    adjectives = tuple(dict.fromkeys(word_forms(w, adjective=True), STRONG) for w in words[:-1])
                    positions = (*adjectives, dict.fromkeys(REGION_NOUNS, STRONG))
                else:  # a city, or a region whose noun is not «область» («Краснодарский край»)
                    positions = tuple(dict.fromkeys(word_forms(w), STRONG) for w in words)
                self._add(Pattern((), positions, "foreign", name))

    def _add_name(self, codes: tuple[str, ...], base: str) -> None:
        variants = [base]
        if "-" in base:  # «Спас-Деменск» is also written «Спас Деменск»
            variants.append(base.replace("-", " "))
        for variant in variants:
            words = variant.split()
            # A form is as demanding as its own readings or its name's nominative, whichever is
            # more: «городком» has a place reading as strong as the noun's, «Городок» does not.
            positions = tuple({f: max(form_class(f), form_class(fold(w))) for f in word_forms(w)} for w in words)
            pattern = Pattern(codes, positions, "name", self.territories[codes[0]].name, fold(words[0]))
            self._add(pattern)
            if len(words) == 1:  # one-word names are also found by the lemma of an unforeseen form
                lemma = fold(words[0])
                self._lemma_index.setdefault(lemma, []).append(pattern)
                self._prefixes.add(lemma[:4])

    def _build_streets(self, streets: Iterable[dict[str, Any]]) -> None:
        for row in streets:
            name = PAREN.sub(" ", row["name"]).strip()
            positions: list[frozenset[str]] = []
            for raw in TOKEN.findall(name):
                tok = fold(raw)
                m = ORDINAL.match(tok)
                if m:
                    positions.append(frozenset({"#" + m.group(1)}))
                elif tok.isdigit():
                    positions.append(frozenset({tok}))
                else:
                    forms = word_forms_cached(tok, False) if is_nominative(tok) else {tok}
                    positions.append(frozenset(forms))
            if not positions:
                continue
            street = Street(name, row.get("type", "улица"), row.get("territory", ""), tuple(positions))
            self.streets.append(street)
            for form in positions[0]:
                self._street_index.setdefault(form, []).append(street)
            for form in positions[-1]:
                self._street_last_index.setdefault(form, []).append(street)

    # ---- text scanning -----------------------------------------------------------------

    @staticmethod
    def tokens(text: str) -> tuple[list[str], list[re.Match]]:
        """Folded tokens and their match objects (offsets into `text`). Ordinals («1-я») become
        "#1"."""
        folded = text.lower()
        if len(folded) != len(text):  # a character whose lower case is longer: fold per token
            matches = list(TOKEN.finditer(text))
            low = [m.group().lower().replace("ё", "е") for m in matches]
        else:
            if "ё" in folded:
                folded = folded.replace("ё", "е")
            matches = list(TOKEN.finditer(folded))
            low = [m.group() for m in matches]
        if HAS_ORDINAL.search(folded):
            for k, tok in enumerate(low):
                if tok[0].isdigit():
                    om = ORDINAL.match(tok)
                    if om:
                        low[k] = "#" + om.group(1)
        return low, matches

    def _match_street_forward(self, low: list[str], i: int) -> tuple[list[Street], int]:
        """Known streets whose name starts at token i; returns (streets, index after the name)."""
        best: list[Street] = []
        best_end = i
        for street in self._street_index.get(low[i], ()):
            n = len(street.positions)
            if i + n > len(low):
                continue
            if all(low[i + k] in street.positions[k] for k in range(1, n)):
                if i + n > best_end:
                    best, best_end = [street], i + n
                elif i + n == best_end:
                    best.append(street)
        return best, best_end

    def _match_street_backward(self, low: list[str], end: int) -> tuple[list[Street], int]:
        """Known streets whose name ends at token end-1 («Московская улица»)."""
        best: list[Street] = []
        best_start = end
        if end <= 0:
            return best, best_start
        for street in self._street_last_index.get(low[end - 1], ()):
            n = len(street.positions)
            start = end - n
            if start < 0:
                continue
            if all(low[start + k] in street.positions[k] for k in range(n - 1)):
                if start < best_start:
                    best, best_start = [street], start
                elif start == best_start:
                    best.append(street)
        return best, best_start

    @staticmethod
    def _bare_marker(low: list[str], i: int, capitalised: bool) -> bool:
        """«г Жуков», «д Ивановка»: a marker letter without its dot, before a capitalised name and
        not after a number («2020 г», «5 д»). «с» never: it is a preposition too."""
        return capitalised and low[i - 1] in ("г", "д", "п") and not (i >= 2 and low[i - 2][0].isdigit())

    def scan(self, text: str, source: str = "text") -> Found:
        found = Found()
        if not text:
            return found
        low, spans = self.tokens(text)
        n = len(low)
        consumed = bytearray(n)
        found.tokens, found.not_place = low, consumed

        def dot_after(k: int) -> bool:
            e = spans[k].end()
            return text[e : e + 1] == "."

        def capital(k: int) -> bool:
            return text[spans[k].start()].isupper()

        # 1. Streets and «им. …» (tokens there are not settlements).
        street_types = STREET_TYPES
        for i in [k for k, t in enumerate(low) if t in STREET_OR_IM]:
            tok = low[i]
            if tok in PERSON_CONTEXT and tok in ("им", "имени"):
                k = i + 1
                while k < n and k <= i + 3 and (capital(k) or len(low[k]) == 1):
                    consumed[k] = 1
                    k += 1
                continue
            stype = street_types.get(tok)
            if stype is None or consumed[i]:
                continue
            if tok in STREET_DOT_REQUIRED and not dot_after(i):
                continue
            # forward: «ул. Ленина», «улица 1-я Загородная»
            j = i + 1
            streets: list[Street] = []
            name_start = name_end = j
            if j < n:
                streets, name_end = self._match_street_forward(low, j)
                if not streets and (capital(j) or low[j].startswith("#")):
                    k = j
                    if low[k].startswith("#"):
                        k += 1
                    while k < n and k < j + 3 and not low[k][0].isdigit() and capital(k) and low[k] not in street_types:
                        k += 1
                    if k > j and not (k == j + 1 and low[j].startswith("#")):
                        name_end = k
            backward = False
            if name_end == name_start:  # backward: «на Московской улице»
                streets, bstart = self._match_street_backward(low, i)
                if not streets:
                    continue
                name_start, name_end, backward = bstart, i, True
            # house number after the name (or after the type word in the backward form)
            k = (i + 1) if backward else name_end
            house = ""
            if k < n and low[k] in HOUSE_WORDS and k + 1 < n and low[k + 1][0].isdigit():
                k += 1
            if k < n and low[k][0].isdigit() and not low[k].startswith("#"):
                house = text[spans[k].start() : spans[k].end()]
                k += 1
                if k + 1 < n and low[k] in BUILDING_WORDS and low[k + 1][0].isdigit():
                    house += f", {BUILDING_WORDS[low[k]]} {low[k + 1]}"
                    k += 2
            end_tok = k
            for q in range(min(name_start, i), end_tok):
                consumed[q] = 1
            if streets:
                known_types = {s.type for s in streets}
                agrees = stype in known_types or (tok == "пр" and bool(known_types & {"проспект", "проезд"}))
                street_type = stype if not (tok == "пр" and known_types & {"проспект", "проезд"}) else sorted(known_types & {"проспект", "проезд"})[0]
                street_name = streets[0].name
            else:
                agrees, street_type = False, stype
                street_name = text[spans[name_start].start() : spans[name_end - 1].end()]
            address = f"{STREET_ABBR.get(street_type, street_type)} {street_name}" + (f", д. {house}" if house else "")
            snippet = text[spans[min(name_start, i)].start() : spans[end_tok - 1].end()]
            found.streets.append((address, streets, snippet, agrees))

        # 2. Names.
        index = self._index
        prefixes = self._prefixes
        # Only tokens that may start a name (a comprehension is far cheaper than a Python loop).
        starts = [k for k, t in enumerate(low) if t in index or (t[:4] in prefixes and len(t) >= 5)]
        skip_until = 0
        for i in starts:
            tok = low[i]
            if i < skip_until or consumed[i]:
                continue
            patterns = index.get(tok)
            lemma_cls = None
            if patterns is None:
                if not tok[0].isdigit():
                    hits: list[Pattern] = []
                    cls_min = COMMON
                    for lemma, cls in lemmas(tok):
                        for pat in self._lemma_index.get(lemma, ()):
                            hits.append(pat)
                            cls_min = min(cls_min, cls)
                    if not hits:
                        continue
                    patterns, lemma_cls = hits, cls_min
                else:
                    continue
            best: tuple[Pattern, int, int] | None = None  # (pattern, end token, class)
            for pat in patterns:
                cls = lemma_cls if lemma_cls is not None else pat.positions[0].get(tok, COMMON)
                k = i + 1
                ok = True
                classes = [cls]
                for pos in pat.positions[1:]:
                    while k < n and low[k] in FILLERS and pat.kind != "name":
                        k += 1
                    if k < n and low[k] in pos and not consumed[k]:
                        c = pos[low[k]]
                        if pat.kind == "name" and c == COMMON and capital(k):
                            c = STRONG  # «Полотняный Завод»: a capitalised second word makes a name
                        classes.append(c)
                        k += 1
                    else:
                        ok = False
                        break
                if not ok:
                    continue
                phrase_cls = min(classes)
                if best is None or k > best[1] or (k == best[1] and phrase_cls < best[2]):
                    best = (pat, k, phrase_cls)
            if best is None:
                continue
            pat, end, cls = best
            # context before the name
            prev = low[i - 1] if i > 0 else ""
            marker = ""
            start_tok = i
            if prev in MARKERS and (prev not in DOT_REQUIRED or dot_after(i - 1) or self._bare_marker(low, i, capital(i))):
                marker = MARKERS[prev]
                start_tok = i - 1
            prep = ""
            p_i = start_tok - 1
            if p_i >= 0 and low[p_i] in PREPOSITIONS:
                prep = low[p_i]
                start_tok = p_i
            elif p_i >= 0 and low[p_i] in RESIDENTS:  # «жители Жукова»: a place, not a person
                prep = low[p_i]
                start_tok = p_i
            snippet_start, snippet_end = spans[start_tok].start(), spans[end - 1].end()
            surface = text[spans[i].start() : spans[end - 1].end()]
            if prev in PERSON_CONTEXT or prev in RIVER:
                if pat.kind == "name":
                    found.ignored.append(f"ignored «{text[spans[i - 1].start() : spans[end - 1].end()]}»: a person's or river's name, not a place")
                    consumed[i:end] = b"\x01" * (end - i)  # tokens before `end` are never looked at again
                    skip_until = end
                    continue
            if pat.kind == "foreign":
                found.foreign.append(surface)
                skip_until = end
                continue
            if pat.kind == "name":
                if cls == COMMON and not marker:
                    found.ignored.append(f"ignored «{surface}»: a common word, no settlement marker")
                    skip_until = end
                    continue
                if cls == PERSON and not (marker or prep):
                    found.surnames += 1
                    found.ignored.append(f"ignored «{surface}»: also a surname, no preposition or settlement marker")
                    skip_until = end
                    continue
            weight = 1.0 + (0.5 if marker else 0.0)
            if prep in DIRECTION:
                weight -= 0.25
            elif prep in ("в", "во"):
                # «в Калуге», «в Людиново» are where; «в Козельск», «в Калугу» are where to.
                nom = pat.nominative
                to = tok.endswith(("у", "ю")) or (tok == nom and not nom.endswith(("о", "е")))
                weight += -0.25 if to else 0.25
            codes = pat.codes
            if marker and len(codes) > 1:  # «с. Горенское» vs «д. Горенское»
                narrowed = tuple(c for c in codes if self.territories[c].type_hint.startswith(marker[:3]))
                codes = narrowed or codes
            found.mentions.append(Mention(codes, snippet_start, snippet_end, weight, pat.kind, marker, source))
            skip_until = end
        return found

    # ---- what a NER span could name ----------------------------------------------------

    def fuzzy_codes(self, phrase: str) -> list[str]:
        """Territories a natasha LOC span names. NER settles whether a surname-like name is a
        place («Жуков», «Бабынино» without a preposition), but not a common word («Заречье»):
        those still need a settlement marker. A single word may also be an unforeseen case form:
        the name without its final vowel plus a noun ending («Бабынину»)."""
        return self.codes_of_tokens(self.tokens(phrase)[0])

    def codes_of_tokens(self, low: Sequence[str]) -> list[str]:
        """`fuzzy_codes` for a phrase already split into folded tokens."""
        if not low:
            return []
        for pat in self._index.get(low[0], ()):
            if pat.kind == "foreign" or len(pat.positions) != len(low):
                continue
            if all(low[k] in pat.positions[k] for k in range(len(low))):
                if pat.kind == "name" and min(pat.positions[k][low[k]] for k in range(len(low))) == COMMON:
                    continue
                return list(pat.codes)
        if len(low) == 1 and len(low[0]) >= 5:
            word = low[0]
            for lemma, pats in self._lemma_index.items():
                stem = lemma[:-1] if lemma[-1] in "аеиоуыэюяь" else lemma
                if len(stem) >= 4 and word.startswith(stem) and word[len(stem) :] in NOUN_ENDINGS:
                    codes = [c for p in pats if min(p.positions[0].values()) != COMMON for c in p.codes]
                    if codes:
                        return codes
        return []

    def ner_may_add(self, found: Found) -> bool:
        """Whether a natasha LOC span in the scanned string could give a territory at all.

        Its answer goes through `fuzzy_codes`, which accepts only a known name (not in a
        common-word reading) or an unforeseen case form of a one-word name. So unless some run of
        tokens outside streets and person names passes that test, NER (≈ 10 ms a text) cannot
        add anything. On St Petersburg texts the address cues alone sent one text in ten to NER,
        and none of those got a territory of the configured region."""
        low, not_place = found.tokens, found.not_place
        index, prefixes = self._index, self._prefixes
        for i, tok in enumerate(low):
            if not_place[i]:
                continue
            if tok in index:
                lengths = {len(p.positions) for p in index[tok] if p.kind != "foreign"}
            elif len(tok) >= 5 and tok[:4] in prefixes:
                lengths = {1}
            else:
                continue
            for n in lengths:
                if i + n <= len(low) and not any(not_place[i : i + n]) and self.codes_of_tokens(low[i : i + n]):
                    return True
        return False

