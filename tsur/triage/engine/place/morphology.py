"""Morphology of place names (pymorphy3, loaded once per process): every case form of a name, and
how demanding each form is (a place reading, a surname, or an everyday word)."""

from __future__ import annotations

import re
from functools import lru_cache

from tsur.lib.morph import analyzer
from tsur.triage.engine.place.words import COMMON, PERSON, STRONG, fold

_CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
_PERSON_TAGS = frozenset({"Surn", "Name", "Patr"})


def _morph():
    return analyzer()


@lru_cache(maxsize=200_000)
def lemmas(form: str) -> tuple[tuple[str, int], ...]:
    """Normal forms of a (folded) word with how demanding each reading is; cached."""
    m = _morph()
    # An out-of-dictionary word whose guessed lemma is a place name is that place («Малоярославеце»).
    unknown = not m.word_is_known(form)
    out: dict[str, int] = {}
    for p in m.parse(form):
        lemma = fold(p.normal_form)
        cls = STRONG if unknown or "Geox" in p.tag else PERSON if _PERSON_TAGS & p.tag.grammemes else COMMON
        out[lemma] = min(out.get(lemma, COMMON), cls)
    return tuple(out.items())


@lru_cache(maxsize=20_000)
def form_class(form: str) -> int:
    """STRONG for a form that reads best as a place (or is not in the dictionary), PERSON when a
    surname / first-name reading is likelier, COMMON when an ordinary word is. Each kind is
    scored by its likeliest reading, so a word with many case readings does not win by number."""
    m = _morph()
    if "-" in form:  # the most distinctive part decides: «Спас-Деменск», «Никола-Ленивец»
        return min((form_class(part) for part in form.split("-") if part), default=STRONG)
    if not m.word_is_known(form):
        return STRONG
    g = p = c = 0.0
    adjective = False
    for parse in m.parse(form):
        if "Geox" in parse.tag:
            g = max(g, parse.score)
        elif _PERSON_TAGS & parse.tag.grammemes:
            p = max(p, parse.score)
        else:
            c = max(c, parse.score)
            adjective = adjective or parse.tag.POS in ("ADJF", "PRTF")
    # A tie goes to the place («Калуга» is also a fish), unless the other reading is an
    # adjective («Мирный», «Марьино»): adjectives are everyday words.
    if g > max(p, c) or (g and g >= max(p, c) and not adjective):
        return STRONG
    return COMMON if c >= p else PERSON


def _rule_forms(word: str, *, adjective: bool = False) -> set[str]:
    """Case forms by ending, for names pymorphy3 does not know or reads as something else."""
    w = word
    forms = {w}
    if adjective or re.search(r"(?:[ыио]й|[ая]я|[ое]е|ие|ые)$", w) and len(w) > 4:
        stem, end = w[:-2], w[-2:]
        soft = end in ("ий", "яя", "ее") and not re.search(r"[кгхжшчщ]$", stem)
        sib = bool(re.search(r"[жшчщ]$", stem))
        if end in ("ий", "ый", "ой"):
            forms |= {stem + s for s in (("его", "ему", "им", "ем") if soft else ("ого", "ому", "им" if end == "ий" else "ым", "ом"))}
            if sib:
                forms |= {stem + s for s in ("его", "ему", "ем")}
        elif end in ("ая", "яя"):
            forms |= {stem + s for s in (("ей", "юю", "ею") if soft else ("ой", "ую", "ою"))}
            if sib:
                forms |= {stem + s for s in ("ей", "ею")}
        elif end in ("ое", "ее"):
            forms |= {stem + s for s in (("его", "ему", "им", "ем") if soft else ("ого", "ому", "ым", "им", "ом"))}
        elif end in ("ие", "ые"):
            forms |= {stem + s for s in ("их", "им", "ими", "ых", "ым", "ыми")}
        return forms
    if w.endswith(("о", "е")) and len(w) > 3:  # Людиново: indeclinable in the official style, declined in speech
        stem = w[:-1]
        forms |= {stem + s for s in ("а", "у", "ом", "е")}
    elif w.endswith("а"):
        stem = w[:-1]
        hard = "и" if re.search(r"[кгхжшчщ]$", stem) else "ы"
        forms |= {stem + s for s in (hard, "е", "у", "ой", "ою")}
    elif w.endswith("я"):
        stem = w[:-1]
        forms |= {stem + s for s in ("и", "е", "ю", "ей")}
    elif w.endswith(("и", "ы")):  # plural names: Сухиничи, Износки, Крутицы
        stem = w[:-1]
        forms |= {stem + s for s in ("ей", "ам", "ами", "ах", "ов")}
        if stem.endswith(("ч", "ц", "ж", "ш", "щ")):  # «из Сухинич», «до Крутиц»
            forms.add(stem)
        elif stem.endswith("к") and len(stem) > 3:  # «из Износок», «Кременок»
            forms.add(stem[:-1] + "ок")
    elif w.endswith("ь"):
        stem = w[:-1]
        forms |= {stem + s for s in ("и", "ью", "я", "ю", "ем", "е")}
    elif w.endswith("ец") and len(w) > 4:  # Малоярославец -> Малоярославца
        stem = w[:-2] + "ц"
        forms |= {stem + s for s in ("а", "у", "ем", "е")}
    elif w.endswith("ок") and len(w) > 4:  # Городок -> Городка
        stem = w[:-2] + "к"
        forms |= {stem + s for s in ("а", "у", "ом", "е")}
    elif re.search(r"[бвгдзклмнпрстфхжшщч]$", w):
        forms |= {w + s for s in ("а", "у", "ом", "е", "ем")}
    return forms


@lru_cache(maxsize=4096)
def word_forms_cached(word: str, adjective: bool) -> frozenset[str]:
    return frozenset(word_forms(word, adjective=adjective))


def word_forms(word: str, *, adjective: bool = False) -> set[str]:
    """Every case form of a word given in the nominative (folded): pymorphy3's inflection of its
    nominative readings (gender and number kept) plus the ending rules."""
    word = fold(word)
    if "-" in word:  # Спас-Деменск: the last part declines; Никола-Ленивец: both do
        parts = word.split("-")
        heads = word_forms(parts[0]) if len(parts) == 2 and not parts[0].endswith("о") else {parts[0]}
        tails = word_forms(parts[-1], adjective=adjective)
        middle = "-".join(parts[1:-1])
        return {"-".join(x for x in (h, middle, t) if x) for h in heads for t in tails}
    forms = _rule_forms(word, adjective=adjective)
    for p in _nominative_parses(word):
        if adjective and p.tag.POS not in ("ADJF", "PRTF"):
            continue
        # One lexeme per reading (cheaper than six inflections); keep its number and gender.
        number, gender, pos = p.tag.number, p.tag.gender, p.tag.POS
        for f in p.lexeme:
            tag = f.tag
            if tag.POS == pos and tag.number == number and (gender is None or tag.gender == gender) and tag.case in _CASES:
                forms.add(fold(f.word))
    return forms


@lru_cache(maxsize=4096)
def _nominative_parses(word: str) -> tuple:
    return tuple(p for p in _morph().parse(word) if p.tag.case == "nomn" and fold(p.word) == word)


def is_nominative(word: str) -> bool:
    return bool(_nominative_parses(fold(word)))


