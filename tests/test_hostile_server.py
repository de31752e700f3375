"""Each attack of the hostile-visitor report, replayed against a live server on loopback (fake retriever
and model).  The tests assert behaviour — refused before parsing, input cut before the regex, generation
closed, files capped, one row kept — never a time; benchmarks/hostile.py measures the times.

Visitors are told apart by ``X-Forwarded-For`` (uvicorn trusts it from 127.0.0.1, as from nginx), so each
test is its own visitor and the rate limits of one test do not touch another.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import app.limits as limits
from app.answering import Pipeline
from app.feedback import FeedbackStore
from app.gate import GatedModel, ModelGate
from app.server import build_app, serve
from app.settings import Settings
from tests.fakes import ScriptedGenerator

SENTENCE = "华容将加快三江港铁路物流基地二期建设。[第13条]"
QUESTION = "三江港要建设哪些物流项目？"
_visitors = itertools.count(1)


def visitor() -> dict[str, str]:
    """Headers of a fresh visitor."""
    return {"X-Forwarded-For": f"10.20.{next(_visitors)}.1"}


class Controlled(ScriptedGenerator):
    """Answers at once, or (``mode``) holds after the first sentence, or never stops; records closing."""

    def __init__(self) -> None:
        super().__init__(SENTENCE)
        self.mode = "plain"
        self.release = threading.Event()
        self.closed = threading.Event()
        self.passed_hold = False
        self.pieces = 0

    def reset(self, mode: str) -> None:
        self.mode, self.passed_hold, self.pieces = mode, False, 0
        self.release.clear()
        self.closed.clear()

    def stream(self, messages, max_tokens, deadline_s):
        if self.mode == "plain":
            yield from super().stream(messages, max_tokens, deadline_s)
            return
        try:
            if self.mode == "boom":
                yield SENTENCE + "华"
                raise RuntimeError("model crashed /home/secret/path")
            if self.mode == "hold":
                yield SENTENCE + "华"  # the first sentence is final once the next one has begun
                self.release.wait(15)
                self.passed_hold = True
                yield "容将加快三江港铁路物流基地二期建设。[第13条]"
                return
            while True:  # endless: only the token limit, the deadline or the client leaving stops it
                self.pieces += 1
                yield SENTENCE
                time.sleep(0.05)
        finally:
            self.closed.set()


@pytest.fixture(scope="module")
def live(tmp_path_factory, fake_retriever):
    tmp = tmp_path_factory.mktemp("hostile")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(
        index_dir=tmp / "index",
        port=port,
        feedback_db=tmp / "fb.sqlite3",
        download_dir=tmp / "downloads",
        download_max_files=2,
        studies_burst=4,
        gradio_analytics_events=50,
        answer_cache=False,
        model_cache_dir=tmp / "cache",
        refine="draft",
    )
    stale = settings.download_dir / "stale-document-folder"  # left over from an earlier run
    stale.mkdir(parents=True)
    os.utime(stale, (time.time() - 2 * settings.download_max_age_s,) * 2)
    gen = Controlled()
    gate = ModelGate(settings.queue_size)
    answerer = Pipeline(fake_retriever, settings, GatedModel(gen, gate))
    store = FeedbackStore(settings.feedback_db)
    app = build_app(answerer, settings, store)
    server = serve(app, settings, background=True)
    base = f"http://127.0.0.1:{port}"
    yield {
        "base": base,
        "gen": gen,
        "gate": gate,
        "store": store,
        "settings": settings,
        "answerer": answerer,
        "stale": stale,
        "app": app,
    }
    server.should_exit = True


_FN_INDEX: dict[tuple[str, str], int] = {}


def _fn_index(base: str, api_name: str) -> int:
    """The page function's index, read once from /config (building the config is work for the server)."""
    if (base, api_name) not in _FN_INDEX:
        config = httpx.get(f"{base}/config", timeout=10).json()
        for d in config["dependencies"]:
            if d.get("api_name"):
                _FN_INDEX[(base, d["api_name"])] = d["id"]
    return _FN_INDEX[(base, api_name)]


