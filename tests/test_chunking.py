import pytest

from app.chunking import chunk_plan


@pytest.mark.parametrize(("size", "overlap"), [(150, 30), (300, 60), (4000, 0)])
def test_chunks_stay_inside_units_with_exact_offsets(plan, size, overlap):
    chunks = chunk_plan(plan, size, overlap)
    for c in chunks:
        assert len(c.text) <= max(size, 1) or c.kind != "article"
        full = plan.unit_text(c.ref)
        assert full[c.start : c.end] == c.text, c
    # every article is covered from its first to its last character
    for a in plan.articles:
        mine = [c for c in chunks if c.ref == a.ref]
        assert mine[0].start == 0 and mine[-1].end == len(a.text)


def test_one_chunk_per_glossary_term_and_part(plan):
    chunks = chunk_plan(plan, 300, 60)
    assert sum(c.kind == "glossary" for c in chunks) == 23
    assert sorted(c.number for c in chunks if c.kind == "part") == list(range(0, 10))
    c8 = next(c for c in chunks if c.number == 8 and c.kind == "article")
    assert c8.embed_text.startswith("第8条 大力发展数字经济")


def test_sentence_view_covers_every_article_sentence_exactly(plan):
    from app.chunking import MIN_SENTENCE_CHARS, sentence_chunks

    sents = sentence_chunks(plan)
    assert {s.kind for s in sents} == {"article"}
    assert {s.number for s in sents} == {a.number for a in plan.articles}
    assert [s.id for s in sents] == list(range(len(sents)))
    for s in sents:
        assert plan.unit_text(s.ref)[s.start : s.end] == s.text
        assert len(s.text.strip()) >= MIN_SENTENCE_CHARS
        full = plan.unit_text(s.ref)
        assert s.text.rstrip()[-1] in "。！？!?；;" or s.end == len(full) or full[s.end].isspace()
    # a sentence is embedded with its article's heading, like a chunk
    first = next(s for s in sents if s.number == 25 and s.start > 0)
    assert first.embed_text.startswith("第25条 实现更高质量的就业与增收:")
