"""Where an appeal is about: a territory of the configured region from coordinates, an address
and the text. Pure Python (no Django).

`Gazetteer` is built once from the territory rows (code, name, level, parent, lat, lon, boundary)
and the street list (name, type, territory), either from the demo JSON files or from rows the
Django side passes. Construction precomputes every inflected form of every name with pymorphy3,
so `locate` only tokenises the text and looks tokens up in dictionaries (thousands of texts a
second); pymorphy3 is called at run time only for a rare unseen form that shares a prefix with
a name (cached). natasha's NER is a lazy, optional fallback for texts where the gazetteer found
nothing but which look like they contain an address.

How a place is chosen (`Gazetteer.locate`):

1. Coordinates: the deepest territory whose boundary contains the point ("polygon: <name>"); a
   point outside every boundary but within `near_km` of a settlement with coordinates gives that
   settlement ("nearest settlement <name>, 3.2 km"). A settlement named in the text that lies
   inside the point's territory refines it.
2. Text (and the `address` argument, which weighs more): names of the region, districts, okrugs
   and settlements in any grammatical case («в Калуге», «Людиновском районе», «г. Обнинск»,
   «п. Воротынск», «Полотняный Завод»). A name that is also a common word («Новый», «Белая»,
   «Мир») needs a settlement marker (г., п., с., д., посёлок…); one that is also a surname
   («Жуков», «Кирова») needs a marker or a preposition («в Жукове»). Names inside a street
   («ул. Кирова») or after «им.» never count as settlements.
3. Streets: «ул. Ленина, д. 15», «улица Кирова 12», «пр-т Ленина», «Московская улица»… give
   the normalised `address`; a street from the street list implies its territory (the city of
   Kaluga) when the text names no other place and no other region or city («Москва», «СПб»).
4. Several places: the most specific wins when they nest (a settlement in the district that is
   also named); otherwise the one clearly mentioned more strongly, or else their common parent,
   with the ambiguity spelled out in `evidence`.
"""

from __future__ import annotations

import json
import re
import statistics
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from tsur.lib import geo
from tsur.lib.morph import analyzer

DATA_DIR = Path(__file__).resolve().parents[2] / "demo" / "data"
DEFAULT_TERRITORIES = DATA_DIR / "territories.json"
DEFAULT_STREETS = DATA_DIR / "streets.json"

# How demanding a form is: a strong form matches on its own, a surname-like one needs a
# preposition or a settlement marker, a common word needs a settlement marker.
STRONG, PERSON, COMMON = 0, 1, 2

_CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
_PERSON_TAGS = frozenset({"Surn", "Name", "Patr"})

# Tokens: numbers (with an ordinal or letter suffix, or a building fraction) and words (with
# inner hyphens: «Спас-Деменск», «пр-т», «р-н»).
_TOKEN = re.compile(r"\d+(?:-?[а-яёa-z]{1,3}\b)?(?:/\d+[а-яё]?)?|[а-яёa-z]+(?:-[а-яёa-z]+)*", re.IGNORECASE)
_HAS_ORDINAL = re.compile(r"\d-?[йяе]")
_ORDINAL = re.compile(r"^(\d+)-?(?:й|я|е|ий|ый|ой|ая|ое|го|ого|му|ому|м|ом|ю|ую|ей|х|ых)$")
_PAREN = re.compile(r"\s*\(([^)]*)\)\s*")

# Settlement markers: token -> settlement type. Single letters count only with a dot after them.
_MARKERS: dict[str, str] = {}
for _kind, _words in {
    "город": "г гор город города городе городу городом",
    "посёлок": "п пос поселок поселка поселке поселку поселком пгт рп кп",
    "село": "с село села селе селу селом",
    "деревня": "д дер деревня деревни деревне деревню деревней",
    "станция": "ст станция станции станцию",
    "хутор": "х хутор хутора хуторе",
    "населённый пункт": "нп",
}.items():
    for _w in _words.split():
        _MARKERS[_w] = _kind
_DOT_REQUIRED = frozenset({"г", "п", "с", "д", "ст", "х"})
_PREPOSITIONS = frozenset({"в", "во", "из", "под", "около", "возле", "близ", "до", "через", "от", "на", "к"})
# Prepositions of a trip's ends («из Калуги», «до Калуги», «на Калугу»): the place is named,
# but it is less likely the place the appeal is about.
_RESIDENTS = frozenset({"житель", "жители", "жителей", "жителям", "жителями", "жительница", "жительницы", "жительнице"})
_DIRECTION = frozenset({"из", "от", "до", "через", "на", "к"})
# Words after which a capitalised name is a person, not a place («им. Кирова», «маршала Жукова»).
_PERSON_CONTEXT = frozenset({"им", "имени", "маршала", "генерала", "академика", "космонавта", "героя", "памятник", "памятника"})
_RIVER = frozenset({"река", "реки", "реке", "реку", "рекой", "р"})

