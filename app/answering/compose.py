"""Stage 4: the answer, composed by code from verbatim spans of the plan.

Given the question and the retrieved units, score every sentence of the leading
units (IDF-weighted share of the question's words it holds, plus its dense
similarity to the question, plus a small bonus for the unit's retrieval rank), pick
the best sentence and then the ones that cover what the first left out (a two-part
question gets a span for each part), and cut each long sentence down to the run of
clauses that holds the matched words.  A clause is never split inside a 、-list; a
sentence's opening clause is kept when the cut would drop it, so the subject and
time frame stay with the words that follow them; "……" marks every omission.

The result is a list of :class:`~app.answering.spans.Span` plus the answer text,
rendered from templates in ``prompts/``.  Nothing here calls a model, and nothing
shown is written by one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.answering.question import Query
from app.answering.spans import PlanSpans, Sentence, Span
from app.grounding import load_district_places
from app.prompts import render
from app.refs import Ref
from app.retrieve import Hit, Retriever
from app.settings import Settings
from app.text import content_tokens, normalize

_LISTY = re.compile(
    r"哪些|哪几|哪[两二三四五六七八九十]|有什么|有哪|什么样|几大|几个|\bwhich\b|\bwhat are\b|\blist\b|\bwhat kinds?\b"
)
_JOIN = re.compile(
    r"以及|还有|和|与|及|、|另外|同时|并且|又(?=[打准要想该怎如有是])|\band\b|,|，|;|；|[?？]|"
    r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])"  # older users type a space between two questions
)
# Time frame a question asks about: achievements so far, the 2035 vision, or plans (the default).
_PAST_NAMED = re.compile(r"十三五|13th|thirteenth")
_PLAN_NAMED = re.compile(r"十四五|14th|fourteenth")
_VISION = re.compile(r"2035|二〇三五|远景|长远|\blong[- ]range\b|\blong[- ]term\b|\bvision\b")
_PAST = re.compile(
    r"过去|这几年|这些年|前几年|已经|取得了?|成绩|成就|成效|变化|干成|\bdid\b|\bachiev|\bso far\b|\bpast\b"
)
_FUTURE = re.compile(r"以后|往后|将来|今后|未来|打算|计划|要|会不会|\bwill\b|\bgoing to\b|\bfuture\b")
# A question after what a term means (a glossary definition answers it on its own).
_DEFINE = re.compile(
    r"是什么意思|啥意思|什么意思|是指|指的是|指什么|含义|定义|是什么|是啥|\bmean\b|\bmeans\b|\bmeaning\b|\bwhat is\b|"
    r"\bwhat's\b|\bdefin"
)
_NUMERALS = "〇一二三四五六七八九十"
_COUNT = re.compile(r"(?:哪|几)?([一二三四五六七八九十])(?:个|条|项|大|方面)|哪([一二三四五六七八九十])")
# A question about *when* something is reached ("什么时候基本建成", "是2035年才要建成的吗"): the 十四五 goals and
# the 2035 vision may both answer it, each quote with its label.
_WHICH_FRAME = re.compile(
    r"什么时候|啥时候|何时|哪一年|哪年|还是.{0,6}(?:年|十四五|2035|远景)|才(?:要|能|会)|就要|就能|"
    r"\bwhen\b|\bby when\b|\bwhich (?:period|plan)\b"
)
_GOAL = re.compile(r"末|程度|达到什么|目标|水平|\bgoals?\b|\btargets?\b|\bby the end\b")
_FRAME_TOKENS = frozenset(
    content_tokens(
        "十三五 十四五 2035年 二〇三五年 远景目标 展望 过去五年 时期 取得 成就 成绩 主要目标 13th 14th vision"
    )
)
ELLIPSIS = "……"
_PLAN_DEFAULT = Ref("part", 0)  # frames.tsv's "*" row: the label of the 十四五 measures (every other article)
_CUT = "，,：:；;、 "


@dataclass(frozen=True)
class Composition:
    text: str
    spans: tuple[Span, ...]
    citations: tuple[Ref, ...]
    extra_hits: tuple[Hit, ...] = ()  # units found for the parts of a several-part question


class Weights:
    """IDF weights of the words a question is about (the follow-up's own words count fully)."""

    def __init__(self, retriever: Retriever, query: Query) -> None:
        own = set(content_tokens(query.text)) | set(retriever.expand(query.text))
        prev = set(content_tokens(query.previous)) | set(retriever.expand(query.previous)) if query.previous else set()
        self.w: dict[str, float] = {}
        for t in own | prev:
            if _COUNT_WORD.fullmatch(t):  # "哪三个示范区": the count frames the question, "三个代表" is not about it
                continue
            idf = retriever.idf(t)
            if idf > 0:
                self.w[t] = idf * (1.0 if t in own else 0.6)
        self.total = sum(self.w.values())

    def share(self, words: frozenset[str] | set[str], skip: frozenset[str] | set[str] | None = None) -> float:
        if not self.total:
            return 0.0
        return sum(v for t, v in self.w.items() if t in words and not (skip and t in skip)) / self.total

    def matched(self, words: frozenset[str] | set[str]) -> set[str]:
        return {t for t in self.w if t in words}


def time_frame(question: str) -> str:
    """ "past", "vision" or "plan": which part of the plan's timeline the question is about."""
    q = normalize(question)
    if _PAST_NAMED.search(q) and not _PLAN_NAMED.search(q):
        return "past"
    if _VISION.search(q) and not _PLAN_NAMED.search(q):
        return "vision"
    if _PLAN_NAMED.search(q):
        return "plan"
    if _PAST.search(q) and not _FUTURE.search(q.replace("取得", "")):
        return "past"
    return "plan"


def query_frame(query: Query) -> str:
    """The time frame a question asks about; a follow-up that names its own ("到2035年呢?", "往后五年呢")
    leaves the previous question's frame."""
    own = normalize(query.text)
    if any(p.search(own) for p in (_PAST_NAMED, _PLAN_NAMED, _VISION, _PAST, _FUTURE)):
        return time_frame(query.text)
    return time_frame(query.topic)


def parts(question: str, weights: Weights, min_share: float) -> list[str]:
    """The parts of a question that asks about several things ("安全生产和应急这两块怎么抓"), or [] for one."""
    pieces = [p for p in _JOIN.split(normalize(question)) if p.strip()]
    if len(pieces) < 2:
        return []
    out: list[str] = []
    for piece in pieces:
        if weights.share(set(content_tokens(piece))) >= min_share:
            out.append(piece)
        elif out:
            out[-1] += piece  # a piece without content of its own ("这两块怎么抓") belongs to its neighbour
    return out if len(out) >= 2 else []


class Composer:
    """Chooses spans and writes the answer; one per process, stateless per question."""

    def __init__(self, retriever: Retriever, spans: PlanSpans, settings: Settings) -> None:
        self.retriever = retriever
        self.spans = spans
        self.settings = settings
        self.frames = _load_frames()
        self.filler = _load_filler()
        self.places = load_district_places()

    # -- choosing ----------------------------------------------------------------------
    def place(self, query: Query) -> tuple[str, ...]:
        """Aliases of the place the question is about (its own words first, then a follow-up's topic)."""
        for text in (query.text, query.previous):
            q = normalize(text).replace("huarong town", "huarong-town")
            for _, aliases in self.places:
                english = any(re.search(rf"(?<![a-z]){re.escape(a)}(?![a-z])", q) for a in aliases if a.isascii())
                if english or names_place(q, aliases):
                    return aliases
        return ()

    def units(self, hits: Sequence[Hit]) -> list[Hit]:
        """The units answers may quote: the leading ones, minus those far weaker than the best."""
        units = [h for h in hits if h.kind != "part"][: self.settings.compose_units]
        if not units:
            return []
        floor = self.settings.compose_unit_floor * units[0].score
        return [h for i, h in enumerate(units) if i == 0 or h.score >= floor]

    def scored(
        self, query: Query, hits: Sequence[Hit], weights: Weights, place: tuple[str, ...] = ()
    ) -> list[tuple[float, Sentence]]:
        """(score, sentence) for every quotable sentence of the leading units, best first.

        score = share of the question's words in the sentence + its dense similarity (rescaled over the
        candidates) + the unit's retrieval score relative to the best + the share of the question's words in
        the unit's title, adjusted for the time frame asked about and, for 哪些 questions, for lists.
        """
        s = self.settings
        units = self.units(hits)
        frame = query_frame(query)
        asked = normalize(query.text)
        which = bool(_WHICH_FRAME.search(asked))  # "是十四五建成还是2035年建成": any frame may answer
        goal = bool(_GOAL.search(asked))  # "到十四五末要建到什么程度": the goals article answers
        if frame != "plan" or which or goal:  # achievements, goals, the 2035 vision: always see that article
            framed = [
                ref
                for ref, (f, _) in self.frames.items()
                if ref != _PLAN_DEFAULT and (f == frame or (which and f in ("plan", "vision")))
            ]
            units += [h for h in self._whole_units(framed) if h.ref not in {u.ref for u in units}]
        counted = self.counted(query.text)
        if counted and not place:  # "哪三个示范区": every article with a sentence naming three of them is a candidate
            n, noun = counted
            naming = [
                a.ref
                for a in self.spans.plan.articles
                if any(x.text.count(noun) >= n for x in self.spans.sentences(a.ref))
            ]
            units += [h for h in self._whole_units(naming) if h.ref not in {u.ref for u in units}]
        if place:  # only sentences that name the place, from every article that names it (retrieved ones first)
            seen = {h.ref for h in hits}
            units = [h for h in hits if names_place(self.spans.plan.unit_text(h.ref), place)]
            units += [h for h in self._units_naming(place) if h.ref not in seen]
        pool = [
            (h, sent)
            for h in units
            for sent in self.spans.sentences(h.ref)
            if not sent.is_title
            and (len(sent.text) >= s.span_min_chars or sent.text.startswith("——"))  # a heading brings its body
            and sent.text not in self.filler
            and (not place or names_place(sent.text, place))
        ]
        if not pool:
            return []
        similarity = self.retriever.sentence_similarity(query.topic)
        raw = [similarity.get((sent.ref, sent.text)) for _, sent in pool]
        known = [v for v in raw if v is not None]
        lo, hi = (min(known), max(known)) if known else (0.0, 1.0)
        listy = bool(_LISTY.search(normalize(query.text)))
        top = max(h.score for h in units) or 1.0
        titles = {h.ref: weights.share(set(content_tokens(h.title))) for h in units}
        # words that only name the time frame ("2035", "远景", "十三五") say nothing about which sentence answers
        # every quotable sentence names the place asked about: its name says nothing about which one answers
        said = _FRAME_TOKENS | {t for a in place for t in content_tokens(a)}
        in_frame = [weights.share(x.words, skip=said) for _, x in pool if self._frame(x.ref) == frame]
        best_in_frame = max(in_frame, default=0.0)
        others = [a for _, aliases in self.places if not set(aliases) & set(place) for a in aliases[-1:]]
        said_before = next((x.content for x in reversed(query.history) if x.role == "assistant"), "")
        said_before = normalize(said_before) if query.asked else ""  # only when "第三个" was resolved to an item
        out = []
        for (h, sent), cos in zip(pool, raw, strict=True):
            dense = (cos - lo) / ((hi - lo) or 1.0) if cos is not None else 0.5  # glossary: no sentence view
            share = weights.share(sent.words)
            score = share + s.span_dense_weight * dense + s.span_unit_weight * h.score / top
            score += s.span_title_weight * titles[h.ref] + s.span_early_bonus / (1 + sent.index)
            unit_frame = self._frame(sent.ref)
            if not which and unit_frame != frame and (unit_frame != "plan" or frame != "plan"):
                # kept only when nothing of the asked frame matches and it does (it carries its label when quoted)
                own = weights.share(sent.words, skip=said)
                if (
                    best_in_frame >= s.span_frame_override
                    or own < best_in_frame + s.span_frame_override
                    or own < s.span_frame_override_min
                ):
                    score -= s.span_frame_penalty
            if listy and sent.text.count("、") >= 2:
                score += s.span_list_bonus
            if counted and sent.text.count(counted[1]) >= counted[0]:
                score += s.span_count_bonus  # "哪三个示范区": a sentence naming three of them
            if (
                goal
                and unit_frame == frame
                and "目标" in self.frames.get(sent.ref, ("", ""))[1]
                and weights.share(sent.words, skip=said) >= s.span_frame_override  # it is about the thing asked
            ):
                score += s.span_goal_bonus  # "到十四五末要建到什么程度": the goals article says it
            if place and self._shared_with_others(sent, place, others):
                score -= s.place_list_penalty
            if place and any(c.text.startswith(a) for c in sent.clauses for a in place if not a.isascii()):
                score += s.place_subject_bonus  # "蒲团加快建设…": the town is what the sentence is about
            if (said_before and _quoted_in(sent, said_before)) or sum(x in sent.text for x in query.listed) >= 2:
                score -= s.followup_repeat_penalty  # "那第三个呢" asks about the item, not for the list again
            out.append((score, sent))
        out.sort(key=lambda t: -t[0])
        return out

    @staticmethod
    def _shared_with_others(sent: Sentence, place: tuple[str, ...], others: list[str]) -> bool:
        """Does every clause naming the place also name another town ("华容镇、段店镇和蒲团乡分别荣获…")?"""
        naming = [c.text for c in sent.clauses if names_place(c.text, place)]
        return bool(naming) and all(any(o in c for o in others) for c in naming)

    def _frame(self, ref: Ref) -> str:
        return self.frames.get(ref, ("plan", ""))[0]

    def _whole_units(self, refs: Sequence[Ref]) -> list[Hit]:
        """Articles as hits of a middling score (for units the code adds beside retrieval)."""
        plan = self.spans.plan
        arts = [a for a in (plan.article(r.number) for r in refs if r.kind == "article") if a is not None]
        return [Hit(a.ref, a.part, a.title, a.text, 0.5, 0, len(a.text)) for a in arts]

    def _units_naming(self, place: tuple[str, ...]) -> list[Hit]:
        """Every article naming the place."""
        return self._whole_units([a.ref for a in self.spans.plan.articles if names_place(a.text, place)])

    def choose(self, query: Query, hits: Sequence[Hit]) -> tuple[list[Span], list[Hit], list[Ref]]:
        """The spans to quote, the units searched for the question's parts (beside ``hits``), and the units
        holding more sentences that answer but were left out for length."""
        weights = Weights(self.retriever, query)
        place = self.place(query)
        headed = self.heading_list(query, hits, weights) if not place else []
        if headed:
            return [self.spans.span(x.ref, x.start, x.end) for x in headed], [], []
        ranked = self.scored(query, hits, weights, place)
        if not ranked:
            return [], [], []
        extra: list[Hit] = []
        s = self.settings
        chosen: list[Sentence] = [ranked[0][1]]
        covered = weights.matched(ranked[0][1].words)
        split = parts(query.text, weights, s.part_min_share)
        for part in split[: s.max_spans_multi]:  # each part of a several-part question gets its best sentence
            sub = Query(part, query.history, query.previous)
            sub_hits = self.retriever.search(part, k=s.top_k)
            sub_ranked = self.scored(sub, sub_hits, Weights(self.retriever, sub), place)
            if sub_ranked and sub_ranked[0][1] not in chosen:
                chosen.append(sub_ranked[0][1])
                extra += [h for h in sub_hits if h.ref == sub_ranked[0][1].ref]
                covered |= weights.matched(sub_ranked[0][1].words)
        several = bool(split) or bool(parts(query.text, weights, s.part_min_share / 2))
        limit = s.max_spans_multi if several or place else s.max_spans
        best = ranked[0][0]
        more: list[Ref] = []  # units holding sentences that would have been quoted but for the limit
        cut: list[Ref] = []  # units whose heading's sentences were cut short: always pointed to
        for score, sent in ranked[1:]:
            if sent in chosen:
                continue
            gain = weights.share(sent.words, skip=covered)
            ratio = s.place_span_ratio if place else s.second_span_ratio
            if score >= ratio * best and (gain >= s.span_min_gain or place):
                if len(chosen) >= limit:
                    if sent.ref not in more:
                        more.append(sent.ref)
                    continue
                chosen.append(sent)
                covered |= weights.matched(sent.words)
        for sent in list(chosen):
            unit = self.spans.sentences(sent.ref)
            if sent.text.startswith(
                "——"
            ):  # a dash heading ("——数智华容释放新动能。") is said by the sentences after it
                body = list(itertools.takewhile(lambda x: not x.text.startswith("——"), unit[sent.index + 1 :]))
                at = chosen.index(sent) + 1
                for x in [x for x in body[: s.heading_body_max] if x not in chosen][::-1]:
                    chosen.insert(at, x)
                if len(body) > s.heading_body_max and sent.ref not in cut:
                    cut.append(sent.ref)
            elif sent.ref.kind == "glossary" and len(unit) <= 4:  # a definition is quoted whole, never a third of it
                at = chosen.index(sent)
                chosen[at : at + 1] = [x for x in unit if x == sent or x not in chosen]
        if all(x.ref.kind == "glossary" for x in chosen) and not _DEFINE.search(normalize(query.text)):
            used = self.usage(chosen[0].ref, weights)  # "will the district do X": where the plan says it will
            if used is not None:
                chosen.append(used)
        known = {h.ref for h in [*hits, *extra]}
        for sent in chosen:  # units found outside retrieval (a place named anywhere in the plan) are shown too
            if sent.ref not in known:
                known.add(sent.ref)
                extra += self._whole_units([sent.ref])
        order = {h.ref: i for i, h in enumerate([*hits, *extra])}
        if place or self.counted(query.text):  # sentences found beyond retrieval (every article naming a town, or
            # naming three 示范区): the one that answers best leads
            chosen = [chosen[0], *sorted(chosen[1:], key=lambda x: (order.get(x.ref, 99), x.start))]
        else:
            chosen.sort(key=lambda x: (order.get(x.ref, 99), x.start))
        # only for a list asked for, and only about the articles quoted: "第1条还有更多…", so that a partial list
        # never looks complete
        quoted = {x.ref for x in chosen}
        if _LISTY.search(normalize(query.text)):
            for h in hits:  # the question asks for what a whole quoted article lists ("…取得了哪些成就" → 第1条)
                if (
                    h.ref in quoted
                    and h.ref not in more
                    and weights.share(set(content_tokens(h.title))) >= s.more_title_min_share
                    and len([x for x in self.spans.sentences(h.ref) if not x.is_title]) > len(chosen)
                ):
                    more.append(h.ref)
            more = [r for r in more if r in quoted]
        else:
            more = []
        more += [r for r in cut if r not in more]
        return [self.trim(sent, weights) for sent in chosen], extra, more

    def counted(self, question: str) -> tuple[int, str] | None:
        """(N, noun) for "哪三个示范区" or "which three demonstration zones" (the noun in the plan's words, by the
        reviewed lexicon: the one some sentence of the plan names at least N times)."""
        found = _counted(question)
        m = None if found else _COUNTED_EN.search(normalize(question))
        if m is None:
            return found
        n = _EN_NUMBERS.index(m.group(1)) + 2
        nouns = [w for w in self.retriever.expansion_words(m.group(2)) if len(w) >= 2]
        best = max(((max((x.text.count(w) for x in self.spans.all), default=0), w) for w in nouns), default=(0, ""))
        return (n, best[1]) if best[0] >= n else None

    def usage(self, term_ref: Ref, weights: Weights) -> Sentence | None:
        """The article sentence that uses a glossary term and holds most of the question's words."""
        entry = self.spans.plan.term(term_ref.number)
        if entry is None:
            return None
        term = re.sub(r"[“”\"]", "", entry.term)
        using = [
            x for x in self.spans.all
            if x.ref.kind == "article" and not x.is_title and term in re.sub(r"[“”\"]", "", x.text)
        ]  # fmt: skip
        return max(using, key=lambda x: (weights.share(x.words), -x.ref.number), default=None)

    def heading_list(self, query: Query, hits: Sequence[Hit], weights: Weights) -> list[Sentence]:
        """For "哪些 / what are" questions about what an article lists under dash headings ("——坚持党的全面
        领导。" …), the headings themselves, in order; [] otherwise.

        The article must be among the leading hits and its *title* must hold at least
        ``heading_list_min_share`` of the question's words ("基本原则有哪些" → 第3条 "…指导思想和基本原则"): a
        term its introduction merely mentions ("五个新华容", "一城三区") is not what its headings list.  A count the
        question names ("哪五个") must be the number of headings."""
        q = normalize(query.text)
        if query.previous or not _LISTY.search(q):
            return []  # a follow-up's list ("具体有哪几条带") is the previous answer's, not an article's headings
        frame = query_frame(query)
        m = _COUNT.search(q)
        count = _NUMERALS.index(m.group(1) or m.group(2)) if m else 0
        for h in [h for h in hits if h.kind == "article"][:2]:
            if self.frames.get(h.ref, ("plan", ""))[0] != frame:
                continue  # "2035年远景目标有哪些" is not answered with the 十四五 goals
            heads = [x for x in self.spans.sentences(h.ref) if x.text.startswith("——")]
            if len(heads) < 3 or (count and count != len(heads)):
                continue
            own = weights.share(set(content_tokens(h.title)))
            if own >= self.settings.heading_list_min_share and not any(weights.share(x.words) > own for x in heads):
                return heads
        return []

    def trim(self, sent: Sentence, weights: Weights) -> Span:
        """The sentence, or for a long one the smallest run of its clauses holding its matched words."""
        s = self.settings
        if len(sent.text) <= s.span_max_chars or len(sent.clauses) == 1:
            return self.spans.span(sent.ref, sent.start, sent.end)
        hits = [weights.share(set(content_tokens(c.text))) for c in sent.clauses]
        need = 0.9 * sum(hits)
        best: tuple[int, int] | None = None
        for i in range(len(sent.clauses)):
            got = 0.0
            for j in range(i, len(sent.clauses)):
                got += hits[j]
                if got >= need and got > 0:
                    length = sent.clauses[j].end - sent.clauses[i].start
                    if best is None or length < sent.clauses[best[1]].end - sent.clauses[best[0]].start:
                        best = (i, j)
                    break
        if best is None:  # nothing matched at clause level: the opening clauses
            best = (0, 0)
        i, j = best
        if i == 1 and len(sent.clauses[0].text) <= s.span_head_chars:
            i = 0  # the opening clause (subject, time frame) is next to the run: keep it
        while sent.clauses[j].end - sent.clauses[i].start < s.span_trim_min_chars and (
            i > 0 or j + 1 < len(sent.clauses)
        ):
            if j + 1 < len(sent.clauses):
                j += 1
            else:
                i -= 1
        return self.spans.span(sent.ref, sent.clauses[i].start, sent.clauses[j].end)

    # -- writing -----------------------------------------------------------------------
    def quote(self, span: Span) -> str:
        """The span as shown: its own words, with …… where its sentence began earlier or goes on."""
        sent = next(x for x in self.spans.sentences(span.ref) if x.start <= span.start and span.end <= x.end)
        head = ""
        if span.start > sent.start:
            first = sent.clauses[0].text.rstrip(_CUT)
            head = (first if len(first) <= self.settings.span_head_chars else "") + ELLIPSIS
        tail = ELLIPSIS if span.end < sent.end else ""
        return head + span.text.rstrip(_CUT) + tail

    def write(
        self,
        spans: Sequence[Span],
        extra_hits: Sequence[Hit] = (),
        english: bool = False,
        frame: str = "plan",
        more: Sequence[Ref] = (),
    ) -> Composition:
        """The answer text.  A quote carries its article's time-frame label; when the question asks about another
        time frame (achievements, 2035), quotes from the 十四五 measures are labelled as such too."""
        lines = []
        citations: list[Ref] = []
        default = self.frames.get(_PLAN_DEFAULT, ("plan", ""))[1] if frame != "plan" else ""
        for span in spans:  # every line carries its label: a line read alone never loses its time frame
            label = self.frames.get(span.ref, ("plan", default))[1]
            lines.append(render("answer_line", frame=label, quote=self.quote(span), ref=str(span.ref)))
            if span.ref not in citations:
                citations.append(span.ref)
        text = render("answer_lead_en" if english else "answer_lead") + "\n" + "\n".join(lines)
        if more:  # never let a partial list look complete
            text += "\n" + render("answer_more", refs="、".join(str(r) for r in more))
        return Composition(text, tuple(spans), tuple(citations), tuple(extra_hits))

    def compose(self, query: Query, hits: Sequence[Hit]) -> Composition | None:
        spans, extra, more = self.choose(query, hits)
        return self.write(spans, extra, query.english, query_frame(query), more) if spans else None


_EN_NUMBERS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_COUNTED_EN = re.compile(
    r"\b(?:which|what are the|what're the|name the|list the|the)\s+(two|three|four|five|six|seven|eight|nine|ten)\s+"
    r"([a-z][a-z\- ]{2,40}?)(?=\s+(?:is|are|does|do|did|will|would|that|in|of|for|huarong|the|it)\b|[?.,!]|$)"
)
_COUNT_WORD = re.compile(r"[一二三四五六七八九十两几][个项条种座所家]|哪[一二三四五六七八九十两几]")
_COUNTED = re.compile(
    r"(?:哪|这)([两二三四五六七八九十])(?:个|大|项|条|种|座|所|家)?([\u4e00-\u9fff]{2,4}?)(?:[?？,，]|$|是|有|分别)"
)


def _counted(question: str) -> tuple[int, str] | None:
    """(N, noun) for "哪三个示范区", "这两大片区分别…"; None otherwise."""
    m = _COUNTED.search(normalize(question))
    if not m:
        return None
    n = "〇一二三四五六七八九十".find(m.group(1)) if m.group(1) != "两" else 2
    return (n, m.group(2)) if n >= 2 else None


def names_place(text: str, aliases: Sequence[str]) -> bool:
    """Does ``text`` name the town (not a road named after it: "临江大道" is not 临江乡)?"""
    return any(re.search(rf"{re.escape(a)}(?!大道|路|街|大街)", text) for a in aliases if not a.isascii())


def _quoted_in(sent: Sentence, text: str) -> bool:
    """Did an earlier answer quote (part of) this sentence?  Any of its longer clauses found verbatim counts."""
    return any(len(c.text) >= 8 and normalize(c.text.rstrip(_CUT)) in text for c in sent.clauses)


def _load_filler() -> set[str]:
    """Reviewed sentences that state no measure or fact (exhortations); never quoted as an answer."""
    from app.settings import REPO_ROOT

    lines = (REPO_ROOT / "corpus" / "filler.txt").read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def _load_frames() -> dict[Ref, tuple[str, str]]:
    """Reviewed (time frame, label) of articles that are not about the 十四五 measures (corpus/frames.tsv)."""
    from app.refs import parse_ref
    from app.settings import REPO_ROOT

    out: dict[Ref, tuple[str, str]] = {}
    for line in (REPO_ROOT / "corpus" / "frames.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        ref_text, frame, label = [*line.split("\t"), "", ""][:3]
        ref = _PLAN_DEFAULT if ref_text.strip() == "*" else parse_ref(ref_text.strip())
        if ref is not None:
            out[ref] = (frame.strip(), label.strip())
    return out
