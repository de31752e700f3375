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

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.answering.question import ASKS_ITSELF, PREMISE, Query, asked_apart
from app.answering.spans import PlanSpans, Sentence, Span
from app.answering.structure import (
    CUT,
    FRAME_TOKENS,
    PLAN_DEFAULT,
    PlanStructure,
    leads,
    names_place,
    quoted_in,
    shared_with_others,
)
from app.prompts import render
from app.refs import Ref, find_refs
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
_PLAN_NAMED = re.compile(
    r"十四五|14th|fourteenth|(?<!\d)202[1-5](?!\d)|(?:今后|未来|往后|接下来的?)五年|(?<!过去)(?<!前)五年(?:内|之内|里头|后|以后|之后)"
)
_VISION = re.compile(r"2035|二〇三五|远景|长远|\blong[- ]range\b|\blong[- ]term\b|\bvision\b")
_PAST = re.compile(
    r"过去|这几年|这些年|前几年|已经|取得了?|成绩|成就|成效|变化|干成|评上|获评|荣获|获得过|\bdid\b|\bachiev|\bso far\b|\bpast\b|\bwon\b|"
    r"\b(?:was|were) (?:it |they |huarong )?(?:picked|selected|chosen|named|awarded)\b"
)
_FUTURE = re.compile(r"以后|往后|将来|今后|未来|打算|计划|要|会不会|\bwill\b|\bgoing to\b|\bfuture\b")
_DONE_YET = re.compile(
    r"(?:修|建|弄|搞|办)(?:好|成)了(?:冇|没|吗|么|没有)|(?:开|建成|开放|开通)了(?:冇|没有|没|吗)|"
    r"是不是(?:早就|已经)?[^,，?？]{0,12}(?:建成|建好|完成)了"
)
_WHICH_TOWN = re.compile(r"哪个(?:镇|乡|乡镇)|哪(?:些|几个)(?:镇|乡镇)|哪里来建|\bwhich (?:town|township)s?\b")
# A question after what a term means (a glossary definition answers it on its own).
_DEFINE = re.compile(
    r"是什么意思|啥意思|什么意思|是指|指的是|指什么|含义|定义|界定|是什么|是啥|\bmean\b|\bmeans\b|\bmeaning\b|\bwhat is\b|"
    r"\bwhat's\b|\bdefin"
)
_COUNT_WORD = re.compile(r"[一二三四五六七八九十两几][个项条种座所家]|哪[一二三四五六七八九十两几]")
# A question about *when* something is reached ("什么时候基本建成", "是2035年才要建成的吗"): the 十四五 goals and
# the 2035 vision may both answer it, each quote with its label.
_WHICH_FRAME = re.compile(
    r"什么时候|啥时候|何时|哪一年|哪年|还是.{0,6}(?:年|十四五|2035|远景)|才(?:要|能|会)|就要|就能|"
    r"\bwhen\b|\bby when\b|\bwhich (?:period|plan)\b"
)
_GOAL = re.compile(r"末|程度|达到什么|目标|水平|\bgoals?\b|\btargets?\b|\bby the end\b")
ELLIPSIS = "……"


@dataclass(frozen=True)
class Composition:
    text: str
    spans: tuple[Span, ...]
    citations: tuple[Ref, ...]
    extra_hits: tuple[Hit, ...] = ()  # units found for the parts of a several-part question


