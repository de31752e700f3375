"""Composition from the plan's spans, on the deterministic fake retriever."""

import re

import pytest

from app.answering.compose import Composer, parts, time_frame
from app.answering.question import Query
from app.answering.spans import PlanSpans
from app.prompts import render


@pytest.fixture()
def composer(fake_retriever, settings):
    return Composer(fake_retriever, PlanSpans(fake_retriever.plan), settings)


def quotes(text: str) -> list[tuple[str, str]]:
    return re.findall(r"“((?:[^“”]|“[^“”]*”)*)”\[(第\d+条|名词解释\d+)\]", text)


def compose(composer, q: str):
    query = Query(q, ())
    return composer.compose(query, composer.retriever.search(q, k=5))


@pytest.mark.parametrize(
    "q",
    ["三江港要建设哪些物流项目?", "以后老百姓看病会不会更方便?", "规划里对养老有什么安排?", "八大产业是哪些"],
)
def test_every_quote_is_the_plans_own_words_with_its_own_citation(composer, plan, q):
    c = compose(composer, q)
    assert c is not None and c.text.startswith(render("answer_lead"))
    found = quotes(c.text)
    assert found and len(found) == len(c.spans)
    for (quote, ref), span in zip(found, c.spans, strict=True):
        assert ref == str(span.ref)
        assert plan.unit_text(span.ref)[span.start : span.end] == span.text
        for piece in quote.split("……"):
            assert piece.strip("（）") in plan.unit_text(span.ref)


def test_filler_and_titles_are_never_quoted(composer):
    for q in ["实施十四五规划责任重大吗", "十四五规划怎么落实", "大力发展数字经济"]:
        c = compose(composer, q)
        assert c is not None
        assert "责任重大,使命光荣" not in c.text and "大有可为" not in c.text
        assert "“大力发展数字经济。”" not in c.text


def test_past_achievements_are_labelled_and_not_offered_for_plans(composer):
    past = compose(composer, "十三五时期华容取得了哪些成就?")
    assert past is not None and "（回顾“十三五”时期）" in past.text
    assert time_frame("到2035年华容要达到什么目标?") == "vision"
    assert time_frame("过去五年取得了哪些成绩?") == "past"
    assert time_frame("以后看病方便吗") == "plan"
    assert time_frame("蒲团乡以前评上了么子称号") == "past"


def test_a_two_part_question_gets_a_span_for_each_part(composer):
    c = compose(composer, "安全生产和突发事件应急这两块怎么抓?")
    assert c is not None
    text = c.text
    assert "安全生产" in text and "应急" in text and len(c.spans) >= 2


def test_parts_are_only_pieces_with_content(composer):
    from app.answering.compose import Weights

    q = "安全生产和突发事件应急这两块怎么抓?"
    w = Weights(composer.retriever, Query(q, ()))
    assert len(parts(q, w, 0.15)) == 2
    one = "华容的数字经济怎么发展?"
    assert parts(one, Weights(composer.retriever, Query(one, ())), 0.15) == []


def test_a_long_sentence_is_cut_to_its_clauses_with_marks(composer, plan):
    c = compose(composer, "武汉地铁11号线会延伸到华容吗")
    assert c is not None and "武汉地铁11号线延伸工程" in c.text
    span = c.spans[0]
    sentence = next(s for s in composer.spans.sentences(span.ref) if s.start <= span.start and span.end <= s.end)
    if span.start > sentence.start:
        assert "……" in c.text


def test_measures_are_labelled_when_the_question_asks_about_another_time_frame(composer):
    sent = next(s for s in composer.spans.sentences(composer.spans.plan.articles[12].ref) if not s.is_title)
    span = composer.spans.span(sent.ref, sent.start, sent.end)
    assert "（“十四五”时期的部署）" in composer.write([span], frame="past").text
    assert "（“十四五”时期的部署）" in composer.write([span], frame="vision").text
    assert "（" not in composer.write([span], frame="plan").text.splitlines()[1][:2]


def test_a_list_question_about_an_articles_headings_gets_the_headings(composer):
    c = compose(composer, "十四五时期的基本原则有哪些?")
    assert c is not None
    heads = [q for q, _ in quotes(c.text)]
    assert len(heads) == 5 and all(q.startswith("——坚持") for q in heads)
    assert {str(r) for r in c.citations} == {"第3条"}


def test_a_vision_list_question_never_gets_the_five_year_headings(composer):
    c = compose(composer, "展望2035年有哪些远景目标?")
    assert c is not None and "——综合实力迈上新台阶。" not in c.text


