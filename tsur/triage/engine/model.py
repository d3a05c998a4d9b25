"""A saved text classifier: features + a sparse linear layer + a calibration temperature.

A model directory holds

* ``manifest.json`` — format version, kind, labels (and optional display names / blocks per
  label), feature parameters and vocabulary, calibration, training provenance and metrics, and the
  sha256 and size of every other file;
* ``features.npz`` — kept bigram keys, character-hash buckets and idf weights (numpy arrays only);
* ``weights-<head>.npz`` — per output head (e.g. ``category``, ``block``), the weight matrix as CSR
  parts (float16 values) and the biases.

No pickles: `numpy.load(..., allow_pickle=False)` reads plain arrays, and every file's checksum is
verified before it is parsed, so a corrupted or swapped file fails with `ModelError` naming it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tsur.triage.engine import text as textmod
from tsur.triage.engine.features import FeatureSpace

FORMAT = "tsur-text-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FEATURES_FILE = "features.npz"


class ModelError(Exception):
    """A model directory that cannot be used: missing, corrupted or mismatched files."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(directory: str | os.PathLike, *, expected_format: str = FORMAT) -> dict:
    """The parsed manifest of `directory`, checked for format and version."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise ModelError(f"{path}: model manifest not found")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: unreadable manifest ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != expected_format:
        raise ModelError(f"{path}: not a {expected_format} manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{path}: format version {manifest.get('format_version')!r}, this code reads {FORMAT_VERSION}")
    return manifest


def verified_file(directory: str | os.PathLike, manifest: Mapping, name: str) -> Path:
    """Path of artifact `name` after checking it exists and matches the manifest's sha256."""
    path = Path(directory) / name
    expected = (manifest.get("files") or {}).get(name, {}).get("sha256")
    if not expected:
        raise ModelError(f"{path}: not listed in {Path(directory) / MANIFEST}")
    if not path.is_file():
        raise ModelError(f"{path}: model file missing")
    if sha256_of(path) != expected:
        raise ModelError(f"{path}: checksum mismatch (corrupted, or from another model)")
    return path


def load_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except Exception as exc:  # numpy raises several types for damaged archives
        raise ModelError(f"{path}: unreadable numpy archive ({exc})") from exc


