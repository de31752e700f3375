"""Stage 1: the question as the pipeline understands it.

Cleans the raw text (control characters, terminal escapes, whitespace), rejects what
cannot be a question with a Chinese message that says what to do, trims the
conversation history to the prompt budget, and marks follow-ups ("那段店镇呢?") so
later stages read them together with the previous question.  No retrieval, no model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.retrieve import Turn, is_followup

_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_LATIN = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Query:
    text: str  # the cleaned question
    history: tuple[Turn, ...]
    previous: str = ""  # the previous user question, when this one is a follow-up

    @property
    def topic(self) -> str:
        """What to search the plan for: the question, with the previous one for a follow-up."""
        return f"{self.previous} {self.text}" if self.previous else self.text

    @property
    def english(self) -> bool:
        return len(_LATIN.findall(self.text)) > 2 * len(_CJK.findall(self.text))


def clean_question(raw: str, limit: int) -> tuple[str, str]:
    """(question, error message): control characters removed, whitespace collapsed."""
    q = _ESCAPES.sub("", raw[: limit * 4])  # cut first: nothing below runs on unbounded input
    q = "".join(ch for ch in q if ch in "\n\t" or (ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF))
    q = re.sub(r"\s+", " ", q).strip()
    if not q:
        return "", "请输入问题。例如：“以后老百姓看病会不会更方便？”"
    if len(q) > limit:
        return "", f"问题太长了（{len(q)} 字），请精简到 {limit} 字以内。"
    if not re.search(r"[\u3400-\u9fff]|[A-Za-z]{2,}", q):
        return "", "没有看懂这个问题，请用文字描述您想了解的内容。"
    return q, ""


def trim_history(history: Sequence[Turn], turns: int, chars: int) -> tuple[Turn, ...]:
    """The last ``turns`` non-empty turns, each cut to ``chars`` characters."""
    kept = [Turn(t.role, t.content[:chars]) for t in list(history)[-turns:] if t.content.strip()]
    return tuple(kept)


def make_query(text: str, history: Sequence[Turn]) -> Query:
    previous = next((t.content for t in reversed(history) if t.role == "user"), "")
    return Query(text, tuple(history), previous if previous and is_followup(text) else "")
