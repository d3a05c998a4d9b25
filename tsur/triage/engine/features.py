"""Sparse text features for the linear triage models, built for speed and a small saved model.

Four groups of columns, each TF-IDF weighted (sublinear tf), L2-normalised and scaled by its weight:

* word stems (Snowball Russian) — a vocabulary of stems seen in at least `min_df` training texts;
* stem bigrams — pairs of known stems, kept when seen in at least `min_df` texts;
* character n-grams of the folded text (whole string, spaces included) — hashed by a rolling
  polynomial hash computed with numpy over a whole batch at once, then only the buckets seen in
  at least `min_df` training texts are kept;
* categorical context (e.g. `city_object=Двор`) — one column per value seen in training.

The hash is our own arithmetic on code points (not Python's salted `hash`), so it is identical in
every process. Only kept features get a column, so the weight matrix stays small and features
never seen in training cost nothing at prediction time.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp

from tsur.triage.engine import text as textmod

_MULT = np.uint64(0x9E3779B97F4A7C15)  # golden-ratio multiplier for the final mix
_STEP = np.uint64(1_000_003)  # polynomial base of the rolling hash
_NSALT = [np.uint64((n * 0x632BE59BD9B4E019) & 0xFFFFFFFFFFFFFFFF) for n in range(16)]  # separates n-gram lengths


@dataclass
class FeatureParams:
    char_min: int = 2
    char_max: int = 4
    char_bits: int = 21
    word_bigrams: bool = True
    min_df: int = 2
    max_df: float = 1.0
    word_weight: float = 1.0
    bigram_weight: float = 0.6
    char_weight: float = 0.0  # character n-grams off by default: no measured gain, half the speed (docs/triage-evaluation.md)
    context_weight: float = 0.5
    context_columns: list[str] = field(default_factory=list)
    exact_tf: bool = True

    @property
    def uses_chars(self) -> bool:
        return self.char_weight > 0 and self.char_max >= self.char_min >= 1

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping) -> FeatureParams:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def _char_buckets(texts: Sequence[str], params: FeatureParams) -> tuple[np.ndarray, np.ndarray]:
    """(doc index, bucket) for every character n-gram of every text (duplicates included)."""
    joined = "\x00".join(textmod.char_string(t) for t in texts) + "\x00"
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    is_sep = codes == 0
    zeros = np.concatenate(([0], np.cumsum(is_sep)))  # zeros[i] = separators before position i
    length = codes.shape[0]
    shift = np.uint64(64 - params.char_bits)
    docs, buckets = [], []
    rolling = np.zeros(length, dtype=np.uint64)
    for n in range(1, params.char_max + 1):
        span = length - n + 1
        if span <= 0:
            break
        rolling = rolling[:span] * _STEP + codes[n - 1 : n - 1 + span]
        if n < params.char_min:
            continue
        starts = np.flatnonzero(zeros[n : n + span] == zeros[:span])
        if n == 1:
            # Single characters: letters and digits only (a lone space says nothing).
            starts = starts[codes[starts] != 32]
        mixed = (rolling[starts] + _NSALT[n]) * _MULT
        buckets.append((mixed >> shift).astype(np.int64))
        docs.append(zeros[starts])
    if not buckets:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(docs).astype(np.int64), np.concatenate(buckets)


def _word_ids(texts: Sequence[str], vocab: Mapping[str, int] | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(doc index per token, stem id per token or -1, stems) for folded texts."""
    per_doc = [textmod.tokens(t) for t in texts]
    lengths = np.fromiter((len(toks) for toks in per_doc), dtype=np.int64, count=len(per_doc))
    flat = [tok for toks in per_doc for tok in toks]
    stems = textmod.stems(flat) if flat else []
    doc = np.repeat(np.arange(len(per_doc), dtype=np.int64), lengths)
    if vocab is None:
        ids = np.full(len(stems), -1, dtype=np.int64)
    else:
        get = vocab.get
        ids = np.fromiter((get(s, -1) for s in stems), dtype=np.int64, count=len(stems))
    return doc, ids, stems


