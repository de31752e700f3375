"""Check every sentence of a model answer against the passages it was given.

For each sentence: parse its citations; remove citations to units that do not exist
or were not in the context (and count them); measure how much of the sentence the
cited passage supports (content-bigram coverage); re-attribute the citation to the
passage that supports it best when the cited one does not; require every number,
quoted phrase and Latin word of the sentence to occur in its supporting passage;
and drop the sentence when nothing supports it.  Code, not the model, decides what
is shown as fact.

It does not generate or retrieve.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.refs import Ref, find_refs
from app.text import normalize, tokens

SUPPORT_MIN = 0.5  # share of a sentence's content bigrams found in its source
MIN_CLAIM_BIGRAMS = 4  # fewer content bigrams than this is too little to verify as a claim
_HARD = re.compile(r"\d+(?:\.\d+)?%?|“[^”]{2,}”|[a-z]{2,}")
_BRACKETED = re.compile(
    r"\s*[\[【(（]\s*(?:第\s*\d+\s*条|名词解释\s*\d+|第[一二三四五六七八九]部分)[^\]】)）]{0,30}[\]】)）]"
)
_LEADING_MARKERS = re.compile(r"(?:\s*[\[【(（][^\]】)）\[【]{1,40}[\]】)）])+[。；;]?")
_FILLER = set("的了是在和与及或等也都并将要把对从为这那其之以而且就")
_LIST_MARK = re.compile(r"^\s*(?:[(（]?\d{1,2}[)）.、]|[一二三四五六七八九十][、.]|[-*•·])\s*")
_ECHO = ("原文片段", "问题：", "问题:", "上一轮问题")
_NO_INFO = ("《建议》中没有提到", "没有提到", "根据《建议》", "根据原文", "综上")


@dataclass(frozen=True)
class CheckedSentence:
    text: str  # without citation markers
    refs: tuple[Ref, ...]
    support: float
    kept: bool
    reason: str = ""


@dataclass
class Verification:
    sentences: list[CheckedSentence] = field(default_factory=list)
    removed_citations: list[dict[str, object]] = field(default_factory=list)

    @property
    def kept(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if s.kept]

    @property
    def dropped(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if not s.kept]

    @property
    def citations(self) -> list[Ref]:
        out: list[Ref] = []
        for s in self.kept:
            out += [r for r in s.refs if r not in out]
        return out

    def render(self) -> str:
        shown = [s for i, s in enumerate(self.kept) if s.reason != "lead" or any(k.refs for k in self.kept[i + 1 :])]
        out = ""
        for s in shown:
            piece = f"{s.text}{''.join(f'[{r}]' for r in s.refs)}"
            out += ("\n" if s.reason == "lead" and out else "") + piece + ("\n" if s.reason == "lead" else "")
        return out


def content_bigrams(text: str) -> set[str]:
    return {t for t in tokens(text) if len(t) == 2 and not (t[0] in _FILLER or t[1] in _FILLER)} or set(tokens(text))


def support(sentence: str, source: str) -> float:
    """Share of the sentence's content bigrams that occur in ``source``."""
    grams = content_bigrams(sentence)
    if not grams:
        return 0.0
    src = set(tokens(source))
    return sum(1 for g in grams if g in src) / len(grams)


def hard_facts_ok(sentence: str, source: str) -> bool:
    """Every number, quoted phrase and Latin word of the sentence occurs in the source."""
    src = normalize(source).replace(" ", "")
    for m in _HARD.finditer(normalize(sentence)):
        fact = m.group().strip("“”").replace(" ", "")
        if fact and fact not in src:
            return False
    return True


_ITEM_AFFIX = re.compile(r"^(?:要|将|还要|加快|推进|建设|打造|发展|实施|推动|大力|积极|以及|和|及)+|(?:等.*|建设)$")


def _longest_common_run(a: str, b: str) -> int:
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


def prune_list(sentence: str, source: str) -> str | None:
    """Check each item of a 、-separated list against the source; drop invented items.

    Bigram support cannot see a blend such as "冷链物流基地二期" made from two real names,
    so each list item must occur in the source almost verbatim.  Returns the sentence
    without the items that do not, or None when most items fail.
    """
    clauses = re.split(r"([,，;；:：])", sentence)
    out, kept_total, dropped_total = [], 0, 0
    src = normalize(source)
    for clause in clauses:
        items = clause.split("、")
        if len(items) < 3:
            out.append(clause)
            continue
        kept = []
        lead = re.match(r"^(?:.*?(?:建设|打造|发展|推进|包括|有|是))", items[0])
        for n, item in enumerate(items):
            probe = item[lead.end() :] if n == 0 and lead and lead.end() < len(item) else item
            core = _ITEM_AFFIX.sub("", normalize(probe).strip("“”\"' "))
            if len(core) < 3 or core in src or _longest_common_run(core, src) >= len(core) - 1:
                kept.append(item)
            else:
                dropped_total += 1
        kept_total += len(kept)
        if kept and kept[0] is not items[0] and lead:  # keep the clause's lead-in ("要建设") with the first item
            kept[0] = lead.group() + _ITEM_AFFIX.sub("", kept[0])
        out.append("、".join(kept))
    if dropped_total and dropped_total >= kept_total:
        return None
    return "".join(out)


