"""The public server under hostile requests and load (in-process server, fake slow model)."""

from __future__ import annotations

import json
import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from app.answer import Answerer
from app.feedback import FeedbackStore
from app.retrieve import open_retriever
from app.server import build_app, serve
from app.settings import Settings
from app.ui import BUSY, ModelGate
from tests.fakes import ScriptedGenerator

pytestmark = [pytest.mark.real, pytest.mark.slow]
REPLY = "规划提出推进长期护理保险制度试点,实现社区居家养老服务中心全覆盖。[第28条]"


class Slow(ScriptedGenerator):
    def stream(self, messages, max_tokens, deadline_s, state=None):
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
        auto_rebuild=False, queue_size=3, port=_port(), feedback_db=tmp / "fb.sqlite3", questions_burst=1000
    )
    answerer = Answerer(open_retriever(settings), Slow(REPLY), settings)
    gate = ModelGate(settings.queue_size)
    server = serve(build_app(answerer, settings, FeedbackStore(settings.feedback_db), gate), settings, background=True)
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


def test_twenty_clients_bounded_queue(server):
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
        outcomes.append("busy" if BUSY in str(last) else ("answered" if "第28条" in str(last) else "other"))

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(one, range(20)))
    wall = time.perf_counter() - t0
    answered, busy = outcomes.count("answered"), outcomes.count("busy")
    assert answered + busy == 20 and busy >= 1 and answered >= 1
    assert answered <= 20 and gate.max_inside == 1  # the model was never entered twice
    assert httpx.get(url + "/gradio_api/info", timeout=10).status_code == 200  # still up
    p95 = sorted(durations)[int(0.95 * (len(durations) - 1))]
    print(
        f"\n20 clients: {answered} answered, {busy} told to retry, wall {wall:.1f}s, "
        f"throughput {answered / wall:.2f} answers/s, p95 {p95:.1f}s, median {statistics.median(durations):.1f}s"
    )


def test_gate_is_fifo_and_bounded():
    gate = ModelGate(max_waiting=1)
    a, b = gate.join(), gate.join()
    assert a is not None and b is not None and gate.join() is None  # 1 served + 1 waiting
    assert gate.wait_turn(a, 0.01) and not gate.wait_turn(b, 0.01)
    done = threading.Event()

    def second() -> None:
        while not gate.wait_turn(b, 0.05):
            pass
        done.set()

    threading.Thread(target=second).start()
    gate.leave(a)
    assert done.wait(2) and gate.max_inside == 1
    gate.leave(b)
