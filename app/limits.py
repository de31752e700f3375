"""Limits before work: what one visitor may send, and how often.

A public server must not let one visitor stall, fill or poison it (docs/reliability.md).  This module
holds the pieces that run *before* any expensive step:

* :func:`clean_text`, :func:`history_text` — client text cut first, then cleaned in linear time (no
  regex that can backtrack over a long run of ``<``); the same cleaning as questions get.
* :class:`RateLimiter` — in-memory token buckets per (kind, visitor address), shared by the API (checked
  here, 429 with ``Retry-After``) and the page (checked in Gradio validators, the reason shown at the input).
* :class:`LimitsMiddleware` — ASGI: routes that are switched off (uploads) answer 404, bodies over the
  limit 413 before they are read further, API callers over their rate 429 with ``Retry-After``.
* :class:`SecurityHeadersMiddleware` — CSP, ``X-Frame-Options``, ``nosniff``; no ``Server`` banner.
* :class:`SSEResponse` — server-sent events sent as they are produced; when the client leaves, the
  producing generators are closed (which ends the generation and leaves the model's line).
* :func:`validation_message` — a 400 message that names fields and limits and never echoes input.

The runtime knobs (body sizes, rates, disk caps) are :class:`~app.settings.Settings` fields.  The schema
caps below are fixed at import, because the request models and the page's history reader are built
without settings; they are generous bounds on structure, far above what a real client sends.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import math
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.exceptions import HTTPException
from starlette.responses import StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings

log = logging.getLogger(__name__)

# -- schema caps (structure, not tuning: see the module docstring) ---------------------------------------------------
MAX_MESSAGES = 64  # messages in one /v1/chat/completions request
MAX_CONTENT_CHARS = 8000  # characters of one message (or one content part)
MAX_PARTS = 16  # content parts of one message
MAX_PART_TYPE_CHARS = 40  # the "type" of a content part ("text", "image_url", …)
HISTORY_TURNS = 6  # earlier turns read from a request (the prompt keeps fewer)
HISTORY_RAW_CHARS = 4000  # raw characters of one turn looked at, before any markup is removed
HISTORY_TURN_CHARS = 1000  # characters of one cleaned turn
COMMENT_CHARS = 1000  # characters of one feedback comment

# -- text cleaning ---------------------------------------------------------------------------------------------------
_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")  # terminal escape sequences (as for questions)
_SPACE = re.compile(r"\s+")
_MD_ESCAPED = re.compile(r"\\([\\`*_\[\]()!#|~>])")  # what ui.plain_markdown escapes
_SURROGATE = re.compile("[\ud800-\udfff]")


def strip_tags(text: str) -> str:
    """``re.sub(r"<[^>]+>", "", text)`` in one linear pass (the regex is quadratic on a run of ``<``)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        lt = text.find("<", i)
        if lt < 0:
            out.append(text[i:])
            break
        gt = text.find(">", lt + 1)
        if gt < 0:  # no tag can close from here on: the rest is text
            out.append(text[i:])
            break
        out.append(text[i:lt])
        if gt == lt + 1:
            out.append("<>")  # "<>" is not a tag
        i = gt + 1
    return "".join(out)


def scrub_surrogates(value: Any) -> Any:
    """Lone UTF-16 surrogates (``"\\ud800"`` in JSON) cannot be encoded: in text, replace them with U+FFFD."""
    return _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value


def clean_text(raw: str, limit: int, raw_limit: int | None = None) -> str:
    """The cleaning questions get — escapes and control characters removed, whitespace collapsed — after
    cutting ``raw`` to ``raw_limit`` (default ``4 * limit``) characters, so the work is bounded."""
    text = raw[: raw_limit if raw_limit is not None else 4 * limit]
    text = _ESCAPE.sub("", text)
    text = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())  # drops surrogates and bidi controls
    return _SPACE.sub(" ", text).strip()[:limit]


def message_text(content: Any, raw_limit: int = HISTORY_RAW_CHARS) -> str:
    """The text of a chat message as a client sent it: a string, or the text parts of a parts list
    (Gradio and OpenAI both send ``[{"type": "text", "text": …}, …]``); files and other parts are ignored.
    At most ``raw_limit`` characters are collected."""
    if isinstance(content, str):
        return content[:raw_limit]
    if isinstance(content, Mapping):
        content = [content]
    if not isinstance(content, list | tuple):
        return ""
    texts: list[str] = []
    left = raw_limit
    for part in content[:MAX_PARTS]:
        if isinstance(part, Mapping) and part.get("type", "text") == "text" and isinstance(part.get("text"), str):
            piece = part["text"][:left]
            texts.append(piece)
            left -= len(piece)
            if left <= 0:
                break
    return "\n".join(texts)


