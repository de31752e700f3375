from app.answering.claims import split_sentences, strip_markers, support


def test_split_keeps_trailing_markers():
    assert split_sentences("推进医共体建设。[第27条]加快物流园建设。") == [
        "推进医共体建设。[第27条]",
        "加快物流园建设。",
    ]


def test_markers_are_stripped():
    assert strip_markers("推进医共体建设。[第27条]（名词解释20）") == "推进医共体建设。"


def test_support_measure():
    source = "加快完善公共卫生服务体系建设,推进医共体建设,健全现代医院管理制度和分级诊疗制度。"
    assert support("推进医共体建设,健全分级诊疗制度", source) > 0.9  # "全分" spans the comma
    assert support("鄂州市2025年的GDP是1000亿元", source) < 0.2