def write_files(directory: Path, manifest: dict, arrays: Mapping[str, Mapping[str, np.ndarray]]) -> None:
    """Write the npz artifacts, then the manifest with their checksums (last, so a half-written
    directory is never taken for a complete model)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, content in arrays.items():
        path = directory / name
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **content)
        files[name] = {"sha256": sha256_of(path), "bytes": path.stat().st_size}
    manifest = dict(manifest)
    manifest["files"] = files
    (directory / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / max(temperature, 1e-6)
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


class Head:
    """One linear output layer over the shared features: labels, weights, bias, temperature."""

    def __init__(
        self,
        labels: Sequence[str],
        weights: sp.csr_matrix,
        bias: np.ndarray,
        *,
        temperature: float = 1.0,
        label_names: Mapping[str, str] | None = None,
        label_blocks: Mapping[str, str] | None = None,
        info: Mapping | None = None,
    ) -> None:
        self.labels = list(labels)
        self.weights = weights.tocsr().astype(np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.temperature = float(temperature)
        self.label_names = dict(label_names or {})
        self.label_blocks = dict(label_blocks or {})
        self.info: dict = dict(info or {})
        if self.weights.shape[1] != len(self.labels) or self.bias.shape != (len(self.labels),):
            raise ValueError(f"weights {self.weights.shape} / bias {self.bias.shape} do not match {len(self.labels)} labels")
        self._dense: np.ndarray | None = None

    def scores(self, x: sp.csr_matrix) -> np.ndarray:
        # Sparse rows times the dense weight matrix: the saved weights are mostly non-zero
        # (LinearSVC), and sparse × sparse was a fifth of the classification time. The sums run
        # in the same order, so the scores are bit-identical to the sparse product's. The dense
        # copy (features × labels float32, ≈ 11 MB for the shipped model) is made on first use,
        # so loading stays fast.
        if self._dense is None:
            self._dense = self.weights.toarray()
        out = x @ self._dense
        out += self.bias
        return out

    def proba(self, x: sp.csr_matrix) -> np.ndarray:
        return softmax(self.scores(x), self.temperature)

    def label_name(self, label: str) -> str:
        return self.label_names.get(label, label)

    def describe(self) -> dict:
        return {
            "labels": self.labels,
            "temperature": self.temperature,
            "label_names": self.label_names,
            "label_blocks": self.label_blocks,
            **self.info,
        }


def _weights_file(head: str) -> str:
    return f"weights-{head}.npz"


class TextModel:
    """Shared `FeatureSpace` features + one or more linear heads (softmax-temperature calibrated).

    `predict` answers with the primary head (the label column the model was trained for); the
    default triage model also has a `block` head trained on the same features, so one feature
    pass serves both."""

    def __init__(self, features: FeatureSpace, heads: Mapping[str, Head], *, primary: str | None = None, info: Mapping | None = None) -> None:
        if not heads:
            raise ValueError("a model needs at least one head")
        self.features = features
        self.heads = dict(heads)
        self.primary = primary or next(iter(self.heads))
        for name, head in self.heads.items():
            if head.weights.shape[0] != features.n_features:
                raise ModelError(f"head {name!r}: {head.weights.shape[0]} weight rows for {features.n_features} features")
        self.info: dict = dict(info or {})

    # -- metadata ----------------------------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        return self.heads[self.primary].labels

    @property
    def context_columns(self) -> list[str]:
        return list(self.features.params.context_columns)

    # -- prediction --------------------------------------------------------------------------
    def features_of(self, texts: Sequence[str], context: Sequence[Mapping[str, str] | None] | None = None, *, cleaned: bool = False) -> sp.csr_matrix:
        if not cleaned:
            texts = [textmod.clean(t) for t in texts]
        return self.features.transform(texts, context)

    def predict_proba(
        self, texts: Sequence[str], context: Sequence[Mapping[str, str] | None] | None = None, *, head: str | None = None, cleaned: bool = False
    ) -> np.ndarray:
        """Calibrated probabilities (n × labels of the head). Texts are HTML-cleaned unless `cleaned`."""
        h = self.heads[head or self.primary]
        if not texts:
            return np.zeros((0, len(h.labels)), dtype=np.float32)
        return h.proba(self.features_of(texts, context, cleaned=cleaned))

    def predict(
        self, texts: Sequence[str], context: Sequence[Mapping[str, str] | None] | None = None, *, head: str | None = None
    ) -> list[tuple[str, float]]:
        """(label, confidence 0–1) per text."""
        labels = self.heads[head or self.primary].labels
        proba = self.predict_proba(texts, context, head=head)
        best = proba.argmax(axis=1) if proba.shape[0] else np.zeros(0, dtype=int)
        return [(labels[j], float(proba[i, j])) for i, j in enumerate(best)]

    def classify(
        self, texts: Sequence[str], context: Sequence[Mapping[str, str] | None] | None = None, *, cleaned: bool = False
    ) -> list[Classification]:
        """Category and (when the model knows blocks) sector block per text; see `classify_features`."""
        if not texts:
            return []
        return classify_features(self, self.features_of(texts, context, cleaned=cleaned))

    # -- persistence -------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike) -> Path:
        directory = Path(directory)
        meta, feature_arrays = self.features.to_arrays()
        arrays: dict[str, Mapping[str, np.ndarray]] = {FEATURES_FILE: feature_arrays}
        heads = {}
        for name, head in self.heads.items():
            w = head.weights.tocsr().copy()
            w.sum_duplicates()
            w.eliminate_zeros()
            arrays[_weights_file(name)] = {
                "data": w.data.astype(np.float16),
                "indices": w.indices.astype(np.int32),
                "indptr": w.indptr.astype(np.int32),
                "shape": np.array(w.shape, dtype=np.int64),
                "bias": head.bias.astype(np.float32),
            }
            heads[name] = head.describe()
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "primary": self.primary,
            "heads": heads,
            "features": meta,
            **{k: v for k, v in self.info.items() if k not in {"heads", "primary", "features", "files", "format", "format_version", "directory"}},
        }
        write_files(directory, manifest, arrays)
        return directory

    @classmethod
    def load(cls, directory: str | os.PathLike) -> TextModel:
        directory = Path(directory)
        manifest = read_manifest(directory)
        feature_path = verified_file(directory, manifest, FEATURES_FILE)
        try:
            features = FeatureSpace.from_arrays(manifest["features"], load_npz(feature_path))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{feature_path}: does not match {directory / MANIFEST} ({exc})") from exc
        heads = {}
        head_specs = manifest.get("heads")
        if not isinstance(head_specs, dict) or not head_specs:
            raise ModelError(f"{directory / MANIFEST}: no heads described")
        for name, spec in head_specs.items():
            path = verified_file(directory, manifest, _weights_file(name))
            arrays = load_npz(path)
            try:
                shape = tuple(int(v) for v in arrays["shape"])
                weights = sp.csr_matrix((arrays["data"].astype(np.float32), arrays["indices"], arrays["indptr"]), shape=shape)
                labels = list(spec["labels"])
                if shape != (features.n_features, len(labels)):
                    raise ValueError(f"weights are {shape}, the manifest describes {features.n_features} features × {len(labels)} labels")
                extra = {k: v for k, v in spec.items() if k not in {"labels", "temperature", "label_names", "label_blocks"}}
                heads[name] = Head(
                    labels,
                    weights,
                    arrays["bias"],
                    temperature=float(spec.get("temperature", 1.0)),
                    label_names=spec.get("label_names"),
                    label_blocks=spec.get("label_blocks"),
                    info=extra,
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ModelError(f"{path}: does not match {directory / MANIFEST} ({exc})") from exc
        info = {k: v for k, v in manifest.items() if k not in {"heads", "features", "primary"}}
        info["directory"] = str(directory)
        primary = manifest.get("primary")
        if primary not in heads:
            raise ModelError(f"{directory / MANIFEST}: primary head {primary!r} not among {sorted(heads)}")
        return cls(features, heads, primary=primary, info=info)


@dataclass
class Classification:
    category: str
    category_name: str
    category_confidence: float
    block: str | None
    block_confidence: float | None


def _block_matrix(head: Head, blocks: Sequence[str]) -> np.ndarray | None:
    if not head.label_blocks:
        return None
    index = {b: j for j, b in enumerate(blocks)}
    m = np.zeros((len(head.labels), len(blocks)), dtype=np.float32)
    for i, label in enumerate(head.labels):
        j = index.get(head.label_blocks.get(label, ""))
        if j is not None:
            m[i, j] = 1.0
    return m


def classify_features(
    model: TextModel, x: sp.csr_matrix, *, block_model: TextModel | None = None, block_x: sp.csr_matrix | None = None
) -> list[Classification]:
    """Category (primary head) and sector block for feature rows `x` of `model`.

    The block distribution mixes the model's own `block` head with the category head's
    probabilities summed per block (weight `block_mix` from the manifest); a model without either
    borrows the block from `block_model` (rows `block_x`). When categories carry blocks, the
    category is the most probable one inside the chosen block, and its confidence is
    P(block) · P(category | block), so it never exceeds the block's."""
    cat_head = model.heads[model.primary]
    pc = cat_head.proba(x)
    pb = None
    blocks: list[str] = []
    own_block = model.heads.get("block") if model.primary != "block" else None
    if own_block is not None:
        blocks = own_block.labels
    elif cat_head.label_blocks:
        blocks = sorted(set(cat_head.label_blocks.values()))
    m = _block_matrix(cat_head, blocks) if blocks else None
    if own_block is not None:
        pb = own_block.proba(x)
        if m is not None:
            mix = float(model.info.get("block_mix", 0.5))
            pb = mix * pb + (1.0 - mix) * (pc @ m)
    elif m is not None:
        pb = pc @ m
    elif block_model is not None and block_x is not None:
        ext = block_model.heads["block"] if "block" in block_model.heads else block_model.heads[block_model.primary]
        blocks = ext.labels
        pb = ext.proba(block_x)
    labels = cat_head.labels
    names = [cat_head.label_name(label) for label in labels]
    rows = np.arange(x.shape[0])
    if pb is None:
        j = pc.argmax(axis=1)
        conf = pc[rows, j]
        return [Classification(labels[jj], names[jj], cc, None, None) for jj, cc in zip(j.tolist(), conf.tolist(), strict=True)]
    b = pb.argmax(axis=1)
    block_p = pb[rows, b]
    if m is not None:
        inside = pc * m.T[b]
        j = inside.argmax(axis=1)
        total = inside.sum(axis=1)
        share = np.divide(inside[rows, j], total, out=np.zeros_like(total), where=total > 0)
        conf = block_p * share
    else:
        j = pc.argmax(axis=1)
        conf = pc[rows, j]
    return [
        Classification(labels[jj], names[jj], cc, blocks[bb], bp)  # tolist() gives Python floats already
        for jj, cc, bb, bp in zip(j.tolist(), conf.tolist(), b.tolist(), block_p.tolist(), strict=True)
    ]