class Weights:
    """IDF weights of the words a question is about (the follow-up's own words count fully)."""

    def __init__(
        self, retriever: Retriever, query: Query, replaced: frozenset[str] = frozenset(), frames_said: bool = False
    ) -> None:
        """``replaced``: words of the previous question that the follow-up replaces ("蒲团…?" → "那临江镇呢?");
        ``frames_said``: the time frames the question names say nothing about what to find ("到2035年呢?" after a
        question on 法治; "是十四五还是2035年建成"; "2035年要翻一番对吧"): the frame is chosen elsewhere."""
        self._expand = retriever.expand
        own = self.words_of(query.text, expand=True)
        prev = set(content_tokens(query.previous)) | set(retriever.expand(query.previous)) if query.previous else set()
        frame_only = _frame_only(query)  # only the time frame changes: the earlier question says what to find
        self.w: dict[str, float] = {}
        for t in own | prev:
            if _COUNT_WORD.fullmatch(t) or (frames_said and t in FRAME_TOKENS) or (t in replaced and t not in own):
                continue  # "哪三个示范区": the count frames the question, "三个代表" is not about it
            idf = retriever.idf(t)
            if idf > 0:
                self.w[t] = idf * (1.0 if t in own or frame_only else 0.6)
        self.total = sum(self.w.values())
        self.earlier_only = frozenset(t for t in self.w if t not in own)  # words only the previous question has

    def share(self, words: frozenset[str] | set[str], skip: frozenset[str] | set[str] | None = None) -> float:
        if not self.total:
            return 0.0
        return sum(v for t, v in self.w.items() if t in words and not (skip and t in skip)) / self.total

    def own_share(self, words: frozenset[str] | set[str]) -> float:
        """The share of the follow-up's own words (time-frame words aside) that ``words`` hold: "农业那块呢?" is
        about 农业 however many words the previous question had."""
        own = {t: v for t, v in self.w.items() if t not in self.earlier_only and t not in FRAME_TOKENS}
        total = sum(own.values())
        return sum(v for t, v in own.items() if t in words) / total if total else 0.0

    def words_of(self, text: str, expand: bool = False) -> set[str]:
        """A piece of the question's own words, with ``expand`` also what the lexicon reads them as ("county
        economy" → 县域经济)."""
        return set(content_tokens(text)) | (set(self._expand(text)) if expand else set())

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
    if _names_frame(query.text):
        return time_frame(query.text)
    return time_frame(query.topic)


_FRAME_WORDS = re.compile(
    r"十三五|十四五|“十三五”|“十四五”|(?:到|在)?(?:2035|二〇三五|202[1-5])年?|远景目标|展望|主要目标|时期|期间|"
    r"\b(?:13th|14th|thirteenth|fourteenth)\b|\b(?:by|in|for) (?:2035|202[1-5])\b|\b2035\b|\bvision\b|"
    r"\bfive-year plan\b"
)


def _without_frame(text: str) -> str:
    """The question without the time frame it names explicitly; "" when it names none."""
    q = normalize(text)
    if not (_PAST_NAMED.search(q) or _PLAN_NAMED.search(q) or _VISION.search(q)):
        return ""
    return _FRAME_WORDS.sub(" ", q).strip()


def _names_frame(text: str, future: bool = True) -> bool:
    """Does the text name a time frame (with ``future``, also by a bare 要 / 以后)?"""
    q = normalize(text)
    return any(p.search(q) for p in (_PAST_NAMED, _PLAN_NAMED, _VISION, _PAST, *([_FUTURE] if future else [])))


# what a question about a time frame as a whole is made of ("十四五的主要目标有哪些?")
_GENERAL = re.compile(
    r"有哪些|哪些|是什么|什么|怎么样|怎样|如何|目标|主要|任务|要|有|是|的|华容区?|全区|我区|[\s?？!！,，.。“”\"]|"
    r"\bwhat\b|\bare\b|\bis\b|\bthe\b|\bmain\b|\bgoals?\b|\bof\b|\bhuarong\b|\bfor\b|\bfyp\b|\bplan\b|\bperiod\b"
)
# what a follow-up that only names a time frame is made of besides it ("那到2035年呢?")
_ONLY_ASKING = re.compile(r"[\s?？呢吗啊嘛,，.。!！]|那么?|再往后|再|又|到了?|在|的|\bwhat about\b|\band\b|\bthen\b")


def _frame_only(query: Query) -> bool:
    """A follow-up that only names another time frame ("到2035年呢?", "“十四五”呢?"), after a question about
    something in particular (not "十四五的主要目标有哪些?", whose 2035 counterpart is the vision as a whole)."""
    if not query.previous or not _names_frame(query.text, future=False):
        return False
    return (
        not _ONLY_ASKING.sub("", _without_frame(query.text))
        and len(_GENERAL.sub("", _without_frame(query.previous))) >= 2
    )


