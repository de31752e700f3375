"""The plan's structure as the composer sees it: towns, headings, counted lists, definitions, time frames."""

import pytest

from app.answering.question import Query
from app.answering.spans import PlanSpans
from app.answering.structure import PlanStructure, counted_zh, names_place, shared_with_others


@pytest.fixture()
def structure(fake_retriever):
    return PlanStructure(PlanSpans(fake_retriever.plan), fake_retriever)


def test_a_town_is_found_in_chinese_pinyin_or_a_follow_up(structure):
    assert "蒲团" in structure.place(Query("蒲团乡要发展什么?", ()))
    assert "蒲团" in structure.place(Query("What will Putuan build?", ()))
    assert "段店" in structure.place(Query("那产业呢?", (), previous="段店镇以后干什么?"))
    assert structure.place(Query("临江大道什么时候修好?", ())) == ()  # a road named after a town


def test_a_sentence_listing_towns_is_not_about_one(structure):
    sents = [x for x in structure.spans.all if "华容镇、段店镇和蒲团乡" in x.text]
    others = structure.other_towns(("蒲团乡", "蒲团"))
    assert sents and shared_with_others(sents[0], ("蒲团乡", "蒲团"), others)
    assert names_place("蒲团加快建设省级农产品加工园", ("蒲团乡", "蒲团"))


def test_counted_lists_point_to_the_sentence_naming_that_many(structure):
    assert counted_zh("华容要建哪三个示范区?") == (3, "示范区")
    assert counted_zh("有哪些示范区?") is None
    units = structure.counted_units((3, "示范区"))
    assert "第3条" in {str(h.ref) for h in units}


def test_headings_are_listed_only_for_the_article_whose_title_asks(structure):
    hits = structure.whole_units([structure.spans.plan.articles[2].ref])  # 第3条: guiding thought and principles
    every = lambda words: 1.0 if words else 0.0  # noqa: E731 - the title holds all of the question's words
    heads = structure.heading_list("基本原则有哪些", hits, every, "plan", 0.5)
    assert [x.text for x in heads] == [
        "——坚持党的全面领导。", "——坚持以人民为中心。", "——坚持新发展理念。", "——坚持深化改革开放。", "——坚持系统观念。"
    ]  # fmt: skip
    assert structure.heading_list("基本原则有哪三条", hits, every, "plan", 0.5) == []  # the count does not match
    assert structure.heading_list("基本原则有哪些", hits, lambda words: 0.0, "plan", 0.5) == []
    assert structure.heading_list("基本原则有哪些", hits, every, "vision", 0.5) == []


def test_a_heading_and_a_definition_are_completed(structure):
    unit = structure.spans.sentences(structure.spans.plan.articles[4].ref)
    head = next(x for x in unit if x.text.startswith("——数智华容"))
    done, cut = structure.complete([head], 2)
    assert done[0] == head and len(done) == 3 and cut == [head.ref]
    term = structure.spans.sentences(structure.spans.plan.term(21).ref)
    whole, _ = structure.complete([term[1]], 3)
    assert whole == term


def test_the_plans_use_of_a_term(structure):
    used = structure.usage(structure.spans.plan.term(20).ref, lambda words: 0.0)
    assert used is not None and "月光经济" in used.text and used.ref.kind == "article"
