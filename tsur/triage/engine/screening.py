"""Complaint screening for social-network posts: a resident's problem that someone should act on, or
community noise (ads, vacancies, news reposts, events, thanks, lost pets, neighbours' questions)?

Pure Python (numpy/scipy/scikit-learn), no Django. A linear model over hashed sparse features:

* stems of the words (Snowball Russian, PyStemmer) and stem bigrams;
* character n-grams inside each word (3–4 in the shipped model), so inflected and misspelt forms
  still meet;
* two pooled lexicon features (words a resident uses to report a problem; words of ads and
  events), which share evidence across rare words.

Every text is normalised the same way before featurisation whatever its source (HTML stripped,
scrubbing placeholders such as ``[телефон]`` and phone numbers folded into one token, the
portal's ``XXXX`` redactions removed, links replaced, social-network "Expand text" markers removed;
digits are folded to «0» inside the features) and cut to its first
``max_chars`` characters, so long letters, short portal notes and posts are compared on the same
footing. Features are TF-IDF weighted (sublinear tf) and L2-normalised.

The saved model is a directory: ``manifest.json`` (format version, feature parameters, decision
threshold, provenance, sha256 of every artifact) and ``weights.npz`` (idf and coefficients of the
hashed features seen in training). Loading verifies every checksum; a missing, corrupted or
mismatched file raises :class:`ScreeningModelError` naming it.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import zlib
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from tsur.triage.engine.model import ModelError
from tsur.triage.engine.text import clean as _shared_clean  # the engine's one HTML clean-up

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
WEIGHTS = "weights.npz"
MODEL_KIND = "complaint-screening"


# Word beginnings that pool evidence across rare words (an extra shared feature per hit): words a
# resident uses to report a problem, and words of ads, events and lost-and-found posts.
COMPLAINT_PREFIXES: tuple[str, ...] = (
    "безобраз", "беспредел", "позор", "возмутит", "возмущ", "доколе", "надоел", "издеват", "ужас", "кошмар",
    "бардак", "свинарник", "помойк", "свалк", "мусор", "грязь", "грязн", "вонь", "воня", "вонюч", "смрад",
    "антисанитар", "протека", "протечк", "затопил", "затопл", "залива", "плесен", "сломал", "сломан",
    "разбит", "разруш", "неисправ", "аварийн", "опасн", "выбоин", "гололед", "налед", "сосульк", "сугроб",
    "отключ", "жалоб", "пожалова", "жалуем", "отписк", "бездейств", "игнорир", "неубран", "хамств", "нахамил",
    "невозможно", "безответствен", "халатн", "крыс", "таракан", "шумят", "задымл",
)
NOISE_PREFIXES: tuple[str, ...] = (
    "руб", "цена", "цены", "стоимост", "скидк", "акци", "продам", "продаю", "продает", "куплю", "сдам",
    "сдаю", "сдает", "ваканс", "требуетс", "зарплат", "доставк", "заказ", "записыва", "запись", "приглаша",
    "концерт", "выставк", "лекци", "фестивал", "розыгрыш", "конкурс", "экскурс", "поздравля", "потерял",
    "потеряшк", "пристро", "ссылка", "ттелефон", "ппочта", "подписыва", "абонемент", "тренировк", "бесплатн",
)


class ScreeningModelError(ModelError):  # one error type for every triage model directory
    """The screening model directory is missing, corrupted or does not match this code."""


# --- text normalisation -------------------------------------------------------------------------

_EXPAND = re.compile(r"(?:Expand text|Показать полностью)\s*(?:…|\.\s?\.\s?\.|\.\.\.)?", re.IGNORECASE)
# "…конец.Начало" and news headlines glued to the body ("…под отельДоходный дом").
# A space goes before the capital letter. Written to start with the (rare) capital letter and to
# look behind for the glued end, so the regex engine skips most positions at once: the same result
# as matching "<end>[.!?…]?" before the capital, three times faster on real posts.
_GLUED = re.compile(r"[А-ЯЁA-Z](?=[а-яёa-z])(?:(?<=[а-яёa-z0-9»)\"].)|(?<=[а-яёa-z0-9»)\"][.!?…].))")
# The leading lookahead only lets the engine skip positions that cannot start a link.
_URL = re.compile(r"(?=[hHwWvVtT])(?:(?:https?://|www\.)\S+|\b(?:vk\.cc|vk\.com|t\.me)/\S*)", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
# +7 / 8 numbers; written to start with a character set, which the regex engine scans for quickly.
_PHONE = re.compile(r"[+8](?<!\d8)7?[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}\b")
_PLACEHOLDER = re.compile(r"\[(телефон|email|упоминание|карта|фио)\]", re.IGNORECASE)
_REDACTED = re.compile(r"X{3,}")
_DIGITS = str.maketrans("123456789", "000000000")
_WORD = re.compile(r"[а-яa-z0-9]+")
# Stem-bigram mixing constants (see Featurizer.doc_ids).
_BIGRAM_A, _BIGRAM_B, _BIGRAM_SHIFT = np.uint64(0x9E3779B1), np.uint64(0x85EBCA6B), np.uint64(7)

_PLACEHOLDER_TOKEN = {"телефон": " ттелефон ", "email": " ппочта ", "карта": " ккарта ", "упоминание": " ", "фио": " "}


def normalise(raw: str, max_chars: int = 500) -> str:
    """The text the screening model sees: cleaned, placeholders and contacts folded into fixed
    tokens, links replaced, glued sentences split, lower-cased, «ё» folded, digits folded to «0»,
    cut to ``max_chars`` characters at a word boundary."""
    if not raw:
        return ""
    if len(raw) > 2 * max_chars + 200:  # only the head is kept anyway: do not clean the rest
        raw = raw[: 2 * max_chars + 200]
    if "<" in raw or "&" in raw:
        text = _shared_clean(raw)
    else:  # plain text: the shared cleaner would only collapse whitespace
        text = " ".join(raw.split())
    if len(text) > max_chars + 100:  # the substitutions below hardly change the length
        text = text[: max_chars + 100]
    if "xpand" in text or "оказать" in text:
        text = _EXPAND.sub(" ", text)
    text = _GLUED.sub(r" \g<0>", text)
    if "://" in text or "www." in text or "vk." in text or "t.me" in text:
        text = _URL.sub(" ссылка ", text)
    if "@" in text:
        text = _EMAIL.sub(" ппочта ", text)
    if "[" in text:
        text = _PLACEHOLDER.sub(lambda m: _PLACEHOLDER_TOKEN[m.group(1).lower()], text)
    if "XXX" in text:
        text = _REDACTED.sub(" ", text)
    text = _PHONE.sub(" ттелефон ", text)
    text = text.lower().replace("ё", "е")
    if len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars + 1)
        text = text[: cut if cut > max_chars // 2 else max_chars]
    return text


# --- features ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureConfig:
    """How texts become hashed sparse features; stored in the manifest."""

    n_bits: int = 20
    max_chars: int = 500
    char_min: int = 3
    char_max: int = 4
    stem_bigrams: bool = True
    lexicon: bool = True
    hash_seed: int = 20211

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureConfig:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ScreeningModelError(f"{MANIFEST}: unknown feature parameters {sorted(unknown)}")
        return cls(**data)


class Featurizer:
    """Texts → CSR matrix of raw counts over ``2**n_bits`` hashed columns.

    Per-word features (its stem and its character n-grams) are hashed once and cached, so a batch of
    posts costs little more than tokenising it. The hash is CRC-32 (zlib) of the feature's bytes,
    seeded per feature kind, which is the same in every process and on every platform."""

    _CACHE_LIMIT = 300_000

    def __init__(self, config: FeatureConfig) -> None:
        import Stemmer

        self.config = config
        # No PyStemmer cache: every word is stemmed once and kept in the word cache below, and the
        # stemmer's own cache costs more per new word than the stemming itself.
        self._stemmer = Stemmer.Stemmer("russian", 0)
        self._mask = (1 << config.n_bits) - 1
        self._word_cache: dict[str, tuple[int, bytes]] = {}
        self._lexicon_ids = (self._h("L complaint"), self._h("L noise"))

    def _h(self, feature: str) -> int:
        return zlib.crc32(feature.encode("utf-8"), self.config.hash_seed) & self._mask

    def _word(self, word: str) -> tuple[int, bytes]:
        """(key of the word's stem for bigrams, int32 bytes of the word's own feature ids)."""
        cfg = self.config
        folded = word if word.isalpha() else word.translate(_DIGITS)  # translate is slow on Cyrillic
        stem = self._stemmer.stemWord(folded)
        stem_key = zlib.crc32(stem.encode("utf-8"), cfg.hash_seed + 101)
        ids = [self._h("w " + stem)]
        if cfg.lexicon:
            if folded.startswith(COMPLAINT_PREFIXES):
                ids.append(self._lexicon_ids[0])
            if folded.startswith(NOISE_PREFIXES):
                ids.append(self._lexicon_ids[1])
        # Character n-grams of "<word>": CRC-32 of UTF-16 slices, seeded by n (no string building).
        units = f"<{folded}>".encode("utf-16-le")
        end = len(units) + 1
        mask = self._mask
        crc = zlib.crc32
        for n in range(cfg.char_min, cfg.char_max + 1):
            seed = cfg.hash_seed + n
            width = 2 * n
            ids += [crc(units[i : i + width], seed) & mask for i in range(0, end - width, 2)]
        hit = (stem_key, array("i", ids).tobytes())
        if len(self._word_cache) >= self._CACHE_LIMIT:
            self._word_cache.clear()
        self._word_cache[word] = hit
        return hit

    def doc_ids(self, normalised: str) -> bytes:
        """Hashed feature ids of one normalised text (with repetitions), as native int32 bytes."""
        words = _WORD.findall(normalised)
        if not words:
            return b""
        get = self._word_cache.get
        make = self._word
        hits = [get(word) or make(word) for word in words]
        ids = b"".join([hit[1] for hit in hits])
        if not self.config.stem_bigrams or len(hits) < 2:
            return ids
        # Stem bigrams: an integer mix of the two stems' 32-bit keys (order matters), computed for
        # the whole text at once. Only bits 7..26 of the product are kept, and those do not depend
        # on anything above bit 63, so uint64 arithmetic (which wraps) gives the exact result.
        keys = np.fromiter([hit[0] for hit in hits], dtype=np.uint64, count=len(hits))
        pairs = (((keys[:-1] * _BIGRAM_A) ^ keys[1:]) * _BIGRAM_B >> _BIGRAM_SHIFT) & np.uint64(self._mask)
        return ids + pairs.astype(np.int32).tobytes()

    def counts(self, texts: Sequence[str], *, normalised: bool = False) -> sp.csr_matrix:
        """Raw term counts of ``texts`` (normalised here unless ``normalised`` is True)."""
        docs: list[bytes] = []
        max_chars = self.config.max_chars
        for text in texts:
            docs.append(self.doc_ids(text if normalised else normalise(text, max_chars)))
        n_docs = len(docs)
        lengths = np.fromiter((len(d) // 4 for d in docs), dtype=np.int64, count=n_docs)
        cols = np.frombuffer(b"".join(docs), dtype=np.int32)
        rows = np.repeat(np.arange(n_docs, dtype=np.int32), lengths)
        data = np.ones(cols.shape[0], dtype=np.float32)
        # COO → CSR adds up repeated (row, column) pairs: the term counts.
        return sp.coo_matrix((data, (rows, cols)), shape=(n_docs, 1 << self.config.n_bits)).tocsr()


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf × idf, rows L2-normalised (a new matrix; ``counts`` is left alone)."""
    data = (1.0 + np.log(counts.data)) * idf[counts.indices]
    row_len = np.diff(counts.indptr)
    norms = np.ones(counts.shape[0], dtype=np.float64)
    filled = row_len > 0
    if filled.any():
        norms[filled] = np.sqrt(np.add.reduceat(data * data, counts.indptr[:-1][filled]))
    norms[norms == 0] = 1.0
    data = (data / np.repeat(norms, row_len)).astype(np.float32)
    return sp.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- the model ---------------------------------------------------------------------------------


