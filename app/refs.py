"""Reference strings for units of the plan: formatting and parsing.

A *unit* is an article (第8条), a glossary term (名词解释20) or a part preamble
(第二部分).  This module is the single place that knows how those references are
written, in questions, in prompts and in model output.  It does not know what the
plan contains; callers check that a parsed number exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["article", "glossary", "part"]

CN_DIGITS = "〇一二三四五六七八九"
_CN_VALUES = {c: i for i, c in enumerate(CN_DIGITS)} | {"零": 0, "两": 2}


def cn_numeral(n: int) -> str:
    """1..99 as a Chinese numeral (8 → 八, 12 → 十二, 39 → 三十九)."""
    if not 0 < n < 100:
        raise ValueError(f"numeral out of range: {n}")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CN_DIGITS[tens] + "十")
    return head + (CN_DIGITS[ones] if ones else "")


def parse_number(token: str) -> int | None:
    """Arabic, full-width or Chinese numerals up to 99; None if not a number."""
    token = token.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if token.isdigit():
        return int(token)
    if not token or any(c not in _CN_VALUES and c != "十" for c in token):
        return None
    if "十" not in token:
        return _CN_VALUES[token] if len(token) == 1 else None
    head, _, tail = token.partition("十")
    tens = _CN_VALUES.get(head, -1) if head else 1
    ones = _CN_VALUES.get(tail, -1) if tail else 0
    if tens < 0 or ones < 0 or len(tail) > 1:
        return None
    return tens * 10 + ones


@dataclass(frozen=True, order=True)
class Ref:
    """A reference to one unit of the plan."""

    kind: Kind
    number: int

    def __str__(self) -> str:
        if self.kind == "article":
            return f"第{self.number}条"
        if self.kind == "glossary":
            return f"名词解释{self.number}"
        return f"第{cn_numeral(self.number)}部分" if self.number else "序言"


_NUM = r"([0-9０-９]{1,2}|[〇零一二两三四五六七八九十]{1,3})"
# 名词解释 must be matched before the bare 第N条 form so that "名词解释第5条" is a term.
_PATTERNS: list[tuple[Kind, re.Pattern[str]]] = [
    ("glossary", re.compile(rf"名词解释\s*[(（\[【]?\s*第?\s*{_NUM}\s*(?:条|项|个)?\s*[)）\]】]?")),
    ("article", re.compile(rf"第\s*{_NUM}\s*条")),
    ("part", re.compile(rf"第\s*{_NUM}\s*(?:部分|部份|章|篇)")),
    ("article", re.compile(rf"(?i)\bart(?:icle|\.)?\s*{_NUM}\b")),
    ("part", re.compile(rf"(?i)\bpart\s*{_NUM}\b")),
    ("glossary", re.compile(rf"(?i)\bglossary\s*(?:term|item|entry)?\s*(?:no\.?|#)?\s*{_NUM}\b")),
    ("part", re.compile(r"\b[Pp]art\s+(IX|IV|V?I{1,3}|V)\b")),  # "Part VII": the plan's parts 一…九 in Roman numerals
]
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9}


@dataclass(frozen=True)
class RefMatch:
    """A reference found in a text, with its character span."""

    ref: Ref
    start: int
    end: int


def find_refs(text: str) -> list[RefMatch]:
    """Every reference written in ``text``, in reading order, without overlaps."""
    found: list[RefMatch] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            number = parse_number(m.group(1)) or _ROMAN.get(m.group(1))
            if number is None:
                continue
            found.append(RefMatch(Ref(kind, number), m.start(), m.end()))
            taken.append((m.start(), m.end()))
    return sorted(found, key=lambda r: r.start)


def parse_ref(text: str) -> Ref | None:
    """The reference that ``text`` consists of (e.g. "第8条", "名词解释20"), else None."""
    text = text.strip().strip("[]【】()（）")
    matches = find_refs(text)
    if len(matches) == 1 and matches[0].end - matches[0].start >= len(text) - 1:
        return matches[0].ref
    return None
