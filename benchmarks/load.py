"""A crowd on one box: N simultaneous clients over the API and the page's queue, on loopback only.

Starts ``huarong-qa serve`` (page + API) on a free 127.0.0.1 port in a subprocess with the
given settings, then runs N client tasks for a bounded time (and a bounded number of requests);
each loops over mixed questions from the gold set — lookups, in-scope, out-of-scope and
follow-ups with history — sent either to ``/v1/chat/completions`` (streaming or not) or through
the page's Gradio queue (``/gradio_api/call/respond``), and checks that every answer came back,
complete and for the question asked.  Stops by itself; sends traffic to 127.0.0.1 only.

    python benchmarks/load.py --clients 50 --seconds 120
    python benchmarks/load.py --clients 8 --seconds 60 --cache on
    python benchmarks/load.py --clients 50 --seconds 120 --refine draft --model small

Reports answers/s, latency p50/p95/max (request sent → complete answer), errors, lost and
mismatched answers, and the server's RSS (start, peak) as one JSON line and a table row.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
MAX_REQUESTS = 100_000  # a hard bound besides the time limit


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    """RSS of the server process and its children (API worker processes)."""
    total = 0.0
    children = Path(f"/proc/{pid}/task/{pid}/children")
    pids = [pid, *(int(c) for c in children.read_text().split())] if children.exists() else [pid]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def questions() -> list[dict[str, Any]]:
    """Mixed kinds, from the development set only (never a held-out set)."""
    items = [json.loads(line) for line in (ROOT / "tests/data/gold.jsonl").read_text(encoding="utf-8").splitlines()]
    return [{"q": i["question"], "history": i.get("history", []), "kind": i["category"]} for i in items]


def _key(text: str) -> str:
    """A question as compared across routes (the page escapes markup; the pipeline collapses spaces)."""
    import html
    import re

    return re.sub(r"\s+", "", html.unescape(text.replace("\\", "")))


def percentile(xs: list[float], p: float) -> float:
    if not xs:
        return 0.0
    s = sorted(xs)
    return s[min(len(s) - 1, int(p * (len(s) - 1) + 0.5))]


async def ask_api(client: httpx.AsyncClient, base: str, item: dict[str, Any], stream: bool) -> tuple[str, str]:
    """(answer text, the question the server says it answered)."""
    messages = [*item["history"], {"role": "user", "content": item["q"]}]
    body = {"model": "huarong-qa", "messages": messages, "stream": stream}
    if not stream:
        r = await client.post(f"{base}/v1/chat/completions", json=body)
        r.raise_for_status()
        d = r.json()
        if not d["huarong"]["citations"] and not d["huarong"]["refused"]:
            raise ValueError("answer without citations")
        return str(d["choices"][0]["message"]["content"]), str(d["huarong"]["question"])
    text, done, asked = "", False, ""
    async with client.stream("POST", f"{base}/v1/chat/completions", json=body) as r:
        r.raise_for_status()
        async for line in r.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            text += chunk["choices"][0]["delta"].get("content") or ""
            if chunk["choices"][0]["finish_reason"] == "stop":
                done, asked = True, chunk["huarong"]["question"]
    if not done:
        raise ValueError("stream ended without a final chunk")
    return text, asked


async def ask_page(client: httpx.AsyncClient, base: str, item: dict[str, Any]) -> tuple[str, str]:
    """The page's own path: Gradio's queue (POST a call, then read its event stream)."""
    chat = [{"role": t["role"], "content": [{"type": "text", "text": t["content"]}]} for t in item["history"]]
    r = await client.post(f"{base}/gradio_api/call/respond", json={"data": [item["q"], chat]})
    r.raise_for_status()
    event_id = r.json()["event_id"]
    last: Any = None
    async with client.stream("GET", f"{base}/gradio_api/call/respond/{event_id}") as s:
        event = ""
        async for line in s.aiter_lines():
            if line.startswith("event: "):
                event = line[7:].strip()
            elif line.startswith("data: "):
                if event == "error":
                    raise ValueError(f"page error: {line[6:200]}")
                if event == "complete":
                    last = json.loads(line[6:])
    if not last:
        raise ValueError("page call ended without completing")
    bubbles = last[0]
    if len(bubbles) < 2:
        return "", ""

    def text(bubble: dict[str, Any]) -> str:
        content = bubble["content"]
        if isinstance(content, list):
            return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        return str(content)

    return text(bubbles[-1]), text(bubbles[-2])


async def client_loop(
    n: int, base: str, items: list[dict[str, Any]], until: float, page_share: float, out: dict[str, list[Any]]
) -> None:
    rnd = random.Random(n)
    # Each client is its own visitor (an address from the documentation range, sent as the trusted proxy would).
    headers = {"X-Forwarded-For": f"198.51.100.{n % 250 + 1}"}
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0), headers=headers) as client:
        while time.monotonic() < until and len(out["sent"]) < MAX_REQUESTS:
            item = rnd.choice(items)
            via = "page" if rnd.random() < page_share else rnd.choice(["api", "api-stream"])
            out["sent"].append(via)
            t0 = time.perf_counter()
            try:
                if via == "page":
                    text, asked = await ask_page(client, base, item)
                else:
                    text, asked = await ask_api(client, base, item, stream=via == "api-stream")
                elapsed = time.perf_counter() - t0
                if not text.strip():
                    out["lost"].append(item["q"])
                elif _key(asked) != _key(item["q"]):
                    out["mismatched"].append(
                        f"{via}: {item['q']} -> {asked[:60]}"
                    )  # an answer to someone else's question
                else:
                    out["latency"].append(elapsed)
                    out["by_via"].append((via, elapsed))
            except Exception as exc:  # counted and reported: the benchmark's job is to find these
                out["errors"].append(f"{via}: {type(exc).__name__}: {str(exc)[:120]}")


async def run(base: str, clients: int, seconds: float, page_share: float, pid: int) -> dict[str, Any]:
    items = questions()
    out: dict[str, list[Any]] = {"sent": [], "latency": [], "errors": [], "lost": [], "mismatched": [], "by_via": []}
    rss: list[float] = [_rss_mb(pid)]

    async def sample() -> None:
        while True:
            rss.append(_rss_mb(pid))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    t0 = time.monotonic()
    until = t0 + seconds
    await asyncio.gather(*(client_loop(i, base, items, until, page_share, out) for i in range(clients)))
    wall = time.monotonic() - t0
    sampler.cancel()
    lat = out["latency"]
    via = {v: [t for w, t in out["by_via"] if w == v] for v in ("api", "api-stream", "page")}
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "sent": len(out["sent"]),
        "answered": len(lat),
        "answers_per_s": round(len(lat) / wall, 2),
        "p50_s": round(statistics.median(lat), 3) if lat else None,
        "p95_s": round(percentile(lat, 0.95), 3),
        "max_s": round(max(lat), 3) if lat else None,
        "p95_by_route_s": {k: round(percentile(v, 0.95), 3) for k, v in via.items() if v},
        "errors": len(out["errors"]),
        "error_examples": sorted(set(out["errors"]))[:5],
        "lost": len(out["lost"]),
        "mismatched": len(out["mismatched"]),
        "mismatched_examples": sorted(set(out["mismatched"]))[:5],
        "unfinished": len(out["sent"]) - len(lat) - len(out["errors"]) - len(out["lost"]) - len(out["mismatched"]),
        "rss_mb_start": round(rss[0], 1),
        "rss_mb_peak": round(max(rss), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--page-share", type=float, default=0.3, help="share of requests through the page's queue")
    ap.add_argument("--cache", choices=["on", "off"], default="off")
    ap.add_argument("--refine", choices=["off", "draft"], default="off")
    ap.add_argument("--model", default="default")
    ap.add_argument("--server", choices=["serve", "api"], default="serve", help="page + API, or the API alone")
    ap.add_argument("--workers", type=int, default=1, help="API processes (with --server api)")
    args = ap.parse_args()
    if args.server == "api":
        args.page_share = 0.0
    port = _port()
    tmp = tempfile.mkdtemp(prefix="huarong-load-")
    env = os.environ | {
        "HUARONG_PORT": str(port),
        "HUARONG_HOST": "127.0.0.1",
        "HUARONG_ANSWER_CACHE": "true" if args.cache == "on" else "false",
        "HUARONG_REFINE": args.refine,
        "HUARONG_MODEL": args.model,
        "HUARONG_FEEDBACK_DB": f"{tmp}/fb.sqlite3",
        "HUARONG_MODEL_CACHE_DIR": os.environ.get("HUARONG_MODEL_CACHE_DIR", str(Path.home() / ".cache/huarong-qa")),
        # Clients ask back to back, far above a person's rate: the per-visitor limits would measure themselves.
        "HUARONG_QUESTIONS_BURST": "1000000",
        "HUARONG_QUESTIONS_PER_MINUTE": "1000000",
    }
    exe = Path(sys.executable).with_name("huarong-qa")
    with open(f"{tmp}/server.log", "wb") as log:
        cmd = [str(exe), args.server, "--no-rebuild"] + (
            ["--workers", str(args.workers)] if args.server == "api" else []
        )
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/v1/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        result = asyncio.run(run(base, args.clients, args.seconds, args.page_share, proc.pid))
    finally:
        proc.terminate()
        proc.wait(20)
    result |= {
        "cache": args.cache,
        "refine": args.refine,
        "page_share": args.page_share,
        "server": args.server,
        "workers": args.workers,
    }
    print(json.dumps(result, ensure_ascii=False))
    print(
        f"| {args.clients} | {args.cache} | {args.refine} | {result['answers_per_s']} | {result['p50_s']} | "
        f"{result['p95_s']} | {result['max_s']} | {result['errors']} | {result['lost']} | {result['mismatched']} | "
        f"{result['rss_mb_start']} → {result['rss_mb_peak']} |"
    )


if __name__ == "__main__":
    main()