def parts(question: str, weights: Weights, min_share: float) -> list[str]:
    """The parts of a question that asks about several things ("安全生产和应急这两块怎么抓"), or [] for one.

    A question typed as two ("…突破了多少?“十四五”又打算…", "…, and what …") keeps each of its questions as a part
    when it has any words of its own, however common; inside one question a piece is a part with ``min_share`` of
    the words, or with any when it opens the question asking something itself, up to a comma (a piece with neither
    belongs to its neighbour).  A piece without plan words of its own ("我屋里老二是退伍回来的", any English) is
    read through the lexicon (退伍 → 退役军人)."""
    out: list[str] = []
    for asked in asked_apart(question):
        own: list[str] = []
        for piece in (p for p in _JOIN.split(asked) if p.strip()):
            share = weights.share(weights.words_of(piece)) or weights.share(weights.words_of(piece, expand=True))
            # "华容要重点引进哪类人才,干部…": an opening question of its own, closed by a comma, is a part too
            opening = not own and share > 0 and ASKS_ITSELF.search(piece) and asked.startswith(piece + ",")
            if share >= min_share or opening:
                own.append(piece)
            elif own:
                own[-1] += piece  # a piece without content of its own ("这两块怎么抓") belongs to its neighbour
        if not own and weights.share(weights.words_of(asked, expand=True)) > 0:
            own = [asked]
        out += own
    return out if len(out) >= 2 else []


def part_frame(query: Query, part: str) -> str:
    """The time frame a part of a several-part question asks about: the frame it names, or its own question names, or
    the one named by the nearest question before it ("到2035年,基层治理和公共服务分别…" → both 2035; "Which
    zones…, and what … by 2035?" → only the second); "" when none names one."""
    if _names_frame(part, future=False):
        return time_frame(part)
    asked = asked_apart(query.text)
    at = next((i for i, x in enumerate(asked) if part in x), len(asked) - 1)
    for text in reversed(asked[: at + 1]):
        if _names_frame(text, future=False):
            return time_frame(text)
    return ""


@dataclass(frozen=True)
class _Asked:
    """What one question asks, as the scoring of its candidate sentences needs it."""

    frame: str  # past | plan | vision
    which: bool  # "是十四五建成还是2035年建成": any time frame may answer
    goal: bool  # "到十四五末要建到什么程度": the goals article answers
    listy: bool  # 哪些 / which
    counted: tuple[int, str] | None  # "哪三个示范区" → (3, "示范区")
    place: tuple[str, ...]  # the town asked about, in every form
    others: tuple[str, ...]  # the other towns
    said_before: str  # the previous answer, when an ordinal pointed into its list
    listed: tuple[str, ...]  # that list
    unframed: str = ""  # the question without the time frame it names ("2035年…突破百亿元吗" → "…突破百亿元吗")
    which_town: bool = False  # "北部生态功能区由哪个镇来建": a sentence a town leads answers
    named: frozenset[Ref] = frozenset()  # units the question names itself ("第八部分提出…"), not a part's articles
    frame_only: bool = False  # "到2035年呢?": the time frame is all the follow-up asks, so no other frame answers