class ComplaintScreen:
    """A trained complaint screen. Use :meth:`load` for the shipped model, :meth:`train` to fit one."""

    def __init__(
        self,
        *,
        config: FeatureConfig,
        idf: np.ndarray,
        coef: np.ndarray,
        intercept: float,
        threshold: float = 0.5,
        provenance: dict[str, Any] | None = None,
    ) -> None:
        size = 1 << config.n_bits
        if idf.shape != (size,) or coef.shape != (size,):
            raise ScreeningModelError(f"{WEIGHTS}: arrays do not match n_bits={config.n_bits}")
        self.config = config
        self.idf = idf.astype(np.float32)
        self.coef = coef.astype(np.float32)
        self.intercept = float(intercept)
        self.threshold = float(threshold)
        self.provenance = dict(provenance or {})
        self.featurizer = Featurizer(config)

    # prediction

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Raw linear scores (log-odds under the training class balance)."""
        if not texts:
            return np.zeros(0, dtype=np.float64)
        matrix = _tfidf(self.featurizer.counts(texts), self.idf)
        return matrix @ self.coef.astype(np.float64) + self.intercept

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability that each text is a complaint (see the evaluation doc for calibration)."""
        scores = np.clip(self.decision_function(texts), -40.0, 40.0)
        return 1.0 / (1.0 + np.exp(-scores))

    def predict(self, texts: Iterable[str]) -> list[tuple[bool, float]]:
        """``(is_complaint, probability)`` per text; ``is_complaint`` is ``probability >= threshold``."""
        batch = [t or "" for t in texts]
        probs = self.predict_proba(batch)
        return [(bool(p >= self.threshold), round(float(p), 4)) for p in probs]

    # training

    @classmethod
    def train(
        cls,
        positives: Sequence[str],
        negatives: Sequence[str],
        *,
        positive_weights: Sequence[float] | None = None,
        negative_weights: Sequence[float] | None = None,
        config: FeatureConfig | None = None,
        c: float = 4.0,
        min_df: int = 2,
        threshold: float = 0.5,
        provenance: dict[str, Any] | None = None,
    ) -> ComplaintScreen:
        """Fit a logistic regression on ``positives`` (complaints) vs ``negatives`` (noise).

        Classes are re-weighted to equal total weight; optional per-text weights are applied within
        each class (e.g. to down-weight pseudo-labels). Features seen in fewer than ``min_df`` texts
        are dropped."""
        from sklearn.linear_model import LogisticRegression

        if not positives or not negatives:
            raise ValueError("training needs both complaints and non-complaints")
        config = config or FeatureConfig()
        featurizer = Featurizer(config)
        texts = list(positives) + list(negatives)
        y = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives))])
        pw = np.asarray(positive_weights if positive_weights is not None else np.ones(len(positives)), dtype=np.float64)
        nw = np.asarray(negative_weights if negative_weights is not None else np.ones(len(negatives)), dtype=np.float64)
        weights = np.concatenate([pw * (len(texts) / 2.0 / pw.sum()), nw * (len(texts) / 2.0 / nw.sum())])

        counts = featurizer.counts(texts)
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        n_docs = counts.shape[0]
        kept = df >= min_df
        idf = np.where(kept, np.log((1.0 + n_docs) / (1.0 + df)) + 1.0, 0.0).astype(np.float32)
        matrix = _tfidf(counts, idf)
        matrix.eliminate_zeros()

        used = np.flatnonzero(kept)
        model = LogisticRegression(C=c, solver="liblinear", max_iter=500)
        model.fit(matrix[:, used], y, sample_weight=weights)
        coef = np.zeros(counts.shape[1], dtype=np.float32)
        coef[used] = model.coef_.ravel()
        prov = dict(provenance or {})
        prov.setdefault("n_positive", len(positives))
        prov.setdefault("n_negative", len(negatives))
        prov.setdefault("c", c)
        prov.setdefault("min_df", min_df)
        return cls(config=config, idf=idf, coef=coef, intercept=float(model.intercept_[0]), threshold=threshold, provenance=prov)

    # persistence

    def save(self, directory: str | Path) -> Path:
        """Write ``weights.npz`` and ``manifest.json`` (with checksums) into ``directory``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        seen = np.flatnonzero(self.idf > 0).astype(np.int32)
        weights_path = out / WEIGHTS
        with weights_path.open("wb") as fh:
            np.savez_compressed(
                fh,
                index=seen,
                idf=self.idf[seen].astype(np.float16),
                coef=self.coef[seen].astype(np.float16),
                intercept=np.array([self.intercept], dtype=np.float64),
            )
        manifest = {
            "kind": MODEL_KIND,
            "format_version": FORMAT_VERSION,
            "labels": ["not_complaint", "complaint"],
            "features": self.config.to_json(),
            "threshold": self.threshold,
            "provenance": self.provenance,
            "artifacts": {WEIGHTS: {"sha256": _sha256(weights_path), "bytes": weights_path.stat().st_size}},
        }
        (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return out

    @classmethod
    def load(cls, directory: str | Path) -> ComplaintScreen:
        """Load a saved model, verifying the manifest and every artifact's sha256."""
        root = Path(directory)
        manifest_path = root / MANIFEST
        if not manifest_path.is_file():
            raise ScreeningModelError(f"{manifest_path}: screening model manifest not found")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ScreeningModelError(f"{manifest_path}: unreadable manifest ({exc})") from exc
        if not isinstance(manifest, dict) or manifest.get("kind") != MODEL_KIND:
            raise ScreeningModelError(f"{manifest_path}: not a complaint-screening manifest")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ScreeningModelError(
                f"{manifest_path}: format version {manifest.get('format_version')!r}, this code reads {FORMAT_VERSION}"
            )
        artifacts = manifest.get("artifacts") or {}
        if WEIGHTS not in artifacts:
            raise ScreeningModelError(f"{manifest_path}: {WEIGHTS} is not listed among the artifacts")
        for name, meta in artifacts.items():
            path = root / name
            if not path.is_file():
                raise ScreeningModelError(f"{path}: model artifact missing")
            if _sha256(path) != (meta or {}).get("sha256"):
                raise ScreeningModelError(f"{path}: checksum mismatch (file corrupted or replaced)")
        config = FeatureConfig.from_json(manifest.get("features") or {})
        weights_path = root / WEIGHTS
        try:
            with np.load(weights_path, allow_pickle=False) as data:
                index = data["index"].astype(np.int64)
                size = 1 << config.n_bits
                idf = np.zeros(size, dtype=np.float32)
                coef = np.zeros(size, dtype=np.float32)
                idf[index] = data["idf"].astype(np.float32)
                coef[index] = data["coef"].astype(np.float32)
                intercept = float(data["intercept"][0])
        except (OSError, ValueError, KeyError, IndexError) as exc:
            raise ScreeningModelError(f"{weights_path}: unreadable weights ({exc})") from exc
        threshold = manifest.get("threshold", 0.5)
        if not isinstance(threshold, int | float) or not math.isfinite(threshold) or not 0.0 <= threshold <= 1.0:
            raise ScreeningModelError(f"{manifest_path}: invalid threshold {threshold!r}")
        return cls(config=config, idf=idf, coef=coef, intercept=intercept, threshold=threshold, provenance=manifest.get("provenance"))
