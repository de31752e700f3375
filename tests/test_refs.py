import pytest

from app.refs import Ref, cn_numeral, find_refs, parse_number, parse_ref


@pytest.mark.parametrize(
    ("text", "refs"),
    [
        ("第8条讲什么?", ["第8条"]),
        ("名词解释第5条是什么", ["名词解释5"]),
        ("第二部分的主要内容", ["第二部分"]),
        ("第三十九条", ["第39条"]),
        ("What does Article 12 say?", ["第12条"]),
        ("[第8条][名词解释20]", ["第8条", "名词解释20"]),
        ("见第１２条", ["第12条"]),
        ("没有引用", []),
    ],
)
def test_find_refs(text, refs):
    assert [str(m.ref) for m in find_refs(text)] == refs


def test_numerals_roundtrip():
    for n in range(1, 100):
        assert parse_number(cn_numeral(n)) == n
    assert parse_number("abc") is None


def test_parse_ref_exact():
    assert parse_ref("[第8条]") == Ref("article", 8)
    assert parse_ref("名词解释20") == Ref("glossary", 20)
    assert parse_ref("第二部分") == Ref("part", 2)
    assert parse_ref("第8条和第9条") is None


def test_parts_in_roman_numerals_are_the_plans_parts():
    assert [str(m.ref) for m in find_refs("What does Part VI say about people's livelihoods?")] == ["第六部分"]
    assert [str(m.ref) for m in find_refs("Compare Part II with Part IX")] == ["第二部分", "第九部分"]
    assert find_refs("part i think it is about roads") == []  # a lower-case "i" is the pronoun
