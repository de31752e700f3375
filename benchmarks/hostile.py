"""Replay the hostile-visitor attacks on loopback while a second client measures how long /v1/models stalls.

    python benchmarks/hostile.py [--fake-retriever]

Starts the server in a child process (real retriever unless ``--fake-retriever``; a fake model that streams a
verified answer at 20 ms a piece), then for each attack: a prober process requests ``/v1/models`` every 20 ms
and samples the server's resident memory; the attack runs (bounded in count and time); the row reports the
attack's outcome, the worst ``/v1/models`` latency during it minus the quiet median before it (the stall other
users feel; in brackets the same for 50 quiet requests just before it: the machine's own noise), the peak memory
growth of the server, and whether any response carried a traceback.  The table goes into docs/reliability.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "三江港要建设哪些物流项目？"
ATTACKER = {"X-Forwarded-For": "203.0.113.7"}


# -- the server (child process) ---------------------------------------------------------------------------------------
def serve(port: int, tmp: Path, fake_retriever: bool) -> None:
    sys.path.insert(0, str(ROOT))
    from app.answering import Pipeline
    from app.feedback import FeedbackStore
    from app.gate import GatedModel, ModelGate
    from app.retrieve import open_retriever
    from app.server import build_app
    from app.server import serve as run_server
    from app.settings import Settings
    from tests.fakes import ScriptedGenerator

    class Slow(ScriptedGenerator):
        def stream(self, messages, max_tokens, deadline_s):  # type: ignore[no-untyped-def]
            for piece in super().stream(messages, max_tokens, deadline_s):
                time.sleep(0.02)
                yield piece

    settings = Settings(
        auto_rebuild=False,
        port=port,
        feedback_db=tmp / "fb.sqlite3",
        download_dir=tmp / "downloads",
        model_cache_dir=tmp / "cache",
        index_dir=(tmp / "index") if fake_retriever else Settings().index_dir,
        answer_cache=False,
        refine="draft",
    )
    if fake_retriever:
        from app.corpus import load_plan
        from app.index import build_index
        from app.retrieve import Retriever
        from tests.fakes import HashEmbedder

        plan, emb = load_plan(), HashEmbedder()
        retriever = Retriever(plan, build_index(plan, emb, settings), emb)
    else:
        retriever = open_retriever(settings)
    reply = "华容将加快三江港铁路物流基地二期建设。[第13条]华容将加快推进三江港综合码头建设。[第13条]"
    answerer = Pipeline(retriever, settings, GatedModel(Slow(reply), ModelGate(settings.queue_size)))
    run_server(build_app(answerer, settings, FeedbackStore(settings.feedback_db)), settings)


# -- measuring --------------------------------------------------------------------------------------------------------
def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _probe(base: str, pid: int, limit_s: float, ready: Any, stop: Any, out: Any) -> None:
    latencies: list[float] = []
    rss: list[float] = []
    failures = 0
    end = time.monotonic() + limit_s
    with httpx.Client(timeout=60) as client:
        client.get(base + "/v1/models")  # connect before the attack starts
        ready.set()
        while not stop.is_set() and time.monotonic() < end:
            t0 = time.perf_counter()
            try:
                client.get(base + "/v1/models")
            except httpx.HTTPError:
                failures += 1
            latencies.append(time.perf_counter() - t0)
            rss.append(rss_mb(pid))
            stop.wait(0.02)
    out.put((latencies, rss, failures))


class Prober:
    """/v1/models every 20 ms and the server's RSS, from a separate process (so that the attacking client's own
    work cannot delay the probe), until stopped (at most ``limit_s``)."""

    def __init__(self, base: str, pid: int, limit_s: float = 120.0) -> None:
        self._ready, self._stop, self._out = mp.Event(), mp.Event(), mp.Queue()
        self._process = mp.Process(target=_probe, args=(base, pid, limit_s, self._ready, self._stop, self._out))
        self.latencies: list[float] = []
        self.rss: list[float] = []
        self.failures = 0

    def __enter__(self) -> Prober:
        self._process.start()
        self._ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.latencies, self.rss, self.failures = self._out.get(timeout=150)
        self._process.join(10)


def quiet(base: str, n: int = 50) -> tuple[float, float]:
    """(median, worst) /v1/models latency with no attack running: the floor and the machine's own noise."""
    with httpx.Client(timeout=30) as client:
        samples = []
        for _ in range(n):
            t0 = time.perf_counter()
            client.get(base + "/v1/models")
            samples.append(time.perf_counter() - t0)
            time.sleep(0.01)
    return statistics.median(samples), max(samples)


# -- the attacks ------------------------------------------------------------------------------------------------------
_FN_INDEX: dict[tuple[str, str], int] = {}


def _fn_index(base: str, api_name: str) -> int:
    """The page function's index, read once from /config (building the config is work for the server)."""
    if (base, api_name) not in _FN_INDEX:
        config = httpx.get(f"{base}/config", timeout=10).json()
        for d in config["dependencies"]:
            if d.get("api_name"):
                _FN_INDEX[(base, d["api_name"])] = d["id"]
    return _FN_INDEX[(base, api_name)]


