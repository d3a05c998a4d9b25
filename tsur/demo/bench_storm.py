"""A social storm for `tsur bench_ingest --source storm`: a burst of posts that are mostly
complaints (85 % by default), most of them near-duplicates of a few problems — a handful of
places × topics, as when a whole district writes about the same burst pipe or the same
unploughed street at once.

Texts: with the shared data folder, each problem's wording is a real Kursk resident's complaint
of the topic's block (HTML reduced to text), said at a real Kaluga street from the demo
directory, and the non-complaints are real VK community posts; without it, templates. Each
post repeats its problem's wording with the small changes people make when they write the same
thing («Присоединяюсь…», «Сколько можно?»), so the duplicate detector sees near-duplicates, not
copies; a share of the complaints (`FRESH_SHARE`) are other real complaints at other streets,
which are mostly not duplicates.
"""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path

# The problems: PLACES places × the topics below, one wording each.
PLACES = 4
TOPICS = ("roads", "housing", "waste", "energy")
# Of the complaints, this share are other complaints (not one of the storm's problems).
FRESH_SHARE = 0.15
PREFIXES = (
    "", "", "Присоединяюсь к соседям! ", "Опять то же самое. ", "Сколько можно? ", "Пишу повторно: ",
    "Жители дома просят помочь. ", "Уже третий день: ",
)
SUFFIXES = ("", "", " Примите меры!", " Когда это закончится?", " Фото в комментариях.", " Просим разобраться.")
# Without the shared data: one wording per topic, at the place.
TEMPLATES = {
    "roads": "Огромная яма на проезжей части у дома {n} по {street}, машины бьют колёса, пешеходам не пройти. Когда отремонтируют дорогу?",
    "housing": "В доме {n} по {street} третий день нет горячей воды, управляющая компания на звонки не отвечает.",
    "waste": "Во дворе дома {n} по {street} не вывозят мусор уже неделю, контейнеры переполнены, вокруг крысы.",
    "energy": "В доме {n} по {street} постоянно отключают свет, вечером сидим без электричества, холодильники не работают.",
}
NOISE = (
    "Продам велосипед, самовывоз, звоните вечером",
    "Концерт во дворце культуры в субботу, вход свободный",
    "Поздравляем жителей района с праздником!",
    "Вакансия: требуется водитель категории Д",
)

STORM_DIRECTORY = Path(__file__).resolve().parent / "data" / "streets.json"


def kaluga_streets() -> list[str]:
    """«улица Кирова»-style names of the demo directory's streets in the city of Kaluga."""
    streets = json.loads(STORM_DIRECTORY.read_text(encoding="utf-8"))
    return [f"{s['type']} {s['name']}" for s in streets if s.get("territory") == "kaluga" and s.get("type") == "улица"]


def _on_street(street: str) -> str:
    """«улице Кирова» for a template's «по {street}»."""
    kind, _, name = street.partition(" ")
    return f"{'улице' if kind == 'улица' else kind} {name}"


def storm_texts(complaints_by_block: dict[str, list[str]] | None) -> dict[str, list[str]]:
    """The wordings of each topic: real complaints of the topic's block, of a middle length (the
    storm's posts are tweets and comments, not letters), or the template."""
    if complaints_by_block is None:
        return {topic: [TEMPLATES[topic]] for topic in TOPICS}
    texts = {}
    for topic in TOPICS:
        pool = [t for t in complaints_by_block.get(topic, []) if 80 <= len(t) <= 400]
        texts[topic] = pool or [TEMPLATES[topic]]
    return texts


def storm_posts(
    count: int, seed: int, *, complaint_share: float, wordings: dict[str, list[str]], stream: list[str] | None, item
) -> list:
    """`count` posts of a storm (`item(run, i, is_complaint, text)` builds each RawItem). The
    problems and their wordings are drawn from `seed`; a problem's posts differ only in the
    prefix and suffix, so they are near-duplicates; the problems are hit unevenly (the first ones
    most), as storms are."""
    rng = random.Random(seed)
    run = uuid.uuid4().hex[:6]
    streets = kaluga_streets()
    places = [(rng.choice(streets), rng.randint(1, 80)) for _ in range(PLACES)]
    problems = []
    for street, house in places:
        for topic in TOPICS:
            wording = rng.choice(wordings[topic])
            problems.append(_at_place(wording, street, house))
    weights = [1.0 / (k + 1) for k in range(len(problems))]
    fresh = [t for topic in TOPICS for t in wordings[topic]]
    noise = stream or list(NOISE)
    items = []
    for i in range(count):
        if rng.random() >= complaint_share:
            items.append(item(run, i, False, rng.choice(noise)))
            continue
        if rng.random() < FRESH_SHARE:
            text = _at_place(rng.choice(fresh), rng.choice(streets), rng.randint(1, 200))
        else:
            text = rng.choices(problems, weights)[0]
        items.append(item(run, i, True, f"{rng.choice(PREFIXES)}{text}{rng.choice(SUFFIXES)}"))
    return items


def _at_place(wording: str, street: str, house: int) -> str:
    if "{street}" in wording:
        return wording.format(n=house, street=_on_street(street))
    return f"Калуга, {street}, дом {house}. {wording}"