def history_text(content: Any, limit: int = HISTORY_TURN_CHARS) -> str:
    """A turn of the page's conversation as plain text: cut, markup removed, the page's escaping undone,
    then cleaned like a question.  Linear in the (already cut) input."""
    text = strip_tags(message_text(content))
    text = _MD_ESCAPED.sub(r"\1", html.unescape(text))
    return clean_text(text, limit, raw_limit=HISTORY_RAW_CHARS)


# -- visitors and rates ----------------------------------------------------------------------------------------------
_VISITOR_KEY = secrets.token_bytes(16)  # per process: stored visitor keys cannot be turned back into addresses


def visitor_key(address: str) -> str:
    """An opaque key for a visitor address (what the feedback store keeps instead of the address)."""
    return hmac.new(_VISITOR_KEY, address.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:20]


def scope_visitor(scope: Scope) -> str:
    """The visitor's address (uvicorn has already applied a trusted proxy's X-Forwarded-For)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def request_visitor(request: Any) -> str:
    """The visitor's address from a Gradio or Starlette request (``"local"`` when called without one)."""
    client = getattr(request, "client", None) if request is not None else None
    host = getattr(client, "host", None)
    return str(host) if host else "local"


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: int


class RateLimiter:
    """Token buckets per (kind, visitor): ``burst`` requests at once, then ``per_second`` on average.

    Thread-safe (the page's handlers run in worker threads, the middleware in the event loop); remembers at
    most ``max_visitors`` buckets, forgetting the least recently used (a forgotten bucket starts full)."""

    def __init__(
        self, rates: Mapping[str, Rate], max_visitors: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rates = dict(rates)
        self.max_visitors = max_visitors
        self.clock = clock
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, s: Settings) -> RateLimiter:
        return cls(
            {
                "question": Rate(s.questions_per_minute / 60, s.questions_burst),
                "search": Rate(s.searches_per_minute / 60, s.searches_burst),
                "study": Rate(s.studies_per_hour / 3600, s.studies_burst),
                "feedback": Rate(s.feedback_per_hour / 3600, s.feedback_burst),
            },
            s.rate_limit_visitors,
        )

    def hit(self, kind: str, visitor: str) -> float:
        """Take one token: 0.0 when allowed, else the seconds until the next token."""
        rate = self.rates.get(kind)
        if rate is None:
            return 0.0
        now = self.clock()
        key = (kind, visitor)
        with self._lock:
            tokens, stamp = self._buckets.pop(key, (float(rate.burst), now))
            tokens = min(float(rate.burst), tokens + (now - stamp) * rate.per_second)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / rate.per_second
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_visitors:
                self._buckets.popitem(last=False)
        return wait


def retry_text(wait_s: float) -> str:
    """“30 秒” / “5 分钟”: how long to wait, for a message."""
    if wait_s < 90:
        return f"{max(1, math.ceil(wait_s))} 秒"
    return f"{math.ceil(wait_s / 60)} 分钟"


RATE_MESSAGES = {
    "question": "您提问太频繁了，请 {wait}后再问。",
    "search": "搜索太频繁了，请 {wait}后再试。",
    "study": "生成学习材料太频繁了，请 {wait}后再试。",
    "feedback": "评价太频繁了，请 {wait}后再试。",
}


def rate_message(kind: str, wait_s: float) -> str:
    return RATE_MESSAGES.get(kind, "请求太频繁了，请 {wait}后再试。").format(wait=retry_text(wait_s))


# -- request classification -----------------------------------------------------------------------------------------
Classifier = Callable[[str, str, bytes], "str | None"]  # (method, lower-case path, body) -> rate kind
PAGE_PREFIX = "/gradio_api"
_PAGE_QUEUE_CALLS = re.compile(r"^/gradio_api/(?:queue/join|call/v2/[^/]+|call/[^/]+|run/[^/]+|api/[^/]+)$")
# Routes of Gradio this page never uses and that write to disk or take client files: switched off.
BLOCKED_PATHS = (
    "/upload",
    "/gradio_api/upload",
    "/gradio_api/upload_progress",
    "/gradio_api/process_recording",
    "/gradio_api/stream",
    "/gradio_api/vibe-edit",
    "/gradio_api/undo-vibe-edit",
)
API_KINDS = {"/v1/chat/completions": "question", "/v1/search": "search"}


def is_page_call(path: str) -> bool:
    """A call into the page's queue (it carries the visible conversation, so it may be bigger)."""
    return bool(_PAGE_QUEUE_CALLS.match(path))


