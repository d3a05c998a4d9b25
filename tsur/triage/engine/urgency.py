"""Is an appeal urgent? Compiled rules over the folded text. Pure Python (no Django).

`assess(text, block=None, category=None, when=None)` returns ("high", short Russian reason) for:

* no heating in the cold season (October to April), or in any season when the text also names
  children, old, ill or disabled people;
* no water, no electricity (not a dark stairwell: that is lighting), no gas;
* danger to life: an open manhole, fallen or bare wires, icicles and snow falling from roofs,
  falling trees, a smell of gas, a collapse, fire or smoke;
* children at risk;
* sewage flooding;
* snow or ice blocking a road in winter (November to March);

and ("normal", "") otherwise. A trigger does not count when it is negated right before it («не
пахнет газом»), when its sentence (or the next one, unless that one is about another supply)
says it was resolved («вчера не было воды, сейчас дали»), or when the text says the whole
problem is solved. Rules are ordered: the first one that fires gives the reason.

`block` is a hint: in the `energy` block «нет света» is an outage even in a stairwell.
`category` is accepted for the contract but not used: the text decides (a category's default
urgency is the routing configuration's business). `when` (date, datetime or ISO string;
default: today) sets the season.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

HIGH, NORMAL = "high", "normal"

_HEATING_MONTHS = frozenset({10, 11, 12, 1, 2, 3, 4})
_WINTER_MONTHS = frozenset({11, 12, 1, 2, 3})

_W = r"[а-яa-z0-9-]"  # a word character of the folded text


def _fold(text: str) -> str:
    return text.lower().replace("ё", "е")


# ---- rule patterns (on folded text) ---------------------------------------------------------

_HEATING = (
    r"\bнет\s+(?:нормального\s+|никакого\s+)?(?:отоплени|тепла\b)"
    r"|\bотоплени[ея]\s+(?:нет|не\s+было|отсутству|отключ|не\s+работает|не\s+включ|не\s+дали)"
    r"|\b(?:отключили|отключено|не\s+включили|не\s+дали|не\s+дают)\s+(?:\w+\s+)?(?:отоплени|тепло\b)"
    r"|\b(?:когда|до\s+сих\s+пор\s+не)\s+(?:включат|дадут|подключат)\s+(?:\w+\s+)?(?:отоплени|тепло\b)"
    r"|\bне\s+было\s+отоплени"
    r"|\bбез\s+отоплени"
    r"|\b(?:холодные|ледяные|чуть\s+теплые|еле\s+теплые)\s+батаре"
    r"|\bбатаре\w*\s+(?:\w+\s+)?(?:холодные|ледяные|чуть\s+теплые|еле\s+теплые|не\s+греют|не\s+работают)"
    r"|\bне\s+топят\b"
    r"|\b(?:в\s+квартире|в\s+комнатах?|дома|в\s+доме|в\s+школе|в\s+(?:детском\s+)?саду|в\s+группе)\s+(?:очень\s+|невыносимо\s+|жутко\s+)?холодно"
    r"|\bтемпература\s+(?:в\s+квартире|в\s+комнате|в\s+помещении)\s+(?:\w+\s+)?\+?1?\d\b"
    r"|\bм[её]рзнем\b|\bзамерзаем\b"
)
_WATER = (
    r"\bнет\s+(?:холодной\s+|горячей\s+|питьевой\s+)?воды\b"
    r"|\bводы\s+(?:нет|не\s+было|не\s+бывает)\b"
    r"|\bне\s+было\s+(?:холодной\s+|горячей\s+)?воды\b"
    r"|\b(?:без|отсутствует|отсутствие)\s+(?:холодной\s+|горячей\s+|питьевой\s+)?вод[ыа]\b"
    r"|\bотключили\s+(?:холодную\s+|горячую\s+)?воду\b|\bводу\s+отключили\b"
    r"|\bвода\s+не\s+(?:идет|поступает|течет|бежит)\b"
)
_ELECTRICITY = (
    r"\bнет\s+(?:электричества|электроэнергии|электроснабжения|света)\b"
    r"|\b(?:электричества|электроэнергии|света)\s+(?:нет|не\s+было)\b"
    r"|\bне\s+было\s+(?:электричества|света)\b"
    r"|\bотключили\s+(?:электричество|электроэнергию|свет)\b|\b(?:электричество|свет)\s+отключили\b"
    r"|\bбез\s+(?:света|электричества|электроэнергии)\b"
    r"|\bобесточ\w*"
)
# «нет света» in a stairwell or a street is lighting, not an outage.
_LIGHTING_PLACE = re.compile(r"подъезд|парадн|лестни|этаж|площадк|тамбур|лифт|фонар|освещ|лампоч|коридор|холл|двор|улиц|подвал|чердак|на\s+входе")
_COMMON_AREA = re.compile(r"подъезд|парадн|лестни|тамбур|холл|подвал|чердак|на\s+площадке|коридор|лифтов")
_FLAT = re.compile(r"квартир|комнат|жиль|дома\b|в\s+доме\b|спальн|кухн")
_OUTAGE_PLACE = re.compile(r"квартир|во\s+всем\s+доме|весь\s+дом|в\s+доме\b|в\s+домах|деревн|поселк|\bсел[еоау]\b|микрорайон|частн\w+\s+сектор|авари")
_HYPOTHETICAL = re.compile(
    r"(?:случае|при|угроз\w*|риск\w*|опасност\w*|безопасност\w*|предотвращ\w*|избежани\w*|возможн\w*|"
    r"может\s+(?:произойти|возникнуть|случиться)|пожароопасн\w*|профилактик\w*|причиной|"
    # past fires and their traces: the appeal is about the aftermath
    r"после|следы|следов|последстви\w*|если|случи\w*|был\w*|произош\w*|знак\w*|табло|систем\w*|оповещ\w*|будет|наличи\w*|к|о)"
    r"\W+(?:\w+\W+){0,2}$"
)
_GAS = (
    r"\bнет\s+газа\b|\bгаза\s+(?:нет|не\s+было)\b|\bне\s+было\s+газа\b"
    r"|\bотключили\s+газ\b|\bгаз\s+отключили\b|\bбез\s+газа\b"
    r"|\bгаз\s+не\s+(?:поступает|идет)\b"
)
_GAS_SMELL = r"\bзапах\w*\s+газа\b|\bпахнет\s+газом\b|\bутечк\w*\s+газа\b|\bгазом\s+пахнет\b"
_FIRE = (
    r"\bпожар(?:а|е|ом|у|ы)?\b|\bвозгоран\w*|\bзадымлен\w*"
    r"|\b(?:горит|горят|загорел\w*|подожгли)\s+(?:\w+\s+)?(?:дом|квартир|подъезд|мусор|контейнер|трав|сарай|машин|подвал|проводк|щит)"
    r"|\b(?:мусор|контейнер\w*|трава|сарай|проводка|щиток)\s+(?:\w+\s+)?(?:горит|горят|загорел\w*)"
    r"|\bдым\w*\s+(?:валит\s+)?из\s+(?:подвал|квартир|окн|щит)"
)
_COLLAPSE = (
    r"\bобруш\w*|\bобвал(?:ил|ив|ен|ит|ом|а\b|\b)\w*|\bрухнул\w*"
    r"|\b(?:падает|падают|отваливается|отваливаются|обваливается|рушится|рушатся)\s+(?:\w+\s+)?"
    r"(?:кирпич|плитк|балкон|фасад|потол|облицовк|кус|карниз|козыр|лепнин|стена\b|стены\b)"
    r"|\b(?:кирпич|плитк|балкон|фасад|потол|облицовк|карниз|козыр|лепнин)\w*\s+(?:\w+\s+)?"
    r"(?:падает|падают|отваливается|отваливаются|рушится|рушатся|обвалил\w*|вот-вот\s+упад)"
)
_MANHOLE = (
    r"\bоткрыт\w*\s+(?:\w+\s+)?люк"
    r"|\bлюк\w*\s+(?:\w+\s+)?(?:открыт|без\s+крышки|провалил|нет\b|отсутству)"
    r"|\b(?:нет|отсутству\w*|без)\s+крыш(?:ки|ек|ка)\s+(?:на\s+)?(?:\w+\s+)?люк"
    r"|\bкрышк\w*\s+люка\s+(?:нет|отсутству|сломан|провалил|сдвинут)"
    r"|\bотсутстви\w+\s+люк"
)
_WIRES = (
    r"\bоборван\w*\s+(?:\w+\s+)?(?:электро)?провод"
    r"|\bпровод\w*\s+(?:\w+\s+)?(?:оборван|лежат|лежит|висят|висит|свисают|свисает|упал|оголен|искрят|искрит|на\s+земле)"
    r"|\bоголенн?\w*\s+провод|\bискрит\b|\bискрят\b"
    r"|\b(?:упал|упала|рухнул\w*)\s+(?:\w+\s+)?(?:столб|опора)|\bстолб\w*\s+(?:\w+\s+)?(?:упал|накренил|падает|вот-вот\s+упад)"
)
_ROOF_ICE = (
    r"\bсосул\w*|\bглыб\w*\s+льда|\bсход\w*\s+снега\s+с\s+крыш"
    r"|\b(?:снег|лед|наледь)\w*\s+(?:\w+\s+)?(?:падает|падают|свисает|свисают|нависает|нависают|сходит)\s+с\s+крыш"
    r"|\bнавис\w*\s+(?:\w+\s+)?(?:снег|лед|наледь)"
)
_TREE = (
    r"\b(?:упал\w*|рухнул\w*|повалил\w*|сломал\w*)\s+(?:\w+\s+)?(?:дерев|ветк|сук\b|тополь|берез)"
    r"|\b(?:дерев\w*|ветк\w*|тополь|береза)\s+(?:\w+\s+)?"
    r"(?:упал|рухнул|повалил|накренил|наклонил|может\s+упасть|грозит\s+падени|падает|треснул|вот-вот\s+упад)"
    r"|\bаварийн\w*\s+(?:\w+\s+)?дерев"
)
_CHILDREN_AT_RISK = (
    r"\b(?:дет(?:и|ей|ям|ьми)|ребен\w*|школьник\w*|малыш\w*)\b[^.!?]{0,80}?"
    r"\b(?:опасн\w*|травм\w*|угрож\w*|угроз\w*|может\s+упасть|могут\s+(?:упасть|пострадать|пораниться|провалиться|погибнуть)|"
    r"провалил\w*|пострадал\w*|поранил\w*|покалечи\w*|без\s+присмотра|рискуют|под\s+угрозой)"
    r"|\b(?:опасн\w*|угроз\w*|угрожает)\b[^.!?]{0,60}?\b(?:дет(?:и|ей|ям|ьми)|ребен\w*|школьник\w*)"
)
_SEWAGE = (
    r"\b(?:затоп\w*|залив\w*|заливает|топит|течет|льется|вытекает|изливается|разливается)\W+(?:\w+\W+){0,3}?"
    r"(?:канализ\w*|нечистот\w*|фекал\w*|стоки|стоками|сточн\w*)"
    r"|\b(?:канализ\w*|нечистот\w*|фекал\w*|стоки)\W+(?:\w+\W+){0,3}?"
    r"(?:затоп\w*|залив\w*|течет|текут|льется|вытекает|изливается|выходит|бьет|фонтан\w*|разлил\w*|стоит\s+в\s+подвале)"
    r"|\bпрорвал\w*\s+(?:\w+\s+)?канализ"
)
_SNOW_BLOCK = (
    r"\b(?:снег\w*|сугроб\w*|занос\w*|замел\w*|занесл\w*|завал\w*|наледь|гололед\w*|колеи|колея)\b[^.!?]{0,100}?"
    r"(?:не\s+проехать|не\s+пройти|невозможно\s+(?:проехать|пройти|выехать|выйти|подъехать)|нельзя\s+проехать|"
    r"не\s+(?:может|могут|смогла?|смогли)\s+(?:проехать|подъехать|выехать)|застрев\w*|застрял\w*|перекрыт\w*|заблокирован\w*|отрезан\w*|"
    r"не\s+проедет|не\s+подъехать|не\s+выехать)"
    r"|(?:не\s+проехать|невозможно\s+проехать|не\s+может\s+проехать|не\s+могут\s+проехать|застрял\w*)[^.!?]{0,60}?"
    r"\b(?:снег\w*|сугроб\w*|заносов|замело|занесло|наледь|гололед\w*)"
)

_VULNERABLE = re.compile(
    r"\b(?:дет(?:и|ей|ям|ьми|ский|ского|ском|ская|ской)|ребен\w*|младен\w*|грудн\w*|малыш\w*|новорожден\w*|школ\w*|"
    r"пенсионер\w*|пожил\w*|престарел\w*|инвалид\w*|лежач\w*|ветеран\w*|бабушк\w*|дедушк\w*|беременн\w*|больн\w*)"
)

# A trigger resolved in its sentence (or the next): «сейчас дали», «отопление уже включили».
_RESOLVED = re.compile(
    r"\b(?:дали|включили|подключили|восстановили|вернули|починили|устранили|отремонтировали|убрали|закрыли|заменили|"
    r"сбили|спилили|распилили|вывезли|потушили|наладили|исправили|прочистили|откачали|появил\w*|заработал\w*|"
    r"уже\s+есть|сейчас\s+есть|теперь\s+есть|снова\s+есть|опять\s+есть)\b"
)
# The whole text says the problem is over.
_ALL_RESOLVED = re.compile(
    r"\b(?:проблема|вопрос|ситуация)\s+(?:уже\s+|была\s+)?(?:решена|решен|устранена|исчерпана)|\bуже\s+не\s+актуальн|\bнеактуальн\w*\s+(?:уже|теперь)"
)
_SENTENCE_END = re.compile(r"[.!?\n;]+")
# Words naming a supply, to tell «нет отопления. Горячую воду дали» (heating still off) apart.
_SUPPLIES = {
    "heating": re.compile(r"отоплен|тепл|батаре"),
    "water": re.compile(r"\bвод"),
    "electricity": re.compile(r"свет|электр"),
    "gas": re.compile(r"\bгаз"),
}
_NEGATORS = frozenset({"не", "нет", "без", "ни"})
_NEAR_MISS = frozenset({"чуть", "едва", "чуть-чуть"})  # «чуть не упал» is not a negation


@dataclass(frozen=True, slots=True)
class _Rule:
    key: str
    pattern: str
    reason: str
    anchors: tuple[str, ...] = ()  # substrings every match contains: a cheap gate before the regex
    supply: str = ""  # a supply rule: resolution in the next sentence must not be about another supply
    negatable: bool = False  # «не пахнет газом», «нет открытых люков»
    check: Callable[[str, re.Match, int, str | None], str | None] | None = None  # -> reason or None


def _heating(text: str, m: re.Match, month: int, block: str | None) -> str | None:
    start, end = _sentence_bounds(text, m.start(), m.end())
    if _COMMON_AREA.search(text, start, end) and not _FLAT.search(text, start, end):
        return None  # a cold stairwell is not a flat without heating
    if _VULNERABLE.search(text):
        return "нет отопления, а в доме дети или пожилые"
    if month in _HEATING_MONTHS:
        return "нет отопления в отопительный сезон"
    return None


def _electricity(text: str, m: re.Match, month: int, block: str | None) -> str | None:
    if block == "energy" or "электр" in m.group():
        return "нет электроснабжения"
    start, end = _sentence_bounds(text, m.start(), m.end())
    if _LIGHTING_PLACE.search(text, start, end):
        return None  # «нет света в подъезде»: lighting, not an outage
    if _OUTAGE_PLACE.search(text):  # «во всём доме», «в квартире», «в деревне»: an outage
        return "нет электроснабжения"
    if _LIGHTING_PLACE.search(text):
        return None  # «Нет света. Подъезд 2.»
    return "нет электроснабжения"


def _fire(text: str, m: re.Match, month: int, block: str | None) -> str | None:
    if _HYPOTHETICAL.search(text, max(0, m.start() - 40), m.start()):
        return None  # «в случае пожара», «угроза возгорания»: a risk, not a fire
    return "угроза жизни: пожар или задымление"


def _winter(text: str, m: re.Match, month: int, block: str | None) -> str | None:
    return "снег или лёд перекрывают проезд" if month in _WINTER_MONTHS else None


_RULES: tuple[_Rule, ...] = (
    _Rule("gas_smell", _GAS_SMELL, "угроза жизни: запах газа", ("газ",), negatable=True),
    _Rule(
        "fire",
        _FIRE,
        "угроза жизни: пожар или задымление",
        ("пожар", "возгоран", "задымл", "горит", "горят", "загорел", "подожгли", "дым"),
        negatable=True,
        check=_fire,
    ),
    _Rule("collapse", _COLLAPSE, "угроза жизни: обрушение", ("руш", "обвал", "рухн", "пада", "отвал", "упад"), negatable=True),
    _Rule("manhole", _MANHOLE, "угроза жизни: открытый люк", ("люк",), negatable=True),
    _Rule("wires", _WIRES, "угроза жизни: оборванные провода", ("провод", "искр", "столб", "опор"), negatable=True),
    _Rule("roof_ice", _ROOF_ICE, "угроза жизни: сосульки или сход снега с крыши", ("сосул", "глыб", "крыш", "навис"), negatable=True),
    _Rule("tree", _TREE, "угроза жизни: падение дерева", ("дерев", "ветк", "сук", "тополь", "берез"), negatable=True),
    _Rule("children", _CHILDREN_AT_RISK, "угроза детям", ("дети", "детей", "детям", "детьми", "ребен", "школьник", "малыш"), negatable=True),
    _Rule("gas", _GAS, "нет газоснабжения", ("газ",), supply="gas"),
    _Rule("electricity", _ELECTRICITY, "нет электроснабжения", ("электр", "свет", "обесточ"), supply="electricity", check=_electricity),
    _Rule("water", _WATER, "нет водоснабжения", ("воды", "воду", "вода"), supply="water"),
    _Rule(
        "heating",
        _HEATING,
        "нет отопления",
        ("отоплен", "тепл", "батаре", "топят", "холодно", "температур", "мерзн", "замерза"),
        supply="heating",
        check=_heating,
    ),
    _Rule("sewage", _SEWAGE, "затопление канализационными стоками", ("канализ", "нечистот", "фекал", "сток", "сточн")),
    _Rule(
        "snow",
        _SNOW_BLOCK,
        "снег или лёд перекрывают проезд",
        ("снег", "сугроб", "занос", "замел", "занесл", "завал", "наледь", "гололед", "коле"),
        check=_winter,
    ),
)
# Each rule runs only on texts holding one of its anchors (plain substring tests, far cheaper than
# one big alternation of word-bounded patterns), in priority order.
_COMPILED = tuple((rule, re.compile(rule.pattern)) for rule in _RULES)


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    m = _SENTENCE_END.search(text, end)
    return left, (m.start() if m else len(text))


def _negated(text: str, start: int) -> bool:
    before = re.findall(r"[а-яa-z-]+", text[max(0, start - 30) : start])[-2:]
    for k, word in enumerate(before):
        if word in _NEGATORS:
            prior = before[k - 1] if k > 0 else (re.findall(r"[а-яa-z-]+", text[max(0, start - 50) : start])[-3:-2] or [""])[0]
            if prior not in _NEAR_MISS:
                return True
    return False


def _resolved(text: str, m: re.Match, rule: _Rule) -> bool:
    s_start, s_end = _sentence_bounds(text, m.start(), m.end())
    if _RESOLVED.search(text, m.end(), s_end) or _RESOLVED.search(text, s_start, m.start()):
        return True
    nxt = _SENTENCE_END.search(text, s_end)
    if nxt is None:
        return False
    n_start = nxt.end()
    n_end_m = _SENTENCE_END.search(text, n_start)
    n_end = n_end_m.start() if n_end_m else len(text)
    if not _RESOLVED.search(text, n_start, n_end):
        return False
    if rule.supply:
        others = [k for k, rx in _SUPPLIES.items() if k != rule.supply and rx.search(text, n_start, n_end)]
        own = _SUPPLIES[rule.supply].search(text, n_start, n_end)
        if others and not own:
            return False  # the next sentence resolves another supply
    return True


def _month(when: date | datetime | str | None) -> int:
    if when is None:
        return date.today().month
    if isinstance(when, str):
        return datetime.fromisoformat(when.strip().replace("Z", "+00:00")).month
    return when.month


def assess(text: str | None, *, block: str | None = None, category: str | None = None, when: date | datetime | str | None = None) -> tuple[str, str]:
    """("high", reason) when the text describes an urgent situation, else ("normal", "")."""
    if not text:
        return NORMAL, ""
    folded = _fold(text)
    candidates = []
    for rule, rx in _COMPILED:
        for anchor in rule.anchors:
            if anchor in folded:
                candidates.append((rule, rx))
                break
    if not candidates or _ALL_RESOLVED.search(folded):
        return NORMAL, ""
    month = _month(when)
    for rule, rx in candidates:  # in priority order: the first rule that fires gives the reason
        for m in rx.finditer(folded):
            if rule.negatable and _negated(folded, m.start()):
                continue
            if _resolved(folded, m, rule):
                continue
            reason = rule.reason if rule.check is None else rule.check(folded, m, month, block)
            if reason:
                return HIGH, reason
    return NORMAL, ""


def bench_urgency(texts: list[str], *, runs: int = 5, when: date | None = None) -> dict[str, float | int]:
    """Texts per second of `assess` (median of `runs`) and how many were high. Counts only."""
    import statistics
    import time

    rates = []
    high = 0
    for _ in range(max(1, runs)):
        start = time.perf_counter()
        high = sum(1 for t in texts if assess(t, when=when)[0] == HIGH)
        elapsed = time.perf_counter() - start
        rates.append(len(texts) / elapsed if elapsed > 0 else float("inf"))
    return {"texts": len(texts), "runs": runs, "texts_per_s": round(statistics.median(rates), 1), "high": high}