class Composer:
    """Chooses spans and writes the answer; one per process, stateless per question."""

    def __init__(self, retriever: Retriever, spans: PlanSpans, settings: Settings) -> None:
        self.retriever = retriever
        self.spans = spans
        self.settings = settings
        self.structure = PlanStructure(spans, retriever, settings.followup_own_subject_idf)
        self.frames = self.structure.frames

    # -- choosing ----------------------------------------------------------------------
    def place(self, query: Query) -> tuple[str, ...]:
        return self.structure.place(query)

    def units(self, hits: Sequence[Hit]) -> list[Hit]:
        """The units answers may quote: the leading ones, minus those far weaker than the best."""
        units = list(hits)[: self.settings.compose_units]
        if not units:
            return []
        floor = self.settings.compose_unit_floor * units[0].score
        return [h for i, h in enumerate(units) if i == 0 or h.score >= floor]

    def asked(self, query: Query, place: tuple[str, ...]) -> _Asked:
        q = normalize(query.text)
        said = next((x.content for x in reversed(query.history) if x.role == "assistant"), "")
        frame = query_frame(query)
        # "图书馆修好了冇" names no time frame: done already (十三五), or planned (十四五)?
        done_yet = bool(_DONE_YET.search(q)) and not _names_frame(query.text, future=False)
        if done_yet:
            frame = "past"
        frame_only = _frame_only(query)
        return _Asked(
            frame=frame,
            which=bool(_WHICH_FRAME.search(q))
            or done_yet
            or (bool(PREMISE.search(q)) and _names_frame(q, future=False)),
            goal=bool(_GOAL.search(q)),
            listy=bool(_LISTY.search(q)),
            counted=self.structure.counted(query.text),
            place=place,
            others=tuple(self.structure.other_towns(place)) if place else (),
            said_before=normalize(said) if query.asked else "",  # only when "第三个" was resolved to an item
            listed=query.listed,
            unframed=_without_frame(query.topic if frame_only else query.text),
            which_town=bool(_WHICH_TOWN.search(q)),
            named=frozenset(m.ref for m in find_refs(query.text)),
            frame_only=frame_only,
        )

    def candidates(self, hits: Sequence[Hit], a: _Asked) -> tuple[list[Hit], list[tuple[Hit, Sentence]]]:
        """The units to quote from and their quotable sentences: the leading retrieved units, the articles of the
        time frame asked about, those naming the counted noun that many times, or every article naming the town
        (then only sentences naming it)."""
        units = self.units(hits)
        st = self.structure
        added: list[Hit] = []
        if a.frame != "plan" or a.which or a.goal:  # achievements, goals, the 2035 vision: always see that article
            added += st.framed_units(a.frame, a.which)
        if a.counted and not a.place:  # "哪三个示范区": every article with a sentence naming three of them
            added += st.counted_units(a.counted)
        if a.which_town and not a.place:  # "哪个镇来建": the articles where a town leads a sentence
            added += st.whole_units(st.town_led)
        if a.unframed:
            # "2035年要突破百亿元吗": what the question asks about may be said in another time frame (then quoted
            # with that frame's label, which corrects the premise)
            added += self.retriever.search(a.unframed, k=self.settings.frame_free_units)
        have = {u.ref for u in units}
        units += {h.ref: h for h in added if h.ref not in have}.values()  # each added article once
        if a.place:  # only sentences that name the place, from every article that names it (retrieved ones first)
            seen = {h.ref for h in hits}
            units = [h for h in hits if names_place(self.spans.plan.unit_text(h.ref), a.place)]
            units += [h for h in st.units_naming(a.place) if h.ref not in seen]
        pool = [
            (h, sent)
            for h in units
            for sent in self.spans.sentences(h.ref)
            if not sent.is_title
            and (len(sent.text) >= self.settings.span_min_chars or sent.text.startswith("——"))  # a heading's body
            and sent.text not in st.filler
            and (not a.place or names_place(sent.text, a.place))
        ]
        return units, pool

    def scored(
        self,
        query: Query,
        hits: Sequence[Hit],
        weights: Weights,
        place: tuple[str, ...] = (),
        asked: _Asked | None = None,
    ) -> list[tuple[float, Sentence]]:
        """(score, sentence) for every quotable sentence of the candidate units, best first.

        score = share of the question's words in the sentence + its dense similarity (rescaled over the
        candidates) + the unit's retrieval score relative to the best + the share of the question's words in
        the unit's title + an early bonus, then ``adjust``.
        """
        s = self.settings
        a = asked or self.asked(query, place)
        units, pool = self.candidates(hits, a)
        if a.frame_only:  # "到2035年呢?": only the frame asked answers
            pool = [(h, x) for h, x in pool if self.structure.frame(x.ref) == a.frame] or pool
        if not pool:
            return []
        similarity = self.retriever.sentence_similarity(query.topic)
        raw = [similarity.get((sent.ref, sent.text)) for _, sent in pool]
        known = [v for v in raw if v is not None]
        lo, hi = (min(known), max(known)) if known else (0.0, 1.0)
        top = max(h.score for h in units) or 1.0
        titles = {h.ref: weights.share(set(content_tokens(h.title))) for h in units}
        # words that only name the time frame ("2035", "远景", "十三五") or the town every candidate names say
        # nothing about which sentence answers
        said = FRAME_TOKENS | {t for p in place for t in content_tokens(p)}
        best_in_frame = max(
            (weights.share(x.words, skip=said) for _, x in pool if self.structure.frame(x.ref) == a.frame), default=0.0
        )
        out = []
        for (h, sent), cos in zip(pool, raw, strict=True):
            dense = (cos - lo) / ((hi - lo) or 1.0) if cos is not None else 0.5  # glossary: no sentence view
            score = weights.share(sent.words) + s.span_dense_weight * dense + s.span_unit_weight * h.score / top
            score += s.span_title_weight * titles[h.ref] + s.span_early_bonus / (1 + sent.index)
            if query.previous and not query.asked:  # "市场环境方面呢?": its own words pick among the topic's sentences
                score += s.followup_own_weight * weights.own_share(sent.words)
            score += self.adjust(sent, weights.share(sent.words, skip=said), best_in_frame, a)
            out.append((score, sent))
        out.sort(key=lambda t: -t[0])
        return out

    def adjust(self, sent: Sentence, own: float, best_in_frame: float, a: _Asked) -> float:
        """Bonuses and penalties for what the question asks: its time frame, a list, a count, a goal, a town, a
        follow-up pointing into the previous answer.  ``own`` is the sentence's share of the question's words
        without time-frame words and the town's name."""
        s = self.settings
        delta = 0.0
        unit_frame = self.structure.frame(sent.ref)
        if not a.which and unit_frame != a.frame and (unit_frame != "plan" or a.frame != "plan"):
            # kept only when nothing of the asked frame matches and it does (it carries its label when quoted)
            if (
                best_in_frame >= s.span_frame_override
                or own < best_in_frame + s.span_frame_override
                or own < s.span_frame_override_min
            ):
                delta -= s.span_frame_penalty
        if a.listy and sent.text.count("、") >= 2:
            delta += s.span_list_bonus
        if a.counted and sent.text.count(a.counted[1]) >= a.counted[0]:
            delta += s.span_count_bonus  # "哪三个示范区": a sentence naming three of them
        label = self.frames.get(sent.ref, ("", ""))[1]
        if a.goal and unit_frame == a.frame and "目标" in label and own >= s.span_frame_override:
            delta += s.span_goal_bonus  # "到十四五末要建到什么程度": the goals article says it, about the thing asked
        if a.place and shared_with_others(sent, a.place, list(a.others)):
            delta -= s.place_list_penalty
        if sent.ref in a.named:
            delta += s.span_named_bonus  # the user pointed at this unit
        if a.which_town and not a.place and self.structure.led_by_town(sent):
            delta += s.place_subject_bonus
        if a.place and leads(sent, a.place):
            delta += s.place_subject_bonus  # "蒲团加快建设…": the town is what the sentence is about
        if (a.said_before and quoted_in(sent, a.said_before)) or sum(x in sent.text for x in a.listed) >= 2:
            delta -= s.followup_repeat_penalty  # "那第三个呢" asks about the item, not for the list again
        return delta

    def choose(self, query: Query, hits: Sequence[Hit]) -> tuple[list[Span], list[Hit], list[Ref]]:
        """The spans to quote, the units searched for the question's parts (beside ``hits``), and the units
        holding more sentences that answer but were left out (the answer points to them)."""
        place = self.place(query)
        a = self.asked(query, place)
        weights = Weights(self.retriever, query, self.structure.replaced_places(query), a.frame_only or a.which)
        if not place and not query.previous and a.listy:  # a follow-up's list is the previous answer's
            headed = self.structure.heading_list(
                query.text, hits, weights.share, a.frame, self.settings.heading_list_min_share
            )
            if headed:
                return [self.spans.span(x.ref, x.start, x.end) for x in headed], [], []
        ranked = self.scored(query, hits, weights, place, a)
        if not ranked:
            return [], [], []
        chosen, extra, more = self.pick(query, hits, ranked, weights, a)
        chosen, cut = self.structure.complete(chosen, self.settings.heading_body_max)
        if all(x.ref.kind == "glossary" for x in chosen) and not _DEFINE.search(normalize(query.text)):
            used = self.structure.usage(chosen[0].ref, weights.share)  # "will the district do X": where it says so
            if used is not None:
                chosen.append(used)
        known = {h.ref for h in [*hits, *extra]}
        for sent in chosen:  # units found outside retrieval (a place named anywhere in the plan) are shown too
            if sent.ref not in known:
                known.add(sent.ref)
                extra += self.structure.whole_units([sent.ref])
        order = {h.ref: i for i, h in enumerate([*hits, *extra])}
        if place or a.counted:  # sentences found beyond retrieval: the one that answers best leads
            chosen = [chosen[0], *sorted(chosen[1:], key=lambda x: (order.get(x.ref, 99), x.start))]
        else:
            chosen.sort(key=lambda x: (order.get(x.ref, 99), x.start))
        # a partial list never looks complete; a heading cut short is always pointed to
        listed = (
            pointers(
                self.spans,
                hits,
                weights,
                chosen,
                more,
                self.settings.more_title_min_share,
                self.settings.more_rest_min_ratio,
            )
            if a.listy
            else []
        )
        return [self.trim(sent, weights) for sent in chosen], extra, list(dict.fromkeys([*listed, *cut]))

    def pick(
        self,
        query: Query,
        hits: Sequence[Hit],
        ranked: list[tuple[float, Sentence]],
        weights: Weights,
        whole: _Asked,
    ) -> tuple[list[Sentence], list[Hit], list[Ref]]:
        """The best sentence, the best of each part of a several-part question, then the ones that cover what
        those left out; and the units of qualifying sentences left out for the length limit."""
        s = self.settings
        extra: list[Hit] = []
        chosen: list[Sentence] = [ranked[0][1]]
        covered = weights.matched(ranked[0][1].words)
        split = parts(query.text, weights, s.part_min_share)
        place = whole.place
        for part in split[: s.max_spans_multi]:  # each part of a several-part question gets its best sentence
            sub = Query(part, query.history, query.previous)
            sub_hits = self.retriever.search(part, k=s.top_k)
            own = self.structure.place(Query(part, ())) or place  # "庙岭和临江分别…": each part about its own town
            asked = self.asked(sub, own)
            frame = part_frame(query, part)
            if frame or query.previous or len(asked_apart(query.text)) == 1:
                asked = replace(asked, frame=frame or whole.frame)
            sub_ranked = self.scored(sub, sub_hits, Weights(self.retriever, sub), own, asked)
            if sub_ranked and sub_ranked[0][1] not in chosen:
                chosen.append(sub_ranked[0][1])
                extra += [h for h in sub_hits if h.ref == sub_ranked[0][1].ref]
                covered |= weights.matched(sub_ranked[0][1].words)
        named = self.structure.named_places(query.text)
        for other in named if len(named) > 1 else []:  # "庙岭和临江分别…": each town's own best sentence
            if any(leads(x, other) for x in chosen):
                continue
            # the town's own sentence ("临江围绕三江港…", not a list of towns), of the time frame asked about
            leading = [
                sent
                for _, sent in self.scored(query, hits, weights, other)
                if leads(sent, other) and (whole.which or self.structure.frame(sent.ref) == whole.frame)
            ]
            if leading and leading[0] not in chosen:
                chosen.append(leading[0])
                covered |= weights.matched(leading[0].words)
        several = bool(split) or bool(parts(query.text, weights, s.part_min_share / 2))
        limit = s.max_spans_multi if several or place else s.max_spans
        best = ranked[0][0]
        more: list[Ref] = []
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
        return chosen, extra, more

    def trim(self, sent: Sentence, weights: Weights) -> Span:
        """The sentence, or for a long one the smallest run of its clauses holding its matched words."""
        s = self.settings
        if len(sent.text) <= s.span_max_chars or len(sent.clauses) == 1:
            return self.spans.span(sent.ref, sent.start, sent.end)
        i, j = clause_run(sent, [weights.share(set(content_tokens(c.text))) for c in sent.clauses], s)
        return self.spans.span(sent.ref, sent.clauses[i].start, sent.clauses[j].end)

    # -- writing -----------------------------------------------------------------------
    def quote(self, span: Span) -> str:
        """The span as shown: its own words, with …… where its sentence began earlier or goes on."""
        sent = next(x for x in self.spans.sentences(span.ref) if x.start <= span.start and span.end <= x.end)
        return shown(sent, span, self.settings.span_head_chars)

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
        default = self.frames.get(PLAN_DEFAULT, ("plan", ""))[1] if frame != "plan" else ""
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


