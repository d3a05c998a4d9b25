"""Reading the shared datasets for complaint screening and near-duplicate evaluation.

Only the files of ``/work/shared/data`` that are meant for training are read (Kursk ``train.csv``,
St Petersburg ``appeals.csv.gz`` with messages up to 2021-03-31, the VK community posts); the
held-back Kursk test and the SPb April 2021 month are not in that folder and are never looked for.
Splits are deterministic functions of the content or of the row id, so the training and the
evaluation scripts agree without sharing state.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

VK_FILE = "vk/community_posts.csv.gz"
KURSK_FILE = "kursk/train.csv"
SPB_FILE = "spb/appeals.csv.gz"

PORTAL_HELDOUT_PERCENT = 15
"""Share of portal complaints (by normalised-text hash) kept out of training to measure recall."""

VK_TEST_PERCENT = 15
"""Share of VK posts (by id hash) kept out of training; the labelled test sample is drawn from it."""

_NON_WORD = re.compile(r"[^0-9a-zа-я]+")


@dataclass(frozen=True)
class Post:
    source: str
    row: int
    text: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.source, self.row)


def _bucket(token: str) -> int:
    return int(hashlib.md5(token.encode("utf-8")).hexdigest()[:8], 16) % 100


def text_key(text: str) -> str:
    """Normalised text used to keep duplicates on one side of a split."""
    return _NON_WORD.sub(" ", text.lower().replace("ё", "е")).strip()


def portal_is_heldout(text: str) -> bool:
    """True for portal complaints kept out of training (all copies of one text fall together)."""
    return _bucket("portal:" + text_key(text)) < PORTAL_HELDOUT_PERCENT


def vk_in_test_pool(source: str, row: int) -> bool:
    """True for VK posts reserved for the held-out test pool (never trained on)."""
    return _bucket(f"vk:{source}:{row}") < VK_TEST_PERCENT


def read_vk(data_dir: str | Path) -> list[Post]:
    path = Path(data_dir) / VK_FILE
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return [Post(r["source"], int(r["row"]), r["text"]) for r in csv.DictReader(fh)]


def read_kursk_texts(data_dir: str | Path) -> list[str]:
    path = Path(data_dir) / KURSK_FILE
    with path.open(encoding="utf-8", newline="") as fh:
        return [r["Текст Сообщения"] for r in csv.DictReader(fh) if r.get("Категория") != "12"]


def iter_spb(data_dir: str | Path) -> Iterator[dict[str, str]]:
    """Rows of the SPb appeals file (messages up to 2021-03-31 only, by construction of the file)."""
    path = Path(data_dir) / SPB_FILE
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def read_labels(path: str | Path) -> list[dict[str, str]]:
    """Hand labels: columns source,row,label (1 complaint / 0 not),split (dev/test),stratum."""
    with Path(path).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))
