"""Whether the plan states the figure or date a question asks for.

``app.scope.asks_for_figure`` tells what kind of amount a question wants ("增长百分之几",
"投资多少亿", "哪一年通车").  The plan states very few figures, so before an answer
quotes a sentence in place of a number, this stage looks for the amount in every
plan sentence about the question's topic — the whole plan, not only what retrieval
returned: "no figure is given" is a claim about the plan.  When none holds one, it
returns the closest sentence for the "没有给出" template (articles and glossary alike), or no sentence
when none is about the topic (the route then refuses).  A sum inside a quoted name ("“百企百亿”技改工程")
is the name, not an amount.  It writes nothing itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.answering.compose import Weights
from app.answering.question import Query
from app.answering.spans import PlanSpans, Sentence
from app.answering.structure import load_frames
from app.retrieve import Hit, Retriever
from app.scope import FigureKind, asked_units, figure_topic, plain_words
from app.settings import Settings
from app.text import normalize

# a question about a target: the 十四五 period, its end, the 2035 vision, or "from now on"
_AHEAD = re.compile(r"十四五|202[1-5]|2035|二〇三五|目标|今后|未来|以后|将来|\b14th\b|\btargets?\b|\bby 20")
_NUM = r"[\d一二三四五六七八九十百千两]"
# Amounts as the plan writes them, by the kind of question: "5%", "百亿元", "18家", "八大产业", "15分钟".
# Years and "11号线" are not amounts; "力争翻番" answers no question about a yearly percentage.
AMOUNT: dict[FigureKind, re.Pattern[str]] = {
    "percent": re.compile(r"\d+(?:\.\d+)?\s*%|百分之" + _NUM + r"|个百分点"),
    "money": re.compile(_NUM + r"+(?:\.\d+)?\s*(?:亿|万|千)?元|" + _NUM + r"+(?:亿|万)"),
    "date": re.compile(r"(?:19|20)\d{2}年|二〇[〇一二三四五六七八九]{2}年|\d{1,2}月|年底|年内|年前"),
    "count": re.compile(
        r"翻一番|翻两番|翻番|\d+(?:\.\d+)?\s*(?:%|亿|万|元|家|个|公里|千米|米|平方|亩|吨|人|户|所|座|条|张|辆|小时|分钟|强|级)|"
        r"[一二三四五六七八九十百千两]+(?:亿|万)|百分之|[一二三四五六七八九十两]+(?:大|个|项|类|座|所|家|条|级|批|强|纵|横)"
    ),
}


def states(text: str, kind: FigureKind) -> bool:
    """Does the text state an amount of this kind at all ("第6条" states a year: 2035年)?"""
    return AMOUNT[kind].search(text) is not None


def _with_unit(units: tuple[str, ...]) -> re.Pattern[str]:
    """A number in one of ``units`` ("18家", "十大", "第三批")."""
    return re.compile(r"(?:\d+(?:\.\d+)?|[一二三四五六七八九十百千两]+)\s*(?:" + "|".join(map(re.escape, units)) + ")")


def _counted_list(sentence: str, question: str) -> bool:
    """Does the sentence list, with 、, two or more things of a kind the question names ("生活岸线、生态岸线")?"""
    counted = {m.group(1) for m in re.finditer(r"(?:几|多少)[个种项类样大]?([\u4e00-\u9fff])", question)}
    for run in re.findall(r"[^,，;；:：。]*、[^,，;；:：。]*", sentence):
        items = [x for x in run.split("、") if len(x) >= 3]
        ends = {x[-2:] for x in items}
        if len(items) >= 2 and len(ends) == 1 and next(iter(ends)) in question:
            return True
        # "分开几个权": "宅基地所有权、资格权、使用权分置…" (the last item runs on into the clause)
        heads = {x[-1] for x in run.split("、")[:-1] if x}
        if len(heads) == 1 and (c := next(iter(heads))) in counted and c in run.split("、")[-1]:
            return True
    return False


@dataclass(frozen=True)
class FigureGap:
    """An amount the plan does not state, with the plan's sentence closest to what it is of (None: no sentence
    is about it, so the question is about something the plan does not cover)."""

    closest: Sentence | None


def figure_missing(
    query: Query, kind: FigureKind, hits: Sequence[Hit], retriever: Retriever, spans: PlanSpans, settings: Settings
) -> FigureGap | None:
    """The gap when no sentence about the question's topic holds the amount asked for, or None when one does.

    Sentences are ranked by the IDF-weighted share of the question's topic words (what the amount
    is *of*), ties going to the unit retrieval ranked higher.
    """
    weights = Weights(retriever, Query(figure_topic(query.text), query.history, query.previous))
    order = {h.ref: i for i, h in enumerate(hits)}
    pool = [s for s in spans.all if s.ref.kind in ("article", "glossary") and not s.is_title and len(s.text) >= 10]
    ranked = sorted(((weights.share(s.words), s) for s in pool), key=lambda t: (-t[0], order.get(t[1].ref, 99)))
    if not ranked or ranked[0][0] < settings.figure_topic_min:
        return FigureGap(None)  # "每人发多少消费券": nothing in the plan is about it
    # the leading three are searched too when they are about the topic at all (a near tie may hold the figure)
    close = [
        s
        for i, (v, s) in enumerate(ranked)
        if (i < 3 and v >= settings.figure_topic_min) or v >= settings.figure_close * ranked[0][0]
    ]
    units = asked_units(query.text) if kind == "count" else ()
    amount = _with_unit(units) if units else AMOUNT[kind]
    noun = re.search(r"(?:多少|几)[个项类种位名家座所条]([\u4e00-\u9fff]{2})", plain_words(query.text))
    if noun:  # "多少个工程": "十大工程"; "多少位烈士": "十八烈士"
        amount = re.compile(f"{amount.pattern}|(?:[一二三四五六七八九十百两]+|\\d+)大?{re.escape(noun.group(1))}")
    # a 十三五 figure ("高新技术企业达到18家") does not state a target asked for 2025 or the 十四五 period
    frames = load_frames()
    asked = normalize(query.text)
    # (unless the question asks about 十三五 too: "十三五突破了多少?十四五又有什么目标?")
    target = _AHEAD.search(asked) and not re.search(r"十三五|\b13th\b|\bthirteenth\b|过去|以前", asked)
    past = {r for r, (frame, _) in frames.items() if frame == "past"} if target else set()
    # a sum inside a quoted name ("“百企百亿”技改工程") is the project's name, not an amount of money, unless the
    # question asks about the name itself ("技改工程叫“百企”多少亿?")

    def named(m: re.Match[str]) -> str:
        name = m.group(0)
        return name if any(name[i : i + 2] in asked for i in range(1, len(name) - 2)) else ""

    def said(text: str) -> str:
        return re.sub(r"“[^“”]*”", named, text) if kind == "money" else text

    if any(amount.search(said(s.text)) for s in close if s.ref not in past):
        return None
    first = next((s for s in close if s.ref.kind == "article"), None)  # a term's definition states no period
    if (
        kind == "date"
        and first is not None
        and (frames.get(first.ref, ("", ""))[0] == "vision" or "目标" in frames.get(first.ref, ("", ""))[1])
    ):
        return None  # "哪一年基本建成", "什么时候建成": the vision (2035) and the 十四五 goals state the period
    if kind == "count" and any(_counted_list(s.text, query.text) for s in close):
        return None  # "岸线分几类": "打造生活岸线、生态岸线、景观岸线" counts them
    leading = [h.ref for h in hits if h.kind == "article"][: settings.compose_units]
    if past:  # a target asked: the closest sentence is a target too where one is about the topic
        ahead = [(v, s) for v, s in ranked if s.ref not in past]
        if ahead and ahead[0][0] >= settings.figure_topic_min:
            ranked = ahead
    return FigureGap(next((s for _, s in ranked if s.ref in leading), ranked[0][1]))