def page_call(base: str, api_name: str, data: list[Any], session: str, headers: dict[str, str]) -> tuple[int, str]:
    fn_index = _fn_index(base, api_name)
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None, "trigger_id": None}
    r = httpx.post(f"{base}/gradio_api/queue/join", json=body, headers=headers, timeout=60)
    if r.status_code != 200:
        return r.status_code, r.text
    with httpx.stream("GET", f"{base}/gradio_api/queue/data?session_hash={session}", timeout=120) as s:
        for line in s.iter_lines():
            if line.startswith("data:") and json.loads(line[5:]).get("msg") == "process_completed":
                return 200, line
    return 0, ""


def post_raw(base: str, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
    try:
        r = httpx.post(
            base + path, content=body, headers={"content-type": "application/json", **(headers or {})}, timeout=120
        )
        return r.status_code, r.text
    except httpx.HTTPError as exc:  # the server may close the connection after its 413, mid-upload
        return 0, type(exc).__name__


def nothing(base: str, tmp: Path) -> tuple[str, list[str]]:
    time.sleep(10)
    return "no request", []


def normal_question(base: str, tmp: Path) -> tuple[str, list[str]]:
    code, text = page_call(base, "respond", [QUESTION, [], None], "bench-normal", {"X-Forwarded-For": "198.51.100.2"})
    return f"{code}, answered" if "第13条" in text else f"{code}", [text]


def attack_history(base: str, tmp: Path) -> tuple[str, list[str]]:
    history = [
        {"role": "user", "content": [{"type": "text", "text": "<" * 200_000}]},
        {"role": "assistant", "content": [{"type": "text", "text": "好的"}]},
    ]
    code, text = page_call(base, "respond", [QUESTION, history, None], "bench-angle", ATTACKER)
    return f"{code}, answered" if "第13条" in text else f"{code}", [text]


# Big bodies are built once, before any measuring (building them would hold this process's GIL and slow the prober).
BODY_6MB = json.dumps(
    {"messages": [{"role": "user", "content": [i % 100 for i in range(2_000_000)]}]}, separators=(",", ":")
).encode()
BODY_30MB = json.dumps({"messages": [{"role": "user", "content": "x"}] * 800_000}).encode()


def attack_6mb(base: str, tmp: Path) -> tuple[str, list[str]]:
    code, text = post_raw(base, "/v1/chat/completions", BODY_6MB, ATTACKER)
    return f"{len(BODY_6MB) / 1e6:.0f} MB in → {code or 'closed'}, {len(text)} B out", [text]


def attack_30mb(base: str, tmp: Path) -> tuple[str, list[str]]:
    code, text = post_raw(base, "/v1/chat/completions", BODY_30MB, ATTACKER)
    return f"{len(BODY_30MB) / 1e6:.0f} MB in → {code or 'closed'}, {len(text)} B out", [text]


def attack_echo(base: str, tmp: Path) -> tuple[str, list[str]]:
    body = json.dumps({"messages": [{"role": "hacker", "content": "A" * 60_000}]}).encode()
    code, text = post_raw(base, "/v1/chat/completions", body, ATTACKER)
    return f"{len(body) // 1000} KB invalid in → {code}, {len(text.encode())} B out", [text]


def attack_surrogate(base: str, tmp: Path) -> tuple[str, list[str]]:
    body = (
        '{"messages": [{"role": "user", "content": "\\ud800"}, {"role": "assistant", "content": "\\ud800"},'
        ' {"role": "user", "content": "' + QUESTION + '"}]}'
    ).encode()
    code, text = post_raw(base, "/v1/chat/completions", body, {"X-Forwarded-For": "203.0.113.8"})
    return f"{code}", [text]


def attack_uploads(base: str, tmp: Path) -> tuple[str, list[str]]:
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder())
    before = sum(1 for _ in folder.rglob("*")) if folder.is_dir() else 0
    codes: dict[int, int] = {}
    with httpx.Client(timeout=30) as client:
        for i in range(234):
            r = client.post(base + "/gradio_api/upload", files={"files": (f"{i}.txt", b"x" * 1000)}, headers=ATTACKER)
            codes[r.status_code] = codes.get(r.status_code, 0) + 1
    after = sum(1 for _ in folder.rglob("*")) if folder.is_dir() else 0
    return f"234 uploads → {codes}; {after - before} new entries in Gradio's upload folder", []


def attack_study(base: str, tmp: Path) -> tuple[str, list[str]]:
    outcomes: dict[int, int] = {}
    texts = []
    for i in range(36):
        code, text = page_call(base, "make_study", ["7-11", True], f"bench-study-{i}", ATTACKER)
        outcomes[code] = outcomes.get(code, 0) + 1
        texts.append(text)
    kept = len(list((tmp / "downloads").iterdir())) if (tmp / "downloads").is_dir() else 0
    return f"36 jobs → {outcomes.get(200, 0)} run, {outcomes.get(422, 0)} refused; {kept} documents on disk", texts


