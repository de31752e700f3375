from app.refs import Ref
from app.retrieve import Turn, is_followup


def test_exact_article_reference_first(fake_retriever):
    hits = fake_retriever.search("第8条讲什么?", k=5)
    assert hits[0].ref == Ref("article", 8) and hits[0].via == "reference"
    assert hits[0].text == fake_retriever.plan.article(8).text


def test_part_reference_brings_its_articles(fake_retriever):
    hits = fake_retriever.search("第二部分的主要内容是什么", k=6)
    assert [str(h.ref) for h in hits] == ["第二部分", "第7条", "第8条", "第9条", "第10条", "第11条"]


def test_glossary_reference_and_term(fake_retriever):
    assert fake_retriever.search("名词解释第5条", k=3)[0].ref == Ref("glossary", 5)
    assert fake_retriever.search("什么是月光经济?", k=3)[0].ref == Ref("glossary", 20)
    assert fake_retriever.search("“专精特新”是什么意思", k=3)[0].ref == Ref("glossary", 9)


def test_nonexistent_reference_ignored(fake_retriever):
    hits = fake_retriever.search("第99条讲什么", k=3)
    assert all(h.ref != Ref("article", 99) for h in hits) and len(hits) == 3


def test_keyword_question(fake_retriever):
    hits = fake_retriever.search("三江港要建设哪些物流项目?", k=3)
    assert Ref("article", 13) in [h.ref for h in hits]


def test_hits_are_unique_units_and_contract_shape(fake_retriever):
    hits = fake_retriever.search("乡村振兴", k=5)
    assert len({h.ref for h in hits}) == 5
    d = hits[0].to_dict()
    assert set(d) >= {"ref", "kind", "number", "part", "title", "text", "score"}
    assert d["ref"] == str(hits[0].ref) and isinstance(d["score"], float)


def test_followup_uses_history(fake_retriever):
    assert is_followup("那段店镇呢?") and not is_followup("三江港要建设哪些物流项目?")
    history = [Turn("user", "庙岭镇的定位是什么?"), Turn("assistant", "……")]
    refs = [h.ref for h in fake_retriever.search("那段店镇呢?", k=3, history=history)]
    assert Ref("article", 4) in refs


def test_english_expansion(fake_retriever):
    toks = fake_retriever.expand("Which schools will be built near the airport?")
    assert "教育" in toks and "机场" in toks