# Street types: token -> full type. «пр» is both проспект and проезд in Russian usage.
_STREET_TYPES: dict[str, str] = {}
for _kind, _words in {
    "улица": "ул улица улицы улице улицу улицей",
    "проспект": "пр-т пр-кт просп проспект проспекта проспекте проспекту проспектом пр",
    "переулок": "пер переулок переулка переулке переулку переулком",
    "проезд": "пр-д проезд проезда проезде проезду проездом",
    "площадь": "пл площадь площади площадью",
    "бульвар": "б-р бул бульвар бульвара бульваре бульвару",
    "шоссе": "ш шоссе",
    "тупик": "туп тупик тупика тупике",
    "набережная": "наб набережная набережной набережную",
    "микрорайон": "мкр мкрн микрорайон микрорайона микрорайоне",
}.items():
    for _w in _words.split():
        _STREET_TYPES[_w] = _kind
_STREET_DOT_REQUIRED = frozenset({"ш"})
_STREET_OR_IM = frozenset(_STREET_TYPES) | {"им", "имени"}
_STREET_ABBR = {
    "улица": "ул.",
    "проспект": "пр-т",
    "переулок": "пер.",
    "проезд": "пр-д",
    "площадь": "пл.",
    "бульвар": "б-р",
    "шоссе": "ш.",
    "тупик": "туп.",
    "набережная": "наб.",
    "микрорайон": "мкр",
    "посёлок": "п.",
}
_NOUN_ENDINGS = frozenset({"", "а", "у", "е", "ом", "ой", "ою", "ы", "и", "ах", "ам", "ами", "о", "ею", "ью", "ю", "я", "ем", "ей"})
_HOUSE_WORDS = frozenset({"д", "дом", "дома", "доме", "домом"})
_BUILDING_WORDS = {"корп": "корп.", "корпус": "корп.", "к": "корп.", "стр": "стр.", "строение": "стр."}

# Nouns that follow a district / okrug / region adjective, and the words allowed between them.
_DISTRICT_NOUNS = frozenset("район района району районом районе р-н р-на р-ну р-ном р-не рн мр".split())
_OKRUG_NOUNS = frozenset("округ округа округу округом округе окр".split())
_REGION_NOUNS = frozenset("область области областью обл регион региона региону регионе регионом".split())
_FILLERS = frozenset(
    "муниципальный муниципального муниципальному муниципальным муниципальном муниципальная муниципальной "
    "административный административного административному административным административном".split()
)

# Other regions and big cities: naming one of them stops a bare street name from implying the
# configured city («ул. Ленина» in Moscow is not Kaluga's).
_FOREIGN_CITIES = (
    "Москва",
    "Санкт-Петербург",
    "Петербург",
    "Питер",
    "Ленинград",
    "Тула",
    "Брянск",
    "Смоленск",
    "Курск",
    "Рязань",
    "Воронеж",
    "Липецк",
)
_FOREIGN_TOKENS = frozenset({"спб", "мск"})
_FOREIGN_REGIONS = ("Московская", "Ленинградская", "Тульская", "Брянская", "Смоленская", "Орловская", "Курская")

# The text looks like it gives an address (worth natasha's time when the gazetteer found nothing).
_ADDRESS_CUES = re.compile(
    r"\b(?:ул|улиц\w*|пр-т|проспект\w*|пер|переул\w*|проезд\w*|площад\w*|шоссе|д|дом\w*|деревн\w*|дер|сел[оаеу]|пос|поселк\w*|"
    r"посёлк\w*|район\w*|р-н\w*|г|город\w*)\b\.?\s*[«\"]?[А-ЯЁ0-9]"
)


def _fold(word: str) -> str:
    return word.lower().replace("ё", "е")


# --------------------------------------------------------------------------------------------
# Morphology (pymorphy3, loaded once per process)
# --------------------------------------------------------------------------------------------


def _morph():
    return analyzer()


