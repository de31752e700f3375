"""Deterministic stand-ins for the heavy parts (embedder, generator)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator

import numpy as np

from app.text import tokens


class HashEmbedder:
    """Bag-of-bigrams hashed into 256 dimensions: deterministic, fast, roughly lexical."""

    dim = 256

    def __init__(self, tag: str = "hash") -> None:
        self.tag = tag

    @property
    def id(self) -> str:
        return f"fake/{self.tag}"

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for tok in tokens(t):
                out[i, int(hashlib.md5(tok.encode()).hexdigest(), 16) % self.dim] += 1.0
        out += 1e-3
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)


class ScriptedGenerator:
    """A :class:`app.llm.Generator` that replies with a fixed script (or a function of the prompt).

    It records the prompts it saw and how many streams were closed, so tests can see that the model was released.
    """

    def __init__(self, reply: str | None = None, fn=None, name: str = "fake-llm", delay_s: float = 0.0) -> None:
        self.reply = reply
        self.fn = fn
        self.name = name
        self.delay_s = delay_s
        self.prompts: list[str] = []
        self.streams_closed = 0

    def stream(self, messages: list[dict[str, str]], max_tokens: int, deadline_s: float) -> Iterator[str]:
        prompt = "\n".join(m["content"] for m in messages)
        self.prompts.append(prompt)
        text = self.fn(prompt) if self.fn else (self.reply or "")
        try:
            for i in range(0, len(text), 3):
                if self.delay_s:
                    time.sleep(self.delay_s)
                yield text[i : i + 3]
        finally:
            self.streams_closed += 1
