"""What the plan's own structure says about a question, for the composer.

The plan is not a bag of sentences: articles list their points under dash headings
("——坚持系统观念。"), a glossary definition runs over a few sentences, towns are named as
the subject of a clause ("蒲团加快建设…"), a sentence may name exactly the three
示范区 a question counts, and the articles about achievements, goals and the 2035
vision carry reviewed time-frame labels (``corpus/frames.tsv``).  :class:`PlanStructure`
answers such questions about the plan once per process: which town a question is about,
which articles name it, which sentences a count points to, which headings an article
lists, which sentences complete a chosen one, where the plan uses a glossary term.

It does not score or choose sentences and never writes text; ``app.answering.compose``
does.  Nothing here calls a model.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

from app.answering.question import Query
from app.answering.spans import PlanSpans, Sentence
from app.grounding import load_district_places
from app.refs import Ref, parse_ref
from app.retrieve import Hit, Retriever
from app.settings import REPO_ROOT
from app.text import content_tokens, normalize

PLAN_DEFAULT = Ref("part", 0)  # frames.tsv's "*" row: the label of the 十四五 measures (every other article)
CUT = "，,：:；;、 "
_NUMERALS = "〇一二三四五六七八九十"
_HEADINGS_COUNT = re.compile(r"(?:哪|几)?([一二三四五六七八九十])(?:个|条|项|大|方面)|哪([一二三四五六七八九十])")
_EN_NUMBERS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_COUNTED_EN = re.compile(
    r"\b(?:which|what are the|what're the|name the|list the|the)\s+(two|three|four|five|six|seven|eight|nine|ten)\s+"
    r"([a-z][a-z\- ]{2,40}?)(?=\s+(?:is|are|does|do|did|will|would|that|in|of|for|huarong|the|it)\b|[?.,!]|$)"
)
_COUNTED = re.compile(
    r"(?:哪|这)([两二三四五六七八九十])(?:个|大|项|条|种|座|所|家)?([\u4e00-\u9fff]{2,4}?)(?:[?？,，]|$|是|有|分别)"
)

_FRAME_TITLE = frozenset(content_tokens("十三五 十四五 时期 2035年 二〇三五年 展望"))
Share = Callable[[frozenset[str] | set[str]], float]  # the question's IDF-weighted share of a set of tokens


# words that only name a time frame ("十四五", "2035", "远景目标"): never what a question is about
FRAME_TOKENS = frozenset(
    content_tokens(
        "十三五 十四五 2035年 二〇三五年 远景目标 展望 过去五年 时期 取得 成就 成绩 主要目标 13th 14th vision"
    )
)

# a follow-up that points back to the previous question's subject ("它的定位呢?", "what about its roads?")
_POINTS_BACK = re.compile(r"它|那里|那边|这里|这边|该镇|这个镇|那个镇|当地|\bits?\b|\bthere\b|\bthat town\b")


class PlanStructure:
    """Structural facts about one plan (build once; safe for concurrent reads)."""

    def __init__(self, spans: PlanSpans, retriever: Retriever, own_subject_idf: float = 3.0) -> None:
        """``own_subject_idf``: a follow-up word this rare in the plan is a subject of its own."""
        self.spans = spans
        self.retriever = retriever  # the reviewed lexicon (English nouns of counted lists) and word rarity
        self.own_subject_idf = own_subject_idf
        self.frames = load_frames()
        self.filler = load_filler()
        self.places = load_district_places()

    # -- time frames -------------------------------------------------------------------
    def frame(self, ref: Ref) -> str:
        return self.frames.get(ref, ("plan", ""))[0]

    def framed_units(self, frame: str, which: bool) -> list[Hit]:
        """The articles of a time frame (and, for a "when" question, of the goals and the vision)."""
        refs = [
            ref
            for ref, (f, _) in self.frames.items()
            if ref != PLAN_DEFAULT and (f == frame or (which and f in ("plan", "vision")))
        ]
        return self.whole_units(refs)

    def whole_units(self, refs: Sequence[Ref]) -> list[Hit]:
        """Articles as hits of a middling score (for units the code adds beside retrieval)."""
        plan = self.spans.plan
        arts = [a for a in (plan.article(r.number) for r in refs if r.kind == "article") if a is not None]
        return [Hit(a.ref, a.part, a.title, a.text, 0.5, 0, len(a.text)) for a in arts]

    # -- towns -------------------------------------------------------------------------
    def place(self, query: Query) -> tuple[str, ...]:
        """Aliases of the place the question is about: its own, else the previous question's when the follow-up
        points back to it ("它的定位呢?") or asks nothing of its own ("那2035年呢?") — not when it turns to a
        subject of its own ("那钢铁纺织这些老产业怎么办" after a question about 红莲湖's park)."""
        named = self.named_places(query.text)
        if named:
            return named[0]
        if not query.previous:
            return ()
        own = [
            t
            for t in content_tokens(query.text)
            if t not in FRAME_TOKENS and self.retriever.idf(t) >= self.own_subject_idf
        ]
        if own and not _POINTS_BACK.search(normalize(query.text)):
            return ()
        named = self.named_places(query.previous)
        return named[0] if named else ()

    def replaced_places(self, query: Query) -> frozenset[str]:
        """Words of the towns a follow-up's previous question named when the follow-up names another one
        ("蒲团要打造什么特色小镇?" → "那临江镇呢?": 蒲团 no longer counts)."""
        own = self.named_places(query.text)
        if not query.previous or not own:
            return frozenset()
        gone = [a for a in self.named_places(query.previous) if a not in own]
        return frozenset(t for aliases in gone for alias in aliases for t in content_tokens(alias))

    def named_places(self, text: str) -> list[tuple[str, ...]]:
        """Aliases of every place ``text`` names, in the order it names them."""
        q = normalize(text).replace("huarong town", "huarong-town")
        found: list[tuple[int, tuple[str, ...]]] = []
        for _, aliases in self.places:
            at = [
                m.start() for a in aliases if a.isascii() for m in re.finditer(rf"(?<![a-z]){re.escape(a)}(?![a-z])", q)
            ]
            at += [m.start() for a in aliases if not a.isascii() for m in re.finditer(_place_pattern(a), q)]
            if at:
                found.append((min(at), aliases))
        return [aliases for _, aliases in sorted(found)]

    @functools.cached_property
    def town_led(self) -> list[Ref]:
        """Articles where a town leads a sentence ("段店积极建设北部生态功能区…"), for "哪个镇来建"."""
        return list(dict.fromkeys(x.ref for x in self.spans.all if x.ref.kind == "article" and self.led_by_town(x)))

    def led_by_town(self, sent: Sentence) -> bool:
        return any(leads(sent, aliases) for _, aliases in self.places)

    def units_naming(self, place: tuple[str, ...]) -> list[Hit]:
        """Every article naming the place."""
        return self.whole_units([a.ref for a in self.spans.plan.articles if names_place(a.text, place)])

    def other_towns(self, place: tuple[str, ...]) -> list[str]:
        """The shortest name of every other town of the district."""
        return [a for _, aliases in self.places if not set(aliases) & set(place) for a in aliases[-1:]]

    # -- counted lists -----------------------------------------------------------------
    def counted(self, question: str) -> tuple[int, str] | None:
        """(N, noun) for "哪三个示范区" or "which three demonstration zones" (the noun in the plan's words, by the
        reviewed lexicon: the one some sentence of the plan names at least N times)."""
        found = counted_zh(question)
        m = None if found else _COUNTED_EN.search(normalize(question))
        if m is None:
            return found
        n = _EN_NUMBERS.index(m.group(1)) + 2
        nouns = [w for w in self.retriever.expansion_words(m.group(2)) if len(w) >= 2]
        best = max(((max((x.text.count(w) for x in self.spans.all), default=0), w) for w in nouns), default=(0, ""))
        return (n, best[1]) if best[0] >= n else None

    def counted_units(self, counted: tuple[int, str]) -> list[Hit]:
        """Every article with a sentence naming the noun at least N times ("哪三个示范区" → 第3条)."""
        n, noun = counted
        refs = [
            a.ref for a in self.spans.plan.articles if any(x.text.count(noun) >= n for x in self.spans.sentences(a.ref))
        ]
        return self.whole_units(refs)

    # -- headings, definitions, uses ---------------------------------------------------
    def heading_list(
        self, question: str, hits: Sequence[Hit], share: Share, frame: str, min_share: float
    ) -> list[Sentence]:
        """The dash headings an article lists ("——坚持党的全面领导。" …), when a list question asks for them.

        The article must be among the two leading hits, of the asked time frame, and its *title* must hold at
        least ``min_share`` of the question's words ("基本原则有哪些" → 第3条 "…指导思想和基本原则"): a term its
        introduction merely mentions ("五个新华容", "一城三区") is not what its headings list.  A count the
        question names ("哪五个") must be the number of headings."""
        m = _HEADINGS_COUNT.search(normalize(question))
        count = _NUMERALS.index(m.group(1) or m.group(2)) if m else 0
        for h in [h for h in hits if h.kind == "article"][:2]:
            if self.frame(h.ref) != frame:
                continue  # "2035年远景目标有哪些" is not answered with the 十四五 goals
            heads = [x for x in self.spans.sentences(h.ref) if x.text.startswith("——")]
            if len(heads) < 3 or (count and count != len(heads)):
                continue
            title = frozenset(content_tokens(h.title))
            own = share(title)
            said = share(title - _FRAME_TITLE) > 0  # "“十四五”时期…" alone says no more than the time frame
            if own >= min_share and said and not any(share(x.words) > own for x in heads):
                return heads
        return []

    def complete(self, chosen: list[Sentence], heading_body_max: int) -> tuple[list[Sentence], list[Ref]]:
        """The chosen sentences with what they need to be read alone: a dash heading brings the sentences that
        say it (up to ``heading_body_max``), a glossary definition comes whole.  Also the units whose heading was
        cut short (the answer points to them)."""
        out = list(chosen)
        cut: list[Ref] = []
        for sent in chosen:
            unit = self.spans.sentences(sent.ref)
            if sent.text.startswith("——"):
                body = list(itertools.takewhile(lambda x: not x.text.startswith("——"), unit[sent.index + 1 :]))
                at = out.index(sent) + 1
                out[at:at] = [x for x in body[:heading_body_max] if x not in out]
                if len(body) > heading_body_max and sent.ref not in cut:
                    cut.append(sent.ref)
            elif sent.ref.kind == "glossary" and len(unit) <= 4:  # a definition is quoted whole, never a third of it
                at = out.index(sent)
                out[at : at + 1] = [x for x in unit if x == sent or x not in out]
        return out, cut

    def usage(self, term_ref: Ref, share: Share) -> Sentence | None:
        """The article sentence that uses a glossary term and holds most of the question's words."""
        entry = self.spans.plan.term(term_ref.number)
        if entry is None:
            return None
        term = re.sub(r"[“”\"]", "", entry.term)
        using = [
            x for x in self.spans.all
            if x.ref.kind == "article" and not x.is_title and term in re.sub(r"[“”\"]", "", x.text)
        ]  # fmt: skip
        return max(using, key=lambda x: (share(x.words), -x.ref.number), default=None)


def counted_zh(question: str) -> tuple[int, str] | None:
    """(N, noun) for "哪三个示范区", "这两大片区分别…"; None otherwise."""
    m = _COUNTED.search(normalize(question))
    if not m:
        return None
    n = _NUMERALS.find(m.group(1)) if m.group(1) != "两" else 2
    return (n, m.group(2)) if n >= 2 else None


def _place_pattern(alias: str) -> str:
    return rf"{re.escape(alias)}(?!大道|路|街|大街)"


def leads(sent: Sentence, place: Sequence[str]) -> bool:
    """Is the town the subject of one of the sentence's clauses ("蒲团加快建设…")?"""
    return any(c.text.startswith(p) for c in sent.clauses for p in place if not p.isascii())


def names_place(text: str, aliases: Sequence[str]) -> bool:
    """Does ``text`` name the town (not a road named after it: "临江大道" is not 临江乡)?"""
    return any(re.search(_place_pattern(a), text) for a in aliases if not a.isascii())


def shared_with_others(sent: Sentence, place: tuple[str, ...], others: list[str]) -> bool:
    """Does every clause naming the place also name another town ("华容镇、段店镇和蒲团乡分别荣获…")?"""
    naming = [c.text for c in sent.clauses if names_place(c.text, place)]
    return bool(naming) and all(any(o in c for o in others) for c in naming)


def quoted_in(sent: Sentence, text: str) -> bool:
    """Did an earlier answer quote (part of) this sentence?  Any of its longer clauses found verbatim counts."""
    return any(len(c.text) >= 8 and normalize(c.text.rstrip(CUT)) in text for c in sent.clauses)


def load_filler() -> set[str]:
    """Reviewed sentences that state no measure or fact (exhortations); never quoted as an answer."""
    lines = (REPO_ROOT / "corpus" / "filler.txt").read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


@functools.cache
def load_frames() -> Mapping[Ref, tuple[str, str]]:
    """Reviewed (time frame, label) of articles that are not about the 十四五 measures (corpus/frames.tsv); read
    once per process and shared, read-only, by the composer, the figure check and the fixed replies."""
    out: dict[Ref, tuple[str, str]] = {}
    for line in (REPO_ROOT / "corpus" / "frames.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        ref_text, frame, label = [*line.split("\t"), "", ""][:3]
        ref = PLAN_DEFAULT if ref_text.strip() == "*" else parse_ref(ref_text.strip())
        if ref is not None:
            out[ref] = (frame.strip(), label.strip())
    return MappingProxyType(out)
