"""Stage 3: which path a question takes, decided by code alone.

In order: a unit the question names that does not exist ("第41条") → said plainly;
out of scope (``app.scope``) → refusal naming what the plan does not cover; a unit
named on purpose ("第8条讲什么", "什么是月光经济") → its original text, unless the question also
asks something that text does not hold; an amount or date the plan does not state → "没有给出"
with the closest sentence (a refusal when no sentence is about what it is of); everything else →
composed from the plan's spans.  A pure function of its inputs (the retriever's embedder aside): no model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.answering.events import RouteKind
from app.answering.figures import figure_missing, states
from app.answering.question import ASKS_ITSELF, PREMISE, Query, asked_apart
from app.answering.spans import PlanSpans, Sentence
from app.corpus import Plan
from app.offtopic import OffTopic
from app.refs import Ref, find_refs
from app.retrieve import Hit, Retriever
from app.scope import FigureKind, Scope, asks_for_figure, decide_scope, figure_subject
from app.settings import Settings
from app.text import content_tokens, normalize


@dataclass(frozen=True)
class Decision:
    kind: RouteKind
    reason: str = ""
    missing: str = ""  # refusal / no_figure: what the plan does not give; missing_unit: the unit asked for
    figure: FigureKind | None = None
    closest: Sentence | None = None  # no_figure: the plan's closest sentence


def offtopic_probability(query: Query, retriever: Retriever, offtopic: OffTopic | None) -> float | None:
    """The classifier's probability for a question standing on its own (a follow-up's topic was asked before);
    the query vector is the one retrieval already computed."""
    if offtopic is None or query.previous:
        return None
    return offtopic.probability(retriever.embed_query(query.text))


def missing_units(question: str, plan: Plan) -> list[Ref]:
    return [m.ref for m in find_refs(question) if not plan.exists(m.ref)]


def asks_beyond_named(
    question: str, hits: Sequence[Hit], retriever: Retriever, spans: PlanSpans, min_idf: float
) -> bool:
    """Does a question that names a unit also ask something the named unit's text does not answer ("传统产业要突出
    哪三换?“专精特新”又是什么意思?", "第八部分要确保哪几个更?以及宗教事务方面怎么要求?")?  Then the answer is
    composed, each part quoting what answers it, rather than the named unit's text alone.  A piece asks beyond when
    the shown text (the named units and the sentences using a named glossary term, which the lookup shows too) holds
    less than half of its words at least ``min_idf`` rare and the plan sentence closest to it is not shown."""
    pieces = [p for asked in asked_apart(question) for p in re.split(r"[,，]", asked) if p.strip()]
    names = [bool(find_refs(p)) or bool(retriever.named_terms(p)) for p in pieces]
    if not any(names) or all(names):
        return False
    named = [h for h in hits if h.via != "ranked"]
    shown = named[:1] if named[0].kind == "part" else named[:3]
    refs = {h.ref for h in shown}
    shown_sentences = {(x.ref, x.text.strip()) for x in spans.all if x.ref in refs}
    shown_sentences |= {(x.ref, x.text.strip()) for x in spans.using([h.title for h in shown if h.kind == "glossary"])}
    held = {t for _, text in shown_sentences for t in content_tokens(text)}
    for piece, is_named in zip(pieces, names, strict=True):
        if is_named or not ASKS_ITSELF.search(piece) or not content_tokens(piece):
            continue
        # the shown text holds most of the piece's rarer words ("华容准备怎么承接?": 承接, in the term's usage)
        rare = {t: v for t in content_tokens(piece) if (v := retriever.idf(t)) >= min_idf}
        if rare and sum(v for t, v in rare.items() if t in held) >= 0.5 * sum(rare.values()):
            continue
        similarity = retriever.sentence_similarity(piece)
        if similarity and max(similarity, key=lambda k: similarity[k]) not in shown_sentences:
            return True
    return False


def decide(
    query: Query,
    hits: Sequence[Hit],
    plan: Plan,
    retriever: Retriever,
    spans: PlanSpans,
    settings: Settings,
    offtopic: OffTopic | None = None,
) -> Decision:
    absent = missing_units(query.text, plan)
    if absent:
        return Decision("missing_unit", "unit_not_in_plan", str(absent[0]))
    named = any(h.via != "ranked" for h in hits)
    scope: Scope = decide_scope(
        query.text,
        plan,
        named,
        retriever,
        hits,
        settings,
        query.previous,
        offtopic_probability(query, retriever, offtopic),
    )
    if not scope.in_scope:
        kind = asks_for_figure(query.text) if scope.reason == "weak_evidence" else None
        if kind is not None:  # "总投资要达到多少亿元": what is missing is the figure, not "投资" as such
            subject = figure_subject(query.text, plan, retriever)
            what = "时间" if kind == "date" else "数字"
            return Decision("refusal", scope.reason, f"{subject}的具体{what}" if subject else scope.missing)
        return Decision("refusal", scope.reason, scope.missing)
    # an amount the plan does not state gets the "没有给出" reply, also when the question names the article it read
    # about and that article states no such amount ("第13条讲的冷链物流基地,租个冷库一个月好多钱?")
    kind = asks_for_figure(query.text)
    reads_unit = (
        named
        and bool(hits)
        and hits[0].via != "ranked"
        and not asks_beyond_named(query.text, hits, retriever, spans, settings.suggest_min_idf)
    )
    by_number = [h for h in hits if h.via == "reference"]
    # "十三五期间就全面建成了吧?是哪年建成的?": the premise's time frame is what the plan answers, not a date
    premise = kind == "date" and PREMISE.search(normalize(query.text)) is not None
    if (
        kind is not None
        and not premise
        and (not reads_unit or (by_number and not any(states(h.text, kind) for h in by_number)))
    ):
        gap = figure_missing(query, kind, hits, retriever, spans, settings)
        if gap is not None:
            what = "时间" if kind == "date" else "数字"
            subject = figure_subject(query.text, plan, retriever)
            missing = f"{subject}的具体{what}" if subject else f"具体{what}"
            if gap.closest is None:  # nothing in the plan is about what the amount is of
                return Decision("refusal", "figure_not_given", missing)
            return Decision("no_figure", "figure_not_given", missing, figure=kind, closest=gap.closest)
    return Decision("lookup", "reference") if reads_unit else Decision("compose", "ok")