def test_a_quoted_heading_brings_the_sentence_that_says_it(composer, plan):
    c = compose(composer, "数智华容释放新动能具体指什么?")
    assert c is not None
    found = [q for q, _ in quotes(c.text)]
    i = found.index("——数智华容释放新动能。")
    assert found[i + 1].startswith("科技创新核心地位更加突出")


def test_a_glossary_term_asked_as_a_plan_brings_the_plans_own_use(composer):
    c = compose(composer, "区里会不会搞月光经济?")
    assert c is not None
    refs = {ref for _, ref in quotes(c.text)}
    assert "名词解释20" in refs and any(r.startswith("第") for r in refs)


def test_every_quote_of_another_time_frame_carries_its_label(composer):
    c = compose(composer, "十三五时期华容取得了哪些成就?")
    assert c is not None and len(c.spans) >= 2
    assert c.text.count("（回顾“十三五”时期）") == len(c.spans)


def test_a_towns_own_sentence_leads_its_answer(composer):
    c = compose(composer, "蒲团乡以后重点搞什么?")
    assert c is not None
    first = quotes(c.text)[0][0]
    assert first.startswith("蒲团加快建设省级农产品加工园")


def test_a_wrong_time_frame_gets_the_labelled_sentence_that_says_it(composer):
    c = compose(composer, "到2035年平安建设要跻身第一梯队吗?")
    assert c is not None
    assert "（“十四五”时期主要目标）““法治华容”“平安华容”建设取得显著成效" in c.text


def test_a_when_question_sees_the_goals_and_the_vision(composer):
    c = compose(composer, "法治政府和法治社会什么时候基本建成?")
    assert c is not None and "（展望二〇三五年）" in c.text
    assert "法治华容、法治政府、法治社会基本建成" in c.text


def test_two_questions_typed_with_a_space_are_two_parts(composer):
    c = compose(composer, "结构生财改革依照什么方针 又打算用哪些工具争取资金")
    assert c is not None
    assert "多予、少取、放活" in c.text and "专项债、产业基金、政策性贷款" in c.text


def test_a_follow_up_naming_its_own_time_frame_leaves_the_previous_one():
    from app.answering.compose import query_frame
    from app.retrieve import Turn

    h = (Turn("user", "十三五时期经济总量怎么样?"), Turn("assistant", "……"))
    assert query_frame(Query("那么2035年的时候呢?", h, "十三五时期经济总量怎么样?")) == "vision"
    assert query_frame(Query("那农业呢?", h, "十三五时期经济总量怎么样?")) == "past"


def test_an_item_pointed_at_is_answered_by_its_own_sentence_not_the_list(composer):
    from app.answering.question import make_query
    from app.retrieve import Turn

    towns = (
        "指华容宜居宜业主城区、庙岭数智文旅融合特色镇、临江多式联运特色镇、段店农文旅融合特色镇和蒲团现代农业特色镇。"
    )
    q = make_query("那第三个具体怎么发展", [Turn("user", "五朵金花是哪几个"), Turn("assistant", towns)])
    c = composer.compose(q, composer.retriever.search(q.text, k=5, history=q.history))
    assert c is not None
    first = quotes(c.text)[0][0]
    assert "临江" in first and "庙岭数智文旅融合特色镇" not in first  # the town's own sentence, not the list again


def test_a_counted_list_is_found_wherever_the_plan_names_that_many(composer):
    c = compose(composer, "华容区要争创哪三个示范区?")
    assert c is not None
    assert "国家多式联运示范区、长江数智文旅示范区、江南农业现代化示范区" in quotes(c.text)[0][0]


def test_an_english_town_name_is_the_town(composer):
    c = compose(composer, "What will Putuan build in the coming years?")
    assert c is not None and all("蒲团" in q for q, _ in quotes(c.text))


def test_a_road_named_after_a_town_is_not_the_town():
    from app.answering.compose import names_place

    assert names_place("临江围绕三江港“港产城”一体化发展", ("临江乡", "临江"))
    assert not names_place("加快推进临江大道、疏港三路等道路建设", ("临江乡", "临江"))


def test_a_glossary_definition_is_quoted_whole(composer, plan):
    c = compose(composer, "放管服到底是哪几个意思?")
    assert c is not None
    glossary = [q for q, ref in quotes(c.text) if ref == "名词解释21"]
    assert len(glossary) == len(composer.spans.sentences(plan.term(21).ref))


def test_a_heading_brings_its_sentences_up_to_the_cap(composer, settings):
    c = compose(composer, "数智华容释放新动能具体指什么?")
    assert c is not None
    found = [q for q, _ in quotes(c.text)]
    i = found.index("——数智华容释放新动能。")
    assert len(found) - i - 1 <= settings.heading_body_max + 1
    assert found[i + 1].startswith("科技创新核心地位更加突出")


