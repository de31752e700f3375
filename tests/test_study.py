import datetime as dt

import pytest
from docx import Document

from app.study import StudyError, build_study, select_scope, to_markdown, verify_study, write_study
from tests.fakes import ScriptedGenerator

TODAY = dt.date(2026, 11, 28)


@pytest.mark.parametrize(
    ("spec", "numbers"),
    [("7-11", [7, 8, 9, 10, 11]), ("第二部分", [7, 8, 9, 10, 11]), ("第8条", [8]), ("第12条至第14条", [12, 13, 14])],
)
def test_scope_forms(plan, spec, numbers):
    _, arts = select_scope(spec, plan, None)
    assert [a.number for a in arts] == numbers


def test_topic_scope_uses_retrieval(plan, fake_retriever):
    label, arts = select_scope("三江港物流", plan, fake_retriever)
    assert "三江港物流" in label and 13 in [a.number for a in arts]


@pytest.mark.parametrize("spec", ["40-45", "", "第99条"])
def test_bad_scope_is_a_clear_error(plan, spec):
    with pytest.raises(StudyError):
        select_scope(spec, plan, None)


def test_text_only_material_is_verified(plan):
    doc = build_study("7-11", plan, None, None, "extractive", today=TODAY)
    verify_study(doc, plan)
    assert 5 <= len(doc.points) <= 10 and 3 <= len(doc.discussion) <= 5
    assert {q.kind for q in doc.quiz} == {"choice", "blank"}
    assert any(g.term == "“高精尖缺”人才" for g in doc.terms)
    for p in doc.points:
        assert p.quote in plan.unit_text(p.ref)


def test_the_model_only_chooses_which_sentence_is_quoted(plan):
    summary = "聚力实施招才引智工程,积极引进高层次人才和创新团队"
    good = ScriptedGenerator(fn=lambda prompt: summary + "，打造人才高地。")
    doc = build_study("第7条", plan, None, good, "fake", today=TODAY)
    verify_study(doc, plan)
    chosen = [p for p in doc.points if p.by_model]
    assert chosen and all(p.quote in plan.unit_text(p.ref) for p in chosen)
    md = to_markdown(doc, plan)
    assert "打造人才高地" not in md  # the model's own words are never shown
    bad = ScriptedGenerator("华容区将在2030年建成月球基地。")
    doc = build_study("第7条", plan, None, bad, "fake", today=TODAY)
    assert not any(p.by_model for p in doc.points) and doc.dropped >= 1
    assert "月球" not in to_markdown(doc, plan)
    assert all(p.title == plan.unit_title(p.ref) for p in doc.points)


def test_docx_structure(plan, tmp_path):
    doc = build_study("第二部分", plan, None, None, "extractive", today=TODAY)
    docx_path, md_path = write_study(doc, plan, tmp_path)
    d = Document(str(docx_path))
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        "一、原文摘编",
        "二、学习要点",
        "三、名词解释",
        "四、讨论题",
        "五、自测题",
        "附录：引用条目全文",
    ]
    body = "\n".join(p.text for p in d.paragraphs)
    for a in doc.articles:
        assert a.text in body  # 原文摘编 verbatim
    for p in doc.points:
        assert f"“{p.quote}”" in body
    table = d.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["题号", "答案", "出处"] and len(table.rows) == len(doc.quiz) + 1
    assert abs(d.sections[0].page_width.cm - 21) < 0.1 and "PAGE" in d.sections[0].footer._element.xml
    assert md_path.read_text(encoding="utf-8").startswith("# 《建议》专题学习材料")


@pytest.mark.real
def test_real_small_model_on_one_article(plan):
    from app.llm import LlamaCppGenerator
    from app.models import resolve_model
    from app.settings import Settings

    path, name = resolve_model("small", Settings().model_cache_dir)
    doc = build_study("第27条", plan, None, LlamaCppGenerator(path, name, n_ctx=1024), name, today=TODAY)
    verify_study(doc, plan)
    assert doc.points and all(p.quote in plan.article(27).text for p in doc.points)
