"""The public server under hostile requests and load (in-process server, fake slow model)."""

from __future__ import annotations

import json
import socket
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from app.answering import Pipeline
from app.feedback import FeedbackStore
from app.gate import GatedModel, ModelGate
from app.retrieve import open_retriever
from app.server import build_app, serve
from app.settings import Settings
from tests.fakes import ScriptedGenerator

pytestmark = [pytest.mark.real, pytest.mark.slow]
REPLY = "规划提出推进长期护理保险制度试点,实现社区居家养老服务中心全覆盖。[第28条]"


class Slow(ScriptedGenerator):
    def stream(self, messages, max_tokens, deadline_s):
        for piece in super().stream(messages, max_tokens, deadline_s):
            time.sleep(0.05)
            yield piece


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("srv")
    # 20 clients from one address on purpose: the per-visitor question limit is tested in test_hostile_server.py
    settings = Settings(
        auto_rebuild=False,
        queue_size=3,
        port=_port(),
        feedback_db=tmp / "fb.sqlite3",
        refine="draft",
        answer_cache=False,
        questions_burst=1000,
    )
    gate = ModelGate(settings.queue_size)
    answerer = Pipeline(open_retriever(settings), settings, GatedModel(Slow(REPLY), gate))
    server = serve(build_app(answerer, settings, FeedbackStore(settings.feedback_db)), settings, background=True)
    yield f"http://127.0.0.1:{settings.port}", gate
    server.should_exit = True


@pytest.mark.parametrize(
    "path",
    [
        "/gradio_api/file=/etc/passwd",
        "/gradio_api/file=..%2f..%2f..%2fetc%2fpasswd",
        "/GRADIO_API/FILE=/etc/passwd",
        "/gradio_api/file=%2fetc%2fpasswd",
        "/static//etc/passwd",
        "/file=/etc/passwd",
        "/gradio_api/file=/proc/self/environ",
        "/assets/..%2f..%2f..%2fetc%2fpasswd",
    ],
)
def test_file_routes_refuse(server, path):
    url, _ = server
    r = httpx.get(url + path, timeout=10)
    assert "root:x:0:0" not in r.text and "PATH=" not in r.text
    assert r.status_code in (400, 403, 404, 405) or "<!doctype html>" in r.text.lower()[:200]


def test_cors_does_not_echo_foreign_origins(server):
    url, _ = server
    for origin in ("https://evil.example", "null"):
        r = httpx.get(url + "/gradio_api/info", headers={"Origin": origin}, timeout=10)
        assert r.headers.get("access-control-allow-origin") not in (origin, "*")


def test_filedata_payloads_read_nothing_and_connect_nowhere(server, monkeypatch):
    url, _ = server
    outbound: list[object] = []
    real_connect = socket.socket.connect

    def guard(self, address):  # record any non-loopback connection made while the request runs
        host = address[0] if isinstance(address, tuple) else str(address)
        if not (str(host).startswith("127.") or host in ("localhost", "::1")):
            outbound.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guard)
    info = httpx.get(url + "/gradio_api/info", timeout=10).json()
    assert "/respond" in json.dumps(info)
    for payload in (
        {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}},
        {"url": "http://169.254.169.254/latest/meta-data/", "meta": {"_type": "gradio.FileData"}},
    ):
        from gradio_client import Client

        client = Client(url, verbose=False)
        try:
            out = client.predict(payload, [], [], api_name="/respond")
            text = json.dumps(out, ensure_ascii=False)
        except Exception as exc:
            text = str(exc)
        assert "root:x:0:0" not in text and "ami-id" not in text
    assert outbound == []


def test_twenty_clients_all_answered_model_entered_once_at_a_time(server):
    from gradio_client import Client

    url, gate = server
    durations: list[float] = []
    outcomes: list[str] = []

    def one(i: int) -> None:
        client = Client(url, verbose=False)
        t0 = time.perf_counter()
        chat, *_ = client.predict("规划里对养老有什么安排？", [], [], api_name="/respond")
        durations.append(time.perf_counter() - t0)
        last = chat[-1]["content"] if chat else ""
        outcomes.append("answered" if "第28条" in str(last) else f"other: {last}")

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(one, range(20)))
    wall = time.perf_counter() - t0
    answered = outcomes.count("answered")
    assert answered == 20, outcomes  # nobody is turned away: answers never wait for the model
    assert gate.max_inside <= 1 and not gate.busy  # the model was never entered twice, and was released
    assert httpx.get(url + "/gradio_api/info", timeout=10).status_code == 200  # still up
    p95 = sorted(durations)[int(0.95 * (len(durations) - 1))]
    print(
        f"\n20 clients: {answered} answered, wall {wall:.1f}s, "
        f"throughput {answered / wall:.2f} answers/s, p95 {p95:.1f}s, median {statistics.median(durations):.1f}s"
    )