def split_sentences(text: str) -> list[str]:
    """Sentences with their trailing citation markers kept attached."""
    parts = re.split(r"(?<=[。！？!?；;\n])", text)
    out: list[str] = []
    for p in parts:
        lead = _LEADING_MARKERS.match(p)
        if out and lead and lead.end() > 0:  # citations that followed the full stop belong to that sentence
            out[-1] += p[: lead.end()]
            p = p[lead.end() :]
        if p.strip():
            out.append(p)
    return out


def strip_markers(sentence: str) -> str:
    s = _BRACKETED.sub("", sentence)
    s = re.sub(r"[\[【]\s*[\]】]", "", s)
    return s.strip()


def verify(
    answer: str, context: Mapping[Ref, str], exists: Mapping[Ref, bool] | None = None, instructions: str = ""
) -> Verification:
    """Check an answer against ``context`` (ref → passage text the model was given).

    ``instructions`` is the system prompt: a sentence repeated from it (and not from the
    plan) is the model echoing its prompt and is dropped, like an echoed passage heading.
    """
    result = Verification()
    for raw in split_sentences(answer):
        cited: list[Ref] = []
        for m in find_refs(raw):
            if m.ref in context:
                if m.ref not in cited:
                    cited.append(m.ref)
                continue
            reason = "not_in_context" if (exists is None or exists.get(m.ref, False)) else "does_not_exist"
            result.removed_citations.append({"ref": str(m.ref), "reason": reason})
        text = strip_markers(raw)
        body = _LIST_MARK.sub("", text)
        # A citation written as prose ("根据第27条，…") stays readable but is checked like a marker.
        if not re.sub(r"[\s。，,；;：:!！?？]", "", text):
            continue
        if any(p in text for p in _ECHO):  # the model echoing its prompt: never shown, not a claim
            continue
        if instructions and text in instructions and not any(text in src for src in context.values()):
            continue
        if any(text.startswith(p) for p in _NO_INFO) and len(content_bigrams(text)) <= 8:
            result.sentences.append(CheckedSentence(text, (), 1.0, not cited, "meta"))
            continue
        if re.search(r"[:：]\s*$", text) and len(text) <= 40 and not cited:  # a lead-in such as "安排如下："
            result.sentences.append(CheckedSentence(text, (), 1.0, True, "lead"))
            continue
        if len(content_bigrams(body)) < MIN_CLAIM_BIGRAMS and hard_facts_ok(body, ""):
            # "有支持。" / "会的。" (no number or name in it): too little to verify, never a cited fact on its own
            result.sentences.append(CheckedSentence(text, (), 0.0, True, "lead"))
            for r in cited:
                result.removed_citations.append({"ref": str(r), "reason": "unsupported"})
            continue
        text_for_check = body
        scored = sorted(((support(body, src), ref) for ref, src in context.items()), key=lambda t: -t[0])
        best_score, best_ref = scored[0] if scored else (0.0, None)
        chosen = [
            r for r in cited if support(text_for_check, context[r]) >= SUPPORT_MIN and hard_facts_ok(body, context[r])
        ]
        if chosen:
            pruned = prune_list(text, "".join(context[r] for r in chosen))
            if pruned is not None:
                score = max(support(body, context[r]) for r in chosen)
                result.sentences.append(CheckedSentence(pruned, tuple(chosen), score, True))
                continue
        if best_ref is not None and best_score >= SUPPORT_MIN and hard_facts_ok(body, context[best_ref]):
            pruned = prune_list(text, context[best_ref])
            if pruned is not None:
                for r in cited:  # the model cited the wrong unit: replace, and say so
                    if r != best_ref:
                        result.removed_citations.append({"ref": str(r), "reason": "unsupported"})
                reason = "reattributed" if best_ref not in cited else ""
                result.sentences.append(CheckedSentence(pruned, (best_ref,), best_score, True, reason))
                continue
        for r in cited:
            result.removed_citations.append({"ref": str(r), "reason": "unsupported"})
        result.sentences.append(CheckedSentence(text, (), best_score, False, "unsupported"))
    return result