def clause_run(sent: Sentence, matched: Sequence[float], s: Settings) -> tuple[int, int]:
    """First and last clause of the shortest run holding 90 % of the matched words (the opening clause kept
    when it is short and next to the run; at least ``span_trim_min_chars`` long)."""
    need = 0.9 * sum(matched)
    best: tuple[int, int] | None = None
    for i in range(len(sent.clauses)):
        got = 0.0
        for j in range(i, len(sent.clauses)):
            got += matched[j]
            if got >= need and got > 0:
                length = sent.clauses[j].end - sent.clauses[i].start
                if best is None or length < sent.clauses[best[1]].end - sent.clauses[best[0]].start:
                    best = (i, j)
                break
    i, j = best or (0, 0)  # nothing matched at clause level: the opening clauses
    if i == 1 and len(sent.clauses[0].text) <= s.span_head_chars:
        i = 0  # the opening clause (subject, time frame) is next to the run: keep it
    while sent.clauses[j].end - sent.clauses[i].start < s.span_trim_min_chars and (i > 0 or j + 1 < len(sent.clauses)):
        if j + 1 < len(sent.clauses):
            j += 1
        else:
            i -= 1
    return i, j


def shown(sent: Sentence, span: Span, head_chars: int) -> str:
    """A span of ``sent`` as shown: its own words, with …… where the sentence began earlier or goes on (a short
    opening clause is kept before the ……)."""
    head = ""
    if span.start > sent.start:
        first = sent.clauses[0].text.rstrip(CUT)
        head = (first if len(first) <= head_chars else "") + ELLIPSIS
    tail = ELLIPSIS if span.end < sent.end else ""
    return head + span.text.rstrip(CUT) + tail


