"""Fixed replies for the routes that quote no chosen span: refusals, lookups, absent figures.

Every reply is a template from ``prompts/`` filled with the plan's own text (a whole
unit, a sentence, a title) or with what the question asked for.  Nothing here
decides which reply applies (``app.answering.route``) or calls a model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.answering.events import Citation
from app.answering.route import Decision
from app.answering.spans import Sentence
from app.answering.structure import load_frames
from app.corpus import Plan
from app.prompts import render
from app.refs import Ref, parse_ref
from app.retrieve import Hit

# Refusals that may suggest articles (only those sharing a real content word with the question, see
# ``Pipeline._suggestions``); requests to act, questions about the assistant, weather and today's news never do.
# Refusals of a kind of question the plan never answers (a personal errand, advice, another region's plan …):
# an article sharing a word with it would only look like an answer.  A price keeps its suggestions: the thing
# priced is often one the plan names ("三江港冷链物流基地").
_NO_SUGGESTIONS = {
    "instructions", "about_assistant", "opinion", "chitchat", "weather", "realtime", "person", "service", "personal",
    "advice", "general", "other_region", "unlike_plan",
}  # fmt: skip


@dataclass(frozen=True)
class Reply:
    text: str
    refused: bool
    citations: tuple[Ref, ...] = ()
    spans: tuple[Citation, ...] = ()
    related: tuple[Ref, ...] = ()


def refusal(decision: Decision, hits: Sequence[Hit], suggest: Sequence[Hit], english: bool = False) -> Reply:
    """The refusal template naming what the plan lacks; an English question also gets an English line."""
    if decision.reason == "instructions":
        text = render("refusal_instructions", act=decision.missing or "执行其他指令")
        return Reply(text + ("\n" + render("refusal_instructions_en") if english else ""), True)
    text = render("refusal", missing=f"“{decision.missing}”" if decision.missing else "这方面的内容")
    if english:
        text += "\n" + render("refusal_en")
    if decision.reason not in _NO_SUGGESTIONS and suggest:
        refs = "；".join(f"{h.ref}（{h.title}）" for h in suggest)
        text += "\n" + render("refusal_related", refs=refs)
    return Reply(text, True)


def missing_unit(decision: Decision, plan: Plan) -> Reply:
    ref = parse_ref(decision.missing)
    count = len(plan.glossary) if ref is not None and ref.kind == "glossary" else len(plan.articles)
    if ref is not None and ref.kind == "part":
        count = len(plan.parts)
        text = f"《建议》共 {count} 个部分，没有{ref}。请换一个编号，或直接描述您想了解的内容。"
        return Reply(text, True)
    if ref is not None and ref.kind == "glossary":
        return Reply(f"名词解释共 {count} 条，没有{ref}。请换一个编号，或直接描述您想了解的内容。", True)
    return Reply(render("missing_unit", count=count, ref=decision.missing), True)


def no_figure(decision: Decision, english: bool = False) -> Reply:
    s = decision.closest
    if s is None:
        raise ValueError("a no-figure decision always carries the closest sentence")
    what = "时间" if decision.figure == "date" else "数字"
    frame = load_frames().get(s.ref, ("", ""))[1]  # a 十三五 figure is never read as a target
    text = render("no_figure", what=what, frame=frame, quote=s.text.rstrip("，,；;："), ref=str(s.ref))
    if english:
        text += "\n" + render("no_figure_en", what="date" if decision.figure == "date" else "figure")
    return Reply(text, True, (s.ref,), (Citation(s.ref, s.text, s.start, s.end),))


def lookup(hits: Sequence[Hit], plan: Plan, usage: Sequence[Sentence] = ()) -> Reply:
    """The named units' original text; a glossary term also gets the plan's sentences that use it."""
    named = [h for h in hits if h.via != "ranked"]
    shown = named[:1] if named[0].kind == "part" else named[:3]
    blocks, related, spans = [], [], []
    for h in shown:
        text = plan.unit_text(h.ref)
        if h.kind == "part":
            part = plan.part(h.number)
            text = part.preamble if part else text  # the part's own paragraph, without a joining "。"
        if text:
            block = render("lookup", ref=str(h.ref), title=h.title, text=text)
            spans.append(Citation(h.ref, text, 0, len(text)))
        else:  # 第一部分 has a heading and no paragraph of its own (its unit text begins with the heading)
            block = render("lookup_heading", ref=str(h.ref), title=h.title)
            spans.append(Citation(h.ref, h.title, 0, len(h.title)))
        if h.kind == "glossary":
            term = re.sub(r"[“”]", "", h.title)
            users = [a.ref for a in plan.articles if term in re.sub(r"[“”]", "", a.text)]
            related += [r for r in users if r not in related]
            used = [s for s in usage if s.ref in users][:2]
            if used:
                lines = [render("answer_line", frame="", quote=s.text.rstrip("，,；;："), ref=str(s.ref)) for s in used]
                block += "\n" + render("lookup_term_usage") + "\n" + "\n".join(lines)
                spans += [Citation(s.ref, s.text, s.start, s.end) for s in used]
            elif users:
                block += "\n" + render("lookup_term_users", refs="、".join(str(r) for r in users))
        if h.kind == "part":
            arts = [a for a in plan.articles if a.part == h.number]
            related += [a.ref for a in arts if a.ref not in related]
            block += "\n" + render("lookup_part", articles="；".join(f"{a.ref} {a.title}" for a in arts))
        blocks.append(block)
    cites = [h.ref for h in shown] + [c.ref for c in spans if c.ref not in {h.ref for h in shown}]
    return Reply("\n\n".join(blocks), False, tuple(dict.fromkeys(cites)), tuple(spans), tuple(related))
