"""A saved text classifier: features + a sparse linear layer + a calibration temperature.

A model directory holds

* ``manifest.json`` — format version, kind, labels (and optional display names / blocks per
  label), feature parameters and vocabulary, calibration, training provenance and metrics, and the
  sha256 and size of every other file;
* ``features.npz`` — kept bigram keys, character-hash buckets and idf weights (numpy arrays only);
* ``weights.npz`` — the weight matrix as CSR parts (float16 values) and the biases.

No pickles: `numpy.load(..., allow_pickle=False)` reads plain arrays, and every file's checksum is
verified before it is parsed, so a corrupted or swapped file fails with `ModelError` naming it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tsur.triage.engine import text as textmod
from tsur.triage.engine.features import FeatureSpace

FORMAT = "tsur-text-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FEATURES_FILE = "features.npz"
WEIGHTS_FILE = "weights.npz"


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


class TextModel:
    """Linear text classifier over `FeatureSpace` features with softmax-temperature calibration."""

    def __init__(
        self,
        features: FeatureSpace,
        labels: Sequence[str],
        weights: sp.csr_matrix,
        bias: np.ndarray,
        *,
        temperature: float = 1.0,
        info: Mapping | None = None,
    ) -> None:
        if weights.shape != (features.n_features, len(labels)) or bias.shape != (len(labels),):
            raise ModelError(f"weights {weights.shape} / bias {bias.shape} do not match {features.n_features} features × {len(labels)} labels")
        self.features = features
        self.labels = list(labels)
        self.weights = weights.tocsr().astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.temperature = float(temperature)
        self.info: dict = dict(info or {})

    # -- metadata ----------------------------------------------------------------------------
    @property
    def context_columns(self) -> list[str]:
        return list(self.features.params.context_columns)

    def label_name(self, label: str) -> str:
        return (self.info.get("label_names") or {}).get(label, label)

    def label_block(self, label: str) -> str | None:
        return (self.info.get("label_blocks") or {}).get(label)

    # -- prediction --------------------------------------------------------------------------
    def decision(self, texts: Sequence[str], context: Sequence[Mapping[str, str] | None] | None = None) -> np.ndarray:
        """Raw linear scores (n × labels) for already cleaned texts."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        x = self.features.transform(texts, context)
        scores = (x @ self.weights).toarray()
        scores += self.bias
        return scores

    def predict_proba(self, texts: Sequence[str], context: Sequence[Mapping[str, str] | None] | None = None, *, cleaned: bool = False) -> np.ndarray:
        """Calibrated probabilities (n × labels). Texts are HTML-cleaned unless `cleaned`."""
        if not cleaned:
            texts = [textmod.clean(t) for t in texts]
        return softmax(self.decision(texts, context), self.temperature)

    def predict(self, texts: Sequence[str], context: Sequence[Mapping[str, str] | None] | None = None) -> list[tuple[str, float]]:
        """(label, confidence 0–1) per text."""
        proba = self.predict_proba(texts, context)
        best = proba.argmax(axis=1) if proba.shape[0] else np.zeros(0, dtype=int)
        return [(self.labels[j], float(proba[i, j])) for i, j in enumerate(best)]

    # -- persistence -------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike) -> Path:
        directory = Path(directory)
        meta, feature_arrays = self.features.to_arrays()
        w = self.weights.tocsr()
        w.sum_duplicates()
        weight_arrays = {
            "data": w.data.astype(np.float16),
            "indices": w.indices.astype(np.int32),
            "indptr": w.indptr.astype(np.int64),
            "shape": np.array(w.shape, dtype=np.int64),
            "bias": self.bias.astype(np.float32),
        }
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "labels": self.labels,
            "temperature": self.temperature,
            "features": meta,
            **{k: v for k, v in self.info.items() if k not in {"labels", "features", "files", "format", "format_version"}},
        }
        write_files(directory, manifest, {FEATURES_FILE: feature_arrays, WEIGHTS_FILE: weight_arrays})
        return directory

    @classmethod
    def load(cls, directory: str | os.PathLike) -> TextModel:
        directory = Path(directory)
        manifest = read_manifest(directory)
        feature_path = verified_file(directory, manifest, FEATURES_FILE)
        weight_path = verified_file(directory, manifest, WEIGHTS_FILE)
        try:
            features = FeatureSpace.from_arrays(manifest["features"], load_npz(feature_path))
        except ModelError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{feature_path}: does not match {directory / MANIFEST} ({exc})") from exc
        arrays = load_npz(weight_path)
        try:
            shape = tuple(int(v) for v in arrays["shape"])
            weights = sp.csr_matrix((arrays["data"].astype(np.float32), arrays["indices"], arrays["indptr"]), shape=shape)
            bias = arrays["bias"]
            labels = manifest["labels"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{weight_path}: malformed weights ({exc})") from exc
        if shape != (features.n_features, len(labels)):
            raise ModelError(f"{weight_path}: weights are {shape}, the manifest describes {features.n_features} features × {len(labels)} labels")
        info = {k: v for k, v in manifest.items() if k not in {"labels", "features", "temperature"}}
        info["directory"] = str(directory)
        return cls(features, labels, weights, np.asarray(bias), temperature=float(manifest.get("temperature", 1.0)), info=info)
