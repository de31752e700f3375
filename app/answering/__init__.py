"""Answering a question, as a chain of small stages (see docs/architecture.md).

question → retrieve → route → compose (→ refine) → done.  Each stage is one module
with one job; typed values (``app.answering.events``) pass between them.  The wiring
lives in ``app.answering.pipeline``.
"""

from app.answering.events import Answer, Citation, Done, Event, Hits, Replace, Route, Text, Working
from app.answering.pipeline import Pipeline

__all__ = ["Answer", "Citation", "Done", "Event", "Hits", "Pipeline", "Replace", "Route", "Text", "Working"]
