import re

import pytest

from app.corpus import DEFAULT_SOURCE, CorpusError, body_text, parse_plan
from app.refs import cn_numeral


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def test_counts_and_metadata(plan):
    assert (len(plan.parts), len(plan.articles), len(plan.glossary)) == (9, 39, 23)
    assert plan.issuer == "中共华容区委"
    assert plan.date == "2020-12-25"
    assert plan.title == "关于制定全区国民经济和社会发展第十四个五年规划和二〇三五年远景目标的建议"
    assert [a.number for a in plan.articles] == list(range(1, 40))
    assert [g.number for g in plan.glossary] == list(range(1, 24))


def test_lossless_reconstruction(plan):
    source = DEFAULT_SOURCE.read_text(encoding="utf-8")
    body, glossary = body_text(source)
    rebuilt = [plan.preamble]
    for part in plan.parts:
        rebuilt.append(f"{cn_numeral(part.number)}、{part.title}{part.preamble}")
        rebuilt += [f"{a.number}.{a.text}" for a in plan.articles if a.part == part.number]
    assert _squash("".join(rebuilt)) == _squash(body)
    assert _squash("".join(f"{g.number}.{g.term}:{g.definition}" for g in plan.glossary)) == _squash(glossary)


def test_news_header_and_trailer_excluded(plan):
    everything = plan.preamble + "".join(a.text for a in plan.articles) + "".join(g.definition for g in plan.glossary)
    assert "相关阅读" not in everything and "来源" not in everything and "12-28 10:33" not in everything


@pytest.mark.parametrize(
    ("number", "title"),
    [
        (1, "决胜全面建成小康社会取得决定性成就"),
        (8, "大力发展数字经济"),
        (15, "加强区域联动发展"),
        (27, "全面推进健康建设"),
        (37, "加强民主法治建设"),
        (38, "建设高素质专业化干部队伍"),
        (39, "推动规划制定落实"),
    ],
)
def test_article_titles(plan, number, title):
    assert plan.article(number).title == title


def test_glued_lines_are_split(plan):
    # Part headings 四…七 sit at the end of articles 15, 20, 24, 28 in the source.
    assert plan.article(15).text.endswith("提升武鄂同城化体验。")
    assert plan.part(4).title == "加快建设田园新华容,打造江南生态美丽特色城镇标杆"
    assert plan.part(4).preamble.startswith("坚持生态优先")
    assert plan.article(38).text.startswith("建设高素质专业化干部队伍。")
    assert plan.glossary[6].term == "5G+工业互联网" and plan.glossary[5].term == "“高精尖缺”人才"
    assert plan.part(1).preamble == ""


def test_part_membership(plan):
    assert [sum(1 for a in plan.articles if a.part == p) for p in range(1, 10)] == [6, 5, 4, 5, 4, 4, 4, 3, 4]


def test_parser_refuses_broken_text():
    source = DEFAULT_SOURCE.read_text(encoding="utf-8")
    with pytest.raises(CorpusError):
        parse_plan(source.replace("五、加快建设人文新华容", "五、加快建设人文华容"))
    with pytest.raises(CorpusError):
        parse_plan(source.replace("38.建设高素质", "建设高素质"))


def test_to_dict_shape(plan):
    d = plan.to_dict()
    assert {"title", "issuer", "date", "parts", "articles", "glossary"} <= d.keys()
    assert set(d["parts"][0]) == {"number", "title", "preamble"}
    assert set(d["articles"][0]) == {"number", "part", "title", "text"}
    assert set(d["glossary"][0]) == {"number", "term", "definition"}