@lru_cache(maxsize=200_000)
def _lemmas(form: str) -> tuple[tuple[str, int], ...]:
    """Normal forms of a (folded) word with how demanding each reading is; cached."""
    m = _morph()
    # An out-of-dictionary word whose guessed lemma is a place name is that place («Малоярославеце»).
    unknown = not m.word_is_known(form)
    out: dict[str, int] = {}
    for p in m.parse(form):
        lemma = _fold(p.normal_form)
        cls = STRONG if unknown or "Geox" in p.tag else PERSON if _PERSON_TAGS & p.tag.grammemes else COMMON
        out[lemma] = min(out.get(lemma, COMMON), cls)
    return tuple(out.items())


@lru_cache(maxsize=20_000)
def _form_class(form: str) -> int:
    """STRONG for a form that reads best as a place (or is not in the dictionary), PERSON when a
    surname / first-name reading is likelier, COMMON when an ordinary word is. Each kind is
    scored by its likeliest reading, so a word with many case readings does not win by number."""
    m = _morph()
    if "-" in form:  # the most distinctive part decides: «Спас-Деменск», «Никола-Ленивец»
        return min((_form_class(part) for part in form.split("-") if part), default=STRONG)
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
def _word_forms_cached(word: str, adjective: bool) -> frozenset[str]:
    return frozenset(_word_forms(word, adjective=adjective))


def _word_forms(word: str, *, adjective: bool = False) -> set[str]:
    """Every case form of a word given in the nominative (folded): pymorphy3's inflection of its
    nominative readings (gender and number kept) plus the ending rules."""
    word = _fold(word)
    if "-" in word:  # Спас-Деменск: the last part declines; Никола-Ленивец: both do
        parts = word.split("-")
        heads = _word_forms(parts[0]) if len(parts) == 2 and not parts[0].endswith("о") else {parts[0]}
        tails = _word_forms(parts[-1], adjective=adjective)
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
                forms.add(_fold(f.word))
    return forms


@lru_cache(maxsize=4096)
def _nominative_parses(word: str) -> tuple:
    return tuple(p for p in _morph().parse(word) if p.tag.case == "nomn" and _fold(p.word) == word)


def _is_nominative(word: str) -> bool:
    return bool(_nominative_parses(_fold(word)))


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Territory:
    code: str
    name: str
    level: str
    parent: str | None
    lat: float | None = None
    lon: float | None = None
    boundary: dict | None = None
    depth: int = 0
    type_hint: str = ""  # «село» / «деревня» / «ж.-д. станция» from «Горенское (село)»
    bbox: tuple[float, float, float, float] | None = None


@dataclass(slots=True)
class _Pattern:
    """A name as a sequence of token positions, each a map form -> how demanding it is."""

    codes: tuple[str, ...]  # territories it names (several for homonyms); () for another region
    positions: tuple[dict[str, int], ...]
    kind: str  # "name" (city / settlement), "district", "okrug", "region", "foreign"
    label: str
    nominative: str = ""  # the first word as written in the name, folded


@dataclass(slots=True)
class _Street:
    name: str
    type: str
    territory: str
    positions: tuple[frozenset[str], ...]


@dataclass(slots=True)
class _Mention:
    codes: tuple[str, ...]
    start: int  # character offsets of the evidence snippet (marker / preposition included)
    end: int
    weight: float
    kind: str
    marker: str = ""  # settlement type of the marker, if any
    source: str = "text"


@dataclass(slots=True)
class _Found:
    """What one string (text or address) yields."""

    mentions: list[_Mention] = field(default_factory=list)
    streets: list[tuple[str, list[_Street], str, bool]] = field(default_factory=list)  # (address, known streets, snippet, type agrees)
    foreign: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    surnames: int = 0  # surname-like names left out for want of a preposition: natasha may settle them


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


# --------------------------------------------------------------------------------------------
# The gazetteer
# --------------------------------------------------------------------------------------------


