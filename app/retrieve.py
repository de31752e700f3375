"""Hybrid retrieval over the plan: exact references, dense vectors and BM25, fused.

``Retriever.search`` returns ranked :class:`Hit` s at the *unit* level (article,
glossary term or part preamble), each carrying its best-matching passage.

Order of evidence:
1. exact references in the question ("第8条", "第二部分", "名词解释第5条", "Article 8")
   put those units first (a part brings its articles after it);
2. a glossary term named in a definitional question ("什么是月光经济?") comes first;
3. everything else is ranked by a weighted sum of three min-max-normalised views:
   dense cosine of the chunk, BM25 (CJK bigrams) of the chunk, and dense cosine of the
   unit's best-matching single sentence (articles only); a unit scores as its best
   chunk.  A part's heading and preamble are ranked only when they match best of all
   ("加快建设田园新华容要对标哪里的先进经验?"); otherwise parts come by reference.  Weights
   were measured on ``tests/data/gold.jsonl`` and checked on the held-out set (see
   docs/retrieval.md).

Follow-up questions ("那段店镇呢?") are searched together with the previous user turn.
This module does not decide whether a question is in scope (``app.scope``) or answer.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import bm25s
import numpy as np

from app.chunking import Chunk
from app.corpus import Plan, load_plan
from app.embed import Embedder, make_embedder
from app.index import Index, load_index
from app.refs import Kind, Ref, find_refs
from app.settings import Settings
from app.text import normalize, tokens

logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import and logs every index build
DEFAULT_EXPANSIONS = Path(__file__).resolve().parent.parent / "corpus" / "query_expansions.tsv"

Via = Literal["reference", "term", "ranked"]
_DEFINITION_CUES = (
    "什么是",
    "是什么",
    "什么意思",
    "啥意思",
    "含义",
    "意思",
    "指什么",
    "解释",
    "定义",
    "是啥",
    "什么东西",
    "啥东西",
    "是个什么",
    "指的是",
    "怎么理解",
    "界定",
    "是么子",
    "么子意思",
    "么回事",
    "怎么回事",
    "标准",
    "区别",
    "what is",
    "what's",
    "meaning",
    "define",
    "mean",
    "stand for",
    "stands for",
)
# a follow-up asking what the thing just named is ("它具体指什么?", "是哪五张?", "what does it mean?")
_WHAT_IT_IS = re.compile(
    r"指什么|指的是|什么意思|啥意思|是什么|是啥|什么东西|定义|含义|怎么理解|是哪[一二三四五六七八九十两几]|"
    r"\bwhat does (?:it|that|this) mean\b|\bwhat (?:is|are) (?:it|that|this|they|those)\b|\bdefin"
)
_FOLLOWUP_CUES = ("那", "还有", "另外", "再", "what about", "and ", "how about")
_PRONOUNS = ("它", "这个", "那个", "这些", "那些", "他们", "其中", "该项", " it ", " they ", " this ")


@dataclass(frozen=True)
class Hit:
    ref: Ref
    part: int
    title: str
    text: str  # the best-matching passage of the unit
    score: float
    start: int = 0
    end: int = 0
    via: Via = "ranked"

    @property
    def kind(self) -> Kind:
        return self.ref.kind

    @property
    def number(self) -> int:
        return self.ref.number

    def to_dict(self) -> dict[str, object]:
        """The public ``search --json`` hit shape."""
        return {
            "ref": str(self.ref),
            "kind": self.ref.kind,
            "number": self.ref.number,
            "part": self.part,
            "title": self.title,
            "text": self.text,
            "score": round(float(self.score), 4),
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "assistant"]
    content: str


def _term_key(term: str) -> str:
    return normalize(re.sub(r"[“”\"'‘’]", "", term))


def _minmax(x: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] over the finite entries (NaN stays NaN)."""
    lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
    return (x - lo) / ((hi - lo) or 1.0)


def _scale(x: np.ndarray) -> np.ndarray:
    """Divide by the maximum (BM25 is 0 for no match; keep 0 as 0)."""
    top = float(x.max())
    return x / top if top > 0 else x


def is_followup(question: str) -> bool:
    """Does the question lean on the previous turn ("那段店镇呢?", "怎么推进它")?"""
    q = normalize(question).strip()
    return (
        len(q) <= 8
        or q.startswith(_FOLLOWUP_CUES)
        or any(p in q for p in _PRONOUNS)
        or q.rstrip("?。 !").endswith("呢")
    )


