"""The posts `tsur bench_ingest` feeds: synthetic ones from templates, real ones (VK community
posts and Kursk complaints from the shared data folder) and storms (tsur/demo/bench_storm.py).
External ids carry where a post came from, so a run can tell how screening treated each kind."""

from __future__ import annotations

import csv
import gzip
import os
import random
import uuid
from pathlib import Path

from django.core.management.base import CommandError

from tsur.channels.base import RawItem

COMPLAINTS = (
    "Яма на дороге у дома {n} по улице {s}, машины бьют колёса, когда заделают?",
    "Не вывозят мусор во дворе дома {n} на улице {s} уже неделю, контейнеры переполнены",
    "Нет горячей воды в доме {n} на улице {s}, управляющая компания не отвечает",
    "Не горят фонари на улице {s} возле дома {n}, вечером темно и опасно",
    "Снег не убран на улице {s}, у дома {n} не пройти к остановке",
    "Автобус номер {n} не пришёл по расписанию на остановку на улице {s}, ждали час",
)
NOISE = (
    "Продам велосипед, самовывоз с улицы {s}, дом {n}",
    "Концерт во дворце культуры на улице {s} в субботу, вход свободный, начало в {n}",
    "Поздравляем жителей улицы {s} с праздником, дом {n} украшен гирляндами",
    "Друзья, приглашаем на открытие выставки в библиотеке на улице {s}, {n} марта",
    "Итоги турнира по мини-футболу: команда с улицы {s} заняла {n} место, поздравляем!",
    "Магазин на улице {s} приглашает за покупками: скидки до {n}% на всю обувь",
    "Сегодня в парке на улице {s} прошёл праздник двора, спасибо всем, кто пришёл, было {n} гостей",
    "Вакансия: требуется водитель категории Д, зарплата от {n} тысяч, офис на улице {s}",
)
STREETS = ("Ленина", "Гагарина", "Кирова", "Московская", "Садовая", "Суворова", "Пушкина", "Мира")


# External ids carry where a post came from, so the run can tell how screening treated each kind.
COMPLAINT_MARK, STREAM_MARK = "c", "s"


def _item(run: str, i: int, mark: str, text: str) -> RawItem:
    payload = {"text": text, "author": f"Житель {i}", "link": f"https://example.org/u{run}{i}"}
    return RawItem(f"{run}-{mark}{i}", payload, "post")


def posts(count: int, complaint_share: float, seed: int) -> list[RawItem]:
    """Synthetic posts from templates: complaints at `complaint_share`, the rest noise."""
    rng = random.Random(seed)
    items = []
    run = uuid.uuid4().hex[:6]
    for i in range(count):
        complaint = rng.random() < complaint_share
        template = rng.choice(COMPLAINTS if complaint else NOISE)
        text = template.format(n=rng.randint(1, 300), s=rng.choice(STREETS))
        items.append(_item(run, i, COMPLAINT_MARK if complaint else STREAM_MARK, text))
    return items


def shared_data() -> Path:
    from django.conf import settings

    env = os.environ.get("TSUR_SHARED_DATA")
    return Path(env) if env else Path(settings.BASE_DIR).parent / "shared" / "data"


def real_files(folder: Path) -> tuple[Path, Path] | None:
    """The VK community posts and the Kursk complaints in the shared data folder, or None."""
    stream, complaints = folder / "vk" / "community_posts.csv.gz", folder / "kursk" / "train.csv"
    return (stream, complaints) if stream.is_file() and complaints.is_file() else None


def load_real(folder: Path) -> tuple[list[str], list[str]]:
    """(stream texts, complaint texts). The Kursk texts came from a web form and are mostly HTML;
    they are reduced to plain text, as a resident would type them in a social network."""
    from tsur.channels.email.letters import html_to_text

    stream_file, complaint_file = real_files(folder) or (None, None)
    if stream_file is None:
        raise CommandError(f"Нет реальных данных в {folder}")
    with gzip.open(stream_file, "rt", encoding="utf-8", newline="") as f:
        stream = [row["text"].strip() for row in csv.DictReader(f) if row["text"].strip()]
    with complaint_file.open(encoding="utf-8", newline="") as f:
        complaints = [html_to_text(row["Текст Сообщения"]) for row in csv.DictReader(f)]
    return stream, [t for t in complaints if t]


def complaints_by_block(folder: Path) -> dict[str, list[str]] | None:
    """The Kursk complaints as text, by their block (roads, housing…), or None without the data."""
    from tsur.channels.email.letters import html_to_text

    files = real_files(folder)
    if files is None:
        return None
    by_block: dict[str, list[str]] = {}
    with files[1].open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = html_to_text(row["Текст Сообщения"])
            if text:
                by_block.setdefault(row.get("block") or "", []).append(text)
    return by_block


def storm(count: int, complaint_share: float, seed: int, data: tuple[dict, list[str] | None]) -> list[RawItem]:
    """A social storm (tsur.demo.bench_storm): `data` is (wordings by topic, the VK stream or None)."""
    from tsur.demo.bench_storm import storm_posts

    wordings, stream = data

    def item(run: str, i: int, complaint: bool, text: str) -> RawItem:
        return _item(run, i, COMPLAINT_MARK if complaint else STREAM_MARK, text)

    return storm_posts(count, seed, complaint_share=complaint_share, wordings=wordings, stream=stream, item=item)


def real_posts(count: int, complaint_share: float, seed: int, texts: tuple[list[str], list[str]]) -> list[RawItem]:
    """Real texts in a random order: complaints at `complaint_share`, the rest from the VK stream.
    Each pool is drawn without repetition until it runs out, then reshuffled."""
    rng = random.Random(seed)
    run = uuid.uuid4().hex[:6]
    pools = {mark: list(pool) for mark, pool in ((STREAM_MARK, texts[0]), (COMPLAINT_MARK, texts[1]))}
    left: dict[str, list[str]] = {STREAM_MARK: [], COMPLAINT_MARK: []}
    items = []
    for i in range(count):
        mark = COMPLAINT_MARK if rng.random() < complaint_share else STREAM_MARK
        if not left[mark]:
            left[mark] = pools[mark][:]
            rng.shuffle(left[mark])
        items.append(_item(run, i, mark, left[mark].pop()))
    return items


# Every WARM_SHARE-th text of each real pool warms the caches and is never used in a measured run.
WARM_SHARE = 4


def split_warm(texts: tuple[list[str], list[str]]) -> tuple[tuple[list[str], list[str]], list[str]]:
    """(the texts for the measured runs, the texts for the warm-up): disjoint."""
    keep = tuple([t for i, t in enumerate(pool) if i % WARM_SHARE] for pool in texts)
    warm = [t for pool in texts for i, t in enumerate(pool) if not i % WARM_SHARE]
    return keep, warm  # type: ignore[return-value]
