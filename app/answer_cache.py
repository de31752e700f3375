"""A persistent cache of verified model answers for repeated questions.

Public questions repeat ("看病方便吗"); a verified answer for the same normalised
question, history, index, model, prompts and generation settings is stored in SQLite
under the user cache and served instantly.  Only model answers are cached (lookups,
refusals and quotes are instant anyway).  Any change of index, model, prompts or
settings changes the key, so stale answers are never served.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

from app.text import normalize


def question_key(question: str, history: list[tuple[str, str]], context: str) -> str:
    q = re.sub(r"[\s?？!！。.,，、~～]+", "", normalize(question))
    raw = json.dumps([q, history, context], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


class AnswerCache:
    def __init__(self, path: Path, max_rows: int = 5000) -> None:
        self.path = path
        self.max_rows = max_rows
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=2.0)
        conn.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, payload TEXT NOT NULL)")
        return conn

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            with self._lock, self._connect() as conn:
                row = conn.execute("SELECT payload FROM answers WHERE key = ?", (key,)).fetchone()
            return json.loads(row[0]) if row else None
        except (sqlite3.Error, OSError, ValueError):
            return None

    def put(self, key: str, payload: dict[str, Any]) -> None:
        try:
            with self._lock, self._connect() as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO answers (key, payload) VALUES (?, ?)",
                    (key, json.dumps(payload, ensure_ascii=False)),
                )
                conn.execute(
                    "DELETE FROM answers WHERE rowid IN (SELECT rowid FROM answers ORDER BY rowid DESC LIMIT -1 OFFSET ?)",
                    (self.max_rows,),
                )
        except (sqlite3.Error, OSError):
            pass  # the cache is an optimisation only
