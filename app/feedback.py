"""Local store of 👍/👎 feedback on answers (SQLite), and its CSV export.

Each row keeps the question, the answer, its citations, the model, the rating and an
optional comment.  Writes retry briefly when the database is locked and never raise
into the chat: a failed write is reported to the caller as ``False`` so the page can
say so, and nothing already stored is lost.

A visitor rates an answer once: a second rating of the same answer by the same visitor
(an opaque per-process key, never the address) replaces the first.  The CSV export is
meant for Excel, so text cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import sqlite3
import time
from pathlib import Path

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    model TEXT NOT NULL,
    rating INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
)
"""
COLUMNS = ("id", "created_at", "question", "answer", "citations", "model", "rating", "comment")
# Added later: who rated (opaque key) and what (hash of question + answer); not exported.
_MIGRATIONS = (
    ("visitor", "ALTER TABLE feedback ADD COLUMN visitor TEXT NOT NULL DEFAULT ''"),
    ("answer_key", "ALTER TABLE feedback ADD COLUMN answer_key TEXT NOT NULL DEFAULT ''"),
)
_ONE_PER_VISITOR = (
    "CREATE UNIQUE INDEX IF NOT EXISTS feedback_once ON feedback (visitor, answer_key) WHERE visitor != ''"
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """A cell a spreadsheet will not run: text starting with = + - @ tab or CR gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def answer_key(question: str, answer: str) -> str:
    return hashlib.sha256(f"{question}\x00{answer}".encode("utf-8", "replace")).hexdigest()[:32]


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=5.0)
        conn.execute(_SCHEMA)
        have = {r[1] for r in conn.execute("PRAGMA table_info(feedback)")}
        for column, ddl in _MIGRATIONS:
            if column not in have:
                conn.execute(ddl)
        conn.execute(_ONE_PER_VISITOR)
        return conn

    def add(
        self,
        question: str,
        answer: str,
        citations: list[str],
        model: str,
        rating: int,
        comment: str = "",
        visitor: str = "",
    ) -> bool:
        """Store one rating (+1 / -1); False if the database could not be written.

        With a ``visitor`` key, a visitor's later rating of the same answer replaces the earlier one (a new
        comment replaces the old one; an empty comment keeps it)."""
        question, answer = question[:2000], answer[:8000]
        row = (
            time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            question,
            answer,
            json.dumps(citations, ensure_ascii=False),
            model,
            1 if rating > 0 else -1,
            comment[:1000],
            visitor,
            answer_key(question, answer) if visitor else "",
        )
        for attempt in range(3):
            try:
                with self._connect() as conn:
                    conn.execute(
                        "INSERT INTO feedback "
                        "(created_at, question, answer, citations, model, rating, comment, visitor, answer_key) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (visitor, answer_key) WHERE visitor != '' DO UPDATE SET "
                        "created_at = excluded.created_at, rating = excluded.rating, "
                        "comment = CASE WHEN excluded.comment != '' THEN excluded.comment ELSE comment END",
                        row,
                    )
                return True
            except sqlite3.OperationalError as exc:
                log.warning("feedback write failed (attempt %d): %s", attempt + 1, exc)
                time.sleep(0.2 * (attempt + 1))
            except OSError as exc:
                log.error("feedback write failed: %s", exc)
                return False
        return False

    def rows(self) -> list[tuple[object, ...]]:
        if not self.path.exists():
            return []
        with self._connect() as conn:
            return list(conn.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id"))

    def export_csv(self) -> str:
        """CSV for Excel: formula-like text cells neutralised (see :func:`csv_safe`)."""
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(COLUMNS)
        writer.writerows([csv_safe(v) for v in row] for row in self.rows())
        return buf.getvalue()
