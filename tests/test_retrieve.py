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
    assert is_followup("那么段店镇呢?") and not is_followup("三江港要建设哪些物流项目?")
    history = [Turn("user", "庙岭镇的定位是什么?"), Turn("assistant", "……")]
    refs = [h.ref for h in fake_retriever.search("那么段店镇呢?", k=3, history=history)]
    assert Ref("article", 4) in refs


def test_english_expansion(fake_retriever):
    toks = fake_retriever.expand("Which schools will be built near the airport?")
    assert "教育" in toks and "机场" in toks


def test_sentence_view_is_each_units_best_sentence(fake_retriever):
    import numpy as np

    r = fake_retriever
    q = r.embedder.embed_queries(["农民工工资 劳动监察"])
    chunk, by_unit = r._dense(q)
    sent_vecs = r.index.sentence_vectors.reconstruct_n(0, r.index.sentence_vectors.ntotal)
    cos = sent_vecs @ q[0]
    for c, got in zip(r.chunks, by_unit, strict=True):
        mine = [cos[s.id] for s in r.index.sentences if s.ref == c.ref]
        if c.kind == "article":
            assert np.isclose(got, max(mine), atol=1e-5)
        else:  # glossary terms and parts have no sentence view
            assert not mine and np.isnan(got)
    assert np.isclose(chunk.max(), float((r.index.vectors.reconstruct_n(0, len(r.chunks)) @ q[0]).max()), atol=1e-5)


def test_sentence_view_lifts_the_article_stating_the_measure(plan, fake_retriever):
    """One sentence buried in a long article is enough to rank it, with the view on."""
    from app.retrieve import Retriever

    on = Retriever(plan, fake_retriever.index, fake_retriever.embedder, dense_weight=1.0, sentence_weight=1.0)
    off = Retriever(plan, fake_retriever.index, fake_retriever.embedder, dense_weight=1.0, sentence_weight=0.0)
    sentence = next(s for s in fake_retriever.index.sentences if s.number == 33 and "舌尖上的安全" in s.text)
    q = sentence.text
    assert on.search(q, k=1)[0].ref == Ref("article", 33)
    fused_on, _, _ = on.chunk_scores(q)
    fused_off, _, _ = off.chunk_scores(q)
    a33 = [i for i, c in enumerate(on.chunks) if c.ref == Ref("article", 33)]
    others = [i for i, c in enumerate(on.chunks) if c.ref != Ref("article", 33) and c.kind == "article"]
    margin_on = max(fused_on[a33]) - max(fused_on[others])
    margin_off = max(fused_off[a33]) - max(fused_off[others])
    assert margin_on > margin_off


def test_fused_scores_stay_in_unit_range(fake_retriever):
    """Callers use relative thresholds on scores (context floor, pack dominance): no clipping at 1."""
    for q in ("三江港要建设哪些物流项目?", "看病方便吗", "What about the airport?"):
        fused, _, _ = fake_retriever.chunk_scores(q)
        assert fused.min() >= 0.0 and fused.max() <= 1.0 + 1e-6


def test_the_lexicon_is_one_line_per_everyday_word_mapped_to_specific_plan_words(plan):
    from app.retrieve import DEFAULT_EXPANSIONS
    from app.text import normalize

    triggers: list[str] = []
    for line in DEFAULT_EXPANSIONS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        trigger, tab, words = line.partition("\t")
        assert tab and words.split(), line
        t = normalize(trigger.strip())
        triggers.append(t)
        assert t.isascii() or len(t) >= 2, line  # a single character would match inside unrelated words
        if t != "huarong":  # the district's English name is the one entry that may give its Chinese name
            assert not {"发展", "建设", "华容"} & set(words.split()), line
    assert len(triggers) == len(set(triggers)), [t for t in triggers if triggers.count(t) > 1]


def test_everyday_and_english_words_reach_the_plans_words():
    from app.retrieve import load_expansions
    from app.text import normalize

    lexicon = load_expansions()

    def plan_words(text: str) -> set[str]:
        q = normalize(text)
        return {w for pattern, words in lexicon if pattern.search(q) for w in words}

    assert "秸秆燃烧" in plan_words("收完谷子田里烧稻草")
    assert "民宿" in plan_words("any homestay for visitors?")
    assert "能人回乡" in plan_words("在外面的老乡回来投资")
    assert "十三五" not in plan_words("What does the Five-Year Plan say about parks?")


def test_a_part_is_ranked_only_when_its_preamble_matches_best(fake_retriever):
    from app.refs import Ref

    hits = fake_retriever.search("加快建设田园新华容,要对标哪里的先进经验?", k=5)
    assert hits[0].ref == Ref("part", 4) and hits[0].via == "ranked"
    assert all(h.ref.kind != "part" for h in hits[1:])
    other = fake_retriever.search("三江港要建设哪些物流项目?", k=5)
    assert all(h.ref.kind != "part" for h in other)


def test_a_hyphenated_english_phrase_reaches_the_lexicon(fake_retriever):
    assert "文明城市" in fake_retriever.expansion_words("How are the civilized-city gains kept?")


def test_a_dialect_what_is_it_asks_for_the_definition(fake_retriever):
    hits = fake_retriever.search("规划里讲的月光经济到底是么回事?", k=5)
    assert str(hits[0].ref) == "名词解释20" and hits[0].via == "term"


def test_a_glossary_terms_pinyin_asked_to_stand_for_something_gets_the_term(fake_retriever):
    hits = fake_retriever.search("In the glossary, what do the words fang guan fu stand for?", k=5)
    assert str(hits[0].ref) == "名词解释21" and hits[0].via == "term"


def test_the_longest_lexicon_phrase_speaks_for_its_words(fake_retriever):
    words = fake_retriever.expansion_words("Which towns are the five golden flowers?")
    assert "五朵金花" in words and "荷花节" not in words  # "flowers" alone would be the flower festivals
    assert "荷花节" in fake_retriever.expansion_words("When are the flower festivals held?")
