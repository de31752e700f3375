from __future__ import annotations

from pathlib import Path

import pytest

from app.corpus import Plan, load_plan
from app.index import build_index
from app.retrieve import Retriever
from app.settings import Settings
from tests.fakes import HashEmbedder


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan()


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(
        index_dir=tmp_path / "index", model_cache_dir=tmp_path / "cache", feedback_db=tmp_path / "feedback.sqlite3"
    )


@pytest.fixture(scope="session")
def fake_retriever(plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    s = Settings(index_dir=tmp_path_factory.mktemp("idx"))
    emb = HashEmbedder()
    return Retriever(plan, build_index(plan, emb, s), emb)
