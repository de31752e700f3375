"""500 questions in a row through the real retriever and the answer pipeline (fake model)."""

import os
import tempfile
import time
from pathlib import Path

import pytest

from app.answer import Answerer
from app.evaluate import load_gold, percentile
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
    answerer = Answerer(
        open_retriever(settings), ScriptedGenerator("华容将加快三江港铁路物流基地二期建设。[第13条]"), settings
    )
    questions = [g.question for g in load_gold()]
    tmp_before = len(os.listdir(tempfile.gettempdir()))
    for q in questions[:20]:  # warm up allocators and caches
        answerer.answer(q)
    rss0 = _rss_mb()
    times = []
    for i in range(500):
        t0 = time.perf_counter()
        answerer.answer(questions[i % len(questions)])
        times.append(time.perf_counter() - t0)
    growth = _rss_mb() - rss0
    early, late = percentile(times[:100], 0.95), percentile(times[-100:], 0.95)
    print(f"\n500 answers: RSS growth {growth:.1f} MB, p95 first/last 100: {early * 1000:.0f}/{late * 1000:.0f} ms")
    assert growth < RSS_GROWTH_LIMIT_MB
    assert late < max(3 * early, early + 0.05)
    assert len(os.listdir(tempfile.gettempdir())) <= tmp_before + 2
