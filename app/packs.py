"""Context packs: precomputed llama.cpp states for "system prompt + one article".

Prompt evaluation dominates answer latency on a 2-core CPU (≈30 ms a token for the
1.5B model).  The plan is fixed text, so for each article the prompt prefix — system
prompt and the article as the passage — is evaluated once and its KV state saved
under the user cache; answering a question then evaluates only the question.  Packs
are keyed by model file, prompts version, corpus hash and context size, so any change
invalidates them.  They are built on first use (and all at once by ``huarong-qa
build-packs``), kept on disk, and the most recent few are kept in memory.

This module only stores and builds states; ``app.answer`` decides when to use them.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.llm import PackState
from app.refs import Ref

PACK_FORMAT = 1


class PackStore:
    def __init__(self, root: Path, key: str, build: Callable[[Ref], PackState], memory: int = 6) -> None:
        self.dir = root / key
        self.build = build
        self.memory = memory
        self._mem: OrderedDict[Ref, PackState] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @staticmethod
    def make_key(model_path: Path, prompts_version: str, corpus_sha: str, n_ctx: int) -> str:
        st = model_path.stat()
        raw = f"{PACK_FORMAT}|{model_path.name}|{st.st_size}|{prompts_version}|{corpus_sha}|{n_ctx}"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def path(self, ref: Ref) -> Path:
        return self.dir / f"{ref.kind}-{ref.number}.pack"

    def get(self, ref: Ref, create: bool = True) -> PackState | None:
        with self._lock:
            if ref in self._mem:
                self._mem.move_to_end(ref)
                self.hits += 1
                return self._mem[ref]
        state = self._read(ref)
        if state is None and create:
            self.misses += 1
            state = self.build(ref)
            self._write(ref, state)
        elif state is not None:
            self.hits += 1
        if state is not None:
            with self._lock:
                self._mem[ref] = state
                while len(self._mem) > self.memory:
                    self._mem.popitem(last=False)
        return state

    def _read(self, ref: Ref) -> PackState | None:
        try:
            with self.path(ref).open("rb") as fh:
                obj: Any = pickle.load(fh)  # our own files under the user cache
            return obj if isinstance(obj, PackState) else None
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return None

    def _write(self, ref: Ref, state: PackState) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".pack-")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path(ref))
        except OSError:
            pass  # a pack is an optimisation: failing to persist it only costs time

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.dir.glob("*.pack")) if self.dir.exists() else 0