_BREAK = "\x00"  # joins a batch's texts into one string; never part of a token
_TOKEN_OR_BREAK = re.compile(f"{textmod.TOKEN_PATTERN}|{_BREAK}")  # textmod.tokens' pattern, plus the joint
_BREAK_ID = -2
_TOKEN_CACHE_LIMIT = 300_000
"""Most distinct tokens a feature space remembers the column of (≈ 30 MB); beyond that, new
tokens are still stemmed, only not remembered. Typos and numbers make the set unbounded."""


class _TokenColumns(dict):
    """Word token -> vocabulary column of its stem (-1 when unknown), filled on first sight.

    One dict lookup per token replaces stemming plus a vocabulary lookup: prediction-time texts
    repeat a few thousand words, and stemming was a third of the classification time. A missing
    token is stemmed alone (the Snowball stemmer is per word, so this equals batch stemming)."""

    def __init__(self, vocab: Mapping[str, int]) -> None:
        super().__init__({_BREAK: _BREAK_ID})
        self.vocab = vocab

    def __missing__(self, token: str) -> int:
        column = self.vocab.get(textmod.stem(token), -1)
        if len(self) < _TOKEN_CACHE_LIMIT:
            self[token] = column
        return column


def _word_columns(texts: Sequence[str], columns: _TokenColumns) -> tuple[np.ndarray, np.ndarray]:
    """(doc index per token, vocabulary column per token or -1) for raw (unfolded) texts — what
    `_word_ids` gives for the folded texts, from one regex pass and one fold over the whole batch
    joined by NUL characters. A text that contains a NUL itself would shift the document count,
    so such a batch takes the per-text path."""
    joined = _BREAK.join(texts)
    if joined.count(_BREAK) != max(len(texts) - 1, 0):
        doc, _, stems = _word_ids([textmod.fold(t) for t in texts], None)
        return doc, np.fromiter(map(columns.vocab.get, stems, itertools.repeat(-1)), dtype=np.int64, count=len(stems))
    # Lower-casing the joined batch equals lower-casing each text for these tokens: the only
    # context-dependent lower-casing (Greek final sigma) concerns letters no token contains.
    flat = _TOKEN_OR_BREAK.findall(textmod.fold(joined))
    ids = np.fromiter(map(columns.__getitem__, flat), dtype=np.int64, count=len(flat))
    breaks = ids == _BREAK_ID
    words = ~breaks
    return np.cumsum(breaks)[words], ids[words]


def _bigram_codes(doc: np.ndarray, ids: np.ndarray, n_vocab: int) -> tuple[np.ndarray, np.ndarray]:
    if ids.shape[0] < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    ok = (doc[:-1] == doc[1:]) & (ids[:-1] >= 0) & (ids[1:] >= 0)
    return doc[:-1][ok], ids[:-1][ok] * n_vocab + ids[1:][ok]


def _doc_freq(doc: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys and the number of distinct docs each occurs in."""
    if keys.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    n_docs = int(doc.max()) + 1
    pairs = _sorted_unique(keys * n_docs + doc)[0]
    return _sorted_unique(pairs // n_docs)


def _sorted_unique(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique values and their counts (a plain sort: faster here than numpy's hash path)."""
    ordered = np.sort(values, kind="stable")
    if ordered.shape[0] == 0:
        return ordered, np.zeros(0, dtype=np.int64)
    first = np.empty(ordered.shape[0], dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, ordered.shape[0]))
    return ordered[starts], counts


def _idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    return (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0).astype(np.float32)


def _block(doc: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int, idf: np.ndarray, weight: float, exact: bool) -> sp.csr_matrix:
    """TF-IDF rows, L2-normalised and scaled by `weight`. `doc` must be non-decreasing.

    exact=True: duplicates summed, sublinear tf (1 + log count), exact norm — needs a per-row sort.
    exact=False (the fast path used at prediction time when the model was trained that way): one
    entry per occurrence holding idf (raw tf), rows scaled by sqrt(sum of idf² over occurrences); the
    entries are left unsorted, which sparse products handle.
    """
    keep = cols >= 0
    doc, cols = doc[keep], cols[keep]
    counts = np.bincount(doc, minlength=n_rows)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    if exact:
        mat = sp.csr_matrix((np.ones(cols.shape[0], dtype=np.float32), cols.astype(np.int32), indptr), shape=(n_rows, n_cols))
        mat.sum_duplicates()
        mat.data = (1.0 + np.log(mat.data)) * idf[mat.indices]
        sq = np.asarray(mat.multiply(mat).sum(axis=1)).ravel()
        lengths = np.diff(mat.indptr)
    else:
        values = idf[cols]
        mat = sp.csr_matrix((values, cols.astype(np.int32), indptr), shape=(n_rows, n_cols))
        mat.has_sorted_indices = False
        sq = np.bincount(doc, weights=values.astype(np.float64) ** 2, minlength=n_rows)
        lengths = counts
    norms = np.sqrt(sq)
    norms[norms == 0] = 1.0
    mat.data = mat.data * np.repeat((weight / norms).astype(np.float32), lengths)
    return mat


