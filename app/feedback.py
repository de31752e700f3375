"""Local store of 👍/👎 feedback on answers (SQLite), and its CSV export.

Each row keeps the question, the answer, its citations, the model, the rating and an
optional comment.  Writes retry briefly when the database is locked and never raise
into the chat: a failed write is reported to the caller as ``False`` so the page can
say so, and nothing already stored is lost.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from pathlib import Path

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


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=5.0)
        conn.execute(_SCHEMA)
        return conn

    def add(self, question: str, answer: str, citations: list[str], model: str, rating: int, comment: str = "") -> bool:
        """Store one rating (+1 / -1); False if the database could not be written."""
        row = (
            time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            question[:2000],
            answer[:8000],
            json.dumps(citations, ensure_ascii=False),
            model,
            1 if rating > 0 else -1,
            comment[:1000],
        )
        for attempt in range(3):
            try:
                with self._connect() as conn:
                    conn.execute(
                        "INSERT INTO feedback (created_at, question, answer, citations, model, rating, comment) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        row,
                    )
                return True
            except sqlite3.OperationalError:
                time.sleep(0.2 * (attempt + 1))
            except OSError:
                return False
        return False

    def rows(self) -> list[tuple[object, ...]]:
        if not self.path.exists():
            return []
        with self._connect() as conn:
            return list(conn.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id"))

    def export_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(COLUMNS)
        writer.writerows(self.rows())
        return buf.getvalue()