def attack_feedback(base: str, tmp: Path) -> tuple[str, list[str]]:
    import sqlite3

    headers = {"X-Forwarded-For": "203.0.113.9"}
    page_call(base, "respond", ["第8条讲什么？", [], None], "bench-fb", headers)
    texts = [page_call(base, "rate_up", ["=HYPERLINK(1)", None], "bench-fb", headers)[1] for _ in range(150)]
    with sqlite3.connect(tmp / "fb.sqlite3") as conn:
        rows = conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
    refused = sum("评价太频繁" in t for t in texts)
    return f"150 clicks → {rows} row, {refused} told to wait", texts


def attack_questions(base: str, tmp: Path) -> tuple[str, list[str]]:
    headers = {"X-Forwarded-For": "203.0.113.10"}
    codes: dict[int, int] = {}
    texts = []
    body = {"model": "huarong-qa", "messages": [{"role": "user", "content": "第8条讲什么？"}]}
    for _ in range(30):
        r = httpx.post(base + "/v1/chat/completions", json=body, headers=headers, timeout=60)
        codes[r.status_code] = codes.get(r.status_code, 0) + 1
        texts.append(r.text)
    return f"30 questions at once → {codes}", texts


def attack_stream(base: str, tmp: Path) -> tuple[str, list[str]]:
    body = {"model": "huarong-qa", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    t0 = time.perf_counter()
    first = 0.0
    lines = []
    with httpx.stream("POST", base + "/v1/chat/completions", json=body, timeout=120) as r:
        for line in r.iter_lines():
            lines.append(line)
            if not first and line.startswith("data: {") and json.loads(line[6:])["choices"][0]["delta"].get("content"):
                first = time.perf_counter() - t0
    total = time.perf_counter() - t0
    return f"first text after {first:.2f} s, whole answer {total:.2f} s", lines


ATTACKS: list[tuple[str, str, Callable[[str, Path], tuple[str, list[str]]]]] = [
    ("—", "reference: nothing for 10 s (the machine's own noise)", nothing),
    ("—", "reference: one ordinary question on the page", normal_question),
    ("1", "page history `<` × 200,000 (Gradio queue call)", attack_history),
    ("2", "6 MB body, content = 2,000,000 integers", attack_6mb),
    ("2", "30 MB valid body, 800,000 messages", attack_30mb),
    ("2", 'invalid body (role "hacker", 60 KB content)', attack_echo),
    ("3", "streaming answer (`stream: true`)", attack_stream),
    ("5", "uploads to /gradio_api/upload", attack_uploads),
    ("5", "study generation with the model, one visitor", attack_study),
    ("6", "feedback: one answer rated 150 times", attack_feedback),
    ("—", "30 API questions from one visitor", attack_questions),
    ("7", "lone surrogate in a history turn", attack_surrogate),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--tmp", help=argparse.SUPPRESS)
    ap.add_argument("--fake-retriever", action="store_true", help="hashing embedder instead of the bundled e5")
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, Path(args.tmp), args.fake_retriever)
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp_dir, tempfile.TemporaryFile() as log:
        tmp = Path(tmp_dir)
        cmd = [sys.executable, __file__, "--serve", str(port), "--tmp", tmp_dir]
        if args.fake_retriever:
            cmd.append("--fake-retriever")
        env = os.environ | {"PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(600):
                try:
                    if httpx.get(base + "/v1/models", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None:
                    log.seek(0)
                    raise SystemExit("server exited:\n" + log.read().decode(errors="replace")[-3000:])
                time.sleep(0.2)
            page_call(base, "respond", ["第8条讲什么？", [], None], "warm-up", {"X-Forwarded-For": "198.51.100.1"})
            rows = []
            for finding, name, attack in ATTACKS:
                median, noise = quiet(base)
                rss0 = rss_mb(proc.pid)
                with Prober(base, proc.pid) as probe:
                    t0 = time.perf_counter()
                    outcome, texts = attack(base, tmp)
                    took = time.perf_counter() - t0
                stall_ms = (max(probe.latencies, default=median) - median) * 1000
                noise_ms = (noise - median) * 1000
                growth = max(probe.rss, default=rss0) - rss0
                tracebacks = sum("Traceback" in t for t in texts)
                if probe.failures:
                    outcome += f"; {probe.failures} /v1/models probes failed"
                rows.append((finding, name, outcome, took, stall_ms, noise_ms, growth, tracebacks))
                print(
                    f"{finding} {name}: {outcome} ({took:.1f} s, stall {stall_ms:.0f} ms, +{growth:.0f} MB)", flush=True
                )
            print()
            print(
                "| # | attack | outcome | attack took | worst /v1/models stall (quiet worst) | server memory growth "
                "| tracebacks |"
            )
            print("|---|---|---|---|---|---|---|")
            for finding, name, outcome, took, stall_ms, noise_ms, growth, tracebacks in rows:
                print(
                    f"| {finding} | {name} | {outcome} | {took:.1f} s | {stall_ms:.0f} ms ({noise_ms:.0f} ms) "
                    f"| +{growth:.0f} MB | {tracebacks} |"
                )
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
