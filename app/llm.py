"""Text generators behind one Protocol; the llama.cpp implementation.

``LlamaCppGenerator`` loads one GGUF with llama-cpp-python (threads = physical
cores, context sized by settings, chat template from the GGUF) and streams chat
completions.  A ``Llama`` object is not thread-safe, so every generation holds one
lock; a deadline stops generation early.  Tests use a deterministic fake with the
same Protocol (``tests/fakes.py``).

This module does not build prompts or choose what is shown (``app.answering``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from app.models import ModelError
from app.settings import Settings

log = logging.getLogger(__name__)


class Generator(Protocol):
    """What the answering pipeline and study export call: a name and a streamed chat reply."""

    name: str

    def stream(self, messages: list[dict[str, str]], max_tokens: int, deadline_s: float) -> Iterator[str]:
        """Yield pieces of the assistant's reply to a chat, stopping at ``max_tokens`` or the deadline."""
        ...


def load_generator(settings: Settings) -> Generator:
    """The configured generator: a remote OpenAI-compatible server, or a local GGUF (raises ModelError)."""
    if settings.llm_base_url:
        remote = OpenAICompatGenerator(
            settings.llm_base_url, settings.llm_api_model, settings.llm_api_key, settings.temperature
        )
        remote.check()
        return remote
    from app.models import resolve_model

    path, name = resolve_model(settings.model, settings.model_cache_dir)
    return LlamaCppGenerator(path, name, settings.n_ctx, settings.n_threads, settings.temperature)


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
    except (OSError, AttributeError) as exc:
        log.debug("no /proc/cpuinfo (%s): counting logical CPUs", exc)
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

    # -- generation -------------------------------------------------------------------
    def stream(self, messages: list[dict[str, str]], max_tokens: int, deadline_s: float) -> Iterator[str]:
        """Stream a reply; llama.cpp reuses the longest prompt prefix shared with the previous prompt."""
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

    def stream(self, messages: list[dict[str, str]], max_tokens: int, deadline_s: float) -> Iterator[str]:
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
        except httpx.HTTPError as exc:
            log.warning("generation server failed mid-answer (%s); the code-composed answer stands", exc)
            return
