"""Build, save and load the retrieval index under ``index/``.

The index directory is self-describing: ``manifest.json`` records the format
version, the embedder id and dimension, the chunk settings and the sha256 of the
corpus; ``vectors.faiss`` holds normalised chunk vectors (inner product = cosine);
``chunks.jsonl`` the chunk table; ``sentences.faiss`` / ``sentences.jsonl`` the same
for the sentence view of the articles (``app.chunking.sentence_chunks``).  Loading
compares the manifest with what the current settings would build and, on any
difference, rebuilds (``auto_rebuild``) or refuses with the exact command to run.  The lexical (BM25) side is rebuilt in memory
at load time: it takes milliseconds on this corpus.

Ranking lives in ``app.retrieve``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from app.chunking import CHUNKER_VERSION, MIN_SENTENCE_CHARS, SENTENCE_VERSION, Chunk, chunk_plan, sentence_chunks
from app.corpus import Plan
from app.embed import Embedder
from app.settings import Settings

FORMAT_VERSION = 2  # 2: + sentence view
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
CHUNKS = "chunks.jsonl"
SENTENCE_VECTORS = "sentences.faiss"
SENTENCES = "sentences.jsonl"


class IndexError_(RuntimeError):
    """The index is missing, stale or corrupt; the message names the command that fixes it."""


@dataclass(frozen=True)
class Index:
    chunks: tuple[Chunk, ...]
    vectors: Any  # faiss.Index
    manifest: dict[str, Any]
    sentences: tuple[Chunk, ...] = ()
    sentence_vectors: Any = None  # faiss.Index over ``sentences``


def expected_manifest(plan: Plan, embedder: Embedder, settings: Settings) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "embedder": embedder.id,
        "dimension": embedder.dim,
        "chunking": {"size": settings.chunk_size, "overlap": settings.chunk_overlap, "version": CHUNKER_VERSION},
        "sentences": {"min_chars": MIN_SENTENCE_CHARS, "version": SENTENCE_VERSION},
        "corpus_sha256": plan.sha256,
    }


def _mismatch(found: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    return [f"{k}: index has {found.get(k)!r}, settings need {v!r}" for k, v in expected.items() if found.get(k) != v]


def _embed(embedder: Embedder, texts: list[str], what: str, log: Any) -> Any:
    parts = []
    for i in range(0, len(texts), 16):
        parts.append(embedder.embed_passages(texts[i : i + 16]))
        if log:
            log(f"已向量化 {min(i + 16, len(texts))}/{len(texts)} 个{what}")
    vecs = np.vstack(parts).astype(np.float32)
    index = faiss.IndexFlatIP(vecs.shape[1])
    index.add(vecs)
    return index


def build_index(plan: Plan, embedder: Embedder, settings: Settings, log: Any = None) -> Index:
    """Chunk, embed and write the index atomically to ``settings.index_dir``."""
    t0 = time.perf_counter()
    chunks = chunk_plan(plan, settings.chunk_size, settings.chunk_overlap)
    sents = sentence_chunks(plan)
    vectors = _embed(embedder, [c.embed_text for c in chunks], "片段", log)
    sentence_vectors = _embed(embedder, [c.embed_text for c in sents], "句子", log)
    manifest = expected_manifest(plan, embedder, settings) | {
        "n_chunks": len(chunks),
        "n_sentences": len(sents),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "build_seconds": round(time.perf_counter() - t0, 2),
    }
    _write(settings.index_dir, chunks, vectors, sents, sentence_vectors, manifest)
    return Index(tuple(chunks), vectors, manifest, tuple(sents), sentence_vectors)


def _jsonl(chunks: list[Chunk]) -> bytes:
    return "".join(json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in chunks).encode()


def _write(
    directory: Path, chunks: list[Chunk], index: Any, sents: list[Chunk], sentence_index: Any, manifest: dict[str, Any]
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    payloads = {
        CHUNKS: _jsonl(chunks),
        VECTORS: faiss.serialize_index(index).tobytes(),
        SENTENCES: _jsonl(sents),
        SENTENCE_VECTORS: faiss.serialize_index(sentence_index).tobytes(),
        MANIFEST: (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode(),
    }
    for name, data in payloads.items():  # manifest last: a half-written index never looks valid
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, directory / name)


def _read_chunks(path: Path) -> tuple[Chunk, ...]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(Chunk.from_dict(json.loads(line)) for line in lines if line.strip())


def _read_vectors(path: Path) -> Any:
    return faiss.deserialize_index(np.frombuffer(path.read_bytes(), dtype=np.uint8))


def read_index(directory: Path) -> Index:
    """Read an index directory without checking it against settings."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format_version") != FORMAT_VERSION:  # another layout: its files may not exist
            raise IndexError_(
                f"索引格式版本不符 / index format {manifest.get('format_version')!r} in {directory}, this version "
                f"reads {FORMAT_VERSION}: run `huarong-qa build-index`."
            )
        chunks = _read_chunks(directory / CHUNKS)
        vectors = _read_vectors(directory / VECTORS)
        sents = _read_chunks(directory / SENTENCES)
        sentence_vectors = _read_vectors(directory / SENTENCE_VECTORS)
    except IndexError_:
        raise
    except FileNotFoundError as exc:
        raise IndexError_(f"索引不存在 / index missing in {directory}: run `huarong-qa build-index`.") from exc
    except Exception as exc:
        raise IndexError_(f"索引已损坏 / index corrupt in {directory} ({exc}): run `huarong-qa build-index`.") from exc
    if (
        vectors.ntotal != len(chunks)
        or manifest.get("n_chunks") != len(chunks)
        or sentence_vectors.ntotal != len(sents)
        or manifest.get("n_sentences") != len(sents)
    ):
        raise IndexError_(f"索引已损坏 / index corrupt in {directory}: run `huarong-qa build-index`.")
    return Index(chunks, vectors, manifest, sents, sentence_vectors)


def load_index(plan: Plan, embedder: Embedder, settings: Settings, log: Any = None) -> Index:
    """Load the index, rebuilding it (or refusing with a remedy) when it is missing or stale."""
    expected = expected_manifest(plan, embedder, settings)
    try:
        index = read_index(settings.index_dir)
        problems = _mismatch(index.manifest, expected)
    except IndexError_ as exc:
        if not settings.auto_rebuild:
            raise
        problems = [str(exc)]
        index = None
    if not problems and index is not None:
        return index
    if not settings.auto_rebuild:
        raise IndexError_(
            "索引与当前设置不一致 / the index does not match the current settings:\n  "
            + "\n  ".join(problems)
            + f"\nRun `huarong-qa build-index` (index dir: {settings.index_dir})."
        )
    if log:
        log("索引缺失或已过期，正在重建… (" + "; ".join(problems) + ")")
    return build_index(plan, embedder, settings, log)
