"""Decide, on the code side, whether the plan can answer a question.

The model never decides scope: small models refuse good questions and answer bad
ones.  A question is out of scope when it asks for something the 《建议》 by its
nature cannot contain — a person's name, the weather, prices, recommendations,
creative writing, chit-chat, another region's plan, a year the plan never
mentions — or when it tries to change the assistant's instructions.  Questions that
name an article or glossary term are always in scope.  Everything else goes on to
retrieval-grounded answering, where unsupported sentences are dropped.

``asks_for_figure`` spots questions after an amount or a date ("增长百分之几", "投资多少亿",
"哪一年通车"): the plan states very few figures, so ``app.answering`` checks whether the
closest sentences hold one and otherwise says plainly that no figure is given, instead
of letting a quote stand in for a number.

This module only classifies; ``app.answering`` writes the refusal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from app.corpus import Plan
from app.text import normalize

FigureKind = Literal["percent", "money", "count", "date"]

_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "instructions",
        re.compile(
            r"忽略|无视|忘记|忘掉|系统提示|提示词|开发者模式|越狱|扮演|角色扮演|你的(?:设定|配置|指令)|"
            r"ignore (?:all |any |the )?(?:previous|prior|above)|system prompt|jailbreak|developer mode|pretend to be"
        ),
    ),
    (
        "person",
        re.compile(
            r"(?:区长|书记|县长|市长|省长|主任|局长|领导|负责人|主席)(?:是谁|叫什么|姓什么|是哪位|名字)|谁是.*(?:区长|书记|市长)|"
            r"who is (?:the )?(?:current )?(?:mayor|party secretary|secretary|head|leader|governor)"
        ),
    ),
    ("weather", re.compile(r"天气|下雨|下雪|气温|温度多少|刮风|weather|forecast|rain tomorrow")),
    ("price", re.compile(r"房价|多少钱一|价格多少|票价|股价|油价|彩票|house price|how much does .* cost")),
    ("recommendation", re.compile(r"推荐.*(?:餐馆|饭店|酒店|美食|小吃|好吃)|好吃的|哪家.*好|restaurant|hotel near")),
    (
        "creative",
        re.compile(
            r"(?:写|作|创作|编)[^。?？,，]{0,12}(?:诗|歌词|小说|故事|笑话|作文|对联|绝句|律诗|散文|代码|程序)|"
            r"讲个笑话|编一个|七言|五言|write (?:me )?(?:a |an )?(?:poem|song|story|joke|essay|code)|tell me a joke"
        ),
    ),
    ("chitchat", re.compile(r"陪我聊|聊聊天|心情不好|心情好差|你好吗|你是谁|你叫什么|你几岁|how are you|who are you")),
    ("medical_service", re.compile(r"预约.*(?:疫苗|挂号|接种)|挂号|核酸")),
]
_OTHER_REGION = re.compile(
    r"(武汉|黄石|黄冈|孝感|咸宁|宜昌|襄阳|荆州|十堰|随州|荆门|恩施|仙桃|天门|潜江|鄂州|湖北|北京|上海|广州|深圳|"
    r"梁子湖|鄂城|东湖高新|长沙|南京|杭州|全国|中国)(?:市|省|区|县)"
)
_YEAR = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")
# What kind of amount a question asks for; checked in this order.
_ASKS: list[tuple[FigureKind, re.Pattern[str]]] = [
    (
        "percent",
        re.compile(
            r"百分之几|百分之多少|几个百分点|多少个百分点|(?:增长率|增速|比例|占比|比重)(?:是|有|能到|要到|达到)?多少|"
            r"\bwhat (?:percentage|percent)\b|\bgrowth rate\b|\bhow many percent"
        ),
    ),
    (
        "money",
        re.compile(
            r"(?:投资|投入|花|拨|补贴|补助|奖励|造价|预算|经费)(?:了|费|款)?(?:是|有|要|需要)?多少|多少(?:亿|万|元|钱|块|资金)|"
            r"几(?:亿|千万|百万|十万|万)|\bhow much (?:money|funding|investment)\b|"
            r"\bhow much\b(?= (?:will|does|did|would|is)\b.{0,60}\bcost)|\bwhat(?:'s| is) the budget\b"
        ),
    ),
    (
        "date",
        re.compile(
            r"哪一年|哪年|几几年|哪个月|几月份|具体(?:的|什么)?(?:时间|日期|年份)|"
            r"(?:什么时候|啥时候|何时|几时)(?:能|会|可以|才|就|正式|开始)?(?:通|建|修|完工|开工|开业|开通|竣工|投用|投入|运营|落地|动工|完成|实现)|"
            r"\bwhat year\b|\bwhich year\b|\bwhen will\b(?=.*\b(?:open|opens|finished|completed|built|ready|start|done)\b)"
        ),
    ),
    (
        "count",
        re.compile(
            r"多少(?:公里|千米|米|平方|亩|吨|人|户|套|家|所|座|条|张|辆|床|个|项)|"
            r"(?:达到|突破|增长|增加|提高|提升|减少|下降|有)(?:了|到)?多少|具体(?:数字|数额|金额|指标|数据|数量|额度)|"
            r"\bhow many\b"
        ),
    ),
]


@dataclass(frozen=True)
class Scope:
    in_scope: bool
    reason: str  # "reference", "ok", or the rule that fired
    missing: str = ""  # what the question asks about that the plan does not mention


def decide_scope(
    question: str, plan: Plan, named_units: bool, retriever: Any = None, hits: Sequence[Any] = ()
) -> Scope:
    """Classify a question; ``named_units`` = it names an article/part/glossary term."""
    q = normalize(question)
    for name, pattern in _RULES:
        if pattern.search(q):
            return Scope(False, name)
    if named_units:
        return Scope(True, "reference")
    if _OTHER_REGION.search(q) and "华容" not in q:
        return Scope(False, "other_region")
    for year in _YEAR.findall(q):
        if year not in plan.body:
            return Scope(False, "year_not_in_plan")
    return Scope(True, "ok")


def asks_for_figure(question: str) -> FigureKind | None:
    """The kind of figure the question asks for (a percentage, a sum, a count, a date), if any."""
    q = normalize(question)
    return next((kind for kind, pattern in _ASKS if pattern.search(q)), None)


_AMOUNT_WORDS = re.compile(
    r"[几多]少|[一二三四五六七八九十百千万亿几]*[亿万]元?|[百千]?元|百分之?|百分点|%|percent(?:age)?"
)


def figure_topic(question: str) -> str:
    """The question without its asking-for-an-amount words: what the amount is *of*.

    "三江港物流园要投资多少亿元" → "三江港物流园要", so that a sentence about some other sum of
    money ("地区生产总值突破百亿元") does not look relevant just for sharing "亿元".
    """
    q = normalize(question)
    for _, pattern in _ASKS:
        q = pattern.sub(" ", q)
    return _AMOUNT_WORDS.sub(" ", q)
