"""Small text utilities shared by retrieval, citation checking and scope decisions.

Normalisation (full-width → half-width, lower case), the lexical tokens used by
BM25 (CJK character bigrams plus Latin/number words), and a Chinese sentence
splitter that keeps offsets.  No model, no I/O.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:[.+][a-z0-9]+)*")
_SENT = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*[”’\"]?")
# Bigrams made only of question words carry no topic; drop them from queries.
_QUESTION_CHARS = set("的了吗呢啊吧么是有在和与及或什怎哪谁几多少如何为请问一下这那个些会能要")


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), lower case, and an en dash as a hyphen ("Wuhan–Huangshi")."""
    return unicodedata.normalize("NFKC", text).lower().replace("–", "-")


def tokens(text: str, query: bool = False) -> list[str]:
    """BM25 tokens: CJK character bigrams (single chars for 1-char runs) and Latin words."""
    out: list[str] = []
    for run in _RUN.findall(normalize(text)):
        if not ("\u3400" <= run[0] <= "\ufaff"):
            out.append(run)
            continue
        if len(run) == 1:
            if not query or run not in _QUESTION_CHARS:
                out.append(run)
            continue
        for i in range(len(run) - 1):
            bg = run[i : i + 2]
            if query and bg[0] in _QUESTION_CHARS and bg[1] in _QUESTION_CHARS:
                continue
            out.append(bg)
    return out


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of ``text`` (each keeps its end punctuation)."""
    return [(m.start(), m.end()) for m in _SENT.finditer(text) if m.group().strip()]


def content_tokens(text: str) -> list[str]:
    """Query-side tokens without question-word bigrams."""
    return tokens(text, query=True)
