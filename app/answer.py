"""Answer a question from the plan alone, with verified citations.

Pipeline for one question: validate → retrieve (with conversation history) →
decide scope in code (``app.scope``) → one of

* **refusal** — the plan does not cover it: say so and suggest the closest articles;
* **lookup** — the question names a unit ("第8条讲什么?", "什么是月光经济?"): the
  original text first, verbatim;
* **llm** — the model answers from labelled passages; every sentence is checked by
  ``app.citations`` as it streams, and only verified sentences reach the user;
* **extractive** — no model, ``--mode extractive``, or a model answer that did not
  survive verification: the most relevant original sentences, quoted with refs.

``Answerer.events`` streams ("hits", …), ("text", …) and ("done", Answer) events; the
CLI and the web page render them.  Retrieval and generation live elsewhere.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

from app.answer_cache import AnswerCache, question_key
from app.citations import CheckedSentence, Verification, split_sentences, support, verify
from app.llm import Generator
from app.packs import PackStore
from app.prompts import prompts_version, render
from app.refs import Ref
from app.retrieve import Hit, Retriever, Turn, is_followup
from app.scope import FigureKind, asks_for_figure, decide_scope, figure_topic
from app.settings import Settings
from app.text import content_tokens, sentences

Mode = Literal["llm", "extractive", "lookup", "refusal", "invalid"]
NO_MODEL_NOTICE = "未安装语言模型，以下为《建议》原文摘录。"
FALLBACK_NOTICE = "模型回答未能通过原文核对，以下为《建议》原文摘录。"
EVIDENCE_UNITS = 2  # a model answer ends with the best original sentence of each of this many top units
PACK_DOMINANCE = 0.85  # auto strategy: use the top article's pack when the runner-up scores below this share
RELATIVE_CONTEXT_FLOOR = 0.6  # passages scoring below this share of the best are not given to the model
REFUSAL = "《建议》中没有提到这方面的内容，无法依据原文回答。"
NO_FIGURE = "《建议》没有给出这方面的具体{what}。原文中最接近的表述是："
# Amounts as the plan writes them, by the kind of question: "5%", "百亿元", "18家", "八大产业", "15分钟".
# Years and "11号线" are not amounts; "力争翻番" answers no question about a yearly percentage.
_NUM = r"[\d一二三四五六七八九十百千两]"
_FIGURE: dict[FigureKind, re.Pattern[str]] = {
    "percent": re.compile(r"\d+(?:\.\d+)?\s*%|百分之" + _NUM + r"|个百分点"),
    "money": re.compile(_NUM + r"+(?:\.\d+)?\s*(?:亿|万|千)?元|" + _NUM + r"+(?:亿|万)"),
    "date": re.compile(r"(?:19|20)\d{2}年|二〇[〇一二三四五六七八九]{2}年|\d{1,2}月|年底|年内|年前"),
    "count": re.compile(
        r"\d+(?:\.\d+)?\s*(?:%|亿|万|元|家|个|公里|千米|米|平方|亩|吨|人|户|所|座|条|张|辆|小时|分钟|强|级)|"
        r"[一二三四五六七八九十百千两]+(?:亿|万)|百分之|[一二三四五六七八九十两]+(?:大|个|项|类|座|所|家|条)"
    ),
}
MIN_QUOTE_CHARS = 10  # "具体目标是:" is a lead-in, not a statement worth quoting
FIGURE_TOPIC_MIN = 0.3  # share of the question's topic words the closest sentence must hold
FIGURE_CLOSE = 0.5  # sentences within this ratio of the best are searched for the amount too


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

    def to_dict(self) -> dict[str, object]:
        """The public ``ask --json`` shape."""
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [{"ref": str(r), "kind": r.kind, "number": r.number} for r in self.citations],
            "removed_citations": list(self.removed_citations),
            "hits": [h.to_dict() for h in self.hits],
            "timings": self.timings,
            "model": self.model,
            "mode": self.mode,
            "notice": self.notice,
            "dropped_sentences": self.dropped_sentences,
            "related": [{"ref": str(r), "kind": r.kind, "number": r.number} for r in self.related],
        }


Event = tuple[str, Any]


def clean_question(raw: str, limit: int) -> tuple[str, str]:
    """(question, error message) — control characters removed, whitespace collapsed."""
    q = re.sub(r"\x1b\[[0-9;?]*[ -/]*[@-~]", "", raw)  # terminal escape sequences
    q = "".join(ch for ch in q if ch in "\n\t" or ch.isprintable())
    q = re.sub(r"\s+", " ", q).strip()
    if not q:
        return "", "请输入问题。例如：“以后老百姓看病会不会更方便？”"
    if len(q) > limit:
        return "", f"问题太长了（{len(q)} 字），请精简到 {limit} 字以内。"
    if not re.search(r"[\u3400-\u9fff]|[A-Za-z]{2,}", q):
        return "", "没有看懂这个问题，请用文字描述您想了解的内容。"
    return q, ""


@dataclass
class _Timer:
    start: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        self.marks.setdefault(name, round((time.perf_counter() - self.start) * 1000, 1))


class Answerer:
    """Answers questions; one instance per process (the generator is shared and locked)."""

    def __init__(
        self,
        retriever: Retriever,
        generator: Generator | None,
        settings: Settings,
        model_notice: str = "",
        packs: PackStore | None = None,
    ) -> None:
        self.retriever = retriever
        self.plan = retriever.plan
        self.generator = generator
        self.settings = settings
        self.model_notice = model_notice
        self.prompts_version = prompts_version()
        self.packs = packs
        self.cache: AnswerCache | None = None

    @classmethod
    def create(cls, retriever: Retriever, settings: Settings, log: Callable[[str], None] | None = None) -> Answerer:
        """Load the configured LLM, or run extractive-only with a notice when it is not installed."""
        from app.llm import LlamaCppGenerator
        from app.models import ModelError, resolve_model

        if settings.mode == "extractive":
            return cls(retriever, None, settings)
        local: LlamaCppGenerator | None = None
        try:
            if settings.llm_base_url:
                from app.llm import OpenAICompatGenerator

                remote = OpenAICompatGenerator(
                    settings.llm_base_url, settings.llm_api_model, settings.llm_api_key, settings.temperature
                )
                remote.check()
                generator: Generator = remote
            else:
                path, name = resolve_model(settings.model, settings.model_cache_dir)
                local = LlamaCppGenerator(path, name, settings.n_ctx, settings.n_threads, settings.temperature)
                generator = local
        except ModelError as exc:
            if settings.mode == "llm":
                raise
            if log:
                log(f"提示: {exc}\n将以原文摘录方式回答。")
            return cls(retriever, None, settings, model_notice=NO_MODEL_NOTICE)
        answerer = cls(retriever, generator, settings)
        answerer.cache = AnswerCache(settings.model_cache_dir / "answers.sqlite3") if settings.answer_cache else None
        if local is not None and settings.strategy != "rag":
            key = PackStore.make_key(path, answerer.prompts_version, retriever.plan.sha256, settings.n_ctx)
            answerer.packs = PackStore(
                settings.model_cache_dir / "packs", key, lambda ref: local.prefix_state(answerer.pack_prefix(ref))
            )
        return answerer

    @property
    def model_name(self) -> str:
        return self.generator.name if self.generator else "extractive"

    # -- public API ----------------------------------------------------------------
    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        result = None
        for kind, payload in self.events(question, history):
            if kind == "done":
                result = payload
        assert result is not None
        return result

    def events(self, question: str, history: Sequence[Turn] = ()) -> Iterator[Event]:
        timer = _Timer()
        q, error = clean_question(question, self.settings.max_question_chars)
        if error:
            yield "text", error
            yield "done", Answer(question, error, True, (), (), (), {"total_ms": 0.0}, self.model_name, "invalid")
            return
        history = self._trim_history(history)
        hits = self.retriever.search(q, k=self.settings.top_k, history=history)
        timer.mark("retrieve_ms")
        yield "hits", hits
        named = any(h.via != "ranked" for h in hits)
        scope = decide_scope(q, self.plan, named)
        if not scope.in_scope:
            yield "route", "refusal"
            yield from self._refusal(q, hits, timer, scope.reason)
        elif named and hits[0].via != "ranked":
            yield "route", "lookup"
            yield from self._lookup(q, hits, timer)
        elif (kind := asks_for_figure(q)) and (closest := self._figure_missing(q, hits, kind)) is not None:
            yield "route", "refusal"
            yield from self._no_figure(q, hits, timer, closest, kind)
        elif self.generator is None:
            yield "route", "extractive"
            yield from self._extractive(q, hits, timer, self.model_notice)
        else:
            key = self._cache_key(q, history)
            cached = self.cache.get(key) if self.cache else None
            if cached is not None:
                yield "route", "cached"
                yield "text", cached["answer"]
                yield "done", self._from_cache(q, cached, hits, timer)
                return
            yield "route", "llm"  # consumers may wait for the model here; generation starts on the next step
            result: Answer | None = None
            for event in self._generate(q, hits, history, timer):
                if event[0] == "done":
                    result = event[1]
                yield event
            if self.cache and result is not None and result.mode == "llm":
                self.cache.put(key, result.to_dict())

    def _cache_key(self, q: str, history: Sequence[Turn]) -> str:
        s = self.settings
        context = "|".join(
            str(x)
            for x in (
                self.retriever.index.manifest.get("corpus_sha256"),
                self.retriever.index.manifest.get("embedder"),
                self.model_name,
                self.prompts_version,
                s.strategy,
                s.max_tokens,
                s.context_units,
                s.temperature,
                s.top_k,
            )
        )
        return question_key(q, [(t.role, t.content) for t in history], context)

    def _from_cache(self, q: str, d: dict[str, Any], hits: Sequence[Hit], timer: _Timer) -> Answer:
        refs = [Ref(c["kind"], int(c["number"])) for c in d.get("citations", [])]
        answer = self._finish(q, d["answer"], hits, timer, "llm", citations=refs, dropped=d.get("dropped_sentences", 0))
        return replace(answer, timings={**answer.timings, "cached": True})

    # -- strategies ----------------------------------------------------------------
    def _finish(
        self,
        q: str,
        text: str,
        hits: Sequence[Hit],
        timer: _Timer,
        mode: Mode,
        *,
        refused: bool = False,
        citations: Sequence[Ref] = (),
        removed: Sequence[dict[str, object]] = (),
        notice: str = "",
        tokens: int = 0,
        dropped: int = 0,
        reason: str = "",
        related: Sequence[Ref] = (),
    ) -> Answer:
        timer.mark("first_token_ms")
        timer.mark("total_ms")
        timings = {
            "retrieve_ms": timer.marks.get("retrieve_ms", 0.0),
            "first_token_ms": timer.marks["first_token_ms"],
            "total_ms": timer.marks["total_ms"],
            "generated_tokens": tokens,
        }
        model = self.model_name if mode == "llm" else "extractive"
        return Answer(
            q,
            text,
            refused,
            tuple(citations),
            tuple(removed),
            tuple(hits),
            timings,
            model,
            mode,
            notice,
            dropped,
            reason,
            tuple(related),
        )

    def _refusal(self, q: str, hits: Sequence[Hit], timer: _Timer, reason: str) -> Iterator[Event]:
        suggestions = (
            [h for h in hits if h.kind == "article"][:3]
            if reason in {"ok", "other_region", "year_not_in_plan", "price"}
            else []
        )
        text = REFUSAL
        if reason == "instructions":
            text = "我只能依据《建议》原文回答关于华容区“十四五”规划的问题，不能执行其他指令。"
        if suggestions:
            text += "\n您可以参考相关内容：" + "；".join(f"{h.ref}（{h.title}）" for h in suggestions) + "。"
        timer.mark("first_token_ms")
        yield "text", text
        yield "done", self._finish(q, text, hits, timer, "refusal", refused=True, reason=reason)

    def _overlap(self, text: str) -> Callable[[set[str]], float]:
        """Scorer: the IDF-weighted share of ``text``'s words (and their plan-word expansions) a sentence holds."""
        weight = {t: self.retriever.idf(t) for t in set(content_tokens(text)) | set(self.retriever.expand(text))}
        total = sum(weight.values())
        return lambda words: sum(weight[t] for t in words & weight.keys()) / total if total else 0.0

    @cached_property
    def _plan_sentences(self) -> list[tuple[Ref, str, set[str]]]:
        """Every article sentence long enough to quote, with its words (tokenised once)."""
        out = []
        for s in self.retriever.index.sentences:
            text = s.text.strip()
            if len(text) >= MIN_QUOTE_CHARS:
                out.append((s.ref, text, set(content_tokens(text))))
        return out

    def _figure_missing(self, q: str, hits: Sequence[Hit], kind: FigureKind) -> tuple[Ref, str] | None:
        """For a question after an amount: the closest sentence, when no sentence close to it holds one.

        Sentences are ranked by the IDF-weighted share of the question's topic words they contain (what
        the amount is of: "地区生产总值", "高新技术企业"), not its amount words; ties go to the article
        retrieval ranked higher.  The whole plan is searched, not only the retrieved articles: "no figure
        is given" is a claim about the plan, and retrieval can miss the article that has it.
        """
        share = self._overlap(figure_topic(q))
        order = {h.ref: i for i, h in enumerate(hits)}
        ranked = sorted(
            ((share(words), ref, text) for ref, text, words in self._plan_sentences),
            key=lambda t: (-t[0], order.get(t[1], len(order))),
        )
        if not ranked or ranked[0][0] < FIGURE_TOPIC_MIN:
            return None  # nothing clearly about the question's topic: let the normal answer path handle it
        # Every sentence about as close as the best one may hold the amount, not only the first three.
        close = [t for i, t in enumerate(ranked) if i < 3 or t[0] >= FIGURE_CLOSE * ranked[0][0]]
        if any(_FIGURE[kind].search(text) for _, _, text in close):
            return None
        # Quote from the articles retrieval put first (it judges the topic better than word overlap).
        leading = [h.ref for h in hits if h.kind == "article"][: self.settings.context_units]
        quote = next(((ref, text) for _, ref, text in ranked if ref in leading), None)
        return quote or (ranked[0][1], ranked[0][2])

    def _no_figure(
        self, q: str, hits: Sequence[Hit], timer: _Timer, closest: tuple[Ref, str], kind: FigureKind
    ) -> Iterator[Event]:
        """Say that the plan gives no figure, and quote what it does say (verbatim, cited)."""
        ref, sentence = closest
        text = NO_FIGURE.format(what="时间" if kind == "date" else "数字") + f"“{sentence}”[{ref}]"
        timer.mark("first_token_ms")
        yield "text", text
        yield (
            "done",
            self._finish(q, text, hits, timer, "refusal", refused=True, citations=(ref,), reason="figure_not_given"),
        )

    def _lookup(self, q: str, hits: Sequence[Hit], timer: _Timer) -> Iterator[Event]:
        named = [h for h in hits if h.via != "ranked"]
        blocks = []
        related: list[Ref] = []
        for h in named[:3] if named[0].kind != "part" else named[:1]:
            blocks.append(f"【{h.ref} {h.title}】原文：\n{self.plan.unit_text(h.ref)}")
            if h.kind == "glossary":
                term = re.sub(r"[“”]", "", h.title)
                users = [a.ref for a in self.plan.articles if term in re.sub(r"[“”]", "", a.text)]
                related += [r for r in users if r not in related]
                if users:
                    blocks[-1] += "\n（该词见于：" + "、".join(str(r) for r in users) + "）"
            if h.kind == "part":
                arts = [a for a in self.plan.articles if a.part == h.number]
                related += [a.ref for a in arts if a.ref not in related]
                blocks[-1] += "\n本部分包括：" + "；".join(f"{a.ref} {a.title}" for a in arts) + "。"
        text = "\n\n".join(blocks)
        timer.mark("first_token_ms")
        yield "text", text
        cites = [h.ref for h in (named[:3] if named[0].kind != "part" else named[:1])]
        yield "done", self._finish(q, text, hits, timer, "lookup", citations=cites, related=related)

    def extract(self, q: str, hits: Sequence[Hit], n: int = 3) -> list[tuple[Ref, str]]:
        """The ``n`` original sentences that best answer ``q``, in the order of their units."""
        share = self._overlap(q)
        scored: list[tuple[float, int, int, Ref, str]] = []
        units = list(self.context(hits).values())
        for rank, h in enumerate(units):
            for start, end in sentences(h.text):
                s = h.text[start:end].strip()
                if len(s) < 6:
                    continue
                scored.append((share(set(content_tokens(s))) + 0.08 / (1 + rank), rank, start, h.ref, s))
        ranked = sorted(scored, key=lambda t: -t[0])
        floor = 0.45 * ranked[0][0] if ranked else 0.0  # a weak match next to a strong one is noise
        best = [t for t in ranked if t[0] >= floor][:n]
        best.sort(key=lambda t: (t[1], t[2]))
        return [(ref, s) for _, _, _, ref, s in best]

    def _extractive(
        self,
        q: str,
        hits: Sequence[Hit],
        timer: _Timer,
        notice: str,
        removed: Sequence[dict[str, object]] = (),
        dropped: int = 0,
    ) -> Iterator[Event]:
        picked = self.extract(q, hits)
        lines = [f"{ref}：“{s}”" for ref, s in picked]
        text = "根据《建议》原文：\n" + "\n".join(lines) if lines else REFUSAL
        cites: list[Ref] = []
        for ref, _ in picked:
            if ref not in cites:
                cites.append(ref)
        timer.mark("first_token_ms")
        yield "text", text
        yield (
            "done",
            self._finish(
                q,
                text,
                hits,
                timer,
                "extractive",
                refused=not lines,
                citations=cites,
                removed=removed,
                notice=notice,
                dropped=dropped,
            ),
        )

    # -- generation ----------------------------------------------------------------
    def context(self, hits: Sequence[Hit]) -> dict[Ref, Hit]:
        """The passages the model sees: the top units, minus those far weaker than the best."""
        units = [h for h in hits if h.kind != "part"][: self.settings.context_units]
        if not units:
            return {}
        floor = RELATIVE_CONTEXT_FLOOR * units[0].score
        return {h.ref: h for i, h in enumerate(units) if i == 0 or h.score >= floor}

    def wanted_tokens(self, q: str, history: Sequence[Turn]) -> set[str]:
        """Lexical tokens that make an answer sentence relevant to the question."""
        text = q
        prev = next((t.content for t in reversed(history) if t.role == "user"), "")
        if prev and is_followup(q):
            text = f"{prev} {q}"
        return {t for t in set(content_tokens(text)) | set(self.retriever.expand(text)) if self.retriever.idf(t) > 0}

    def messages(self, q: str, context: dict[Ref, Hit], history: Sequence[Turn]) -> list[dict[str, str]]:
        passages = "\n\n".join(render("passage", ref=str(h.ref), title=h.title, text=h.text) for h in context.values())
        prev = next((t.content for t in reversed(history) if t.role == "user"), "")
        hist = render("history", previous=prev[:200]) + "\n" if prev else ""
        return [
            {"role": "system", "content": render("answer_system")},
            {"role": "user", "content": render("answer_user", passages=passages, history=hist, question=q)},
        ]

    def _trim_history(self, history: Sequence[Turn]) -> list[Turn]:
        """Keep the last few turns, each cut to a bounded length (the prompt budget)."""
        return [Turn(t.role, t.content[:300]) for t in list(history)[-6:] if t.content.strip()]

    def _fit(self, q: str, context: dict[Ref, Hit], history: Sequence[Turn]) -> list[dict[str, str]]:
        """Messages that fit the context window: drop the weakest passages until they do."""
        counter = getattr(self.generator, "count_tokens", None)
        budget = self.settings.n_ctx - self.settings.max_tokens - 32
        while True:
            msgs = self.messages(q, context, history)
            if counter is None or len(context) <= 1:
                break
            if sum(counter(m["content"]) + 8 for m in msgs) <= budget:
                break
            context.pop(list(context)[-1])
        if counter is not None and sum(counter(m["content"]) + 8 for m in msgs) > budget:
            only = next(iter(context.values()))
            context[only.ref] = Hit(
                only.ref,
                only.part,
                only.title,
                only.text[:400],
                only.score,
                only.start,
                only.start + min(len(only.text), 400),
                only.via,
            )
            msgs = self.messages(q, context, ())
        return msgs

    # -- context packs ---------------------------------------------------------------
    def _whole(self, ref: Ref) -> Hit:
        a = self.plan.article(ref.number)
        assert a is not None
        return Hit(ref, a.part, a.title, a.text, 1.0, 0, len(a.text), "ranked")

    def pack_prefix(self, ref: Ref) -> str:
        """The formatted prompt text that every question answered from this article's pack starts with."""
        fmt = getattr(self.generator, "format", None)
        msgs = self.messages("", {ref: self._whole(ref)}, ())
        formatted = fmt(msgs) if fmt else None
        if not formatted:
            raise RuntimeError("packs need a GGUF with a chat template")
        prompt = formatted[0]
        return prompt[: prompt.rindex("\n\n问题：") + 2]

    def pack_for(self, hits: Sequence[Hit]) -> Ref | None:
        """The article whose pack should answer, or None for plain RAG."""
        if self.packs is None:
            return None
        units = [h for h in hits if h.kind != "part"]
        if not units or units[0].kind != "article":
            return None
        if self.settings.strategy == "packs":
            return units[0].ref
        runner_up = units[1].score if len(units) > 1 else 0.0
        return units[0].ref if runner_up < PACK_DOMINANCE * units[0].score else None

    def _generate(self, q: str, hits: Sequence[Hit], history: Sequence[Turn], timer: _Timer) -> Iterator[Event]:
        assert self.generator is not None
        state = None
        pack = self.pack_for(hits)
        if pack is not None and self.packs is not None:
            context = {pack: self._whole(pack)}
            msgs = self.messages(q, context, history)
            state = self.packs.get(pack)
        else:
            context = self.context(hits)
            msgs = self._fit(q, context, history)
        sources = {ref: self.plan.unit_text(ref) if ref.kind == "glossary" else h.text for ref, h in context.items()}
        exists = {ref: True for ref in sources}
        instructions = msgs[0]["content"] if msgs and msgs[0]["role"] == "system" else ""
        total = Verification()
        raw, emitted, n_tokens = "", 0, 0

        wanted = self.wanted_tokens(q, history)
        pending: list[str] = []
        shown: list[str] = []

        def check(sentence: str) -> Iterator[Event]:
            v = verify(sentence, sources, exists={**exists, **self._existence(sentence)}, instructions=instructions)
            if wanted:  # supported but off the question (the model parroting a passage): not shown
                v.sentences = [
                    s
                    if not s.kept or not s.refs or set(content_tokens(s.text)) & wanted
                    else CheckedSentence(s.text, s.refs, s.support, False, "irrelevant")
                    for s in v.sentences
                ]
            total.sentences.extend(v.sentences)
            total.removed_citations.extend(v.removed_citations)
            for sent in v.kept:
                if sent.reason == "lead":  # shown only if a verified claim follows it
                    pending.append(sent.text)
                    continue
                piece = sent.text + "".join(f"[{r}]" for r in sent.refs)
                if sent.refs and pending:
                    piece = ("\n" if shown else "") + "\n".join(pending) + "\n" + piece
                    pending.clear()
                timer.mark("first_token_ms")
                shown.append(piece)
                yield "text", piece

        stream = self.generator.stream(msgs, self.settings.max_tokens, self.settings.deadline_s, state=state)
        started = time.monotonic()
        for piece in stream:
            n_tokens += 1
            raw += piece
            # Whatever the generator does, an answer ends at the token limit or the deadline.
            if n_tokens > self.settings.max_tokens or time.monotonic() - started > self.settings.deadline_s:
                close = getattr(stream, "close", None)
                if close:
                    close()
                break
            parts = split_sentences(raw)
            # A sentence is final once the next one has begun with text (not a citation still arriving).
            while emitted < len(parts) - 1 and not parts[emitted + 1].lstrip().startswith(("[", "【", "(", "（")):
                yield from check(parts[emitted])
                emitted += 1
        for sentence in split_sentences(raw)[emitted:]:
            yield from check(sentence)

        kept = [s for s in total.kept if s.refs]
        unsupported = [s for s in total.dropped if s.reason == "unsupported"]
        if not kept or len(kept) < len(unsupported):  # mostly unverifiable: quote the plan instead
            yield "reset", None
            yield from self._extractive(q, hits, timer, FALLBACK_NOTICE, total.removed_citations, len(total.dropped))
            return
        # Evidence after the model's words: the plan's own best-matching sentences, quoted by code, so the
        # reader always sees the original text (and the top-ranked unit) whatever the model chose to cite.
        citations = list(total.citations)
        said = "".join(shown)
        quotes = [
            (ref, sent)
            for unit in list(self.context(hits).values())[:EVIDENCE_UNITS]  # one sentence from each leading unit
            for ref, sent in self.extract(q, [unit], n=1)
            if support(sent, said) < 0.8
        ]
        if quotes:
            evidence = "\n原文：" + "".join(f"\n{ref}：“{sent}”" for ref, sent in quotes)
            shown.append(evidence)
            yield "text", evidence
            citations += [ref for ref, _ in quotes if ref not in citations]
        text = "".join(shown)
        yield (
            "done",
            self._finish(
                q,
                text,
                hits,
                timer,
                "llm",
                citations=citations,
                removed=total.removed_citations,
                tokens=n_tokens,
                dropped=len(total.dropped),
            ),
        )

    def _existence(self, sentence: str) -> dict[Ref, bool]:
        from app.refs import find_refs

        return {m.ref: self.plan.exists(m.ref) for m in find_refs(sentence)}