def pointers(
    spans: PlanSpans,
    hits: Sequence[Hit],
    weights: Weights,
    chosen: list[Sentence],
    more: list[Ref],
    min_share: float,
    rest_ratio: float,
) -> list[Ref]:
    """For a list asked for, the quoted articles with more to read: those with sentences left out for length
    (``more``), whose title holds ``min_share`` of the question's words ("…取得了哪些成就" → 第1条), or with a
    sentence left out that holds ``rest_ratio`` of the question's words the best quoted one holds (time-frame
    words aside: "哪些荣誉称号" → the other 获评 sentences)."""
    quoted = {x.ref for x in chosen}
    shown_text = {(x.ref, x.text) for x in chosen}
    out = list(more)
    for h in hits:
        if h.ref not in quoted or h.ref in out:
            continue
        rest = [x for x in spans.sentences(h.ref) if not x.is_title and (x.ref, x.text) not in shown_text]
        titled = weights.share(set(content_tokens(h.title))) >= min_share
        best = max(weights.share(x.words, skip=FRAME_TOKENS) for x in chosen if x.ref == h.ref)
        if rest and (titled or any(weights.share(x.words, skip=FRAME_TOKENS) >= rest_ratio * best > 0 for x in rest)):
            out.append(h.ref)
    return [r for r in out if r in quoted]