def test_an_english_counted_list_uses_the_plans_noun(composer):
    assert composer.structure.counted("Which three demonstration zones will the district build?") == (3, "示范区")
    assert composer.structure.counted("华容区要争创哪三个示范区?") == (3, "示范区")
    assert composer.structure.counted("What are its main tasks?") is None


def test_a_list_answer_points_to_its_article_when_a_sentence_left_out_also_answers(composer):
    """ "哪些称号": the plan names honours in several sentences of 第1条; quoting some of them must not look like all."""
    c = compose(composer, "“十三五”那几年华容被评上过哪些称号?")
    assert c is not None
    shown = [q for q, _ in quotes(c.text)]
    honours = [x.text for x in composer.spans.sentences(composer.spans.plan.article(1).ref) if "获评" in x.text]
    assert len(honours) >= 2
    if not all(any(h.strip("。;") in s or s.strip("…") in h for s in shown) for h in honours):
        assert "（原文还有相关内容，详见第1条" in c.text


def test_a_complete_list_answer_gets_no_pointer(composer):
    c = compose(composer, "红莲湖、五四湖、南迹湖这几个湖怎么治理?")
    assert c is not None and "原文还有相关内容" not in c.text


def test_two_towns_asked_together_each_get_their_own_sentence(composer):
    for q in ["庙岭和临江分别重点发展什么?", "What will Miaoling and Linjiang each focus on?"]:
        c = compose(composer, q)
        assert c is not None
        assert "庙岭重点发展数字经济" in c.text and "临江围绕三江港" in c.text, q


def test_the_parts_of_a_question_keep_its_time_frame(composer):
    c = compose(composer, "到2035年,公共服务和基层治理分别要达到什么程度?")
    assert c is not None
    assert "（展望二〇三五年）“公共文化服务水平大幅提升,现代公共服务体系基本建成" in c.text
    assert "基层治理体系和治理能力现代化基本实现" in c.text


def test_a_parts_preamble_answers_what_only_it_says(composer, plan):
    c = compose(composer, "加快建设田园新华容,要对标哪里的先进经验?")
    assert c is not None
    assert "对标浙江乡村振兴先进经验" in c.text and "[第四部分]" in c.text
    for span in c.spans:
        assert plan.unit_text(span.ref)[span.start : span.end] == span.text


def test_a_wrong_premise_about_an_achievement_gets_the_labelled_achievement(composer):
    c = compose(composer, "2035年远景目标说地区生产总值要突破百亿元,对吗?")
    assert c is not None
    assert "（回顾“十三五”时期）“综合实力显著增强,地区生产总值突破百亿元" in c.text


def test_which_town_is_answered_by_the_sentence_a_town_leads(composer):
    c = compose(composer, "荷花特色小镇由哪个镇来打造?")
    assert c is not None
    assert quotes(c.text)[0][0].startswith("蒲团加快建设")


def test_done_yet_sees_the_achievements_and_the_plans(composer):
    c = compose(composer, "区公共图书馆到底修好了冇?")
    assert c is not None and "（回顾“十三五”时期）" in c.text and "区公共图书馆建成开放" in c.text


def test_the_coming_five_years_are_the_plan_period():
    from app.answering.compose import query_frame
    from app.retrieve import Turn

    history = (Turn("user", "到2035年人均生产总值要达到什么水平?"), Turn("assistant", "……"))
    assert query_frame(Query("那这五年内呢", history, "到2035年人均生产总值要达到什么水平?")) == "plan"
    assert time_frame("过去五年取得了哪些成绩?") == "past"


def test_a_follow_up_is_answered_by_what_it_names_itself(fake_retriever, settings):
    from app.refs import Ref
    from app.retrieve import Turn

    previous = "突发事件应急怎么抓?"
    q = Query("疫情方面呢?", (Turn("user", previous), Turn("assistant", "……")), previous)
    hits = [h for h in fake_retriever.search(f"{previous} 疫情", k=10) if h.ref == Ref("article", 35)]
    assert hits

    def first(weight: float) -> str:
        s = settings.model_copy(update={"followup_own_weight": weight})
        c = Composer(fake_retriever, PlanSpans(fake_retriever.plan), s).compose(q, hits)
        assert c is not None
        return quotes(c.text)[0][0]

    assert "疫情" in first(1.0)
    assert "疫情" not in first(0.0)  # without it the previous question's subject leads


