"""Stage 1: the question as the pipeline understands it.

Cleans the raw text (control characters, terminal escapes, whitespace), rejects what
cannot be a question with a Chinese message that says what to do, trims the
conversation history to the prompt budget, and marks follow-ups ("那段店镇呢?") so
later stages read them together with the previous question.  No retrieval, no model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.retrieve import Turn, is_followup
from app.text import normalize

_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_LATIN = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u3400-\u9fff]")


# where one typed line holds two questions: a question mark, or "另外 / 还有 / 又" starting the second
ASKED_APART = re.compile(
    r"[?？;；!！]|另外|同时|还有|(?<=[,，])又|\band (?=(?:what|which|how|where|when|who|is|are|does|do|did|will)\b)"
)
ASKS_ITSELF = re.compile(r"哪|什么|怎么|如何|吗|多少|几[个项类种条]|么子|\b(?:what|which|how|where|when|who)\b")


# A time frame put forward as a premise, to be confirmed or built on ("…是华容“十四五”要争取的吧?", "十三五期间就已经
# 建成了,当时是怎么做到的?", "already opened during the 13th FYP, right?"): whichever frame the plan says it in answers,
# its label correcting a wrong premise.
PREMISE = re.compile(
    r"对吧|是吧|对不对|是不是|是这样吗|没错吧|吧[?？]|吧$|就已经|早就|已经.{0,16}了[,，?？]|真的假的|是真的吗|真的吗|"
    r"\bright\?|\bisn'?t it\b|\bcorrect\?|\bis (?:that|this|it) (?:right|true|correct)\b|\balready\b"
)


def asked_apart(question: str) -> list[str]:
    """The questions one typed line holds ("…突破了多少?“十四五”又打算…" → two)."""
    return [x for x in ASKED_APART.split(normalize(question)) if x and x.strip(" ,，")]


@dataclass(frozen=True)
class Query:
    text: str  # the cleaned question (an ordinal of a follow-up replaced by the item it points at)
    history: tuple[Turn, ...]
    previous: str = ""  # the previous user question, when this one is a follow-up
    asked: str = ""  # the question as typed, when ``text`` differs from it
    listed: tuple[str, ...] = ()  # the previous answer's list, when an ordinal pointed into it

    @property
    def topic(self) -> str:
        """What to search the plan for: the question, with the previous one for a follow-up."""
        return f"{self.previous} {self.text}" if self.previous else self.text

    @property
    def english(self) -> bool:
        return len(_LATIN.findall(self.text)) > 2 * len(_CJK.findall(self.text))


def clean_question(raw: str, limit: int) -> tuple[str, str]:
    """(question, error message): control characters removed, whitespace collapsed."""
    q = _ESCAPES.sub("", raw[: limit * 4])  # cut first: nothing below runs on unbounded input
    q = "".join(ch for ch in q if ch in "\n\t" or (ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF))
    q = re.sub(r"\s+", " ", q).strip()
    if not q:
        return "", "请输入问题。例如：“以后老百姓看病会不会更方便？”"
    if len(q) > limit:
        return "", f"问题太长了（{len(q)} 字），请精简到 {limit} 字以内。"
    if not re.search(r"[\u3400-\u9fff]|[A-Za-z]{2,}", q):
        return "", "没有看懂这个问题，请用文字描述您想了解的内容。"
    return q, ""


def trim_history(history: Sequence[Turn], turns: int, chars: int) -> tuple[Turn, ...]:
    """The last ``turns`` non-empty turns, each cut to ``chars`` characters."""
    kept = [Turn(t.role, t.content[:chars]) for t in list(history)[-turns:] if t.content.strip()]
    return tuple(kept)


# "第三个", "最后一项", "the second one": an item of the list the previous answer gave.  "第3条" and "第二部分"
# name the plan's own units and are not ordinals of a list.
_ORDINAL_ZH = re.compile(r"第([一二三四五六七八九十])(?:个|项|点|种|类|样|方面|大)|最后(?:一个|一项|那个|一点|一种)")
_ORDINAL_EN = re.compile(
    r"\b(?:the )?(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last)"
    r"(?: one| item| point| principle| goal| zone| town| area| thing)?\b",
    re.IGNORECASE,
)
_NUMBERS_ZH = "一二三四五六七八九十"
_NUMBERS_EN = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def list_items(text: str) -> list[str]:
    """The items of the longest list in an answer: dash headings ("——坚持系统观念。"), a 、-list, or an
    English list ("A, B and C")."""
    heads = [h.strip() for h in re.findall(r"——([^。“”\n]{2,30})", text)]
    if len(heads) >= 2:
        return heads
    best: list[str] = []
    if len(_LATIN.findall(text)) > 2 * len(_CJK.findall(text)):
        for sentence in re.split(r"[.;:\n]", text):
            items = [x.strip() for x in re.split(r",\s*(?:and\s+)?|\s+and\s+", sentence) if x.strip()]
            if len(items) > len(best):
                best = items
        return best if len(best) >= 2 else []
    for piece in re.split(r"[，,；;。：:\n“”\"]", text):
        items = [x.strip() for x in re.split(r"、|和|及", piece) if x.strip()]
        if len(items) > len(best):
            best = items
    return best if len(best) >= 2 else []


def resolve_ordinal(text: str, history: Sequence[Turn]) -> tuple[str, tuple[str, ...]]:
    """The question with an ordinal ("那第三个呢") replaced by the item of the previous answer's list it points
    at, and that list; or the question unchanged and ()."""
    answer = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    items = list_items(answer) if answer else []
    if not items:
        return text, ()
    m = _ORDINAL_ZH.search(text)
    if m:
        index = len(items) - 1 if m.group(1) is None else _NUMBERS_ZH.index(m.group(1))
    else:
        m = _ORDINAL_EN.search(text)
        if not m:
            return text, ()
        word = m.group(1).lower()
        index = len(items) - 1 if word == "last" else _NUMBERS_EN.index(word)
    if index >= len(items):
        return text, ()
    return text[: m.start()] + items[index] + text[m.end() :], tuple(items)


def make_query(text: str, history: Sequence[Turn]) -> Query:
    previous = next((t.content for t in reversed(history) if t.role == "user"), "")
    resolved, items = resolve_ordinal(text, history)
    follow = bool(previous) and (is_followup(text) or resolved != text)
    return Query(resolved, tuple(history), previous if follow else "", text if resolved != text else "", items)
