"""The answering pipeline: the stages wired together, one question at a time.

question (clean, history) → retrieve → route → reply or compose (→ refine) → Done.
Each step is a call into one stage module; this file only passes values down and
turns them into events.  It loads nothing itself except through ``Pipeline.create``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.answer_cache import AnswerCache, code_version, question_key
from app.answering import replies
from app.answering.compose import Composer, Composition
from app.answering.events import Answer, Citation, Done, Event, Hits, Mode, Replace, Route, Text, Working
from app.answering.question import Query, clean_question, make_query, trim_history
from app.answering.refine import Refiner
from app.answering.route import Decision, decide
from app.answering.spans import PlanSpans, Sentence
from app.gate import GatedModel, ModelGate
from app.offtopic import OffTopic
from app.offtopic import load as load_offtopic_file
from app.prompts import prompts_version
from app.refs import parse_ref
from app.retrieve import Hit, Retriever, Turn
from app.scope import content_tokens_of, topic_name
from app.settings import Settings
from app.text import content_tokens

log = logging.getLogger(__name__)
NO_MODEL_NOTICE = "未安装语言模型，以下为《建议》原文摘录。"


@dataclass
class _Timer:
    start: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        self.marks.setdefault(name, round((time.perf_counter() - self.start) * 1000, 1))

    def timings(self, tokens: int = 0) -> dict[str, float]:
        self.mark("first_token_ms")
        self.mark("total_ms")
        return {
            **{k: self.marks.get(k, 0.0) for k in ("retrieve_ms", "first_token_ms", "total_ms")},
            "generated_tokens": tokens,
        }


class Pipeline:
    """Answers questions; one instance per process, safe to call from many threads."""

    def __init__(
        self,
        retriever: Retriever,
        settings: Settings,
        model: GatedModel | None = None,
        cache: AnswerCache | None = None,
        notice: str = "",
        offtopic: OffTopic | None = None,
    ) -> None:
        self.retriever = retriever
        self.offtopic = offtopic
        self.plan = retriever.plan
        self.settings = settings
        self.model = model
        self.cache = cache
        self.notice = notice
        self.spans = PlanSpans(self.plan)
        self.generic = _generic_tokens()
        self.composer = Composer(retriever, self.spans, settings)
        self.refiner = Refiner(model, self.composer, settings) if model and settings.refine == "draft" else None
        self.cache_context = f"{code_version()}|{prompts_version()}|{self.plan.sha256}|{settings.model_dump_json()}"

    @classmethod
    def create(cls, retriever: Retriever, settings: Settings, gate: ModelGate | None = None) -> Pipeline:
        """The configured pipeline: the model is loaded only when something will use it."""
        from app.llm import load_generator
        from app.models import ModelError

        cache = AnswerCache(settings.model_cache_dir / "answers.sqlite3") if settings.answer_cache else None
        offtopic = load_offtopic(settings, retriever)
        wants_model = settings.mode == "llm" or (settings.mode == "auto" and settings.refine != "off")
        if not wants_model:
            return cls(retriever, settings, None, cache, offtopic=offtopic)
        try:
            generator = load_generator(settings)
        except ModelError as exc:
            if settings.mode == "llm":
                raise
            log.warning("no language model (%s): answers are composed from the plan's text only", exc)
            notice = NO_MODEL_NOTICE if settings.refine != "off" else ""
            return cls(retriever, settings, None, cache, notice, offtopic)
        gated = GatedModel(generator, gate or ModelGate(settings.queue_size))
        return cls(retriever, settings, gated, cache, offtopic=offtopic)

    @property
    def model_name(self) -> str:
        return self.model.name if self.model else "extractive"

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        for event in self.events(question, history):
            if isinstance(event, Done):
                return event.answer
        raise RuntimeError("the pipeline ended without an answer")  # unreachable: events always ends with Done

    def events(self, question: str, history: Sequence[Turn] = ()) -> Generator[Event, None, None]:
        timer = _Timer()
        s = self.settings
        text, error = clean_question(question, s.max_question_chars)
        if error:
            yield Route("invalid", "invalid_question")
            yield Text(error)
            yield Done(Answer(question, error, True, (), (), (), timer.timings(), "extractive", "invalid"))
            return
        query = make_query(text, trim_history(history, s.history_turns, s.history_turn_chars))
        hits = tuple(self.retriever.search(query.text, k=s.top_k, history=query.history))
        timer.mark("retrieve_ms")
        yield Hits(hits)
        decision = decide(query, hits, self.plan, self.retriever, self.spans, s, self.offtopic)
        yield Route(decision.kind, decision.reason)
        if decision.kind != "compose":
            yield from self._reply(query, hits, decision, timer)
            return
        key = question_key(query.text, [(t.role, t.content) for t in query.history], self.cache_context)
        cached = self.cache.get(key) if self.cache else None
        if cached is not None:
            answer = _from_cache(cached, query.text, hits, timer)
            if answer is not None:
                yield Text(answer.answer)
                yield Done(answer)
                return
        composed = self.composer.compose(query, hits)
        if composed is None:
            missing = topic_name(query.text, self.plan, self.retriever)
            yield from self._reply(query, hits, Decision("refusal", "nothing_to_quote", missing), timer)
            return
        timer.mark("first_token_ms")
        yield Text(composed.text)
        mode: Mode = "extractive"
        if self.refiner is not None:
            steps = self.refiner.refine(query, hits)
            try:
                while True:
                    next(steps)
                    yield Working()  # a consumer that stops here (a client that left) closes the model's stream
            except StopIteration as stop:
                refined = stop.value
            finally:
                steps.close()
            if refined is not None and refined.text != composed.text:
                composed, mode = refined, "llm"
                yield Replace(refined.text)
        answer = self._finish(query, hits, composed, mode, timer)
        if self.cache is not None:
            self.cache.put(key, answer.to_dict())
        yield Done(answer)

    def _reply(
        self, query: Query, hits: Sequence[Hit], decision: Decision, timer: _Timer
    ) -> Generator[Event, None, None]:
        if decision.kind == "lookup":
            reply = replies.lookup(hits, self.plan, self._term_usage(hits))
        elif decision.kind == "no_figure":
            reply = replies.no_figure(decision, query.english)
        elif decision.kind == "missing_unit":
            reply = replies.missing_unit(decision, self.plan)
        else:
            reply = replies.refusal(decision, hits, self._suggestions(query, hits), query.english)
        yield Text(reply.text)
        mode: Mode = "lookup" if decision.kind == "lookup" else "refusal"
        yield Done(
            Answer(
                query.asked or query.text,
                reply.text,
                reply.refused,
                reply.citations,
                (),
                tuple(hits),
                timer.timings(),
                "extractive",
                mode,
                scope_reason=decision.reason,
                related=reply.related,
                spans=reply.spans,
                missing=decision.missing,
            )
        )

    def _term_usage(self, hits: Sequence[Hit]) -> list[Sentence]:
        """Article sentences that use the glossary terms named in the question (the plan's own context)."""
        return self.spans.using([h.title for h in hits if h.kind == "glossary" and h.via != "ranked"])

    def _suggestions(self, query: Query, hits: Sequence[Hit]) -> list[Hit]:
        """Articles worth naming beside a refusal: only those whose title shares a specific word with the question
        (a rare plan word, not one every question shares: 华容, 建设, 武汉, 发展, 规划 …)."""
        own = content_tokens_of(query.text, self.plan, self.retriever)
        words = {t for t in own if self.retriever.idf(t) >= self.settings.suggest_min_idf} - self.generic
        out = [h for h in hits if h.kind == "article" and words & set(content_tokens(h.title))]
        return out[:3]

    def _finish(self, query: Query, hits: Sequence[Hit], c: Composition, mode: Mode, timer: _Timer) -> Answer:
        spans = tuple(Citation(sp.ref, sp.text, sp.start, sp.end) for sp in c.spans)
        seen = {h.ref for h in hits}
        shown = (*hits, *(h for h in c.extra_hits if h.ref not in seen))
        return Answer(
            query.asked or query.text,
            c.text,
            False,
            c.citations,
            (),
            shown,
            timer.timings(),
            self.model_name if mode == "llm" else "extractive",
            mode,
            self.notice,
            spans=spans,
            scope_reason="ok",
        )


def load_offtopic(settings: Settings, retriever: Retriever) -> OffTopic | None:
    """The scope classifier fitted for this embedder, or None (scope then uses its rules alone; logged)."""
    if settings.offtopic_min > 1.0:
        return None
    embedder = retriever.embedder
    return load_offtopic_file(settings.index_dir / "offtopic.json", embedder.id, embedder.dim, log.warning)


def _generic_tokens() -> set[str]:
    """Tokens of corpus/generic_words.txt (reviewed): never enough to relate a question to an article."""
    from app.settings import REPO_ROOT

    text = (REPO_ROOT / "corpus" / "generic_words.txt").read_text(encoding="utf-8")
    return {t for line in text.splitlines() if not line.startswith("#") for t in content_tokens(line)}


def _from_cache(d: dict[str, Any], question: str, hits: Sequence[Hit], timer: _Timer) -> Answer | None:
    """An answer saved by this very code version (the key says so), with this request's timings."""
    try:
        cites = tuple(r for r in (parse_ref(str(c["ref"])) for c in d["citations"]) if r is not None)
        spans = tuple(
            Citation(r, str(c["quote"]), int(c["start"]), int(c["end"]))
            for c in d.get("spans", [])
            if (r := parse_ref(str(c["ref"]))) is not None
        )
        mode: Mode = "llm" if d["mode"] == "llm" else "extractive"
        return Answer(
            question, str(d["answer"]), bool(d["refused"]), cites, (), tuple(hits), {**timer.timings(), "cached": 1},
            str(d["model"]), mode, str(d.get("notice", "")), spans=spans, scope_reason="cached",
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("unreadable cache entry ignored: %s", exc)
        return None
