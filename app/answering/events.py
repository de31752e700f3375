"""The values that pass between answering stages and out to the page, CLI and API.

An answer streams as a short sequence of events: ``Hits`` (what retrieval found),
``Route`` (which path the question takes), ``Text`` (the complete code-composed
answer), ``Working`` heartbeats while a model drafts, at most one ``Replace`` (a model-refined answer that is still made only of
the plan's spans), and ``Done`` carrying the final :class:`Answer`.  This module
holds data only; nothing here decides anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.refs import Ref
from app.retrieve import Hit

Mode = Literal["llm", "extractive", "lookup", "refusal", "invalid"]
RouteKind = Literal["invalid", "refusal", "missing_unit", "lookup", "no_figure", "compose", "cached"]


@dataclass(frozen=True)
class Citation:
    """One cited unit and the exact span of it the answer quotes (``quote == unit_text[start:end]``)."""

    ref: Ref
    quote: str = ""
    start: int = 0
    end: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "ref": str(self.ref),
            "kind": self.ref.kind,
            "number": self.ref.number,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    refused: bool
    citations: tuple[Ref, ...]
    removed_citations: tuple[dict[str, object], ...]
    hits: tuple[Hit, ...]
    timings: dict[str, float]
    model: str
    mode: Mode
    notice: str = ""
    dropped_sentences: int = 0
    scope_reason: str = ""
    related: tuple[Ref, ...] = ()  # units the code itself names (articles using a term, a part's articles)
    spans: tuple[Citation, ...] = ()  # the exact spans quoted, in the order shown
    missing: str = ""  # for a refusal: what the plan does not mention
    translation: str = ""  # a labelled machine translation of the quoted spans (English questions), if any

    def to_dict(self) -> dict[str, object]:
        """The public ``ask --json`` shape (fields are only ever added)."""
        first: dict[Ref, Citation] = {}
        for span in self.spans:
            first.setdefault(span.ref, span)
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [first.get(r, Citation(r)).to_dict() for r in self.citations],
            "removed_citations": list(self.removed_citations),
            "hits": [h.to_dict() for h in self.hits],
            "timings": self.timings,
            "model": self.model,
            "mode": self.mode,
            "notice": self.notice,
            "dropped_sentences": self.dropped_sentences,
            "related": [{"ref": str(r), "kind": r.kind, "number": r.number} for r in self.related],
            "spans": [s.to_dict() for s in self.spans],
            "scope_reason": self.scope_reason,
            "missing": self.missing,
            "translation": self.translation,
        }


@dataclass(frozen=True)
class Hits:
    hits: tuple[Hit, ...]


@dataclass(frozen=True)
class Route:
    kind: RouteKind
    reason: str = ""


@dataclass(frozen=True)
class Text:
    """The complete answer text so far (not a delta): consumers replace what they show."""

    text: str


@dataclass(frozen=True)
class Working:
    """The model is drafting (one per piece): consumers may ignore it, or use it to notice a client that left."""


@dataclass(frozen=True)
class Replace:
    """A refined answer that replaces the shown one (sent at most once, before ``Done``)."""

    text: str


@dataclass(frozen=True)
class Done:
    answer: Answer


Event = Hits | Route | Text | Working | Replace | Done
