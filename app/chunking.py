"""Cut the parsed plan into retrieval chunks.

Every chunk stays inside one unit: an article, a glossary term (always one chunk)
or a part preamble.  Articles are split with langchain's recursive splitter on
Chinese sentence and clause separators; each chunk records its character offsets
into the unit text and the heading it is embedded with ("第8条 大力发展数字经济：…").

``sentence_chunks`` gives a second, finer view of the articles — one piece per
sentence (。！？；), embedded with the same heading — so that a question about one
concrete measure can match the sentence that states it rather than a 300-character
mix of measures (see docs/retrieval.md for what it changed).

It does not embed or rank; see ``app.index`` and ``app.retrieve``.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from app.corpus import Plan
from app.refs import Kind, Ref
from app.text import sentences

# Strongest boundary first; the source mixes full-width and ASCII punctuation.
SEPARATORS = ["\n", "。", "！", "？", "!", "?", "；", ";", "，", ",", "、", ""]
CHUNKER_VERSION = 1
SENTENCE_VERSION = 1  # bump when the sentence split (here or in app.text.sentences) changes
MIN_SENTENCE_CHARS = 4  # shorter pieces (stray punctuation, "等。") carry no topic


@dataclass(frozen=True)
class Chunk:
    id: int
    kind: Kind
    number: int
    part: int
    title: str
    text: str
    start: int  # offset of ``text`` in the unit's full text
    end: int

    @property
    def ref(self) -> Ref:
        return Ref(self.kind, self.number)

    @property
    def heading(self) -> str:
        return f"{self.ref} {self.title}:"

    @property
    def embed_text(self) -> str:
        if self.text.startswith(self.title):
            return f"{self.ref} {self.text}"
        return f"{self.heading}{self.text}"

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "number": self.number,
            "part": self.part,
            "title": self.title,
            "text": self.text,
            "start": self.start,
            "end": self.end,
        }

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> Chunk:
        return cls(
            id=int(d["id"]),  # type: ignore[call-overload]
            kind=d["kind"],  # type: ignore[arg-type]
            number=int(d["number"]),  # type: ignore[call-overload]
            part=int(d["part"]),  # type: ignore[call-overload]
            title=str(d["title"]),
            text=str(d["text"]),
            start=int(d["start"]),  # type: ignore[call-overload]
            end=int(d["end"]),  # type: ignore[call-overload]
        )


def _split(text: str, size: int, overlap: int) -> list[tuple[int, str]]:
    if len(text) <= size:
        return [(0, text)]
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=min(overlap, size // 2),
        separators=SEPARATORS,
        keep_separator="end",
        add_start_index=True,
    )
    docs = splitter.create_documents([text])
    return [(int(d.metadata["start_index"]), d.page_content) for d in docs]


def chunk_plan(plan: Plan, size: int, overlap: int) -> list[Chunk]:
    """All chunks of the plan, in document order, with stable ids."""
    out: list[Chunk] = []

    def add(kind: Kind, number: int, part: int, title: str, text: str, start: int) -> None:
        out.append(Chunk(len(out), kind, number, part, title, text, start, start + len(text)))

    if plan.preamble:
        add("part", 0, 0, "序言", plan.preamble, 0)
    for p in plan.parts:
        add("part", p.number, p.number, p.title, plan.unit_text(p.ref), 0)
        for a in plan.articles:
            if a.part != p.number:
                continue
            for start, piece in _split(a.text, size, overlap):
                if a.text[start : start + len(piece)] != piece:  # the splitter must not rewrite text
                    start = a.text.find(piece)
                add("article", a.number, a.part, a.title, piece, start)
    for g in plan.glossary:
        add("glossary", g.number, 0, g.term, g.text, 0)
    return out


def sentence_chunks(plan: Plan) -> list[Chunk]:
    """One chunk per sentence of every article, in document order (ids restart at 0).

    Glossary terms and part preambles are left out: a term is already one short chunk,
    and preambles are only returned when asked for by reference.
    """
    out: list[Chunk] = []
    for a in plan.articles:
        for start, end in sentences(a.text):
            piece = a.text[start:end]
            if len(piece.strip()) < MIN_SENTENCE_CHARS:
                continue
            out.append(Chunk(len(out), "article", a.number, a.part, a.title, piece, start, end))
    return out