class FeatureSpace:
    """Fitted vocabularies + idf; `transform` turns texts (and optional context) into a CSR matrix."""

    def __init__(self, params: FeatureParams | None = None) -> None:
        self.params = params or FeatureParams()
        self.stems: list[str] = []
        self.vocab: dict[str, int] = {}
        self.bigram_keys = np.zeros(0, dtype=np.int64)
        self.char_keys = np.zeros(0, dtype=np.int64)
        self.context_values: list[str] = []
        self.idf_word = np.zeros(0, dtype=np.float32)
        self.idf_bigram = np.zeros(0, dtype=np.float32)
        self.idf_char = np.zeros(0, dtype=np.float32)
        self._char_lookup: np.ndarray | None = None
        self._context_index: dict[str, int] = {}
        self._columns = _TokenColumns(self.vocab)

    # -- sizes -------------------------------------------------------------------------------
    @property
    def n_features(self) -> int:
        return len(self.stems) + self.bigram_keys.shape[0] + self.char_keys.shape[0] + len(self.context_values)

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], contexts: Sequence[Mapping[str, str]] | None = None) -> FeatureSpace:
        p = self.params
        folded = [textmod.fold(t) for t in texts]
        n = len(folded)
        max_df = p.max_df * n if p.max_df <= 1.0 else p.max_df

        def keep(df: np.ndarray) -> np.ndarray:
            return (df >= p.min_df) & (df <= max_df)

        doc, _ids, stems = _word_ids(folded, None)
        stem_arr = np.array(stems, dtype=object)
        uniq_stems, inverse = np.unique(stem_arr, return_inverse=True) if stems else (np.array([], dtype=object), np.zeros(0, dtype=np.int64))
        s_uniq, s_df = _doc_freq(doc, inverse.astype(np.int64))
        kept = s_uniq[keep(s_df)]
        self.stems = [str(uniq_stems[i]) for i in kept]
        self.vocab = {s: i for i, s in enumerate(self.stems)}
        self.idf_word = _idf(s_df[keep(s_df)], n)

        remap = np.full(len(uniq_stems), -1, dtype=np.int64)
        remap[kept] = np.arange(kept.shape[0])
        ids = remap[inverse] if stems else np.zeros(0, dtype=np.int64)
        if p.word_bigrams:
            bdoc, bcodes = _bigram_codes(doc, ids, len(self.stems))
            b_uniq, b_df = _doc_freq(bdoc, bcodes)
            self.bigram_keys = b_uniq[keep(b_df)]
            self.idf_bigram = _idf(b_df[keep(b_df)], n)

        if p.uses_chars:
            cdoc, cbuckets = _char_buckets(folded, p)
            c_uniq, c_df = _doc_freq(cdoc, cbuckets)
            self.char_keys = c_uniq[keep(c_df)]
            self.idf_char = _idf(c_df[keep(c_df)], n)

        values: set[str] = set()
        if contexts is not None and p.context_columns:
            for ctx in contexts:
                for col in p.context_columns:
                    value = (ctx or {}).get(col)
                    if value not in (None, ""):
                        values.add(f"{col}={value}")
        self.context_values = sorted(values)
        self._prepare()
        return self

    def _prepare(self) -> None:
        if self.params.uses_chars:
            lookup = np.full(1 << self.params.char_bits, -1, dtype=np.int32)
            lookup[self.char_keys] = np.arange(self.char_keys.shape[0], dtype=np.int32)
            self._char_lookup = lookup
        self._context_index = {v: i for i, v in enumerate(self.context_values)}
        if not self.vocab and self.stems:
            self.vocab = {s: i for i, s in enumerate(self.stems)}
        self._columns = _TokenColumns(self.vocab)

    # -- transforming ------------------------------------------------------------------------
    def transform(
        self, texts: Sequence[str], contexts: Sequence[Mapping[str, str] | None] | None = None, *, canonical: bool = False
    ) -> sp.csr_matrix:
        """Feature rows for `texts`. canonical=True sums duplicate entries and sorts them (for training)."""
        p = self.params
        exact = p.exact_tf
        n = len(texts)
        blocks = []
        doc, ids = _word_columns(texts, self._columns)
        blocks.append(_block(doc, ids, n, len(self.stems), self.idf_word, p.word_weight, exact))
        if p.word_bigrams:
            bdoc, bcodes = _bigram_codes(doc, ids, len(self.stems))
            nb = self.bigram_keys.shape[0]
            pos = np.searchsorted(self.bigram_keys, bcodes)
            pos_c = np.minimum(pos, max(nb - 1, 0))
            found = (pos < nb) & (self.bigram_keys[pos_c] == bcodes) if nb else np.zeros(bcodes.shape[0], dtype=bool)
            blocks.append(_block(bdoc, np.where(found, pos, -1), n, nb, self.idf_bigram, p.bigram_weight, exact))
        if p.uses_chars:
            cdoc, cbuckets = _char_buckets([textmod.fold(t) for t in texts], p)
            cols = self._char_lookup[cbuckets].astype(np.int64)
            blocks.append(_block(cdoc, cols, n, self.char_keys.shape[0], self.idf_char, p.char_weight, exact))
        if self.context_values:
            rows, cols = [], []
            for i in range(n):
                ctx = contexts[i] if contexts is not None else None
                if not ctx:
                    continue
                for col in p.context_columns:
                    j = self._context_index.get(f"{col}={ctx.get(col)}")
                    if j is not None:
                        rows.append(i)
                        cols.append(j)
            ctx_mat = sp.csr_matrix((np.full(len(rows), p.context_weight, dtype=np.float32), (rows, cols)), shape=(n, len(self.context_values)))
            blocks.append(ctx_mat)
        mat = sp.hstack(blocks, format="csr", dtype=np.float32)
        if canonical:
            mat.sum_duplicates()
        return mat

    # -- persistence -------------------------------------------------------------------------
    def to_arrays(self) -> tuple[dict, dict[str, np.ndarray]]:
        """(JSON-able description, numpy arrays) — see `from_arrays`."""
        meta = {"params": self.params.to_json(), "stems": self.stems, "context_values": self.context_values}
        arrays = {
            "bigram_keys": self.bigram_keys.astype(np.int64),
            "char_keys": self.char_keys.astype(np.int32 if self.params.char_bits <= 31 else np.int64),
            "idf_word": self.idf_word.astype(np.float16),
            "idf_bigram": self.idf_bigram.astype(np.float16),
            "idf_char": self.idf_char.astype(np.float16),
        }
        return meta, arrays

    @classmethod
    def from_arrays(cls, meta: Mapping, arrays: Mapping[str, np.ndarray]) -> FeatureSpace:
        space = cls(FeatureParams.from_json(meta["params"]))
        space.stems = list(meta["stems"])
        space.vocab = {s: i for i, s in enumerate(space.stems)}
        space.context_values = list(meta.get("context_values", []))
        space.bigram_keys = np.asarray(arrays["bigram_keys"], dtype=np.int64)
        space.char_keys = np.asarray(arrays["char_keys"], dtype=np.int64)
        space.idf_word = np.asarray(arrays["idf_word"], dtype=np.float32)
        space.idf_bigram = np.asarray(arrays["idf_bigram"], dtype=np.float32)
        space.idf_char = np.asarray(arrays["idf_char"], dtype=np.float32)
        if space.idf_word.shape[0] != len(space.stems) or space.idf_char.shape[0] != space.char_keys.shape[0]:
            raise ValueError("feature arrays do not match the vocabulary")
        if space.char_keys.shape[0] and int(space.char_keys.max()) >= (1 << space.params.char_bits):
            raise ValueError("character feature keys exceed the hash space")
        space._prepare()
        return space
