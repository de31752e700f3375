"""500 questions in a row through the real retriever and the answer pipeline: memory and temp files.

Latency over the run is measured in benchmarks/ (docs/performance.md), not asserted here.
"""

import os
import tempfile
from pathlib import Path

import pytest

from app.answering import Pipeline
from app.evaluate import load_gold
from app.gate import GatedModel, ModelGate
from app.retrieve import open_retriever
from app.settings import Settings
from tests.fakes import ScriptedGenerator

pytestmark = [pytest.mark.real, pytest.mark.slow]
RSS_GROWTH_LIMIT_MB = 40


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_500_questions(tmp_path):
    settings = Settings(auto_rebuild=False, answer_cache=False, feedback_db=tmp_path / "fb.sqlite3")
    settings = settings.model_copy(update={"refine": "draft"})
    model = GatedModel(ScriptedGenerator("华容将加快三江港铁路物流基地二期建设。[第13条]"), ModelGate(4))
    answerer = Pipeline(open_retriever(settings), settings, model)
    questions = [g.question for g in load_gold()]
    tmp_before = len(os.listdir(tempfile.gettempdir()))
    for q in questions[:20]:  # warm up allocators and caches
        answerer.answer(q)
    rss0 = _rss_mb()
    answered = 0
    for i in range(500):
        answered += bool(answerer.answer(questions[i % len(questions)]).answer)
    growth = _rss_mb() - rss0
    print(f"\n500 answers: RSS growth {growth:.1f} MB")
    assert answered == 500
    assert growth < RSS_GROWTH_LIMIT_MB
    assert len(os.listdir(tempfile.gettempdir())) <= tmp_before + 2