def is_blocked(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in BLOCKED_PATHS)


def api_classifier(method: str, path: str, body: bytes) -> str | None:
    """The API's expensive routes.  (The page's functions check the same limits in Gradio validators.)"""
    return API_KINDS.get(path) if method in ("GET", "POST") else None


# -- middleware ------------------------------------------------------------------------------------------------------
class _TooLarge(Exception):
    pass


def _json_reply(status: int, path: str, message: str, kind: str, headers: Mapping[str, str] | None = None) -> Message:
    if path.startswith(PAGE_PREFIX):
        body: dict[str, Any] = {"detail": message, "error": message}  # what the Gradio client shows
    else:
        body = {"error": {"message": message, "type": kind}}
    return {
        "status": status,
        "body": json.dumps(body, ensure_ascii=False).encode("utf-8"),
        "headers": dict(headers or {}),
    }


async def _send_reply(send: Send, reply: Message) -> None:
    headers = [(b"content-type", b"application/json; charset=utf-8")]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply["headers"].items()]
    headers.append((b"content-length", str(len(reply["body"])).encode()))
    await send({"type": "http.response.start", "status": reply["status"], "headers": headers})
    await send({"type": "http.response.body", "body": reply["body"], "more_body": False})


class LimitsMiddleware:
    """Switched-off routes → 404; bodies over the limit → 413 (unread); callers over their rate → 429.

    The body is read here (at most the limit) and handed on unchanged, so nothing downstream ever parses
    more than the limit; ``classify`` names the rate a request counts against (None: unlimited)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        body_limit: int,
        page_body_limit: int,
        limiter: RateLimiter | None = None,
        classify: Classifier | None = None,
    ) -> None:
        self.app = app
        self.body_limit = body_limit
        self.page_body_limit = page_body_limit
        self.limiter = limiter
        self.classify = classify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "").lower().rstrip("/") or "/"
        visitor = scope_visitor(scope)
        if is_blocked(path):
            log.info("refused %s %s from %s: route switched off", scope["method"], path, visitor)
            await _send_reply(send, _json_reply(404, path, "本服务不接受上传文件。", "not_found"))
            return
        limit = self.page_body_limit if is_page_call(path) else self.body_limit
        too_big = _json_reply(
            413,
            path,
            "对话太长了，请点“清空对话”后再提问。"
            if path.startswith(PAGE_PREFIX)
            else f"请求太大（上限 {limit // 1024} KB），请缩短对话历史或问题后重试。",
            "request_too_large",
        )
        declared = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            log.info("refused %s %s from %s: declared body %s > %d", scope["method"], path, visitor, declared, limit)
            await _send_reply(send, too_big)
            return
        try:
            body = await self._read(receive, limit)
        except _TooLarge:
            log.info("refused %s %s from %s: streamed body over %d bytes", scope["method"], path, visitor, limit)
            await _send_reply(send, too_big)
            return
        if body is None:
            return  # the client left while sending
        kind = self.classify(scope["method"], path, body) if self.classify else None
        if kind and self.limiter is not None:
            wait = self.limiter.hit(kind, visitor)
            if wait > 0:
                log.info("refused %s %s from %s: %s rate, retry in %.0f s", scope["method"], path, visitor, kind, wait)
                reply = _json_reply(
                    429, path, rate_message(kind, wait), "rate_limit_error", {"Retry-After": str(math.ceil(wait))}
                )
                await _send_reply(send, reply)
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # later calls: disconnect notices for streaming responses

        await self.app(scope, replay, send)

    @staticmethod
    async def _read(receive: Receive, limit: int) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


# The page: Gradio 6 compiles event ``js`` and every gr.HTML template with ``Function`` at run time, so scripts
# need 'unsafe-eval' as well as 'unsafe-inline' (its config is an inline script).  What the policy still
# guarantees: no script, style, image, font or connection from anywhere but this server (no beacons, no
# exfiltration), no plugins, no <base> or form hijacking, and no framing (clickjacking).
PAGE_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' data: blob:; connect-src 'self'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# JSON and downloads: nothing to run or load at all.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# FastAPI's /v1/docs page loads swagger-ui from this CDN (served only when settings.api_docs is on).
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
CSP_BY_PREFIX = (("/v1/docs", DOCS_CSP), ("/v1/", API_CSP), ("/downloads/", API_CSP))
SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeadersMiddleware:
    """Adds a CSP (by path prefix, else the page's) and anti-framing headers to every response, and drops
    any ``Server`` header."""

    def __init__(
        self, app: ASGIApp, default_csp: str = PAGE_CSP, csp_by_prefix: Sequence[tuple[str, str]] = CSP_BY_PREFIX
    ) -> None:
        self.app = app
        self.default_csp = default_csp
        self.csp_by_prefix = tuple(csp_by_prefix)

    def csp_for(self, path: str) -> str:
        return next((csp for prefix, csp in self.csp_by_prefix if path.startswith(prefix)), self.default_csp)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ours = {**SECURITY_HEADERS, "content-security-policy": self.csp_for(scope.get("path", ""))}
        names = {k.encode() for k in ours} | {b"server"}

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + [(k.encode(), v.encode()) for k, v in ours.items()]
            await send(message)

        await self.app(scope, receive, with_headers)


# -- streaming -------------------------------------------------------------------------------------------------------
_DONE = object()


def _next(it: Iterator[str]) -> Any:
    return next(it, _DONE)


def sse_error(exc: BaseException) -> str:
    """The last events of a stream that failed after it started: an OpenAI-style error, then [DONE]."""
    if isinstance(exc, HTTPException):
        log.warning("stream ended with HTTP %s: %s", exc.status_code, exc.detail)
        message, kind = str(exc.detail), ("unavailable" if exc.status_code == 503 else "invalid_request_error")
    else:
        log.error("stream failed", exc_info=exc)
        message, kind = "抱歉，处理这个问题时出了错，请换个问法或稍后再试。", "server_error"
    body = json.dumps({"error": {"message": message, "type": kind}}, ensure_ascii=False)
    return f"data: {body}\n\ndata: [DONE]\n\n"


class SSEResponse(StreamingResponse):
    """Server-sent events from a synchronous generator, each sent as soon as it is produced.

    When the stream ends — finished, failed, or the client disconnected — ``content`` and every iterator in
    ``closes`` are closed (in that order), so the generators' ``finally`` blocks run at once: a generation
    whose reader left stops and gives up its place at the model.  An error after the response started
    becomes an error event (:func:`sse_error`), never a traceback."""

    media_type = "text/event-stream"

    def __init__(self, content: Iterator[str], closes: Sequence[Iterator[Any]] = (), status_code: int = 200) -> None:
        self._source = content
        self._closes = [content, *closes]
        super().__init__(
            self._pump(),
            status_code=status_code,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def _pump(self) -> Any:
        while True:
            try:
                # Not abandoned on cancel: a disconnect waits for the step in progress, so closing is safe.
                item = await anyio.to_thread.run_sync(_next, self._source)
            except Exception as exc:
                yield sse_error(exc)
                return
            if item is _DONE:
                return
            yield item

    def _close(self) -> None:
        for it in self._closes:
            close = getattr(it, "close", None)
            if close is None:
                continue
            try:
                close()
            except Exception:
                log.exception("closing a finished stream failed")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._close)


# -- errors ----------------------------------------------------------------------------------------------------------
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")
_NOT_FIELDS = {"body", "query", "path", "header", "str", "int", "float", "bool", "list", "dict", "none"}
_WHAT = {
    "string_too_long": "太长",
    "too_long": "条目太多",
    "too_short": "太少或为空",
    "string_too_short": "太短",
    "missing": "缺少",
    "literal_error": "取值不允许",
    "json_invalid": "不是合法的 JSON",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
    "list_type": "应为数组",
    "string_type": "应为文字",
    "int_parsing": "应为整数",
    "less_than_equal": "太大",
    "greater_than_equal": "太小",
    "extra_forbidden": "不允许的字段",
}


def validation_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """“请求格式不正确：messages.0.content 太长（最多 8000）。” — field names and limits only, never input."""
    parts: dict[str, str] = {}  # the first error of each field (a union reports one per branch)
    for e in errors:
        kind = str(e.get("type", ""))
        loc = [
            str(x)
            for x in e.get("loc", ())
            if isinstance(x, int) or (isinstance(x, str) and _FIELD.match(x) and x not in _NOT_FIELDS)
        ]
        field = "请求体" if kind == "json_invalid" else (".".join(loc) or "请求")
        if field in parts:
            continue
        ctx = e.get("ctx") or {}
        bound = next((ctx[k] for k in ("max_length", "le", "min_length", "ge") if isinstance(ctx.get(k), int)), None)
        parts[field] = f"{field} {_WHAT.get(kind, '格式不对')}" + (f"（限 {bound}）" if bound is not None else "")
    shown = list(parts.values())[:3]
    more = f"等 {len(parts)} 处" if len(parts) > 3 else ""
    return f"请求格式不正确：{'；'.join(shown)}{more}。请检查后重试（格式见 /v1/openapi.json）。"
