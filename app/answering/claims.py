"""A model's draft, cut into claims, and how much of a claim a plan sentence supports.

Used only to *align* a draft to the plan (``app.answering.refine``): a claim is kept as
a pointer to the plan sentence that supports it best, and only that sentence is ever
shown.  Nothing here decides what a user sees, and nothing here calls a model.
"""

from __future__ import annotations

import re

from app.text import tokens

_FILLER = set("的了是在和与及或等也都并将要把对从为这那其之以而且就")
_BRACKETED = re.compile(
    r"\s*[\[【(（]\s*(?:第\s*\d+\s*条|名词解释\s*\d+|第[一二三四五六七八九]部分)[^\]】)）]{0,30}[\]】)）]"
)
_LEADING_MARKERS = re.compile(r"(?:\s*[\[【(（][^\]】)）\[【]{1,40}[\]】)）])+[。；;]?")


def content_bigrams(text: str) -> set[str]:
    """CJK bigrams without function characters (or all tokens when there are none)."""
    return {t for t in tokens(text) if len(t) == 2 and not (t[0] in _FILLER or t[1] in _FILLER)} or set(tokens(text))


def support(claim: str, source: str) -> float:
    """Share of the claim's content bigrams that occur in ``source``."""
    grams = content_bigrams(claim)
    if not grams:
        return 0.0
    src = set(tokens(source))
    return sum(1 for g in grams if g in src) / len(grams)


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
    """The claim without its citation markers ("[第8条]", "（名词解释20）")."""
    s = _BRACKETED.sub("", sentence)
    s = re.sub(r"[\[【]\s*[\]】]", "", s)
    return s.strip()
