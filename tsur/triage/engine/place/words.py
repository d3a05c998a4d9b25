"""The words place extraction reads: settlement markers, street types, prepositions, the token
pattern and the address cues: Russian, the same for every region. Pure data, no logic beyond `fold`
and `_by_word`, which turns a table of word forms around."""

from __future__ import annotations

import re

# How demanding a form is: a strong form matches on its own, a surname-like one needs a
# preposition or a settlement marker, a common word needs a settlement marker.
STRONG, PERSON, COMMON = 0, 1, 2

# Tokens: numbers (with an ordinal or letter suffix, or a building fraction) and words (with
# inner hyphens: «Спас-Деменск», «пр-т», «р-н»).
TOKEN = re.compile(r"\d+(?:-?[а-яёa-z]{1,3}\b)?(?:/\d+[а-яё]?)?|[а-яёa-z]+(?:-[а-яёa-z]+)*", re.IGNORECASE)
HAS_ORDINAL = re.compile(r"\d-?[йяе]")
ORDINAL = re.compile(r"^(\d+)-?(?:й|я|е|ий|ый|ой|ая|ое|го|ого|му|ому|м|ом|ю|ую|ей|х|ых)$")
PAREN = re.compile(r"\s*\(([^)]*)\)\s*")


def _by_word(forms: dict[str, str]) -> dict[str, str]:
    """{kind: "its word forms, space-separated"} -> {word form: kind}."""
    return {word: kind for kind, words in forms.items() for word in words.split()}


# Settlement markers: token -> settlement type. Single letters count only with a dot after them.
MARKERS = _by_word({
    "город": "г гор город города городе городу городом",
    "посёлок": "п пос поселок поселка поселке поселку поселком пгт рп кп",
    "село": "с село села селе селу селом",
    "деревня": "д дер деревня деревни деревне деревню деревней",
    "станция": "ст станция станции станцию",
    "хутор": "х хутор хутора хуторе",
    "населённый пункт": "нп",
})
DOT_REQUIRED = frozenset({"г", "п", "с", "д", "ст", "х"})
PREPOSITIONS = frozenset({"в", "во", "из", "под", "около", "возле", "близ", "до", "через", "от", "на", "к"})
# Prepositions of a trip's ends («из Калуги», «до Калуги», «на Калугу»): the place is named,
# but it is less likely the place the appeal is about.
RESIDENTS = frozenset({"житель", "жители", "жителей", "жителям", "жителями", "жительница", "жительницы", "жительнице"})
DIRECTION = frozenset({"из", "от", "до", "через", "на", "к"})
# Words after which a capitalised name is a person, not a place («им. Кирова», «маршала Жукова»).
PERSON_CONTEXT = frozenset({"им", "имени", "маршала", "генерала", "академика", "космонавта", "героя", "памятник", "памятника"})
RIVER = frozenset({"река", "реки", "реке", "реку", "рекой", "р"})

# Street types: token -> full type. «пр» is both проспект and проезд in Russian usage.
STREET_TYPES = _by_word({
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
})
STREET_DOT_REQUIRED = frozenset({"ш"})
STREET_OR_IM = frozenset(STREET_TYPES) | {"им", "имени"}
STREET_ABBR = {
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
NOUN_ENDINGS = frozenset({"", "а", "у", "е", "ом", "ой", "ою", "ы", "и", "ах", "ам", "ами", "о", "ею", "ью", "ю", "я", "ем", "ей"})
HOUSE_WORDS = frozenset({"д", "дом", "дома", "доме", "домом"})
BUILDING_WORDS = {"корп": "корп.", "корпус": "корп.", "к": "корп.", "стр": "стр.", "строение": "стр."}

# Nouns that follow a district / okrug / region adjective, and the words allowed between them.
DISTRICT_NOUNS = frozenset("район района району районом районе р-н р-на р-ну р-ном р-не рн мр".split())
OKRUG_NOUNS = frozenset("округ округа округу округом округе окр".split())
REGION_NOUNS = frozenset("область области областью обл регион региона региону регионе регионом".split())
FILLERS = frozenset(
    "муниципальный муниципального муниципальному муниципальным муниципальном муниципальная муниципальной "
    "административный административного административному административным административном".split()
)

# Places outside the configured region (its neighbours, the capitals) are not here: they are
# configuration (`PlaceConfig.outside`), since every region has its own neighbours.

# The text looks like it gives an address (worth natasha's time when the gazetteer found nothing).
ADDRESS_CUES = re.compile(
    r"\b(?:ул|улиц\w*|пр-т|проспект\w*|пер|переул\w*|проезд\w*|площад\w*|шоссе|д|дом\w*|деревн\w*|дер|сел[оаеу]|пос|поселк\w*|"
    r"посёлк\w*|район\w*|р-н\w*|г|город\w*)\b\.?\s*[«\"]?[А-ЯЁ0-9]"
)


def fold(word: str) -> str:
    return word.lower().replace("ё", "е")