def page_call(base: str, api_name: str, data: list[Any], session: str, headers: dict[str, str]) -> dict[str, Any]:
    """One call of a page function through Gradio's queue, as the browser makes it."""
    fn_index = _fn_index(base, api_name)
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None, "trigger_id": None}
    r = httpx.post(f"{base}/gradio_api/queue/join", json=body, headers=headers, timeout=30)
    if r.status_code != 200:
        return {"status": r.status_code, "body": r.json(), "headers": r.headers}
    url = f"{base}/gradio_api/queue/data?session_hash={session}"
    with httpx.stream("GET", url, headers=headers, timeout=60) as events:
        for line in events.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return {"status": 200, "success": message.get("success"), "output": message.get("output")}
    raise AssertionError("the queue closed without completing")


def ask(base: str, headers: dict[str, str], **extra: Any) -> httpx.Response:
    body = {"model": "huarong-qa", "messages": [{"role": "user", "content": QUESTION}], **extra}
    return httpx.post(f"{base}/v1/chat/completions", json=body, headers=headers, timeout=30)


# -- finding 1 --------------------------------------------------------------------------------------------------------


def test_page_history_of_200k_angle_brackets_is_cut_before_the_regex(live, monkeypatch):
    seen: list[int] = []
    real = limits.strip_tags
    monkeypatch.setattr(limits, "strip_tags", lambda text: seen.append(len(text)) or real(text))
    history = [
        {"role": "user", "content": [{"type": "text", "text": "<" * 200_000}]},
        {"role": "assistant", "content": [{"type": "text", "text": "好的"}]},
    ]
    out = page_call(live["base"], "respond", [QUESTION, history, None], "s-angle", visitor())
    assert out["status"] == 200 and out["success"]
    assert "[第13条]" in json.dumps(out["output"], ensure_ascii=False)
    assert seen and max(seen) <= limits.HISTORY_RAW_CHARS


def test_page_body_over_its_limit_is_refused_with_a_message(live):
    history = [{"role": "user", "content": [{"type": "text", "text": "<" * 300_000}]}]
    out = page_call(live["base"], "respond", [QUESTION, history, None], "s-big", visitor())
    assert out["status"] == 413 and "清空对话" in out["body"]["detail"]


# -- finding 2 --------------------------------------------------------------------------------------------------------


def _post_raw(base: str, body: bytes, headers: dict[str, str]) -> httpx.Response | None:
    """POST a body; None when the server closed the connection while it was still being sent (after its 413)."""
    try:
        return httpx.post(
            f"{base}/v1/chat/completions",
            content=body,
            headers={"content-type": "application/json", **headers},
            timeout=30,
        )
    except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
        return None


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"messages": [{"role": "user", "content": list(range(2_000_000))}]}).encode(),  # 6 MB
        json.dumps({"messages": [{"role": "user", "content": "x"}] * 800_000}).encode(),  # 30 MB, valid
    ],
    ids=["6MB-integers", "30MB-800k-messages"],
)
def test_api_bodies_over_the_limit_are_refused_before_parsing(live, monkeypatch, body):
    parsed: list[int] = []
    real_loads = json.loads
    monkeypatch.setattr(json, "loads", lambda s, *a, **k: parsed.append(len(s)) or real_loads(s, *a, **k))
    r = _post_raw(live["base"], body, visitor())
    assert r is None or (r.status_code == 413 and len(r.content) < 300 and r.json()["error"]["type"])
    assert all(n <= live["settings"].max_body_bytes for n in parsed)  # nothing big was ever parsed


def test_error_bodies_never_echo_input(live):
    h = visitor()
    marker = "ECHO-" + "A" * 40_000
    cases = [
        {"messages": [{"role": "hacker", "content": marker}]},
        {"messages": [{"role": "user", "content": marker}]},  # over max_length
        {"messages": [{"role": "user", "content": [{"type": "text", "text": marker}]}]},
        {"messages": [{"role": "user", "content": "x"}] * 65},
    ]
    for body in cases:
        r = httpx.post(f"{live['base']}/v1/chat/completions", json=body, headers=h, timeout=30)
        assert r.status_code == 400 and len(r.content) < 400 and "ECHO" not in r.text and "Traceback" not in r.text
        assert r.json()["error"]["message"].startswith("请求格式不正确")
    r = httpx.post(f"{live['base']}/gradio_api/queue/join", json={"data": marker, "fn_index": marker}, headers=h)
    assert r.status_code == 422 and "ECHO" not in r.text and len(r.content) < 400


# -- finding 7 --------------------------------------------------------------------------------------------------------


