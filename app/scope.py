"""Decide, on the code side, whether the plan can answer a question.

The model never decides scope: small models refuse good questions and answer bad
ones.  A question is out of scope when it asks for something the 《建议》 by its
nature cannot contain — a person's name, the weather, prices, recommendations,
creative writing, chit-chat, another region's plan, a year the plan never
mentions — or when it tries to change the assistant's instructions.  Questions that
name an article or glossary term are always in scope.  Everything else goes on to
retrieval-grounded answering, where unsupported sentences are dropped.

This module only classifies; ``app.answer`` writes the refusal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.corpus import Plan
from app.text import normalize

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


@dataclass(frozen=True)
class Scope:
    in_scope: bool
    reason: str  # "reference", "ok", or the rule that fired


def decide_scope(question: str, plan: Plan, named_units: bool) -> Scope:
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