def test_two_questions_typed_as_one_keep_both_halves(composer):
    from app.answering.compose import Weights

    q = "“十三五”期间地区生产总值突破了多少?“十四五”又打算把它翻多少?"
    assert len(parts(q, Weights(composer.retriever, Query(q, ())), 0.15)) == 2
    opening = "华容区重点要引进哪类人才,干部方面又有什么能力提升计划?"
    found = parts(opening, Weights(composer.retriever, Query(opening, ())), 0.15)
    assert found and found[0].startswith("华容区重点要引进哪类人才")
    one = "华容怎么坚持和发展新时代枫桥经验?"
    assert parts(one, Weights(composer.retriever, Query(one, ())), 0.15) == []


def test_a_title_sharing_only_the_time_frame_does_not_answer_with_its_headings(composer):
    c = compose(composer, "规划把“十四五”时期说成是哪几个“期”?")
    assert c is not None and "——坚持党的全面领导" not in c.text
    principles = compose(composer, "“十四五”时期经济社会发展的基本原则有哪些?")
    assert principles is not None and "——坚持党的全面领导" in principles.text


def test_each_part_keeps_the_time_frame_its_own_question_names():
    from app.answering.compose import part_frame

    q = Query("要建设哪三个示范区?到2035年新城是什么样子?", ())
    assert part_frame(q, "要建设哪三个示范区") == ""  # no frame before it: its own (the plans)
    assert part_frame(q, "到2035年新城是什么样子") == "vision"
    both = Query("到2035年,教育和医疗分别是什么样子?", ())
    assert part_frame(both, "医疗分别是什么样子") == "vision"  # named up front for both


def test_an_english_piece_is_read_through_the_lexicon(composer):
    from app.answering.compose import Weights

    q = "Which towns form the five golden flowers, and what is the county economy ranking for 2035?"
    assert len(parts(q, Weights(composer.retriever, Query(q, ())), 0.15)) == 2


def test_a_follow_up_naming_only_another_time_frame_keeps_the_topic(composer):
    from app.retrieve import Turn

    previous = "十四五期间法治建设的目标是什么?"
    q = Query("那二〇三五年呢?", (Turn("user", previous), Turn("assistant", "……")), previous)
    c = composer.compose(q, composer.retriever.search(f"{previous} 2035", k=5))
    assert c is not None and "法治华容、法治政府、法治社会基本建成" in quotes(c.text)[0][0]
    assert "（“十四五”时期主要目标）" not in c.text  # only the frame asked answers


def test_a_frame_put_forward_to_be_confirmed_is_answered_by_the_frame_that_says_it(composer):
    c = compose(composer, "无废城镇是十三五就已经建成了吧?")
    assert c is not None and "建成“无废城镇”" in quotes(c.text)[0][0]
    assert "（“十四五”时期主要目标）" in c.text
    assert composer.asked(Query("无废城镇是十三五就已经建成了吧?", ()), ()).which  # any frame may answer
    assert not composer.asked(Query("十三五期间建成了哪些文化设施?", ()), ()).which


def test_a_follow_up_naming_another_town_drops_the_first(composer):
    from app.answering.compose import Weights
    from app.retrieve import Turn

    previous = "庙岭镇要重点发展什么?"
    q = Query("那段店呢?", (Turn("user", previous), Turn("assistant", "……")), previous)
    w = Weights(composer.retriever, q, composer.structure.replaced_places(q))
    assert "庙岭" not in w.w and "段店" in w.w


def test_open_yet_and_five_years_on_name_their_time_frames(composer):
    a = composer.asked(Query("区里的文化中心开了冇", ()), ())
    assert a.frame == "past" and a.which  # done already, or planned
    assert time_frame("听说五年后经济要翻一番?") == "plan"


def test_a_follow_up_with_a_subject_of_its_own_leaves_the_previous_town(composer):
    from app.retrieve import Turn

    previous = "红莲湖那边的产业园要发展哪些产业?"
    history = (Turn("user", previous), Turn("assistant", "……"))
    assert composer.place(Query("那钢铁、纺织这类老产业以后怎么搞", history, previous)) == ()
    assert composer.place(Query("它的定位呢?", history, previous)) != ()
    assert composer.place(Query("那二〇三五年呢?", history, previous)) != ()


def test_a_follow_ups_own_words_count_as_a_share_of_their_own(composer):
    from app.answering.compose import Weights
    from app.retrieve import Turn

    previous = "十三五期间华容得了哪些荣誉?"
    q = Query("农业那块呢", (Turn("user", previous), Turn("assistant", "……")), previous)
    w = Weights(composer.retriever, q)
    assert w.own_share(frozenset({"农业"})) == 1.0 and w.own_share(frozenset({"荣誉"})) == 0.0
