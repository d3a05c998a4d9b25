"""Text preparation shared by every triage model: HTML clean-up, normalisation, tokens and stems.

Pure Python (no Django). Everything here is deterministic: the same input gives the same tokens in
every process, so a model trained in one process predicts the same in another.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

MAX_TEXT_CHARS = 20000
"""Longest text (after HTML clean-up) the classifier accepts; longer input is an error, not a cut."""

_SCRIPT_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
TOKEN_PATTERN = r"[0-9a-zа-яё]+"
"""A word token of a folded text: a run of Latin or Russian letters and digits."""
_TOKEN = re.compile(TOKEN_PATTERN)
_NON_WORD = re.compile(r"[^0-9a-zа-яё]+")
# Runs, not single characters: summing the run lengths counts the same characters with far fewer
# match objects (the share is computed for every message).
_LETTERS = re.compile(r"[^\W\d_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]+")  # the Cyrillic block (its few non-letter signs are negligible)


def clean(raw: str) -> str:
    """Strip HTML tags, comments, scripts and entities; drop zero-width characters; collapse
    whitespace. Plain text passes through unchanged except for whitespace."""
    if not raw:
        return ""
    text = raw
    if "<" in text:
        text = _COMMENT.sub(" ", text)
        text = _SCRIPT_STYLE.sub(" ", text)
        text = _TAG.sub(" ", text)
    if "&" in text:
        # Twice: portals sometimes store already-escaped entities ("&amp;nbsp;").
        text = html.unescape(html.unescape(text))
    if not text.isascii() and _ZERO_WIDTH.search(text):
        text = _ZERO_WIDTH.sub("", text)
    # str.split() splits on exactly the characters `\s` matches (str.isspace), so this is
    # `\s+` → " " plus strip, at half the cost on the hot path of classification.
    return " ".join(text.split())


def cyrillic_share(text: str) -> float:
    """Share of Cyrillic letters among all letters of `text` (0.0 when it has no letters)."""
    letters = sum(map(len, _LETTERS.findall(text)))
    if not letters:
        return 0.0
    return sum(map(len, _CYRILLIC.findall(text))) / letters


def fold(text: str) -> str:
    """Lower-case, ё→е: the spelling the models see."""
    return text.lower().replace("ё", "е")


def normalise(text: str) -> str:
    """Key for near-duplicate grouping: cleaned, folded, only letters and digits, single spaces."""
    return _NON_WORD.sub(" ", fold(clean(text))).strip()


def tokens(text: str) -> list[str]:
    """Word tokens (letters/digits runs) of an already folded text."""
    return _TOKEN.findall(text)


def char_string(text: str) -> str:
    """The string character n-grams are taken from: folded, non-word runs as one space, padded."""
    return " " + _NON_WORD.sub(" ", text).strip() + " "


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("russian")


def stems(words: list[str]) -> list[str]:
    """Snowball (PyStemmer) Russian stems; Latin words and numbers pass through the stemmer unchanged
    in effect. The stemmer keeps its own cache, so repeated words are cheap."""
    return _stemmer().stemWords(words)


def stem(word: str) -> str:
    """The Snowball stem of one word (the same as `stems([word])[0]`)."""
    return _stemmer().stemWord(word)
