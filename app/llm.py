"""Text generators behind one Protocol; the llama.cpp implementation.

``LlamaCppGenerator`` loads one GGUF with llama-cpp-python (threads = physical
cores, context sized by settings, chat template from the GGUF) and streams chat
completions.  A ``Llama`` object is not thread-safe, so every generation holds one
lock; a deadline stops generation early.  Tests use a deterministic fake with the
same Protocol (``tests/fakes.py``).

This module does not build prompts or check answers (``app.answer``).
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from app.models import ModelError


@dataclass(frozen=True)
class PackState:
    """The llama.cpp context after evaluating ``tokens`` (KV cache bytes), reusable as a prompt prefix."""

    tokens: tuple[int, ...]
    data: bytes


class Generator(Protocol):
    name: str

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, deadline_s: float, state: Any = None
    ) -> Iterator[str]:
        """Yield pieces of the assistant's reply to a chat.

        ``state`` is a context pack (:class:`PackState`) whose tokens prefix the prompt; generators
        that cannot use one ignore it.
        """
        ...


def physical_cores() -> int:
    """Physical CPU cores (llama.cpp's default of half the logical CPUs is too few on small PCs)."""
    try:
        pairs = set()
        phys = core = ""
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("physical id"):
                phys = line.split(":")[1].strip()
            elif line.startswith("core id"):
                core = line.split(":")[1].strip()
                pairs.add((phys, core))
        if pairs:
            return max(1, min(len(pairs), len(os.sched_getaffinity(0))))
    except (OSError, AttributeError):
        pass
    return max(1, os.cpu_count() or 1)


class LlamaCppGenerator:
    """One in-process llama.cpp model, serialised by a lock."""

    def __init__(
        self, model_path: Path, name: str, n_ctx: int = 2048, n_threads: int = 0, temperature: float = 0.1
    ) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ModelError("llama-cpp-python is not installed: run `pip install -e .` (it compiles once).") from exc
        self.name = name
        self.temperature = temperature
        self.lock = threading.Lock()
        self.busy = False  # observable: true while a generation holds the lock
        threads = n_threads or physical_cores()
        try:
            self.llm: Any = Llama(
                model_path=str(model_path),
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                n_batch=512,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelError(
                f"无法加载模型 / cannot load model {model_path} ({exc}); the file may be truncated: "
                "delete it and run again to re-assemble, or give another GGUF."
            ) from exc
        self.n_ctx = n_ctx

    def count_tokens(self, text: str) -> int:
        return len(self.tokens(text))

    # -- prompt formatting ----------------------------------------------------------
    def _formatter(self) -> Any:
        if not hasattr(self, "_fmt"):
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            meta = getattr(self.llm, "metadata", {}) or {}
            template = meta.get("tokenizer.chat_template")
            self._fmt = None
            if template:
                vocab = self.llm._model
                eos = vocab.token_get_text(vocab.token_eos()) if vocab.token_eos() >= 0 else ""
                bos = vocab.token_get_text(vocab.token_bos()) if vocab.token_bos() >= 0 else ""
                self._fmt = Jinja2ChatFormatter(template, eos_token=eos, bos_token=bos)
        return self._fmt

    def format(self, messages: list[dict[str, str]]) -> tuple[str, list[str]] | None:
        """The model's own chat template applied to ``messages`` (None if the GGUF has none)."""
        fmt = self._formatter()
        if fmt is None:
            return None
        out = fmt(messages=messages)
        stops = out.stop if isinstance(out.stop, list) else ([out.stop] if out.stop else [])
        return out.prompt, stops

    def tokens(self, prompt: str) -> list[int]:
        return list(self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

    def prefix_state(self, prompt_prefix: str) -> PackState:
        """Evaluate a prompt prefix once and return the llama.cpp state after it (a context pack)."""
        import llama_cpp

        with self.lock:
            toks = self.tokens(prompt_prefix)
            self.llm.reset()
            self.llm.eval(toks)
            ctx = self.llm._ctx.ctx
            size = llama_cpp.llama_state_get_size(ctx)
            buf = (ctypes.c_uint8 * int(size))()
            n = llama_cpp.llama_state_get_data(ctx, buf, size)
            return PackState(tuple(toks), bytes(buf)[: int(n)])

    def _load(self, state: PackState) -> None:
        import llama_cpp

        buf = (ctypes.c_uint8 * len(state.data)).from_buffer_copy(state.data)
        if llama_cpp.llama_state_set_data(self.llm._ctx.ctx, buf, len(state.data)) != len(state.data):
            raise RuntimeError("llama.cpp refused the pack state")
        self.llm.input_ids[: len(state.tokens)] = state.tokens
        self.llm.n_tokens = len(state.tokens)

    # -- generation -------------------------------------------------------------------
    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, deadline_s: float, state: Any = None
    ) -> Iterator[str]:
        """Stream a reply.  With ``state`` (a pack whose tokens prefix this prompt) only the rest is evaluated;
        without it llama.cpp still reuses the longest prefix shared with the previous prompt."""
        formatted = self.format(messages)
        with self.lock:
            self.busy = True
            try:
                start = time.monotonic()
                params: dict[str, Any] = {
                    "max_tokens": max_tokens,
                    "temperature": self.temperature,
                    "top_p": 0.9,
                    "repeat_penalty": 1.1,
                    "stream": True,
                    "seed": 7,
                }
                if formatted is None:  # no template in the GGUF: let llama-cpp-python pick a chat format
                    chunks = self.llm.create_chat_completion(messages=messages, **params)
                    pieces = (c["choices"][0].get("delta", {}).get("content") for c in chunks)
                else:
                    prompt, stops = formatted
                    toks = self.tokens(prompt)
                    if state is not None and tuple(toks[: len(state.tokens)]) == state.tokens:
                        self._load(state)
                    chunks = self.llm.create_completion(prompt=toks, stop=stops or None, **params)
                    pieces = (c["choices"][0].get("text") for c in chunks)
                for piece in pieces:
                    if piece:
                        yield piece
                    if time.monotonic() - start > deadline_s:
                        break
            finally:
                self.busy = False


class OpenAICompatGenerator:
    """Generation on any OpenAI-compatible server (llama.cpp's server, vLLM, …) over HTTP.

    Retrieval, scope and citation checks stay in this app; only tokens come from the server.
    Several app replicas can share a pool of such servers behind a load balancer.
    """

    def __init__(
        self, base_url: str, model: str, api_key: str = "", temperature: float = 0.1, timeout_s: float = 120.0
    ) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"{model} @ {self.base_url}"
        self.temperature = temperature
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout_s, connect=5.0))

    def check(self) -> None:
        """Fail early, with a remedy, when the server is unreachable."""
        import httpx

        try:
            self.http.get(f"{self.base_url}/models").raise_for_status()
        except httpx.HTTPError as exc:
            raise ModelError(
                f"无法连接语言模型服务 {self.base_url} ({exc}). Start one, e.g. "
                "`python -m llama_cpp.server --model MODEL.gguf --port 8000`, or unset HUARONG_LLM_BASE_URL."
            ) from exc

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, deadline_s: float, state: Any = None
    ) -> Iterator[str]:
        del state  # the server keeps its own prompt cache
        import json

        import httpx

        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": self.temperature,
            "stream": True,
        }
        start = time.monotonic()
        try:
            with self.http.stream("POST", f"{self.base_url}/chat/completions", json=body) as response:
                response.raise_for_status()
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    choices = json.loads(data).get("choices") or [{}]
                    piece = (choices[0].get("delta") or {}).get("content")
                    if piece:
                        yield piece
                    if time.monotonic() - start > deadline_s:
                        break
        except httpx.HTTPError:
            return  # the answer pipeline falls back to quotes when nothing verified arrives
