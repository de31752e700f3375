"""HTTP API for other front ends (a district website widget, a mini-program).

* ``POST /v1/chat/completions`` — OpenAI-compatible (streaming and not).  The last user
  message is the question, earlier turns are the history; the reply's extension field
  ``huarong`` carries the verified citations, removed citations, refusal flag and hits
  (the ``ask --json`` contract).  Streaming sends the composed answer as soon as it
  exists; a model-refined answer, if any, comes as ``huarong.replace`` in a later chunk
  (plain OpenAI clients keep the first, which is complete and true to the plan).
* ``GET /v1/search?q=…&k=5`` — the ``search --json`` contract.
* ``GET /v1/articles/{n}`` and ``GET /v1/glossary/{n}`` — original text.
* ``GET /v1/models`` — the model behind the answers.

Answers never wait for the model (``app.gate``), so there is no waiting line here.
Request size, per-visitor rates and headers are enforced before any route runs
(``app.limits``, installed by ``app.server``); the request models cap messages,
content and parts, and clean text.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from app.answering import Answer, Done, Event, Pipeline, Replace, Text, Working
from app.limits import (
    HISTORY_TURN_CHARS,
    HISTORY_TURNS,
    MAX_CONTENT_CHARS,
    MAX_MESSAGES,
    MAX_PART_TYPE_CHARS,
    MAX_PARTS,
    SSEResponse,
    clean_text,
    scrub_surrogates,
)
from app.retrieve import Turn

# Client text: lone surrogates replaced first (they cannot be encoded anywhere later), at most MAX_CONTENT_CHARS.
ClientText = Annotated[str, BeforeValidator(scrub_surrogates), Field(max_length=MAX_CONTENT_CHARS)]


class ContentPart(BaseModel):
    """One part of a message's content (``{"type": "text", "text": …}``); other kinds are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")
    type: str = Field("text", max_length=MAX_PART_TYPE_CHARS)
    text: ClientText | None = None


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: ClientText | Annotated[list[ContentPart], Field(max_length=MAX_PARTS)] | None = ""

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model: str = Field("huarong-qa", max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    max_tokens: int | None = None
    temperature: float | None = None


def _split(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """(question, history): system messages are ignored — they cannot change the rules.

    The question goes on as sent (the answer pipeline cleans and checks it); history turns are cut to the
    last few and cleaned like a question (``app.limits.clean_text``)."""
    turns = [Turn(m.role, m.text()) for m in messages if m.role in ("user", "assistant")]  # type: ignore[arg-type]
    if not turns or turns[-1].role != "user":
        raise HTTPException(400, "the last message must be the user's question")
    history = [Turn(t.role, clean_text(t.content, HISTORY_TURN_CHARS)) for t in turns[:-1][-HISTORY_TURNS:]]
    return turns[-1].content, [t for t in history if t.content]


_EXTENSION = ("refused", "citations", "removed_citations", "hits", "timings", "mode", "notice", "related", "spans",
              "scope_reason", "missing", "question")  # fmt: skip


def extension(a: Answer) -> dict[str, Any]:
    """The ``huarong`` field of a reply: the ``ask --json`` fields other clients read."""
    d = a.to_dict()
    return {k: d[k] for k in _EXTENSION}


def completion(answerer: Pipeline, question: str, history: list[Turn]) -> dict[str, Any]:
    """A whole ``chat.completion`` object."""
    result = answerer.answer(question, history)
    tokens = int(result.timings.get("generated_tokens", 0))
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": result.model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": result.answer}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": tokens, "total_tokens": tokens},
        "huarong": extension(result),
    }


def completion_stream(answerer: Pipeline, question: str, history: list[Turn]) -> SSEResponse:
    """Server-sent ``chat.completion.chunk`` events, each sent as soon as its event exists.

    The complete answer is the first content chunk; a model-refined answer, if any, follows as
    ``huarong.replace``; heartbeats while the model drafts are SSE comments, so a client that left is
    noticed and its generation closed (``SSEResponse(closes=...)``).
    """
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    events = answerer.events(question, history)

    def chunk(delta: dict[str, Any], finish: str | None = None, extra: dict[str, Any] | None = None) -> str:
        body: dict[str, Any] = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": answerer.model_name,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        if extra:
            body["huarong"] = extra
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    def sse() -> Iterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        sent = False
        event: Event
        try:
            for event in events:
                if isinstance(event, Text) and not sent:
                    sent = True
                    yield chunk({"content": event.text})
                elif isinstance(event, Working):
                    yield ": working\n\n"  # an SSE comment: a client that left is noticed at once
                elif isinstance(event, Replace):
                    yield chunk({}, extra={"replace": event.text})
                elif isinstance(event, Done):
                    yield chunk({}, "stop", extension(event.answer))
        finally:
            events.close()  # a client that left stops the pipeline (and frees the model)
        yield "data: [DONE]\n\n"

    return SSEResponse(sse(), closes=[events])


def create_router(answerer: Pipeline) -> APIRouter:
    router = APIRouter(prefix="/v1")
    plan = answerer.plan

    @router.post("/chat/completions", response_model=None)
    def chat(req: ChatRequest) -> Any:
        question, history = _split(req.messages)
        if req.stream:
            return completion_stream(answerer, question, history)
        return completion(answerer, question, history)

    @router.get("/search")
    def search(q: str = Query(min_length=1, max_length=500), k: int = Query(5, ge=1, le=20)) -> dict[str, Any]:
        hits = answerer.retriever.search(q, k=k)
        return {"query": q, "hits": [h.to_dict() for h in hits]}

    @router.get("/articles/{number}")
    def article(number: int) -> dict[str, Any]:
        a = plan.article(number)
        if a is None:
            raise HTTPException(404, f"没有第{number}条（共 {len(plan.articles)} 条）")
        p = plan.part(a.part)
        return {
            "ref": str(a.ref),
            "number": a.number,
            "part": a.part,
            "part_title": p.title if p else "",
            "title": a.title,
            "text": a.text,
        }

    @router.get("/glossary/{number}")
    def glossary(number: int) -> dict[str, Any]:
        g = plan.term(number)
        if g is None:
            raise HTTPException(404, f"没有名词解释{number}（共 {len(plan.glossary)} 条）")
        return {"ref": str(g.ref), "number": g.number, "term": g.term, "definition": g.definition}

    @router.get("/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": answerer.model_name, "object": "model", "owned_by": "local"}]}

    return router


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": "invalid_request_error"}}, status_code=status)
