"""Parse the plan's source text into a structured :class:`Plan`.

The source is a news-site copy of the proposal: a header (headline, time stamp),
the title block, an introduction, nine parts with 39 numbered articles, and an
appendix of 23 glossary terms, followed by site furniture ("来源…相关阅读").  The
text is messy: part headings 二…九 run straight into their preambles, four of them
sit at the end of the previous article's line, articles 37–39 share one line and so
do glossary terms 6 and 7.  The parser therefore works from a reviewed table of the
nine part titles and finds every numbered marker in strict sequence; anything
unexpected raises :class:`CorpusError` instead of being guessed.

It does not chunk, embed or index anything (see ``app.chunking`` and ``app.index``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from app.refs import Ref, cn_numeral

DEFAULT_SOURCE = Path(__file__).resolve().parent.parent / "corpus" / "source" / "000_99dae11c7e58939d.txt"

# Reviewed against the source by reading it: heading text of each part, without
# the leading "一、" numeral.  The source has no delimiter between these titles and
# the preamble that follows, so the boundary cannot be derived from punctuation.
PART_TITLES: tuple[str, ...] = (
    "全面建成小康社会,高水平开启社会主义现代化建设新征程",
    "加快建设数智新华容,打造湖北数字产业引领区",
    "加快建设枢纽新华容,打造武鄂同城化发展重要节点",
    "加快建设田园新华容,打造江南生态美丽特色城镇标杆",
    "加快建设人文新华容,打造社会主义文化强区",
    "加快建设幸福新华容,打造高品质生活宜居地",
    "全面深化改革开放,激发高质量发展新动能",
    "全面统筹发展和安全,维护社会平安稳定",
    "坚持党的全面领导,奋力实现“十四五”规划和二〇三五年远景目标",
)
# Last article of each part (part 1 holds 1–6, part 2 holds 7–11, …).
PART_LAST_ARTICLE: tuple[int, ...] = (6, 11, 15, 20, 24, 28, 32, 35, 39)
N_ARTICLES = 39
N_GLOSSARY = 23

_BODY_START = "第八届委员会第八次全体会议通过)"
_GLOSSARY_START = "附件名 词 解 释"
_TRAILER_START = "来源:"


class CorpusError(ValueError):
    """The source text does not have the structure the parser was reviewed against."""


@dataclass(frozen=True)
class Part:
    number: int
    title: str
    preamble: str

    @property
    def ref(self) -> Ref:
        return Ref("part", self.number)


@dataclass(frozen=True)
class Article:
    number: int
    part: int
    title: str
    text: str  # the whole article, title sentence included, without the "8." marker

    @property
    def ref(self) -> Ref:
        return Ref("article", self.number)


@dataclass(frozen=True)
class GlossaryTerm:
    number: int
    term: str
    definition: str

    @property
    def ref(self) -> Ref:
        return Ref("glossary", self.number)

    @property
    def text(self) -> str:
        return f"{self.term}:{self.definition}"


@dataclass(frozen=True)
class Plan:
    title: str
    issuer: str
    date: str
    preamble: str
    parts: tuple[Part, ...]
    articles: tuple[Article, ...]
    glossary: tuple[GlossaryTerm, ...]
    sha256: str

    @cached_property
    def body(self) -> str:
        """Preamble and all articles as one string (computed once)."""
        return self.preamble + "".join(a.text for a in self.articles)

    def article(self, number: int) -> Article | None:
        return self.articles[number - 1] if 0 < number <= len(self.articles) else None

    def term(self, number: int) -> GlossaryTerm | None:
        return self.glossary[number - 1] if 0 < number <= len(self.glossary) else None

    def part(self, number: int) -> Part | None:
        return self.parts[number - 1] if 0 < number <= len(self.parts) else None

    def exists(self, ref: Ref) -> bool:
        if ref.kind == "article":
            return self.article(ref.number) is not None
        if ref.kind == "glossary":
            return self.term(ref.number) is not None
        return ref.number == 0 or self.part(ref.number) is not None

    def unit_text(self, ref: Ref) -> str:
        """Full original text of a unit (empty if it does not exist)."""
        if ref.kind == "article":
            a = self.article(ref.number)
            return a.text if a else ""
        if ref.kind == "glossary":
            g = self.term(ref.number)
            return g.text if g else ""
        if ref.number == 0:
            return self.preamble
        p = self.part(ref.number)
        return f"{p.title}。{p.preamble}" if p else ""

    def unit_title(self, ref: Ref) -> str:
        if ref.kind == "article":
            a = self.article(ref.number)
            return a.title if a else ""
        if ref.kind == "glossary":
            g = self.term(ref.number)
            return g.term if g else ""
        if ref.number == 0:
            return "序言"
        p = self.part(ref.number)
        return p.title if p else ""

    def to_dict(self) -> dict[str, object]:
        """The public ``corpus --json`` shape."""
        return {
            "title": self.title,
            "issuer": self.issuer,
            "date": self.date,
            "preamble": self.preamble,
            "parts": [{"number": p.number, "title": p.title, "preamble": p.preamble} for p in self.parts],
            "articles": [{"number": a.number, "part": a.part, "title": a.title, "text": a.text} for a in self.articles],
            "glossary": [{"number": g.number, "term": g.term, "definition": g.definition} for g in self.glossary],
        }


def _section(text: str, start: str, end: str) -> str:
    i = text.find(start)
    j = text.find(end, i + len(start)) if i >= 0 else -1
    if i < 0 or j < 0:
        raise CorpusError(f"source text lacks the section between {start!r} and {end!r}")
    return text[i + len(start) : j]


def _join_lines(block: str) -> str:
    return "\n".join(line.strip() for line in block.splitlines() if line.strip())


def _find_marker(body: str, number: int, start: int) -> int:
    """Position of "N." opening a numbered item at or after ``start``.

    An item opens a line or follows a full stop; "7.5G+" only counts as item 7
    because item 6 precedes it, which the strict sequence guarantees.
    """
    pattern = re.compile(rf"(?:(?<=^)|(?<=\n)|(?<=。)){number}\.")
    m = pattern.search(body, start)
    if not m:
        raise CorpusError(f"numbered item {number}. not found after offset {start}")
    return m.start()


def _split_header(text: str) -> tuple[str, str, str]:
    head = text[: text.find(_BODY_START)]
    lines = [ln.strip() for ln in head.splitlines() if ln.strip()]
    try:
        issuer_i = lines.index("中共华容区委")
    except ValueError as exc:
        raise CorpusError("issuer line 中共华容区委 not found in the header") from exc
    title_lines = []
    for ln in lines[issuer_i + 1 :]:
        if ln.startswith("("):
            break
        title_lines.append(ln)
    date_m = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日", head)
    if not title_lines or not date_m:
        raise CorpusError("title or adoption date not found in the header")
    y, mth, d = (int(g) for g in date_m.groups())
    return "".join(title_lines), "中共华容区委", f"{y:04d}-{mth:02d}-{d:02d}"


def parse_plan(text: str) -> Plan:
    """Parse the full source text into a :class:`Plan`."""
    title, issuer, date = _split_header(text)
    body = _join_lines(_section(text, _BODY_START, _GLOSSARY_START))
    gloss = _join_lines(_section(text, _GLOSSARY_START, _TRAILER_START))

    # Part headings and article markers, in strict document order.
    events: list[tuple[int, int, str]] = []  # (position, marker length, "part"/"article" key)
    cursor = 0
    first_article = 1
    for p, (ptitle, last) in enumerate(zip(PART_TITLES, PART_LAST_ARTICLE, strict=True), start=1):
        heading = f"{cn_numeral(p)}、{ptitle}"
        pos = body.find(heading, cursor)
        if pos < 0 or body.find(heading, pos + 1) >= 0:
            raise CorpusError(f"part heading {heading!r} not found exactly once after offset {cursor}")
        events.append((pos, len(heading), f"part:{p}"))
        cursor = pos + len(heading)
        for n in range(first_article, last + 1):
            pos = _find_marker(body, n, cursor)
            events.append((pos, len(f"{n}."), f"article:{n}"))
            cursor = pos + 1
        first_article = last + 1

    preamble = body[: events[0][0]].strip()
    parts: list[Part] = []
    articles: list[Article] = []
    for i, (pos, mlen, key) in enumerate(events):
        end = events[i + 1][0] if i + 1 < len(events) else len(body)
        content = body[pos + mlen : end].strip()
        kind, num = key.split(":")
        if kind == "part":
            parts.append(Part(int(num), PART_TITLES[int(num) - 1], content))
        else:
            head, sep, _ = content.partition("。")
            if not sep or len(head) > 60:
                raise CorpusError(f"article {num} has no short title sentence")
            articles.append(Article(int(num), len(parts), head, content))

    glossary: list[GlossaryTerm] = []
    positions = []
    cursor = 0
    for n in range(1, N_GLOSSARY + 1):
        pos = _find_marker(gloss, n, cursor)
        positions.append(pos)
        cursor = pos + 1
    for i, pos in enumerate(positions):
        end = positions[i + 1] if i + 1 < len(positions) else len(gloss)
        item = gloss[pos + len(f"{i + 1}.") : end].strip()
        term, sep, definition = item.partition(":")
        if not sep or not term or len(term) > 20:
            raise CorpusError(f"glossary item {i + 1} has no 'term:definition' form: {item[:30]!r}")
        glossary.append(GlossaryTerm(i + 1, term.strip(), definition.strip()))

    if len(articles) != N_ARTICLES or len(glossary) != N_GLOSSARY:
        raise CorpusError(f"expected {N_ARTICLES} articles and {N_GLOSSARY} terms")
    return Plan(
        title=title,
        issuer=issuer,
        date=date,
        preamble=preamble,
        parts=tuple(parts),
        articles=tuple(articles),
        glossary=tuple(glossary),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def load_plan(path: Path | None = None) -> Plan:
    """Read and parse the plan (the committed source by default)."""
    path = path or DEFAULT_SOURCE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CorpusError(f"cannot read the plan source {path}: {exc}. Restore corpus/source/ from git.") from exc
    return parse_plan(text)


def body_text(text: str) -> tuple[str, str]:
    """The plan body and the glossary block of a source text (for lossless checks)."""
    return _section(text, _BODY_START, _GLOSSARY_START), _section(text, _GLOSSARY_START, _TRAILER_START)
