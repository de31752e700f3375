"""A persistent cache of composed answers for repeated questions.

Public questions repeat ("看病方便吗"); the answer for the same normalised question and
history is stored in SQLite under the user cache and served again.  The key covers the
code (package version and a hash of ``app/``, ``prompts/`` and ``corpus/``), the
prompts, the plan and every setting, so an upgrade or a changed setting never serves
an answer made by older code.  Errors are logged and the cache is skipped: it is an
optimisation only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sqlite3
import threading
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from app.text import normalize

log = logging.getLogger(__name__)
_ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = ("app", "prompts", "corpus")


@cache
def code_version(root: Path = _ROOT) -> str:
    """Package version plus a hash of every file the answers depend on (code, prompts, reviewed tables)."""
    try:
        version = metadata.version("huarong-qa")
    except metadata.PackageNotFoundError:
        version = "0"
    h = hashlib.sha256(version.encode())
    for folder in CODE_DIRS:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".txt", ".tsv", ".md"}:
                h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return f"{version}+{h.hexdigest()[:12]}"


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
        except (sqlite3.Error, OSError, ValueError) as exc:
            log.warning("answer cache read failed (%s); answering afresh", exc)
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
        except (sqlite3.Error, OSError) as exc:
            log.warning("answer cache write failed (%s); the answer was still given", exc)
