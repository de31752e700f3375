"""The real small LLM (Qwen2.5-Coder-0.5B, installed by the model-small extra) drafting for span choice."""

import re

import pytest

from app.answering import Pipeline
from app.models import MODELS, resolve_model
from app.retrieve import open_retriever
from app.settings import Settings

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def answerer():
    settings = Settings(
        model="small", mode="llm", refine="draft", auto_rebuild=False, max_tokens=160, answer_cache=False
    )
    return Pipeline.create(open_retriever(settings), settings)


def test_assembled_model_verified():
    path, name = resolve_model("small", Settings().model_cache_dir)
    assert path.stat().st_size > 100_000_000 and name == MODELS["small"].name


@pytest.mark.parametrize(
    ("q", "gold"),
    [("三江港要建设哪些物流项目?", {"第13条", "第14条"}), ("以后老百姓看病会不会更方便?", {"第27条", "第15条"})],
)
def test_in_scope_answer_has_valid_citation(answerer, q, gold):
    ans = answerer.answer(q)
    cited = {str(c) for c in ans.citations}
    assert not ans.refused and cited & gold
    context = {str(h.ref) for h in ans.hits}
    assert cited <= context  # nothing cited outside what retrieval returned
    body = "".join(a.text for a in answerer.plan.articles)
    for quote in re.findall(r"“((?:[^“”]|“[^“”]*”)*)”\[", ans.answer):
        assert all(piece in body for piece in quote.split("……") if piece)  # the model's own words never shown


@pytest.mark.parametrize("q", ["华容区区长是谁?", "鄂州市2025年的GDP是多少?", "帮我写一首诗"])
def test_out_of_scope_refused(answerer, q):
    ans = answerer.answer(q)
    assert ans.refused and not ans.citations
