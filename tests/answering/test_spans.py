from app.answering.spans import PlanSpans


def test_every_sentence_and_clause_is_verbatim(plan):
    spans = PlanSpans(plan)
    assert len(spans.all) > 300
    for s in spans.all:
        text = plan.unit_text(s.ref)
        assert text[s.start : s.end] == s.text
        for c in s.clauses:
            assert text[c.start : c.end] == c.text and s.start <= c.start < c.end <= s.end


def test_lists_are_never_split_and_titles_are_marked(plan):
    spans = PlanSpans(plan)
    eight = next(s for s in spans.all if "八大产业" in s.text)
    assert any("电子信息、智能制造、纺织制线" in c.text for c in eight.clauses)
    first = spans.sentences(plan.articles[7].ref)[0]
    assert first.is_title and first.text.startswith(plan.articles[7].title)


def test_a_clause_never_ends_inside_a_quoted_name():
    from app.answering.spans import split_unit
    from app.refs import Ref

    text = "紧紧围绕“多彩华容,荣华与共”发展导向,全力“做强增长极,融入大武汉”,奋力打造“一城三区”。"
    clauses = [c.text for c in split_unit(Ref("article", 5), text)[0].clauses]
    assert clauses == ["紧紧围绕“多彩华容,荣华与共”发展导向,", "全力“做强增长极,融入大武汉”,", "奋力打造“一城三区”。"]
