"""The plan cut into quotable pieces: sentences of every unit and the clauses inside them.

A :class:`Sentence` knows its unit, its offsets in the unit's text and its clauses
(split at ，；： and their ASCII forms; 、 never splits, so a list stays whole).  Every
quote shown to a user is ``unit_text[start:end]`` of one of these pieces, or a run of
clauses of one sentence, so quoting is verbatim by construction.  This module only
cuts and looks up; it does not score or choose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from app.corpus import Plan
from app.refs import Ref
from app.text import content_tokens

_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*[”’\"]?")
_CLAUSE = re.compile(r"[^，,：:。！？!?；;\n]+[，,：:。！？!?；;]*[”’\"]?")
_TRAILING = "，,：:；;。！？!?"


@dataclass(frozen=True)
class Clause:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Sentence:
    ref: Ref
    index: int  # position in its unit (0 = an article's title sentence)
    start: int
    end: int
    text: str
    clauses: tuple[Clause, ...]

    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(content_tokens(self.text))

    @property
    def is_title(self) -> bool:
        return self.ref.kind == "article" and self.index == 0


@dataclass(frozen=True)
class Span:
    """A verbatim piece of one unit: ``plan.unit_text(ref)[start:end] == text``."""

    ref: Ref
    start: int
    end: int
    text: str


def _pieces(pattern: re.Pattern[str], text: str, offset: int) -> list[tuple[int, int]]:
    out = []
    for m in pattern.finditer(text):
        piece = m.group()
        lead = len(piece) - len(piece.lstrip())
        body = piece.strip()
        if body.strip(_TRAILING):
            out.append((offset + m.start() + lead, offset + m.start() + lead + len(body)))
    return out


def _whole_quotes(pieces: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Clauses joined where a split would fall inside “…” ("“多彩华容,荣华与共”" is one name, never cut)."""
    out: list[tuple[int, int]] = []
    for a, b in pieces:
        if out and text[out[-1][0] : out[-1][1]].count("“") > text[out[-1][0] : out[-1][1]].count("”"):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def split_unit(ref: Ref, text: str) -> list[Sentence]:
    """Sentences (with clauses) of one unit's text, offsets into that text."""
    out = []
    for i, (s, e) in enumerate(_pieces(_SENTENCE, text, 0)):
        clauses = tuple(Clause(a, b, text[a:b]) for a, b in _whole_quotes(_pieces(_CLAUSE, text[s:e], s), text))
        out.append(Sentence(ref, i, s, e, text[s:e], clauses or (Clause(s, e, text[s:e]),)))
    return out


class PlanSpans:
    """Every unit's sentences, computed once per plan."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.by_unit: dict[Ref, list[Sentence]] = {}
        for a in plan.articles:
            self.by_unit[a.ref] = split_unit(a.ref, a.text)
        for g in plan.glossary:
            self.by_unit[g.ref] = split_unit(g.ref, g.text)
        self.all: list[Sentence] = [s for sents in self.by_unit.values() for s in sents]
        for p in plan.parts:  # a part's heading and preamble are quotable, but only when retrieval finds the part
            ref = Ref("part", p.number)
            self.by_unit[ref] = split_unit(ref, plan.unit_text(ref))

    def sentences(self, ref: Ref) -> list[Sentence]:
        return self.by_unit.get(ref, [])

    def using(self, terms: Sequence[str]) -> list[Sentence]:
        """The articles' sentences that use any of the glossary terms (quotation marks aside): the plan's own
        context for a term a lookup shows."""
        plain = [re.sub(r"[“”]", "", t) for t in terms]
        return [
            s
            for s in self.all
            if s.ref.kind == "article" and not s.is_title and any(t in re.sub(r"[“”]", "", s.text) for t in plain)
        ]

    def span(self, ref: Ref, start: int, end: int) -> Span:
        return Span(ref, start, end, self.plan.unit_text(ref)[start:end])
