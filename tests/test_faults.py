"""Faults: broken model files, databases that refuse writes, pinned dependency floors."""

import hashlib
import sqlite3
from importlib import metadata

import pytest

from app import models
from app.answering import Pipeline
from app.answering.pipeline import NO_MODEL_NOTICE
from app.feedback import FeedbackStore
from app.models import BundledModel, ModelError


@pytest.fixture()
def tiny_bundle(tmp_path, monkeypatch):
    parts = []
    for i, chunk in enumerate([b"GGUF" + b"a" * 1000, b"b" * 1000], 1):
        p = tmp_path / f"part{i:02d}.bin"
        p.write_bytes(chunk)
        parts.append(p)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest()
    bundle = BundledModel("tiny", "tiny.gguf", "tiny_part", "tiny-part", "1.0", 2, digest, 0, "tiny")
    monkeypatch.setattr(models, "_part_files", lambda m: parts)
    return bundle, parts


def test_assembly_verifies_and_repairs(tiny_bundle, tmp_path):
    bundle, _ = tiny_bundle
    cache = tmp_path / "cache"
    target = models.assemble(bundle, cache)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == bundle.sha256
    target.write_bytes(target.read_bytes()[:500])  # truncated on disk
    assert hashlib.sha256(models.assemble(bundle, cache).read_bytes()).hexdigest() == bundle.sha256


def test_wrong_checksum_is_refused_with_remedy(tiny_bundle, tmp_path):
    bundle, parts = tiny_bundle
    parts[1].write_bytes(b"corrupted")
    with pytest.raises(ModelError, match="force-reinstall"):
        models.assemble(bundle, tmp_path / "cache")
    assert not (tmp_path / "cache" / "tiny.gguf").exists()


def test_truncated_gguf_fails_cleanly(tmp_path):
    from app.llm import LlamaCppGenerator

    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ModelError, match="truncated"):
        LlamaCppGenerator(bad, "bad")


def test_missing_model_falls_back_to_quotes(fake_retriever, settings, tmp_path):
    s = settings.model_copy(update={"model": str(tmp_path / "nope.gguf"), "mode": "auto", "refine": "draft"})
    a = Pipeline.create(fake_retriever, s)
    ans = a.answer("三江港要建设哪些物流项目?")
    assert a.model is None and ans.mode == "extractive" and ans.notice == NO_MODEL_NOTICE and ans.citations
    with pytest.raises(ModelError):
        Pipeline.create(fake_retriever, s.model_copy(update={"mode": "llm"}))
    # With refinement off (the default) no model is even looked for, and no notice is needed.
    plain = Pipeline.create(fake_retriever, s.model_copy(update={"refine": "off"}))
    assert plain.model is None and plain.answer("三江港要建设哪些物流项目?").notice == ""


def test_locked_feedback_db_loses_nothing(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    assert store.add("q1", "a1", ["第1条"], "m", 1)
    blocker = sqlite3.connect(tmp_path / "fb.sqlite3", timeout=0.1)
    blocker.execute("BEGIN EXCLUSIVE")
    store_fast = FeedbackStore(tmp_path / "fb.sqlite3")
    import app.feedback as fb

    real = fb.sqlite3.connect
    fb.sqlite3.connect = lambda *a, **k: real(*a, **{**k, "timeout": 0.05})  # type: ignore[assignment]
    try:
        assert store_fast.add("q2", "a2", [], "m", -1) is False  # reported, not raised
    finally:
        fb.sqlite3.connect = real  # type: ignore[assignment]
        blocker.rollback()
        blocker.close()
    assert [r[2] for r in store.rows()] == ["q1"]
    assert store.add("q3", "a3", [], "m", 1) and [r[2] for r in store.rows()] == ["q1", "q3"]


def test_disk_full_is_reported(tmp_path, monkeypatch):
    import app.feedback as fb

    def full(*a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(fb.sqlite3, "connect", full)
    monkeypatch.setattr(fb.time, "sleep", lambda s: None)
    assert FeedbackStore(tmp_path / "fb.sqlite3").add("q", "a", [], "m", 1) is False


# Minimum versions: each floor is at or above the release that fixed a published advisory.
FLOORS = {
    "gradio": "5.31.0",  # file-route path traversal / SSRF advisories of the 4.x–5.x line
    "llama-cpp-python": "0.2.72",  # server-side template injection via GGUF chat templates
    "jinja2": "3.1.6",  # sandbox escape advisories
    "python-multipart": "0.0.18",  # multipart parsing denial of service
}


def _v(s: str) -> tuple[int, ...]:
    return tuple(int(x) for x in s.split("+")[0].split(".")[:3] if x.isdigit())


@pytest.mark.parametrize(("dist", "floor"), FLOORS.items())
def test_dependency_floors(dist, floor):
    assert _v(metadata.version(dist)) >= _v(floor), f"{dist} {metadata.version(dist)} is below {floor}: upgrade"


def test_direct_dependencies_are_pinned():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
    for dep in project["dependencies"]:
        name = dep.split("=")[0].split(">")[0].strip()
        if name in ("numpy", "pydantic", "pydantic-settings"):
            continue  # ranges on purpose: shared with torch / gradio
        assert "==" in dep, f"{dep} must be pinned"