def test_lone_surrogate_in_history_is_answered(live):
    body = (
        '{"messages": [{"role": "user", "content": "\\ud800"}, {"role": "assistant", "content": "\\ud800好"},'
        ' {"role": "user", "content": "' + QUESTION + '\\udfff"}]}'
    )
    for stream in (False, True):
        payload = body[:-1] + f', "stream": {str(stream).lower()}}}'
        r = _post_raw(live["base"], payload.encode(), visitor())
        assert r is not None and r.status_code == 200 and "Traceback" not in r.text and "[第13条]" in r.text


# -- finding 3: real streaming, and a client that leaves closes its generation ----------------------------------------


def test_stream_sends_the_composed_answer_before_the_model_finishes(live):
    gen = live["gen"]
    gen.reset("hold")
    try:
        body = {"model": "huarong-qa", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
        url = f"{live['base']}/v1/chat/completions"
        with httpx.stream("POST", url, json=body, headers=visitor(), timeout=30) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            lines = r.iter_lines()
            for line in lines:
                if line.startswith("data: {") and json.loads(line[6:])["choices"][0]["delta"].get("content"):
                    held_when_first_arrived = not gen.passed_hold
                    gen.release.set()
                    break
            rest = [line for line in lines if line]
        assert held_when_first_arrived  # the complete answer arrived while the model was still drafting
        assert rest[-1] == "data: [DONE]"
    finally:
        gen.reset("plain")


def test_client_that_disconnects_closes_its_generation_and_leaves_the_line(live):
    gen, gate = live["gen"], live["gate"]
    gen.reset("endless")
    try:
        body = {"model": "huarong-qa", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
        url = f"{live['base']}/v1/chat/completions"
        with httpx.stream("POST", url, json=body, headers=visitor(), timeout=30) as r:
            for line in r.iter_lines():
                if line.startswith("data: {") and json.loads(line[6:])["choices"][0]["delta"].get("content"):
                    break  # leave after the first sentence
        assert gen.closed.wait(15)  # the model's stream was closed, not left suspended
        assert gen.pieces < live["settings"].max_tokens  # … because the client left, not because of the limit
        for _ in range(100):  # the gate is released by the same close; allow the server thread to finish
            if gate.inside == 0:
                break
            time.sleep(0.05)
        ticket = gate.join()  # the line has room again
        assert gate.inside == 0 and ticket is not None and gate.position(ticket) == 0
        gate.leave(ticket)
    finally:
        gen.reset("plain")


def test_a_model_that_fails_midway_leaves_the_composed_answer_standing(live):
    gen = live["gen"]
    gen.reset("boom")
    try:
        body = {"model": "huarong-qa", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
        r = httpx.post(f"{live['base']}/v1/chat/completions", json=body, headers=visitor(), timeout=30)
        events = [line for line in r.text.splitlines() if line]
        assert r.status_code == 200 and events[-1] == "data: [DONE]"
        final = json.loads(events[-2][6:])
        assert final["choices"][0]["finish_reason"] == "stop" and final["huarong"]["citations"]
        assert final["huarong"]["mode"] == "extractive"  # the model's failure changed nothing shown
        assert "Traceback" not in r.text and "secret" not in r.text
    finally:
        gen.reset("plain")


# -- per-visitor limits -----------------------------------------------------------------------------------------------


def test_questions_are_limited_per_visitor(live):
    a, b = visitor(), visitor()
    burst = live["settings"].questions_burst
    assert all(ask(live["base"], a).status_code == 200 for _ in range(burst))
    r = ask(live["base"], a)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and "提问太频繁" in r.json()["error"]["message"]
    out = page_call(live["base"], "respond", [QUESTION, [], None], "s-rate", a)  # the page shares the limit
    assert out["status"] == 422 and "提问太频繁" in out["body"]["detail"][0]["message"]  # shown at the question box
    assert ask(live["base"], b).status_code == 200  # another visitor is not affected
    assert page_call(live["base"], "respond", [QUESTION, [], None], "s-rate-b", b)["status"] == 200
    assert httpx.get(f"{live['base']}/v1/models", headers=a).status_code == 200


def test_page_functions_cannot_skip_the_queue(live):
    """Direct /run calls would skip the queue's concurrency limits and the rate validators: they are closed."""
    h = visitor()
    for name, data in (("respond", [QUESTION, [], None]), ("make_study", ["7-11", True])):
        r = httpx.post(f"{live['base']}/gradio_api/run/{name}", json={"data": data}, headers=h, timeout=30)
        assert r.status_code == 404, name


# -- finding 5: no uploads; study files capped and linked without server paths; study generation limited --------------


def test_upload_route_is_gone_and_writes_nothing(live):
    from gradio.utils import get_upload_folder

    marker = b"UPLOAD-MARKER-" + str(time.time()).encode()
    h = visitor()
    codes = {
        httpx.post(f"{live['base']}/gradio_api/upload", files={"files": ("a.txt", marker)}, headers=h).status_code
        for _ in range(50)
    }
    assert codes == {404}
    folder = Path(get_upload_folder())
    if folder.is_dir():
        for path in itertools.islice(folder.rglob("*"), 20_000):
            if path.is_file() and path.stat().st_size < 1024:
                assert marker not in path.read_bytes()


def test_study_files_are_capped_linked_relatively_and_limited(live):
    h = visitor()
    settings = live["settings"]
    for _ in range(100):  # the housekeeper's first round runs when the server starts
        if not live["stale"].exists():
            break
        time.sleep(0.05)
    assert not live["stale"].exists()
    links = []
    for i in range(settings.studies_burst):
        out = page_call(live["base"], "make_study", ["7-11", False], f"s-study-{i}", h)
        assert out["status"] == 200 and out["success"]
        text = json.dumps(out["output"], ensure_ascii=False)
        assert "/tmp" not in text and str(settings.download_dir) not in text  # no server path reaches the page
        links.append(text.split('href=\\"')[1].split('\\"')[0])
        assert len(list(settings.download_dir.iterdir())) <= settings.download_max_files
    assert all(link.startswith("downloads/") for link in links)
    r = httpx.get(f"{live['base']}/{links[-1]}", headers=h)
    assert r.status_code == 200 and r.content[:2] == b"PK" and "attachment" in r.headers["content-disposition"]
    assert httpx.get(f"{live['base']}/{links[0]}", headers=h).status_code == 404  # pruned by the count cap
    assert httpx.get(f"{live['base']}/downloads/..%2f..%2fetc/passwd", headers=h).status_code == 404
    out = page_call(live["base"], "make_study", ["7-11", False], "s-study-x", h)
    assert out["status"] == 422 and "学习材料太频繁" in out["body"]["detail"][0]["message"]


# -- finding 6: feedback ----------------------------------------------------------------------------------------------


def test_150_clicks_on_one_answer_keep_one_row(live):
    h, session = visitor(), "s-feedback"
    before = len(live["store"].rows())
    out = page_call(live["base"], "respond", [QUESTION, [], None], session, h)
    assert out["status"] == 200 and out["success"]
    messages = [page_call(live["base"], "rate_up", ["=HYPERLINK(1)", None], session, h) for _ in range(150)]
    assert all(m["status"] == 200 for m in messages)
    texts = [m["output"]["data"][0] for m in messages]
    assert texts[0] == "感谢您的反馈！" and "评价太频繁" in texts[-1]
    rows = live["store"].rows()
    assert len(rows) == before + 1 and rows[-1][7] == "=HYPERLINK(1)"
    queue = live["app"].state.page._queue  # Gradio's per-event statistics stay bounded, not 10,000 rows
    assert len(queue.event_analytics) <= live["settings"].gradio_analytics_events
    assert "'=HYPERLINK(1)" in live["store"].export_csv()


# -- finding 9: headers, docs, tracebacks -----------------------------------------------------------------------------


def test_headers_and_docs(live):
    base = live["base"]
    for path in ("/", "/v1/models", "/v1/articles/999", "/gradio_api/upload"):
        r = httpx.get(base + path)
        assert "server" not in r.headers, path
        assert (
            r.headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in r.headers["content-security-policy"]
        )
    assert httpx.get(f"{base}/v1/docs").status_code == 404  # off by default: no CDN assets
    assert httpx.get(f"{base}/v1/openapi.json").status_code == 200


def test_a_crash_is_a_message_not_a_traceback(live, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("secret internal detail /home/app")

    monkeypatch.setattr(live["answerer"].retriever, "search", boom)
    r = httpx.get(f"{live['base']}/v1/search", params={"q": "三江港"}, headers=visitor())
    assert r.status_code == 500 and "Traceback" not in r.text and "secret" not in r.text
    assert r.json()["error"]["message"] == "服务器内部错误，请稍后再试。"
