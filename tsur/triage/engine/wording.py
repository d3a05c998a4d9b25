"""What the triage engine explains, in Russian, for people: the place evidence, the warnings and
the kinds of personal data found.

`Gazetteer.locate` writes its evidence as a compact notation («gazetteer:«в Калуге»», «polygon:
Калуга», «street:«ул. Ленина» in the street list of Калуга»): stable, compared by tests and the
benchmark, and stored as it is in `TriageResult.place_evidence`. What an operator reads is this
module's rendering of it, so rows stored before the rendering existed read the same as new ones.
Territory names are already in the notes (the gazetteer has them); nothing here needs Django.

Every note the engine writes has a pattern below (tests/triage/test_place_wording.py runs the
gazetteer's notes through it); a note that matches none is shown as it is, so a new kind of
note added to the engine without a pattern shows up in that test, not as a silent gap.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

_Q = r"«(?P<s>[^»]*)»"

# (pattern, Russian): the Russian is a format string over the pattern's named groups, or a
# function of the match for notes with numbers to write the Russian way.
_NOTES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(rf"^gazetteer:{_Q}$"), "в тексте названо «{s}»"),
    (re.compile(rf"^address:{_Q}$"), "в адресе названо «{s}»"),
    (re.compile(r"^polygon: (?P<name>.+)$"), "точка на карте — в границах: {name}"),
    (
        re.compile(r"^nearest settlement (?P<name>.+), (?P<km>[\d.]+) km$"),
        lambda m: f"точка на карте — ближайший населённый пункт {m['name']}, {_km(m['km'])}",
    ),
    (
        re.compile(r"^point outside every territory \(nearest settlement (?P<name>.+), (?P<km>[\d.]+) km\)$"),
        lambda m: f"точка на карте вне всех территорий (ближайший населённый пункт {m['name']}, {_km(m['km'])})",
    ),
    (re.compile(r"^point outside every territory$"), "точка на карте вне всех территорий"),
    (re.compile(rf"^natasha:LOC {_Q}$"), "распознано как место: «{s}»"),
    (re.compile(rf"^ambiguous: {_Q} names (?P<names>.+); using (?P<name>.+)$"), "неоднозначно: «{s}» — это {names}; выбрано: {name}"),
    (
        re.compile(r"^ambiguous: (?P<names>.+) named equally; using their common parent (?P<name>.+)$"),
        "неоднозначно: {names} названы одинаково; выбрана территория, в которую они входят: {name}",
    ),
    (re.compile(r"^also named: (?P<names>.+); (?P<name>.+) is named more strongly$"), "названо также: {names}; {name} названо явнее"),
    (
        re.compile(rf"^(?P<a>address )?street:{_Q} in the street list of (?P<place>.+)$"),
        lambda m: f"улица «{m['s']}»{_in_address(m)} есть в перечне улиц: {m['place']}",
    ),
    (
        re.compile(rf"^(?P<a>address )?street:{_Q} not used: (?P<place>.+) has it only as (?P<kinds>.+)$"),
        lambda m: f"улица «{m['s']}»{_in_address(m)} не учтена: в перечне улиц ({m['place']}) есть только {m['kinds']} с таким названием",
    ),
    (re.compile(rf"^street not used: another place is named \({_Q}\)$"), "улица не учтена: названо другое место («{s}»)"),
    (
        re.compile(r"^text names (?P<name>.+), outside the point's territory: the point is used$"),
        "в тексте названо: {name}, но точка на карте вне этой территории — принята точка",
    ),
    (re.compile(rf"^ignored {_Q}: a person's or river's name, not a place$"), "не учтено «{s}»: имя человека или название реки, не место"),
    (re.compile(rf"^ignored {_Q}: a common word, no settlement marker$"), "не учтено «{s}»: обычное слово, а «г.», «с.», «п.» перед ним нет"),
    (
        re.compile(rf"^ignored {_Q}: also a surname, no preposition or settlement marker$"),
        "не учтено «{s}»: это и фамилия, а предлога или «г.», «с.», «п.» перед ним нет",
    ),
]


def _km(value: str) -> str:
    return f"{value.replace('.', ',')} км"


def _in_address(m: re.Match[str]) -> str:
    return " (в адресе)" if m["a"] else ""


def note_in_russian(note: str) -> str:
    """One evidence note as an operator reads it; a note of an unknown form is returned as it is."""
    for pattern, russian in _NOTES:
        m = pattern.match(note)
        if m is None:
            continue
        return russian(m) if callable(russian) else russian.format(**m.groupdict())
    return note


def in_russian(notes: Iterable[str]) -> list[str]:
    return [note_in_russian(n) for n in notes or []]


# The pipeline's warnings about a record, and the errors of a record it could not classify (the
# platform stores those as the result's only warning).
_WARNINGS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^only one of lat/lon given: coordinates ignored$"), "указана только одна координата: координаты не учтены"),
    (re.compile(r"^lat/lon are not valid coordinates: ignored$"), "координаты недопустимы: не учтены"),
    (re.compile(r"^created_at is not an ISO date-time: ignored$"), "время поступления не распознано: не учтено"),
    (re.compile(r"^context columns .+ missing: classified from the text alone$"), "нет сведений о канале и источнике: разобрано только по тексту"),
    (re.compile(r"^HTML removed$"), "из текста удалена разметка"),
    (
        re.compile(r"^not Russian text \(Cyrillic letters (?P<share>\d+)%\): block and category are unreliable, confidence lowered$"),
        "текст не на русском (кириллица — {share}%): блок и тематика ненадёжны, уверенность снижена",
    ),
    (re.compile(r"^'text' is missing$"), "нет текста"),
    (re.compile(r"^'text' must be a string$"), "текст не является строкой"),
    (re.compile(r"^'text' looks like binary data, not text$"), "вместо текста — двоичные данные"),
    (re.compile(r"^'text' is empty( after HTML clean-up)?$"), "текст пуст"),
    (re.compile(r"^'text' is too long: (?P<n>\d+) characters.*$"), "текст слишком длинный: {n} символов"),
    (re.compile(r"^a JSON object is expected$"), "запись не разобрана"),
    (re.compile(r"^'id' must be a string or a number$"), "запись не разобрана"),
]


UNKNOWN_WARNING = "служебное предупреждение автоматического разбора"
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def warning_in_russian(warning: str) -> str:
    """A warning or error of the pipeline as an operator reads it. An unknown one (a model's or a
    library's own message) is shown as it is only when it is Russian: an English exception text
    tells an operator nothing (the stored result keeps it as it came)."""
    for pattern, russian in _WARNINGS:
        m = pattern.match(warning)
        if m is not None:
            return russian(m) if callable(russian) else russian.format(**m.groupdict())
    return warning if _CYRILLIC.search(warning) else UNKNOWN_WARNING


# The kinds `tsur.lib.pdmask.find_personal_data` reports (its MASKS' keys).
PERSONAL_DATA_KINDS = {
    "name": "имя",
    "phone": "телефон",
    "email": "адрес электронной почты",
    "passport": "паспорт",
    "snils": "СНИЛС",
    "account_link": "ссылка на страницу в соцсети",
    "card": "номер банковской карты",
}


def personal_data_in_russian(kinds: Iterable[str]) -> list[str]:
    return [PERSONAL_DATA_KINDS.get(k, k) for k in kinds or []]
