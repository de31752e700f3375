"""Stage 5 (optional): the model helps choose spans; it never writes what is shown.

"Draft, then ground": the model drafts an answer from the leading units (the draft
is never shown); each draft sentence is aligned to the plan sentence of those units
that supports it best (content-bigram coverage), and the aligned sentences — cut to
their clauses by the composer, in the draft's order — become the answer.  Draft
sentences that align to nothing are dropped, so invented claims cannot reach a user;
only sentences sharing words with the question can be aligned to, so a draft that
parrots an unrelated passage (or an instruction hidden in one) changes nothing.
Runs only when the model is free (``app.gate``); returns None otherwise or when the
draft grounds nothing.  Whether it helps is measured in docs/answers.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Sequence

from app.answering.claims import split_sentences, strip_markers, support
from app.answering.compose import Composer, Composition, Weights, query_frame
from app.answering.question import Query
from app.answering.spans import Sentence
from app.gate import GatedModel
from app.prompts import render
from app.retrieve import Hit
from app.settings import Settings

log = logging.getLogger(__name__)


class Refiner:
    def __init__(self, model: GatedModel, composer: Composer, settings: Settings) -> None:
        self.model = model
        self.composer = composer
        self.settings = settings

    def messages(self, query: Query, units: Sequence[Hit]) -> list[dict[str, str]]:
        plan = self.composer.spans.plan
        passages = "\n\n".join(
            render(
                "passage", ref=str(h.ref), title=h.title, text=plan.unit_text(h.ref)[: self.settings.refine_unit_chars]
            )
            for h in units
        )
        hist = render("history", previous=query.previous[:200]) + "\n" if query.previous else ""
        return [
            {"role": "system", "content": render("answer_system")},
            {"role": "user", "content": render("answer_user", passages=passages, history=hist, question=query.text)},
        ]

    def draft(self, query: Query, units: Sequence[Hit]) -> Generator[None, None, str | None]:
        """The model's draft; yields once per piece so the caller can stop early (a client that left)."""
        s = self.settings
        pieces = self.model.stream_if_free(self.messages(query, units), s.max_tokens, s.deadline_s, s.refine_wait_s)
        if pieces is None:
            return None
        out, started = [], time.monotonic()
        try:
            for n, piece in enumerate(pieces, 1):
                out.append(piece)
                yield
                if n >= s.max_tokens or time.monotonic() - started > s.deadline_s:
                    break
        except (RuntimeError, ValueError, OSError) as exc:  # a model that fails leaves the composed answer standing
            log.warning("model draft failed (%s); the code-composed answer stands", exc)
            return None
        finally:
            pieces.close()
        return "".join(out)

    def ground(self, draft: str, units: Sequence[Hit], query: Query) -> list[Sentence]:
        pool = [
            sent
            for h in units
            for sent in self.composer.spans.sentences(h.ref)
            if not sent.is_title and len(sent.text) >= self.settings.span_min_chars
        ]
        weights = Weights(self.composer.retriever, query)
        pool = [sent for sent in pool if weights.share(sent.words) >= self.settings.refine_relevance_min]
        chosen: list[Sentence] = []
        for claim in split_sentences(draft):
            text = strip_markers(claim).strip()
            if len(text) < 6:
                continue
            scored = max(((support(text, sent.text), sent) for sent in pool), key=lambda t: t[0], default=None)
            if scored and scored[0] >= self.settings.refine_support_min and scored[1] not in chosen:
                chosen.append(scored[1])
        return chosen[: self.settings.max_spans_multi]

    def refine(self, query: Query, hits: Sequence[Hit]) -> Generator[None, None, Composition | None]:
        """Draft, then ground; yields while the model works, returns the grounded answer or None."""
        units = self.composer.units(hits)
        if not units:
            return None
        draft = yield from self.draft(query, units)
        if not draft:
            return None
        grounded = self.ground(draft, units, query)
        if not grounded:
            log.info("draft grounded nothing; the code-composed answer stands")
            return None
        weights = Weights(self.composer.retriever, query)
        spans = [self.composer.trim(sent, weights) for sent in grounded]
        return self.composer.write(spans, english=query.english, frame=query_frame(query))