class Gazetteer:
    """Territory lookup from coordinates, addresses and free text (see the module docstring).

    `rows`: dicts with `code`, `name`, `level` (region / city_district / municipal_district /
    okrug / settlement), `parent` (a code, or None; `parent_code` is accepted too), optional
    `lat`, `lon` and `boundary` (a GeoJSON Polygon / MultiPolygon, or its JSON text). A bracketed
    type in a name («Горенское (село)») is not part of the name; it helps a marker choose
    between homonyms. `streets`: dicts with `name`, `type` (улица, переулок…) and `territory`.
    `near_km`: how far from a settlement a point outside every boundary may lie.
    `use_natasha`: allow the NER fallback. `streets_imply`: let a listed street alone give its
    territory. Thread-safe for concurrent `locate` calls once built.
    """

    def __init__(
        self,
        rows: Iterable[dict[str, Any]],
        streets: Iterable[dict[str, Any]] = (),
        *,
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
            m = _PAREN.search(full)
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
            self._base_names[code] = _PAREN.sub(" ", full).strip()
        parents = {c: t.parent for c, t in self.territories.items()}
        for t in self.territories.values():
            t.depth = _depth(t.code, parents)
        # Deepest first, so the first boundary that contains a point is the answer.
        self._polygons = sorted((t for t in self.territories.values() if t.boundary), key=lambda t: -t.depth)
        self._points = [t for t in self.territories.values() if t.level == "settlement" and t.lat is not None and t.lon is not None]
        self._index: dict[str, list[_Pattern]] = {}
        self._lemma_index: dict[str, list[_Pattern]] = {}
        self._prefixes: set[str] = set()
        self._build_names()
        self._street_index: dict[str, list[_Street]] = {}
        self._street_last_index: dict[str, list[_Street]] = {}
        self.streets: list[_Street] = []
        self._build_streets(streets)
        self._natasha = None
        self._natasha_lock = threading.Lock()

    @classmethod
    def from_files(
        cls, territories_json: str | Path = DEFAULT_TERRITORIES, streets_json: str | Path | None = DEFAULT_STREETS, **kwargs: Any
    ) -> Gazetteer:
        """Load the territory list (a JSON array, or an object with a "territories" array) and the
        street list (a JSON array of {name, type, territory})."""
        data = json.loads(Path(territories_json).read_text(encoding="utf-8"))
        rows = data["territories"] if isinstance(data, dict) else data
        streets = json.loads(Path(streets_json).read_text(encoding="utf-8")) if streets_json else []
        return cls(rows, streets, **kwargs)

    # ---- construction ------------------------------------------------------------------

    def _add(self, pattern: _Pattern) -> None:
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
                key = ("name", _fold(base))
            by_name.setdefault(key, []).append(code)
        for (kind, key), codes in by_name.items():
            if kind == "name":
                self._add_name(tuple(codes), self._base_names[codes[0]])
            else:
                nouns = {"district": _DISTRICT_NOUNS, "okrug": _OKRUG_NOUNS, "region": _REGION_NOUNS}[kind]
                adjs = key.split()
                positions = [dict.fromkeys(_word_forms(a, adjective=True), STRONG) for a in adjs]
                if kind == "region" and adjs[-1].endswith("ая"):  # «Калужский регион» as well as «Калужская область»
                    positions[-1].update(dict.fromkeys(_word_forms(adjs[-1][:-2] + "ий", adjective=True), STRONG))
                positions.append(dict.fromkeys(nouns, STRONG))
                label = self.territories[codes[0]].name
                self._add(_Pattern(tuple(codes), tuple(positions), kind, label))
                if kind != "region":  # «р-н Козельский», «округ Ленинский»: nominatives only («в районе Кировского завода» is not one)
                    head = dict.fromkeys(("район", "р-н", "рн") if kind == "district" else ("округ",), STRONG)
                    self._add(_Pattern(tuple(codes), (head, *({a: STRONG} for a in adjs)), kind, label))
        for name in _FOREIGN_CITIES:
            self._add(_Pattern((), (dict.fromkeys(_word_forms(name), STRONG),), "foreign", name))
        for tok in _FOREIGN_TOKENS:
            self._add(_Pattern((), ({tok: STRONG},), "foreign", tok.upper()))
        for adj in _FOREIGN_REGIONS:
            positions = (dict.fromkeys(_word_forms(adj, adjective=True), STRONG), dict.fromkeys(_REGION_NOUNS, STRONG))
            self._add(_Pattern((), positions, "foreign", f"{adj} область"))

    def _add_name(self, codes: tuple[str, ...], base: str) -> None:
        variants = [base]
        if "-" in base:  # «Спас-Деменск» is also written «Спас Деменск»
            variants.append(base.replace("-", " "))
        for variant in variants:
            words = variant.split()
            # A form is as demanding as its own readings or its name's nominative, whichever is
            # more: «городком» has a place reading as strong as the noun's, «Городок» does not.
            positions = tuple({f: max(_form_class(f), _form_class(_fold(w))) for f in _word_forms(w)} for w in words)
            pattern = _Pattern(codes, positions, "name", self.territories[codes[0]].name, _fold(words[0]))
            self._add(pattern)
            if len(words) == 1:  # one-word names are also found by the lemma of an unforeseen form
                lemma = _fold(words[0])
                self._lemma_index.setdefault(lemma, []).append(pattern)
                self._prefixes.add(lemma[:4])

    def _build_streets(self, streets: Iterable[dict[str, Any]]) -> None:
        for row in streets:
            name = _PAREN.sub(" ", row["name"]).strip()
            positions: list[frozenset[str]] = []
            for raw in _TOKEN.findall(name):
                tok = _fold(raw)
                m = _ORDINAL.match(tok)
                if m:
                    positions.append(frozenset({"#" + m.group(1)}))
                elif tok.isdigit():
                    positions.append(frozenset({tok}))
                else:
                    forms = _word_forms_cached(tok, False) if _is_nominative(tok) else {tok}
                    positions.append(frozenset(forms))
            if not positions:
                continue
            street = _Street(name, row.get("type", "улица"), row.get("territory", ""), tuple(positions))
            self.streets.append(street)
            for form in positions[0]:
                self._street_index.setdefault(form, []).append(street)
            for form in positions[-1]:
                self._street_last_index.setdefault(form, []).append(street)

    # ---- text scanning -----------------------------------------------------------------

    @staticmethod
    def _tokens(text: str) -> tuple[list[str], list[re.Match]]:
        """Folded tokens and their match objects (offsets into `text`). Ordinals («1-я») become
        "#1"."""
        folded = text.lower()
        if len(folded) != len(text):  # a character whose lower case is longer: fold per token
            matches = list(_TOKEN.finditer(text))
            low = [m.group().lower().replace("ё", "е") for m in matches]
        else:
            if "ё" in folded:
                folded = folded.replace("ё", "е")
            matches = list(_TOKEN.finditer(folded))
            low = [m.group() for m in matches]
        if _HAS_ORDINAL.search(folded):
            for k, tok in enumerate(low):
                if tok[0].isdigit():
                    om = _ORDINAL.match(tok)
                    if om:
                        low[k] = "#" + om.group(1)
        return low, matches

    def _match_street_forward(self, low: list[str], i: int) -> tuple[list[_Street], int]:
        """Known streets whose name starts at token i; returns (streets, index after the name)."""
        best: list[_Street] = []
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

    def _match_street_backward(self, low: list[str], end: int) -> tuple[list[_Street], int]:
        """Known streets whose name ends at token end-1 («Московская улица»)."""
        best: list[_Street] = []
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

    def _scan(self, text: str, source: str = "text") -> _Found:
        found = _Found()
        if not text:
            return found
        low, spans = self._tokens(text)
        n = len(low)
        consumed = bytearray(n)

        def dot_after(k: int) -> bool:
            e = spans[k].end()
            return text[e : e + 1] == "."

        def capital(k: int) -> bool:
            return text[spans[k].start()].isupper()

        # 1. Streets and «им. …» (tokens there are not settlements).
        street_types = _STREET_TYPES
        for i in [k for k, t in enumerate(low) if t in _STREET_OR_IM]:
            tok = low[i]
            if tok in _PERSON_CONTEXT and tok in ("им", "имени"):
                k = i + 1
                while k < n and k <= i + 3 and (capital(k) or len(low[k]) == 1):
                    consumed[k] = 1
                    k += 1
                continue
            stype = street_types.get(tok)
            if stype is None or consumed[i]:
                continue
            if tok in _STREET_DOT_REQUIRED and not dot_after(i):
                continue
            # forward: «ул. Ленина», «улица 1-я Загородная»
            j = i + 1
            streets: list[_Street] = []
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
            if k < n and low[k] in _HOUSE_WORDS and k + 1 < n and low[k + 1][0].isdigit():
                k += 1
            if k < n and low[k][0].isdigit() and not low[k].startswith("#"):
                house = text[spans[k].start() : spans[k].end()]
                k += 1
                if k + 1 < n and low[k] in _BUILDING_WORDS and low[k + 1][0].isdigit():
                    house += f", {_BUILDING_WORDS[low[k]]} {low[k + 1]}"
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
            address = f"{_STREET_ABBR.get(street_type, street_type)} {street_name}" + (f", д. {house}" if house else "")
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
                    hits: list[_Pattern] = []
                    cls_min = COMMON
                    for lemma, cls in _lemmas(tok):
                        for pat in self._lemma_index.get(lemma, ()):
                            hits.append(pat)
                            cls_min = min(cls_min, cls)
                    if not hits:
                        continue
                    patterns, lemma_cls = hits, cls_min
                else:
                    continue
            best: tuple[_Pattern, int, int] | None = None  # (pattern, end token, class)
            for pat in patterns:
                cls = lemma_cls if lemma_cls is not None else pat.positions[0].get(tok, COMMON)
                k = i + 1
                ok = True
                classes = [cls]
                for pos in pat.positions[1:]:
                    while k < n and low[k] in _FILLERS and pat.kind != "name":
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
            if prev in _MARKERS and (prev not in _DOT_REQUIRED or dot_after(i - 1) or self._bare_marker(low, i, capital(i))):
                marker = _MARKERS[prev]
                start_tok = i - 1
            prep = ""
            p_i = start_tok - 1
            if p_i >= 0 and low[p_i] in _PREPOSITIONS:
                prep = low[p_i]
                start_tok = p_i
            elif p_i >= 0 and low[p_i] in _RESIDENTS:  # «жители Жукова»: a place, not a person
                prep = low[p_i]
                start_tok = p_i
            snippet_start, snippet_end = spans[start_tok].start(), spans[end - 1].end()
            surface = text[spans[i].start() : spans[end - 1].end()]
            if prev in _PERSON_CONTEXT or prev in _RIVER:
                if pat.kind == "name":
                    found.ignored.append(f"ignored «{text[spans[i - 1].start() : spans[end - 1].end()]}»: a person's or river's name, not a place")
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
            if prep in _DIRECTION:
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
            found.mentions.append(_Mention(codes, snippet_start, snippet_end, weight, pat.kind, marker, source))
            skip_until = end
        return found

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

    def _resolve(self, found: list[tuple[str, _Found]]) -> tuple[str | None, list[str], float]:
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
        """Territories a natasha LOC span names. NER settles whether a surname-like name is a
        place («Жуков», «Бабынино» without a preposition), but not a common word («Заречье»):
        those still need a settlement marker. A single word may also be an unforeseen case form:
        the name without its final vowel plus a noun ending («Бабынину»)."""
        low, _ = self._tokens(phrase)
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
                if len(stem) >= 4 and word.startswith(stem) and word[len(stem) :] in _NOUN_ENDINGS:
                    codes = [c for p in pats if min(p.positions[0].values()) != COMMON for c in p.codes]
                    if codes:
                        return codes
        return []

    # ---- public ------------------------------------------------------------------------

    def extract_address(self, text: str) -> str:
        """The first street address in `text` («ул. Ленина, д. 15»), or ""."""
        found = self._scan(text or "")
        return found.streets[0][0] if found.streets else ""

    def locate(self, text: str | None, *, lat: float | None = None, lon: float | None = None, address: str | None = None) -> dict[str, Any] | None:
        """The territory an appeal is about, or None. Returns {code, name, level, evidence,
        address, confidence}; `evidence` names everything that was used."""
        text = text or ""
        scanned: list[tuple[str, _Found]] = []
        if address:
            scanned.append((address, self._scan(address, source="address")))
        scanned.append((text, self._scan(text, source="text")))
        if lat is None and all(not (f.mentions or f.streets or f.surnames) for _, f in scanned):
            # Nothing in the text (the common case): only natasha could still find something.
            if self.use_natasha and text and _ADDRESS_CUES.search(text):
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
        if code is None and self.use_natasha and not natasha_done and text and _ADDRESS_CUES.search(text):
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
# Defaults and benchmark
# --------------------------------------------------------------------------------------------

_DEFAULT: Gazetteer | None = None
_DEFAULT_LOCK = threading.Lock()


def default_gazetteer() -> Gazetteer:
    """The gazetteer of the shipped demo configuration (tsur/demo/data), built once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                _DEFAULT = Gazetteer.from_files(DEFAULT_TERRITORIES, DEFAULT_STREETS)
    return _DEFAULT


def bench_place(texts: Sequence[str], *, gazetteer: Gazetteer | None = None, runs: int = 5) -> dict[str, Any]:
    """Speed of `locate` over `texts`: the gazetteer path alone (natasha off) and with the natasha
    fallback, median of `runs` runs each, plus the construction time and how many texts got a
    place. Counts only: no text is returned."""
    t0 = time.perf_counter()
    fresh = Gazetteer.from_files(DEFAULT_TERRITORIES, DEFAULT_STREETS) if gazetteer is None else None
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
