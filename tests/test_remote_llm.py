"""Scale-out: generation on llama-cpp-python's OpenAI-compatible server (0.5B model) over loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from app.answering import Pipeline
from app.models import ModelError, resolve_model
from app.retrieve import open_retriever
from app.settings import Settings

pytestmark = [pytest.mark.real, pytest.mark.slow]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    pytest.importorskip("sse_starlette", reason="pip install -e '.[dev]' (llama_cpp.server needs it)")
    path, _ = resolve_model("small", Settings().model_cache_dir)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("w+b")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--model_alias",
            "qwen-small",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,  # a file, not a pipe: llama.cpp logs a lot
    )
    base = f"http://127.0.0.1:{port}/v1"
    for _ in range(240):
        try:
            if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        proc.kill()
        log.seek(0)
        pytest.fail("llama_cpp.server did not start: " + log.read().decode(errors="replace")[-2000:])
    yield base
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def answerer(llama_server):
    s = Settings(
        auto_rebuild=False,
        mode="llm",
        refine="draft",
        llm_base_url=llama_server,
        llm_api_model="qwen-small",
        answer_cache=False,
        max_tokens=160,
    )
    return Pipeline.create(open_retriever(s), s)


def test_in_scope_through_the_server(answerer):
    ans = answerer.answer("三江港要建设哪些物流项目?")
    assert "@ http://127.0.0.1" in answerer.model_name
    assert not ans.refused and {"第13条", "第14条"} & {str(c) for c in ans.citations}
    assert {str(c) for c in ans.citations} <= {str(h.ref) for h in ans.hits}


def test_out_of_scope_refused_without_the_server(answerer):
    assert answerer.answer("华容区区长是谁?").refused


def test_unreachable_server_is_a_clear_error():
    s = Settings(auto_rebuild=False, mode="llm", llm_base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ModelError, match=r"llama_cpp\.server"):
        Pipeline.create(open_retriever(s), s)
