import pytest

from app.answering.question import Query
from app.answering.route import decide
from app.answering.spans import PlanSpans


@pytest.fixture()
def route(fake_retriever, settings):
    spans = PlanSpans(fake_retriever.plan)

    def _route(q: str):
        hits = fake_retriever.search(q, k=5)
        return decide(Query(q, ()), hits, fake_retriever.plan, fake_retriever, spans, settings)

    return _route


@pytest.mark.parametrize(
    ("q", "kind", "missing"),
    [
        ("第41条规定每户补贴5000元，怎么领取？", "missing_unit", "第41条"),
        ("名词解释30是什么", "missing_unit", "名词解释30"),
        ("第8条讲什么?", "lookup", ""),
        ("什么是月光经济?", "lookup", ""),
        ("帮我写一首诗", "refusal", ""),
        ("“十四五”时期地区生产总值每年的增速具体是百分之多少？", "no_figure", ""),
        ("三江港要建设哪些物流项目?", "compose", ""),
    ],
)
def test_each_question_takes_one_path(route, q, kind, missing):
    d = route(q)
    assert d.kind == kind
    if missing:
        assert d.missing == missing


def test_no_figure_carries_the_closest_sentence(route, plan):
    d = route("“十四五”时期地区生产总值每年的增速具体是百分之多少？")
    assert d.closest is not None and d.closest.text in plan.unit_text(d.closest.ref)
    assert route("华容高新技术企业达到多少家").kind == "compose"  # "18家" is stated


def test_a_target_asked_is_not_answered_by_a_past_figure_and_the_past_one_carries_its_label(route):
    from app.answering.replies import no_figure

    d = route("到十四五末高新技术企业要达到多少家?")  # the plan states 18家 for 十三五 only
    assert d.kind == "no_figure" and d.closest is not None and str(d.closest.ref) == "第1条"
    assert "（回顾“十三五”时期）“高新技术企业达到18家" in no_figure(d).text


@pytest.mark.parametrize(
    "q",
    [
        "数字乡村建设要靠多少个工程来支撑?",  # "十大工程"
        "长江岸线要分几类来打造?",  # 生活岸线、生态岸线、景观岸线
        "法治政府和法治社会要到哪一年基本建成?",  # the vision article: 展望2035年
    ],
)
def test_an_amount_the_plan_states_in_its_own_way_is_answered(route, q):
    assert route(q).kind == "compose"


def test_a_named_article_that_states_no_such_amount_gets_the_no_figure_reply(route):
    assert route("第13条讲的三江港冷链物流基地,租个冷库一个月多少钱?").kind == "no_figure"
    assert route("第6条那些目标是定在哪一年实现的?").kind == "lookup"  # it states 2035年
    assert route("夏家榜的纪念碑是为多少位烈士立的?").kind == "compose"  # "十八烈士"
    assert route("空气质量优良天数的目标定的是几天?").kind == "no_figure"


def test_a_count_asked_with_which_ones_is_a_list_question(route):
    assert route("“十四五”的主要目标一共有几个,是哪几个方面?").kind == "compose"


def test_a_named_unit_with_another_question_beside_it_is_composed(route):
    # the part's own paragraph answers the first half; religious affairs are in one of its articles
    assert route("第八部分要确保哪几个“更”?另外宗教事务方面怎么管?").kind == "compose"
    assert route("第八部分要确保哪几个“更”?").kind == "lookup"
    assert route("什么是月光经济?").kind == "lookup"
    # the term's own use in 第12条 answers the second half ("承接打造武汉城市圈“1小时通勤圈”")
    assert route("规划说的“1小时通勤圈”指什么?区里准备怎么承接?").kind == "lookup"


def test_a_period_the_goals_state_is_no_missing_date(route):
    assert route("“无废城镇”打算在什么时候建成?").kind == "compose"  # a 十四五 goal
    assert route("武汉地铁11号线哪一年通到红莲湖?").kind == "no_figure"


def test_a_count_of_items_sharing_a_last_character_is_stated(route):
    assert route("农村宅基地要分开几个权来管?").kind == "compose"  # 所有权、资格权、使用权


def test_dialect_amounts_asked_at_the_end_are_amounts(route):
    assert route("博士来华容工作能拿好多安家费?").kind == "no_figure"
    assert route("那个钢铁厂一年产好多吨钢?").kind in ("no_figure", "refusal")


def test_a_sum_inside_a_quoted_name_is_not_the_amount_asked(route):
    # “百企百亿” names the upgrading programme the factory is listed under; it states no investment of its own
    assert route("鸿泰钢铁那个智慧绿色工厂总投资是多少?").kind == "no_figure"
    assert route("那个技改工程的名字叫“百企”多少亿来着?").kind == "compose"  # the name itself is asked


def test_an_amount_of_something_no_sentence_is_about_is_refused(fake_retriever, settings):
    spans = PlanSpans(fake_retriever.plan)
    q = "红莲湖那个产业园一年的产值能到多少亿?"
    strict = settings.model_copy(update={"figure_topic_min": 1.0})  # no sentence is about it "enough"
    d = decide(Query(q, ()), fake_retriever.search(q, k=5), fake_retriever.plan, fake_retriever, spans, strict)
    assert d.kind == "refusal" and d.reason == "figure_not_given" and d.missing.endswith("的具体数字")
    d = decide(Query(q, ()), fake_retriever.search(q, k=5), fake_retriever.plan, fake_retriever, spans, settings)
    assert d.kind != "refusal"  # with sentences about it, the amount is looked for in them


def test_a_date_asked_on_a_premise_is_answered_by_the_frames(route):
    # the premise (done in 十三五) is what the plan can answer: it is a 十四五 goal
    assert route("三江港那个示范工程十三五就已经全面建成了吧?是哪一年建成的?").kind == "compose"


def test_a_past_figure_asked_beside_a_target_is_stated(route):
    assert route("十三五财政收入突破了多少?到十四五对财政收入有什么目标?").kind == "compose"
