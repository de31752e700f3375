"""Several app processes on one box share the feedback store and the answer cache (SQLite files) correctly."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

from app.answer_cache import AnswerCache
from app.feedback import FeedbackStore


def _rate(db: str, worker: int, n: int) -> None:
    store = FeedbackStore(Path(db))
    for i in range(n):
        # Every process rates the same answer for the same visitor, and one answer of its own per round.
        assert store.add("问题", "回答", ["第8条"], "extractive", 1 if i % 2 else -1, f"w{worker}-{i}", "visitor-a")
        assert store.add(f"问题{worker}-{i}", "回答", ["第8条"], "extractive", 1, "", f"visitor-{worker}")


def _cache(path: str, worker: int, n: int) -> None:
    cache = AnswerCache(Path(path))
    for i in range(n):
        cache.put(f"key-{worker}-{i}", {"answer": f"{worker}-{i}"})


def _run(target, *args) -> None:  # type: ignore[no-untyped-def]
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=target, args=(*args, w, 25)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert all(p.exitcode == 0 for p in procs)


def test_feedback_from_several_processes_keeps_one_row_per_answer_and_visitor(tmp_path):
    db = tmp_path / "fb.sqlite3"
    _run(_rate, str(db))
    rows = FeedbackStore(db).rows()
    shared = [r for r in rows if r[2] == "问题"]
    assert len(shared) == 1  # one rating per answer per visitor, whichever process wrote it
    assert len(rows) == 1 + 3 * 25  # nothing else lost


def test_answer_cache_written_by_several_processes_is_read_by_another(tmp_path):
    path = tmp_path / "answers.sqlite3"
    _run(_cache, str(path))
    cache = AnswerCache(path)
    assert all(cache.get(f"key-{w}-{i}") == {"answer": f"{w}-{i}"} for w in range(3) for i in range(25))
