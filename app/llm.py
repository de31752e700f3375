"""Text generators behind one Protocol; the llama.cpp implementation.

``LlamaCppGenerator`` loads one GGUF with llama-cpp-python (threads = physical
cores, context sized by settings, chat template from the GGUF) and streams chat
completions.  A ``Llama`` object is not thread-safe, so every generation holds one
lock; a deadline stops generation early.  Tests use a deterministic fake with the
same Protocol (``tests/fakes.py``).

This module does not build prompts or check answers (``app.answer``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from app.models import ModelError


class Generator(Protocol):
    name: str

    def stream(self, messages: list[dict[str, str]], max_tokens: int, deadline_s: float) -> Iterator[str]:
        """Yield pieces of the assistant's reply to a chat."""
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
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(self, messages: list[dict[str, str]], max_tokens: int, deadline_s: float) -> Iterator[str]:
        with self.lock:
            self.busy = True
            try:
                start = time.monotonic()
                chunks = self.llm.create_chat_completion(
                    messages=messages,
                    max_tokens=max_tokens,
                    temperature=self.temperature,
                    top_p=0.9,
                    repeat_penalty=1.1,
                    stream=True,
                    seed=7,
                )
                for chunk in chunks:
                    piece = chunk["choices"][0].get("delta", {}).get("content")
                    if piece:
                        yield piece
                    if time.monotonic() - start > deadline_s:
                        break
            finally:
                self.busy = False