def load_expansions(path: Path = DEFAULT_EXPANSIONS) -> list[tuple[re.Pattern[str], list[str]]]:
    """The query expansion lexicon: (trigger pattern, plan words) pairs."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        trigger, _, words = line.partition("\t")
        trigger = normalize(trigger.strip())
        # English words match whole words, also when glued to Chinese ("华容gdp每年").
        pattern = rf"(?<![a-z0-9]){re.escape(trigger)}(?![a-z0-9])" if trigger.isascii() else re.escape(trigger)
        out.append((re.compile(pattern), words.split()))
    return out


class Retriever:
    """Searches one loaded index.  Thread-safe for concurrent reads."""

    def __init__(
        self,
        plan: Plan,
        index: Index,
        embedder: Embedder,
        dense_weight: float = 0.6,
        sentence_weight: float = 0.2,
        expansions: list[tuple[re.Pattern[str], list[str]]] | None = None,
    ) -> None:
        self.plan = plan
        self.expansions = load_expansions() if expansions is None else expansions
        self.index = index
        self.embedder = embedder
        self.dense_weight = dense_weight
        self.sentence_weight = sentence_weight
        self.chunks: tuple[Chunk, ...] = index.chunks
        # Sentence view: unit of each sentence, and each chunk's position in the unit list.
        units = sorted({s.ref for s in index.sentences}, key=lambda r: (r.kind, r.number))
        slot = {ref: i for i, ref in enumerate(units)}
        self._sentence_unit = np.array([slot[s.ref] for s in index.sentences], dtype=np.int64)
        self._chunk_slot = np.array([slot.get(c.ref, -1) for c in self.chunks], dtype=np.int64)
        self._n_units = len(units)
        self._bm25 = bm25s.BM25()
        chunk_tokens = [tokens(c.embed_text) for c in self.chunks]
        self._bm25.index(chunk_tokens, show_progress=False)
        self._df: dict[str, int] = {}
        for toks in chunk_tokens:
            for t in set(toks):
                self._df[t] = self._df.get(t, 0) + 1
        self._vocab = set(self._df)
        aliases = [(_term_key(g.term), g.ref) for g in plan.glossary]
        aliases += [(_term_key(q), g.ref) for g in plan.glossary for q in re.findall(r"“([^”]{3,})”", g.term)]
        self._terms = sorted(set(aliases), key=lambda t: (-len(t[0]), t[0], str(t[1])))
        self._query_cache: dict[str, np.ndarray] = {}
        self._cache_lock = threading.Lock()

    # -- scoring -----------------------------------------------------------------
    def embed_query(self, text: str) -> np.ndarray:
        """The query's vector, cached: retrieval and span choice embed the same text once."""
        with self._cache_lock:
            cached = self._query_cache.get(text)
        if cached is not None:
            return cached
        vec = self.embedder.embed_queries([text])
        with self._cache_lock:
            self._query_cache[text] = vec
            while len(self._query_cache) > 512:
                self._query_cache.pop(next(iter(self._query_cache)))
        return vec

    def sentence_similarity(self, text: str) -> dict[tuple[Ref, str], float]:
        """Cosine of the query with every article sentence, keyed by (unit, stripped sentence text)."""
        if not len(self.index.sentences):
            return {}
        scores, ids = self.index.sentence_vectors.search(self.embed_query(text), len(self.index.sentences))
        return {
            (self.index.sentences[i].ref, self.index.sentences[i].text.strip()): float(v)
            for v, i in zip(scores[0], ids[0], strict=True)
        }

    def _dense(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cosine of every chunk, and of every chunk's unit by its best sentence (NaN: no sentences)."""
        scores, ids = self.index.vectors.search(q, len(self.chunks))
        chunk = np.zeros(len(self.chunks), dtype=np.float32)
        chunk[ids[0]] = scores[0]
        unit_best = np.full(self._n_units, -np.inf, dtype=np.float32)
        if self._n_units:
            s_scores, s_ids = self.index.sentence_vectors.search(q, len(self._sentence_unit))
            np.maximum.at(unit_best, self._sentence_unit[s_ids[0]], s_scores[0])
        by_chunk = np.full(len(self.chunks), np.nan, dtype=np.float32)
        has = self._chunk_slot >= 0
        by_chunk[has] = unit_best[self._chunk_slot[has]]
        return chunk, by_chunk

    def idf(self, token: str) -> float:
        """Inverse chunk frequency of a lexical token (0 for tokens the plan never uses)."""
        df = self._df.get(token, 0)
        return math.log((len(self.chunks) + 1) / (df + 0.5)) if df else 0.0

    def expansion_words(self, text: str) -> list[str]:
        """Plan words for everyday or English words in ``text`` (the reviewed lexicon)."""
        q = normalize(text)
        forms = (q, q.replace("-", " ")) if "-" in q else (q,)  # "civilized-city gains": the civilized city
        found: list[tuple[int, int, int, tuple[str, ...]]] = []
        for pattern, words in self.expansions:
            for form, f in enumerate(forms):
                if m := pattern.search(f):
                    found.append((form, m.start(), m.end(), tuple(words)))
                    break
        # the longest phrase speaks for its words: "five golden flowers" is 五朵金花, not also the flower festivals
        return [
            w
            for form, a, b, words in found
            if not any(f == form and x <= a and b <= y and (x, y) != (a, b) for f, x, y, _ in found)
            for w in words
        ]

    def expand(self, text: str) -> list[str]:
        """Plan-vocabulary tokens for everyday or English words in ``text``."""
        return [t for w in self.expansion_words(text) for t in tokens(w)]

    def lexical_scores(self, query_tokens: list[str]) -> np.ndarray:
        known = [t for t in query_tokens if t in self._vocab]
        if not known:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def chunk_scores(self, question: str, history: Sequence[Turn] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(fused, dense, lexical) scores of every chunk for a question in context."""
        fused, dense, lexical = self._fuse(question)
        prev = next((t.content for t in reversed(history) if t.role == "user"), "")
        if prev and is_followup(question):
            # The follow-up names what changed; the previous question names the topic.
            context, _, _ = self._fuse(f"{prev} {question}")
            fused = 0.5 * fused + 0.5 * context
        return fused, dense, lexical

    def _fuse(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dense, sentence = self._dense(self.embed_query(text))
        lexical = self.lexical_scores(tokens(text, query=True) + self.expand(text))
        fused = self.dense_weight * _minmax(dense) + (1.0 - self.dense_weight) * _scale(lexical)
        if self.sentence_weight and not np.isnan(sentence).all():
            # Units without a sentence view (glossary, parts) get nothing from it.  Rescaled so that
            # scores stay in [0, 1]: callers compare them with relative thresholds.
            view = np.nan_to_num(_minmax(sentence), nan=0.0)
            fused = (fused + self.sentence_weight * view) / (1.0 + self.sentence_weight)
        return fused, dense, lexical

    # -- references ----------------------------------------------------------------
    def referenced(self, question: str) -> list[Ref]:
        """Units the question names explicitly, in order, parts followed by their articles."""
        out: list[Ref] = []
        for m in find_refs(question):
            if not self.plan.exists(m.ref) or m.ref in out:
                continue
            out.append(m.ref)
            if m.ref.kind == "part":
                out += [a.ref for a in self.plan.articles if a.part == m.ref.number and a.ref not in out]
        return out

    def named_terms(self, question: str) -> list[Ref]:
        """Glossary terms the question names, in the order it names them."""
        q = _term_key(question)
        found: dict[Ref, int] = {}
        for key, ref in self._terms:
            if key and key in q and ref not in found:
                found[ref] = q.index(key)
        return sorted(found, key=lambda r: found[r])

    # -- search ------------------------------------------------------------------
    def search(self, question: str, k: int = 5, history: Sequence[Turn] = ()) -> list[Hit]:
        fused, _, _ = self.chunk_scores(question, history)
        best: dict[Ref, tuple[float, Chunk]] = {}
        for chunk, score in zip(self.chunks, fused, strict=True):
            if chunk.ref not in best or score > best[chunk.ref][0]:
                best[chunk.ref] = (float(score), chunk)

        q = normalize(question)
        terms = self.named_terms(question + " " + " ".join(self.expansion_words(question)))
        definitional = any(cue in q for cue in _DEFINITION_CUES) or len(q) <= 12
        if not terms and history and is_followup(question) and _WHAT_IT_IS.search(q):
            # "它具体指什么?" after a turn naming a glossary term: the term the previous turn named
            prev = [t.content for t in reversed(history)]
            terms = next((found for text in prev[:2] if (found := self.named_terms(text))), [])[:1]
        forced: list[tuple[Ref, Via]] = [(r, "reference") for r in self.referenced(question)]
        for ref in terms:
            if definitional:
                forced.append((ref, "term"))
            elif ref in best:  # named but not asked to define: a boost, not a promise
                s, c = best[ref]
                best[ref] = (s + 0.3, c)

        hits: list[Hit] = []
        seen: set[Ref] = set()
        for ref, via in forced:
            if ref in seen or ref not in best:
                continue
            seen.add(ref)
            hits.append(self._hit(ref, best[ref][1], 1.0, via))
        ranked = sorted(best.items(), key=lambda kv: -kv[1][0])
        for ref, (score, chunk) in ranked:
            if len(hits) >= k:
                break
            if ref in seen or (ref.kind == "part" and (hits or ref != ranked[0][0])):
                continue  # a part's preamble only when it matches best; else when asked for by reference
            seen.add(ref)
            hits.append(self._hit(ref, chunk, score, "ranked"))
        return hits[:k]

    def _hit(self, ref: Ref, chunk: Chunk, score: float, via: Via) -> Hit:
        if via != "ranked":  # asked for by name: the whole unit
            text, start, end = self.plan.unit_text(ref), 0, len(self.plan.unit_text(ref))
        else:
            text, start, end = chunk.text, chunk.start, chunk.end
        return Hit(ref, chunk.part, chunk.title, text, min(score, 1.0), start, end, via)


def open_retriever(settings: Settings, log: Callable[[str], None] | None = None) -> Retriever:
    """Plan + embedder + (re)built index, ready to search."""
    plan = load_plan(settings.corpus_path)
    embedder = make_embedder(settings)
    index = load_index(plan, embedder, settings, log)
    return Retriever(plan, index, embedder, settings.dense_weight, settings.sentence_weight)
