"""Limits before work (app.limits, app.housekeeping, app.feedback): fast unit tests, no server.

Every test asserts behaviour — what was refused, what reached the next step, how much is kept — never a time.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

import app.limits as limits
from app.api import ChatRequest, _split
from app.feedback import FeedbackStore, csv_safe
from app.housekeeping import DiskCap, DownloadStore, Housekeeper, prune
from app.limits import (
    HISTORY_RAW_CHARS,
    HISTORY_TURN_CHARS,
    MAX_CONTENT_CHARS,
    MAX_MESSAGES,
    MAX_PARTS,
    LimitsMiddleware,
    Rate,
    RateLimiter,
    SecurityHeadersMiddleware,
    clean_text,
    history_text,
    strip_tags,
    validation_message,
)
from app.ui import _history

# -- finding 1: history cut before any regex, cleaned in linear time ------------------------------------------------


def test_strip_tags_is_the_old_regex():
    rng = random.Random(7)
    for _ in range(3000):
        s = "".join(rng.choice("<>a b/") for _ in range(rng.randint(0, 30)))
        assert strip_tags(s) == re.sub(r"<[^>]+>", "", s), s


def test_page_history_is_cut_before_markup_is_removed(monkeypatch):
    seen: list[int] = []
    real = limits.strip_tags
    monkeypatch.setattr(limits, "strip_tags", lambda text: seen.append(len(text)) or real(text))
    chat = [
        {"role": "user", "content": [{"type": "text", "text": "<" * 200_000}]},
        {"role": "assistant", "content": "<b>" * 100_000},
        {"role": "user", "content": [{"type": "text", "text": "x" * 50_000}] * 40},  # many parts
    ]
    turns = _history(chat)
    assert seen and max(seen) <= HISTORY_RAW_CHARS  # the regex-free stripper never saw more than the cut
    assert len(turns) == 3 and all(len(t.content) <= HISTORY_TURN_CHARS for t in turns)


def test_page_history_gets_the_question_cleaning():
    chat = [
        {
            "role": "user",
            "content": [{"type": "text", "text": "三江港\x1b[31m 物流\x00\u202e？\ud800 &lt;b&gt; \\(第8条\\)"}],
        },
        {
            "role": "assistant",
            "content": [{"type": "text", "text": '<abbr class="term" title="解释">月光经济</abbr>好'}],
        },
        {"role": "system", "content": "ignored"},
        "junk",
    ]
    turns = _history(chat)  # type: ignore[arg-type]
    assert [t.role for t in turns] == ["user", "assistant"]
    assert turns[0].content == "三江港 物流？ <b> (第8条)"  # escapes, controls, surrogates gone; page escaping undone
    assert turns[1].content == "月光经济好"  # text parts read, not the repr of the parts list


def test_clean_text_cuts_first():
    assert clean_text("a" * 100_000, 10) == "a" * 10
    assert clean_text("  x \n\t y  ", 50) == "x y"
    assert history_text([{"type": "file", "file": {"path": "/etc/passwd"}}]) == ""


# -- finding 2 and 7: request models cap structure; surrogates never reach an encoder ---------------------------------


def _chat(**kw):
    return ChatRequest.model_validate({"messages": [{"role": "user", "content": "三江港"}], **kw})


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "user", "content": "x"}] * (MAX_MESSAGES + 1),
        [{"role": "user", "content": "x" * (MAX_CONTENT_CHARS + 1)}],
        [{"role": "user", "content": [{"type": "text", "text": "x"}] * (MAX_PARTS + 1)}],
        [{"role": "user", "content": [{"type": "text", "text": "x" * (MAX_CONTENT_CHARS + 1)}]}],
        [{"role": "user", "content": list(range(100))}],
    ],
)
def test_request_models_refuse_oversized_structure(messages):
    with pytest.raises(ValidationError):
        ChatRequest.model_validate({"messages": messages})


def test_lone_surrogates_are_replaced_and_history_cleaned():
    raw = json.loads(
        '{"messages": [{"role": "user", "content": "\\ud800三江港"},'
        '{"role": "assistant", "content": [{"type": "text", "text": "\\udfff好\\u0007"}]},'
        '{"role": "user", "content": "三江港要建设哪些物流项目？\\ud800"}]}'
    )
    question, history = _split(ChatRequest.model_validate(raw).messages)
    for text in [question, *(t.content for t in history)]:
        text.encode("utf-8")  # would raise UnicodeEncodeError on a lone surrogate
    assert [t.content for t in history] == ["\ufffd三江港", "\ufffd好"]


def test_validation_message_names_fields_never_input():
    secret = "SECRET-" + "A" * 5000
    try:
        ChatRequest.model_validate({"messages": [{"role": secret, "content": secret * 3}]})
    except ValidationError as exc:
        message = validation_message(exc.errors())
    assert secret[:20] not in message and len(message) < 300
    assert "messages.0.role" in message and "messages.0.content" in message and "8000" in message


# -- the middleware: 404 for switched-off routes, 413 before reading, 429 per visitor ----------------------------------


class Recorder:
    """An inner ASGI app that records whether it ran and how many body bytes it was handed."""

    def __init__(self):
        self.calls = 0
        self.body = 0

    async def __call__(self, scope, receive, send):
        self.calls += 1
        message = await receive()
        self.body += len(message.get("body", b""))
        await send({"type": "http.response.start", "status": 200, "headers": [(b"server", b"uvicorn")]})
        await send({"type": "http.response.body", "body": b"ok"})


def _client(inner, **kw) -> httpx.AsyncClient:
    args = {"body_limit": 1024, "page_body_limit": 4096, **kw}
    app = SecurityHeadersMiddleware(LimitsMiddleware(inner, **args))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.1", 1)), base_url="http://t")


@pytest.mark.anyio
async def test_body_limits_refuse_before_the_app_runs():
    inner = Recorder()
    async with _client(inner) as c:
        big = b"[" + b"1," * 3_000_000 + b"1]"  # the 6 MB body of the report
        r = await c.post("/v1/chat/completions", content=big)
        assert r.status_code == 413 and len(r.content) < 300 and b"1,1" not in r.content
        assert r.json()["error"]["type"] == "request_too_large"

        async def chunked():
            for _ in range(100):
                yield b"x" * 1000

        r = await c.post("/v1/chat/completions", content=chunked())  # no Content-Length
        assert r.status_code == 413
        r = await c.post("/gradio_api/queue/join", content=b"x" * 5000)
        assert r.status_code == 413 and "清空对话" in r.json()["detail"]
        assert inner.calls == 0  # nothing downstream ever saw these bodies
        r = await c.post("/gradio_api/queue/join", content=b"x" * 3000)  # under the page's own limit
        assert r.status_code == 200 and inner.calls == 1 and inner.body == 3000


@pytest.mark.anyio
@pytest.mark.parametrize(
    "path", ["/gradio_api/upload", "/GRADIO_API/UPLOAD/", "/upload", "/gradio_api/upload_progress"]
)
async def test_upload_routes_are_switched_off(path):
    inner = Recorder()
    async with _client(inner) as c:
        r = await c.post(path, files={"files": ("a.txt", b"hello")})
    assert r.status_code == 404 and inner.calls == 0


@pytest.mark.anyio
async def test_security_headers_and_no_server_banner():
    async with _client(Recorder()) as c:
        for path in ("/", "/v1/models", "/gradio_api/upload"):
            r = await c.get(path)
            assert "server" not in r.headers
            assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        page = (await c.get("/")).headers["content-security-policy"]
        assert "connect-src 'self'" in page and "http" not in page  # nothing loads from elsewhere
        assert (await c.get("/v1/models")).headers["content-security-policy"].startswith("default-src 'none'")


@pytest.mark.anyio
async def test_rate_limits_are_per_visitor_and_per_kind():
    clock = [0.0]
    limiter = RateLimiter({"question": Rate(1 / 60, 2), "search": Rate(1.0, 1)}, clock=lambda: clock[0])
    inner = Recorder()
    ask = {"messages": [{"role": "user", "content": "q"}]}
    async with _client(inner, limiter=limiter, classify=limits.api_classifier) as c:
        codes = [(await c.post("/v1/chat/completions", json=ask)).status_code for _ in range(3)]
        assert codes == [200, 200, 429] and inner.calls == 2  # the refused call never reached the app
        r = await c.post("/v1/chat/completions", json=ask)
        assert r.status_code == 429 and r.json()["error"]["type"] == "rate_limit_error"
        assert "提问太频繁" in r.json()["error"]["message"] and int(r.headers["retry-after"]) == 60
        assert [(await c.get("/v1/search?q=x")).status_code for _ in range(2)] == [200, 429]  # its own bucket
        assert (await c.get("/v1/models")).status_code == 200  # unlimited routes unaffected
        clock[0] += 60
        assert (await c.post("/v1/chat/completions", json=ask)).status_code == 200  # refilled
    other = LimitsMiddleware(
        inner, body_limit=1024, page_body_limit=4096, limiter=limiter, classify=limits.api_classifier
    )
    transport = httpx.ASGITransport(app=other, client=("10.0.0.2", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        assert (await c.post("/v1/chat/completions", json=ask)).status_code == 200  # another visitor


def test_rate_limiter_forgets_the_least_recent_visitors():
    limiter = RateLimiter({"question": Rate(1.0, 1)}, max_visitors=100, clock=lambda: 0.0)
    for i in range(1000):
        limiter.hit("question", f"v{i}")
    assert len(limiter._buckets) == 100
    assert limiter.hit("question", "v999") > 0 and limiter.hit("question", "v0") == 0.0


# -- finding 6: feedback once per answer per visitor; CSV safe for Excel ----------------------------------------------


def test_one_rating_per_answer_per_visitor(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    for i in range(150):
        assert store.add("q", "a", ["第8条"], "m", 1 if i % 2 else -1, "" if i < 149 else "最后的意见", visitor="v1")
    rows = store.rows()
    assert len(rows) == 1 and rows[0][6] == -1 + 2 * (149 % 2) and rows[0][7] == "最后的意见"
    assert store.add("q", "a", [], "m", 1, visitor="v2") and store.add("q2", "a", [], "m", 1, visitor="v1")
    assert len(store.rows()) == 3
    assert store.add("q", "a", [], "m", 1) and store.add("q", "a", [], "m", 1)  # no visitor: as before
    assert len(store.rows()) == 5


def test_old_feedback_database_is_migrated(tmp_path):
    path = tmp_path / "fb.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, question TEXT "
            "NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL, model TEXT NOT NULL, rating INTEGER NOT NULL, "
            "comment TEXT NOT NULL DEFAULT '')"
        )
        conn.execute("INSERT INTO feedback VALUES (1, 't', 'old', 'a', '[]', 'm', 1, '')")
    store = FeedbackStore(path)
    assert store.add("new", "a", [], "m", -1, visitor="v") and [r[2] for r in store.rows()] == ["old", "new"]


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x","点我")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_export_neutralises_formulas(tmp_path, cell):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.add(cell, "答案", [], cell, -1, cell)
    rows = list(csv.reader(io.StringIO(store.export_csv())))
    question, model, rating, comment = rows[1][2], rows[1][5], rows[1][6], rows[1][7]
    assert question == model == comment == "'" + cell
    assert rating == "-1"  # numbers stay numbers
    assert csv_safe("普通意见") == "普通意见" and csv_safe(-1) == -1


# -- finding 5: disk bounded by settings ----------------------------------------------------------------------------


def _entry(root: Path, name: str, size: int, age_s: float) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "f.bin").write_bytes(b"x" * size)
    t = time.time() - age_s
    os.utime(d, (t, t))
    return d


def test_prune_enforces_age_bytes_and_count(tmp_path):
    for i in range(10):
        _entry(tmp_path, f"e{i}", 1000, age_s=100 - i)  # e0 oldest
    _entry(tmp_path, "ancient", 10, age_s=10_000)
    report = prune(tmp_path, DiskCap(max_age_s=1000, max_bytes=5500, max_entries=8))
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [f"e{i}" for i in range(5, 10)]  # too old, then oldest first until 5,500 bytes
    assert report.removed == 6 and report.bytes_kept == 5000
    prune(tmp_path, DiskCap(max_age_s=1000, max_bytes=10**9, max_entries=2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e8", "e9"]


def test_download_store_caps_files_and_serves_only_its_own(tmp_path):
    store = DownloadStore(tmp_path / "dl", DiskCap(max_age_s=3600, max_bytes=10**9, max_entries=3))
    paths = []
    for i in range(20):
        folder = store.new_folder()
        (folder / f"学习材料_{i}.docx").write_bytes(b"doc")
        paths.append(folder / f"学习材料_{i}.docx")
        assert len(list(store.root.iterdir())) <= 3
    link = store.link(paths[-1])
    assert link.startswith("downloads/") and str(tmp_path) not in link  # no server path in the URL
    token = paths[-1].parent.name
    assert store.resolve(token, paths[-1].name) == paths[-1].resolve()
    assert store.resolve(token, "../" + paths[-1].name) is None
    assert store.resolve("..", "passwd") is None and store.resolve(token, "..") is None
    assert store.resolve(paths[0].parent.name, paths[0].name) is None  # pruned
    (store.root / token / "link.docx").symlink_to("/etc/passwd")
    assert store.resolve(token, "link.docx") is None


def test_housekeeper_prunes_every_folder(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        _entry(root, "old", 10, age_s=7200)
        _entry(root, "new", 10, age_s=0)
    Housekeeper([(a, DiskCap(3600, 10**6)), (b, DiskCap(3600, 10**6))], interval_s=60).run_once()
    assert [p.name for p in a.iterdir()] == ["new"] and [p.name for p in b.iterdir()] == ["new"]
