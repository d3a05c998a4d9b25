"""Masking of contacts that residents type into free text (152-FZ: public reads and analysts must
not see them). Pure Python, no Django.

Only what can be recognised with confidence is masked: Russian phone numbers written with the
country prefix (+7 or 8) and e-mail addresses. Dates, appeal numbers and house numbers must stay
readable, so a phone is exactly eleven digits (prefix included) with ordinary separators between
them; dots are not separators, otherwise "8.12.2024 1234" would look like a phone.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tsur.lib.morph import analyzer

PHONE_MASK = "[телефон]"
EMAIL_MASK = "[email]"

# Separators people put between the digits of a phone: spaces (incl. no-break), hyphens and
# dashes, parentheses around the area code.
_SEP = r"[\s\-\u2010-\u2015\u2212()]*"
_PHONE = re.compile(
    r"(?<![\w+])"  # not glued to a word or another number
    r"(?:\+" + _SEP + r"7|8)"  # +7 / + 7 / 8
    r"(?:" + _SEP + r"\d){10}"  # ten more digits, any grouping
    r"(?!\d)"
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Addresses written so robots miss them: ivan.petrov(at)mail.ru, ivan [at] mail [dot] ru, ivan собака mail.ru
_AT = r"\s*(?:\(at\)|\[at\]|\{at\}|\(а\)|\s(?:at|собака|собачка)\s)\s*"
_DOT = r"(?:\.|\s*(?:\(dot\)|\[dot\]|\{dot\}|\(точка\)|\s(?:dot|точка)\s)\s*)"
_EMAIL_OBFUSCATED = re.compile(r"(?i)(?<![\w.+-])[a-z0-9][\w.+-]*" + _AT + r"[a-z0-9-]+(?:" + _DOT + r"[a-z0-9-]+)*" + _DOT + r"[a-zа-я]{2,}\b")


def mask_contacts(text: str) -> str:
    """Replace phone numbers and e-mail addresses in `text` with neutral placeholders."""
    if not text:
        return text
    text = _EMAIL.sub(EMAIL_MASK, text)
    return _PHONE.sub(PHONE_MASK, text)


def has_contacts(text: str) -> bool:
    return bool(text) and bool(_EMAIL.search(text) or _PHONE.search(text))


# --------------------------------------------------------------------------------------------
# Personal data in general: names, phones, e-mails, passports, СНИЛС, account links, bank cards
# --------------------------------------------------------------------------------------------
#
# `mask_contacts` above stays as it is (phones with a country prefix and e-mails only) for the
# public reads that use it. `find_personal_data` / `mask_personal_data` are for exports and
# analytics: they also catch local and bare mobile numbers, identity documents, profile links and
# names. Regexes only by default (fast); `names=True` adds natasha's person-name NER.

NAME_MASK = "[ФИО]"
PASSPORT_MASK = "[паспорт]"
SNILS_MASK = "[СНИЛС]"
ACCOUNT_MASK = "[аккаунт]"
CARD_MASK = "[карта]"

MASKS = {
    "name": NAME_MASK,
    "phone": PHONE_MASK,
    "email": EMAIL_MASK,
    "passport": PASSPORT_MASK,
    "snils": SNILS_MASK,
    "account_link": ACCOUNT_MASK,
    "card": CARD_MASK,
}
# When two findings overlap, the more specific kind wins (then the longer span).
_PRIORITY = {"email": 0, "account_link": 1, "card": 2, "snils": 3, "passport": 4, "phone": 5, "name": 6}

_D = r"[\s\-\u2010-\u2015\u2212]?"  # one optional separator between digit groups

# Phones beyond the +7 / 8 form: an area code in brackets («(4842) 56-78-90»), a bare mobile
# number («900 123-45-67», «9001234567»), a local number in 3-2-2 groups («567-89-01»), and any
# digit run right after «тел.» / «телефон».
_PHONE_EXTRA = re.compile(
    r"(?<![\w+])\(\d{3,5}\)" + _SEP + r"\d(?:" + _SEP + r"\d){4,6}(?!\d)"
    r"|(?<![\w+/.-])9\d{2}" + _D + r"\d{3}" + _D + r"\d{2}" + _D + r"\d{2}(?![\d/.-])"
    r"|(?<![\w+/.-])\d{3}-\d{2}-\d{2}(?![\d/.-])"
    # a six-digit local number of a regional city: 56-78-90
    r"|(?<![\w+/.:-])\d{2}-\d{2}-\d{2}(?![\d/.:-])"
    # another country's number: +375 29 123-45-67, +998 (90) 123 45 67
    r"|(?<![\w+])\+" + _SEP + r"[1-69]\d{0,2}(?:" + _SEP + r"\d){7,12}(?!\d)"
)
_PHONE_AFTER_WORD = re.compile(
    r"(?i)\b(?:тел|телефон\w*|моб|мобильн\w*|сот|сотов\w*|whatsapp|ватсап|вайбер|viber)\.?\s*:?\s*"
    r"(\+?\d[\d\s\-\u2010-\u2015()]{3,16}\d)"
)

_PASSPORT_BARE = re.compile(r"(?<![\d\-])\d{2} \d{2} \d{6}(?![\d\-])")
_PASSPORT_CONTEXT = re.compile(
    r"(?i)\b(?:паспорт\w*|серия|серии|сер\.)\s*(?:рф\s*)?(?:серия|серии|сер\.)?\s*:?\s*"
    r"(\d{2}\s?\d{2}\s*(?:,\s*)?(?:№|номер|ном\.|н\.|#)?\s*\d{6})(?!\d)"
)
_SNILS = re.compile(r"(?<![\d\-])\d{3}[\s\-]\d{3}[\s\-]\d{3}[\s\-]\d{2}(?![\d\-])")
_SNILS_CONTEXT = re.compile(r"(?i)\bснилс\w*\s*:?\s*(?:№\s*)?(\d{11})(?!\d)")
_CARD_GROUPED = re.compile(r"(?<![\d\-])\d{4}([\s\-])\d{4}\1\d{4}\1\d{4}(?![\d\-])")
_CARD_BARE = re.compile(r"(?<!\d)\d{16}(?!\d)")
_ACCOUNT = re.compile(
    r"(?i)(?:https?://)?(?:www\.|m\.)?"
    r"(vk\.com|vkontakte\.ru|t\.me|telegram\.me|ok\.ru|odnoklassniki\.ru|instagram\.com|facebook\.com|fb\.com|tiktok\.com|"
    r"twitter\.com|x\.com)/([\w.@/+-]*\w)"
    r"|\[id\d+\|[^\]\n]{1,60}\]"
    r"|(?<![\w.@])@[A-Za-z][A-Za-z0-9_]{3,31}\b"
)
# Cheap test before the account regex (whose optional scheme and host prefixes are slow to scan).
_ACCOUNT_HINTS = (
    "vk.com",
    "vkontakte",
    "t.me/",
    "telegram.me",
    "ok.ru",
    "odnoklassniki",
    "instagram",
    "facebook",
    "fb.com",
    "tiktok",
    "twitter",
    "x.com/",
    "[id",
    "@",
)
# Links to communities, posts and media are not a person's account.
_NOT_A_PROFILE = re.compile(
    r"(?i)(?:wall|club|public|event|topic|album|photo|video|app|market|away|doc|page|board|clip|story|note|poll|group|groups|"
    r"joinchat|s|c|feed|search|music|audio|im|login|share|write|discover|explore|p|reel|watch|hashtag)(?:[\d\-_/.?]|$)|\+"
)

_UP = "А-ЯЁ"
_LO = "а-яё"
_WORD = rf"[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)?"
_PATRONYMIC = rf"[{_UP}][{_LO}]+(?:(?:ович|евич|ьич)(?:а|у|ем|е)?|(?:овн|евн|ичн)(?:а|ы|е|у|ой|ою))"
_INITIALS_GATE = re.compile(rf"[{_UP}]\.")
# Both start with their literal part (fast to scan for); the word boundary before is checked after.
_INITIALS = re.compile(rf"[{_UP}]\.\s?[{_UP}]\.(?!\s?[{_UP}]\.)")
_PATRONYMIC_SUFFIX = re.compile(r"(?:ович|евич|ьич|овн|евн|ичн)")
_PATRONYMIC_RX = re.compile(rf"{_PATRONYMIC}(?![{_LO}])")
_LETTER_OR_DOT = re.compile(rf"[{_UP}{_LO}.]")
_WORD_BEFORE = re.compile(rf"(?<![{_UP}{_LO}-])({_WORD})\s+$")
_WORD_AFTER = re.compile(rf"\s?({_WORD})(?![{_LO}])")
# Words before which a name is an institution's or a street's («им. Кирова», «ул. Ленина»).
_NOT_A_PERSON_BEFORE = re.compile(
    r"(?i)(?:\b(?:им|имени|ул|улица|улице|улицы|улицу|пр|пр-т|пр-кт|просп|проспект\w*|пер|переул\w*|пл|площад\w*|б-р|бульвар\w*|наб|"
    r"набережн\w*|ш|шоссе|пр-д|проезд\w*|туп|тупик\w*|мкр|памятник\w*|маршала|генерала|адмирала|академика|космонавта|героя)\.?\s*)$"
)
_ACTING = re.compile(r"\s*[а-яё]")  # «И.О. главы»: "acting", not initials


@lru_cache(maxsize=50_000)
def _morph_parse(word: str) -> tuple[bool, frozenset[str], str]:
    """(known, person tags present, POS of the likeliest reading) for a capitalised word."""
    try:
        m = analyzer()
    except ImportError:  # pragma: no cover - no pymorphy3: accept every candidate
        return False, frozenset(), ""
    low = word.lower()
    parses = m.parse(low)
    tags = frozenset(g for p in parses for g in ("Surn", "Name", "Patr") if g in p.tag)
    return m.word_is_known(low), tags, str(parses[0].tag.POS or "") if parses else ""


_NOT_NAME_POS = frozenset({"VERB", "INFN", "PREP", "CONJ", "ADVB", "PRCL", "INTJ", "NPRO", "PRED", "GRND", "PRTS", "ADJS", "COMP", "NUMR"})


def _could_be_surname(word: str) -> bool:
    known, tags, pos = _morph_parse(word)
    return not known or bool(tags) or pos not in _NOT_NAME_POS


def _is_person_word(word: str) -> bool:
    """For the optional words around «Имя Отчество»: a surname / name, or a word the dictionary
    does not know (most surnames), but not «Уважаемая»."""
    known, tags, _ = _morph_parse(word)
    return not known or bool(tags)


_STREET_AFTER = re.compile(r"\s*(?:улиц|ул\.|проспект|пр-т|площад|пер\.|переул|бульвар|б-р|шоссе|набережн|проезд)", re.IGNORECASE)


def _person_context(text: str, start: int, end: int | None = None) -> bool:
    """False when the name is a street's or an institution's: «им. С.М. Кирова», «ул. Ленина»,
    «пр. Маршала Жукова», «В.И. Ленина улица»."""
    if _NOT_A_PERSON_BEFORE.search(text[max(0, start - 24) : start]) is not None:
        return False
    return end is None or _STREET_AFTER.match(text, end) is None


def _names_regex(text: str, out: list[tuple[str, int, int]]) -> None:
    """«Фамилия И.О.», «И.О. Фамилия» around each pair of initials; «Имя Отчество» with an
    optional surname before or after, around each patronymic. Each costly pattern runs only on
    a short window around a cheap anchor."""
    if _INITIALS_GATE.search(text):
        for a in _INITIALS.finditer(text):
            if a.start() and _LETTER_OR_DOT.match(text, a.start() - 1):
                continue  # «Б.Н.» inside «АБ.Н.», or a third initial
            before = _WORD_BEFORE.search(text, max(0, a.start() - 40), a.start())
            if before and a.group().replace(" ", "").upper() == "И.О." and _ACTING.match(text, a.end()):
                before = None  # «И.О. главы»: "acting", not initials
            if before and not (_person_context(text, before.start(1)) and _could_be_surname(before.group(1))):
                before = None
            after = _WORD_AFTER.match(text, a.end())
            if after and not (_person_context(text, a.start()) and _could_be_surname(after.group(1))):
                after = None
            # «Иванов И.И.» unless the word before is an ordinary one and a surname follows
            # («Ответственный И.И. Петров»).
            if before and (after is None or _is_person_word(before.group(1))):
                if _person_context(text, before.start(1), a.end()):
                    out.append(("name", before.start(1), a.end()))
            elif after and _person_context(text, a.start(), after.end(1)):
                out.append(("name", a.start(), after.end(1)))
    if "вич" in text or "вн" in text or "ичн" in text or "ьич" in text:
        seen = -1
        for suffix in _PATRONYMIC_SUFFIX.finditer(text):
            word_start = suffix.start()
            while word_start and text[word_start - 1].isalpha():
                word_start -= 1
            if word_start <= seen or (word_start and text[word_start - 1] == "-"):
                continue
            p = _PATRONYMIC_RX.match(text, word_start)
            if p is None:
                continue
            seen = word_start
            first = _WORD_BEFORE.search(text, max(0, p.start() - 40), p.start())
            if first is None or not _could_be_surname(first.group(1)):  # «Сказал Рабинович» is no first name
                continue
            start, end = first.start(1), p.end()
            surname = _WORD_BEFORE.search(text, max(0, start - 40), start)
            if surname and _is_person_word(surname.group(1)):
                start = surname.start(1)
            last = _WORD_AFTER.match(text, end)
            if last and _is_person_word(last.group(1)):
                end = last.end(1)
            if _person_context(text, start, end):
                out.append(("name", start, end))


# Words after which a person's name usually follows: «меня зовут Анна Смирнова», «С уважением,
# Пётр Ильич», «Уважаемая Анна Сергеевна!», «ФИО: Иванов Иван», «заявитель Петрова».
_CUE = re.compile(
    r"(?i)(?:меня зовут|моё имя|мое имя|с уважением,?|уважаем(?:ый|ая|ые|ое)|ф\.?\s?и\.?\s?о\.?(?:\s*заявителя)?\s*:?|"
    r"заявител(?:ь|я|ем)\s*:?|подпись\s*:?|от\s+(?:жител(?:я|ьницы)|гражданин(?:а|ки))\s*:?)\s*"
)
_CUE_HINTS = ("зовут", "имя", "уважаем", "уважени", "фио", "ф.и.о", "ф. и. о", "заявител", "подпись", "жител", "гражданин")
_CAPITALISED = re.compile(rf"{_WORD}")


def _names_after_cue(text: str, low: str, out: list[tuple[str, int, int]]) -> None:
    """One to three capitalised words after a cue, as long as each can be a name or surname."""
    if not any(hint in low for hint in _CUE_HINTS):
        return
    for cue in _CUE.finditer(text):
        pos, start, end = cue.end(), cue.end(), None
        for _ in range(3):
            word = _CAPITALISED.match(text, pos)
            if word is None or not (_is_person_word(word.group()) or _PATRONYMIC_RX.fullmatch(word.group())):
                break
            end = word.end()
            pos = end
            while pos < len(text) and text[pos] in " \u00a0":
                pos += 1
        if end is not None:
            out.append(("name", start, end))


_NER = None


def _natasha_names(text: str, out: list[tuple[str, int, int]]) -> None:
    global _NER
    if _NER is None:
        try:
            from natasha import NewsEmbedding, NewsNERTagger, Segmenter

            _NER = (Segmenter(), NewsNERTagger(NewsEmbedding()))
        except Exception:  # natasha missing: the regex names only
            _NER = False
    if not _NER:
        return
    from natasha import Doc

    doc = Doc(text)
    doc.segment(_NER[0])
    doc.tag_ner(_NER[1])
    for span in doc.spans:
        if span.type == "PER" and len(span.text.split()) >= 2 and _person_context(text, span.start, span.stop):
            out.append(("name", span.start, span.stop))


_DIGIT_RUN = re.compile(r"\d(?:[\s\-\u2010-\u2015\u2212()/]{0,3}\d)*")
_MIN_DIGITS = 5  # the shortest number of interest: a phone typed after «тел.»
_CONTEXT = 40  # characters before a run that context words («паспорт», «тел.») may take


def _number_windows(text: str) -> list[tuple[int, int]]:
    """Merged (start, end) windows around digit runs of at least `_MIN_DIGITS` digits."""
    windows: list[tuple[int, int]] = []
    for m in _DIGIT_RUN.finditer(text):
        run = m.group()
        if len(run) < _MIN_DIGITS or sum(ch.isdigit() for ch in run) < _MIN_DIGITS:
            continue
        start, end = max(0, m.start() - _CONTEXT), min(len(text), m.end() + 2)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def find_personal_data(text: str, *, names: bool = False) -> list[dict]:
    """Personal data in `text`: a list of {"kind", "start", "end"} sorted by position, without
    overlaps. Kinds: name, phone, email, passport, snils, account_link, card. Names come from
    regexes («Иванов И.И.», «И.И. Иванов», «Иван Петрович (Сидоров)»); `names=True` adds
    natasha's NER (much slower). Street and institution names («ул. Ленина», «им. С.М. Кирова»)
    are not persons."""
    if not text:
        return []
    found: list[tuple[str, int, int]] = []
    if "@" in text:
        found.extend(("email", m.start(), m.end()) for m in _EMAIL.finditer(text))
    low = text.lower()
    if "at" in low or "собак" in low or "(а)" in low:
        found.extend(("email", m.start(), m.end()) for m in _EMAIL_OBFUSCATED.finditer(text))
    if any(hint in low for hint in _ACCOUNT_HINTS):
        for m in _ACCOUNT.finditer(text):
            if m.group(2) is None or not _NOT_A_PROFILE.match(m.group(2)):
                found.append(("account_link", m.start(), m.end()))
    for ws, we in _number_windows(text):  # only around digit runs long enough to be a number of interest
        found.extend(("card", m.start(), m.end()) for m in _CARD_GROUPED.finditer(text, ws, we))
        found.extend(("card", m.start(), m.end()) for m in _CARD_BARE.finditer(text, ws, we) if _luhn(m.group()))
        found.extend(("snils", m.start(), m.end()) for m in _SNILS.finditer(text, ws, we))
        found.extend(("snils", m.start(1), m.end(1)) for m in _SNILS_CONTEXT.finditer(text, ws, we))
        found.extend(("passport", m.start(1), m.end(1)) for m in _PASSPORT_CONTEXT.finditer(text, ws, we))
        found.extend(("passport", m.start(), m.end()) for m in _PASSPORT_BARE.finditer(text, ws, we))
        found.extend(("phone", m.start(), m.end()) for m in _PHONE.finditer(text, ws, we))
        found.extend(("phone", m.start(), m.end()) for m in _PHONE_EXTRA.finditer(text, ws, we))
        found.extend(("phone", m.start(1), m.end(1)) for m in _PHONE_AFTER_WORD.finditer(text, ws, we))
    _names_regex(text, found)
    _names_after_cue(text, low, found)
    if names:
        _natasha_names(text, found)
    # Resolve overlaps (windows may find the same thing twice): the more specific kind first,
    # then the longer span.
    found = list(set(found))
    found.sort(key=lambda f: (_PRIORITY[f[0]], -(f[2] - f[1]), f[1]))
    taken: list[tuple[str, int, int]] = []
    for kind, start, end in found:
        if all(end <= s or start >= e for _, s, e in taken):
            taken.append((kind, start, end))
    taken.sort(key=lambda f: f[1])
    return [{"kind": kind, "start": start, "end": end} for kind, start, end in taken]


def mask_personal_data(text: str, *, names: bool = False) -> str:
    """`text` with every finding of `find_personal_data` replaced by its placeholder: «[ФИО]»,
    «[телефон]», «[email]», «[паспорт]», «[СНИЛС]», «[аккаунт]», «[карта]»."""
    if not text:
        return text
    spans = find_personal_data(text, names=names)
    if not spans:
        return text
    parts: list[str] = []
    pos = 0
    for f in spans:
        parts.append(text[pos : f["start"]])
        parts.append(MASKS[f["kind"]])
        pos = f["end"]
    parts.append(text[pos:])
    return "".join(parts)


_NAME_TOKEN = re.compile(r"[A-Za-zА-Яа-яЁё]{3,}")
_CAPITAL_WORD = re.compile(r"(?<![\w-])[A-ZА-ЯЁ][a-zа-яё]+(?:-[A-ZА-ЯЁ][a-zа-яё]+)?")


@lru_cache(maxsize=100_000)
def _lemmas(word: str) -> frozenset[str]:
    """The word and its dictionary forms, lower-cased (cached: texts repeat their words, and the
    parse costs tens of microseconds)."""
    try:
        m = analyzer()
    except ImportError:  # pragma: no cover - no pymorphy3: the word itself
        return frozenset({word.lower()})
    return frozenset({word.lower(), *(p.normal_form for p in m.parse(word.lower()))})


# Case-insensitive matching of an ASCII literal, as `re.IGNORECASE` does it: every character it
# matches to an ASCII one case-folds to that one's fold, except the Turkish dotted and dotless i.
_FOLD_I = str.maketrans({"İ": "i", "ı": "i"})


def _fold(text: str) -> str:
    """A form of `text` in which every `re.IGNORECASE` match of an ASCII literal is a plain
    substring of the literal's own `_fold` (tests/lib/test_pdmask_shapes.py checks it over all of
    Unicode): a cheap test of whether the literal can be in the text at all."""
    return text.translate(_FOLD_I).casefold()


def mask_known(text: str, *, name: str = "", phone: str = "", email: str = "", account: str = "") -> str:
    """`text` with the personal data we know of its author masked wherever it appears, whatever
    the patterns of `mask_personal_data` recognise: their e-mail and account link as written,
    their phone in any grouping, each word of their name in any grammatical case («Сидорову»)."""
    if not text:
        return text
    folded = None
    for literal, mask in ((email.strip(), EMAIL_MASK), (account.strip(), ACCOUNT_MASK)):
        if len(literal) >= 5:
            if literal.isascii():
                folded = _fold(text) if folded is None else folded
                if _fold(literal) not in folded:
                    continue  # not in the text: no pattern compiled for it (each account link is new)
            text = re.sub(re.escape(literal), mask, text, flags=re.IGNORECASE)
            folded = None
    digits = re.sub(r"\D", "", phone)[-10:]
    if len(digits) >= 5:
        pattern = r"(?<!\d)(?:(?:\+\s?7|8)" + _SEP + r")?" + _SEP.join(digits) + r"(?!\d)"
        text = re.sub(pattern, PHONE_MASK, text)
    tokens = [t for t in _NAME_TOKEN.findall(name)]
    if tokens:
        wanted = frozenset().union(*(_lemmas(t) for t in tokens))

        def replace(m: re.Match) -> str:
            return NAME_MASK if _lemmas(m.group()) & wanted else m.group()

        text = _CAPITAL_WORD.sub(replace, text)
        text = re.sub(r"\[ФИО\](?:\s+\[ФИО\])+", NAME_MASK, text)  # «[ФИО] [ФИО]» reads as one name
    return text
