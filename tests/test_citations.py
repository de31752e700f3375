from app.citations import hard_facts_ok, split_sentences, support, verify
from app.refs import Ref

A27 = Ref("article", 27)
A13 = Ref("article", 13)
CTX = {
    A27: "全面推进健康建设。加快完善公共卫生服务体系建设,推进医共体建设,健全现代医院管理制度和分级诊疗制度。",
    A13: "建立综合物流枢纽产业体系。加快三江港铁路物流基地二期、三江港现代智慧物流园建设。",
}


def test_split_keeps_trailing_markers():
    assert split_sentences("推进医共体建设。[第27条]加快物流园建设。") == [
        "推进医共体建设。[第27条]",
        "加快物流园建设。",
    ]


def test_supported_sentence_kept_with_its_citation():
    v = verify("将推进医共体建设,健全分级诊疗制度。[第27条]", CTX)
    assert [s.kept for s in v.sentences] == [True] and v.citations == [A27] and not v.removed_citations


def test_missing_citation_is_attributed():
    v = verify("华容将加快三江港铁路物流基地二期建设。", CTX)
    assert v.citations == [A13] and v.sentences[0].reason == "reattributed"


def test_wrong_citation_replaced_and_reported():
    v = verify("华容将推进医共体建设,健全分级诊疗制度。[第13条]", CTX)
    assert v.citations == [A27]
    assert {"ref": "第13条", "reason": "unsupported"} in v.removed_citations


def test_citation_outside_context_removed():
    v = verify("推进医共体建设。[第27条][第99条][第5条]", CTX, exists={Ref("article", 5): True})
    reasons = {d["ref"]: d["reason"] for d in v.removed_citations}
    assert reasons == {"第99条": "does_not_exist", "第5条": "not_in_context"}
    assert v.citations == [A27] and "第99条" not in v.render()


def test_invented_number_drops_sentence():
    v = verify("鄂州市2025年的GDP是1000亿元。[第27条]", CTX)
    assert not v.kept and v.dropped[0].reason == "unsupported"
    assert not hard_facts_ok("建设三期工程用了3年", CTX[A13])


def test_unsupported_claim_dropped_supported_kept():
    v = verify("推进医共体建设。[第27条]同时将新建国际机场和迪士尼乐园。", CTX)
    assert [s.kept for s in v.sentences] == [True, False]
    assert "迪士尼" not in v.render()


def test_support_measure():
    assert support("推进医共体建设", CTX[A27]) == 1.0
    assert support("火星探测计划", CTX[A27]) == 0.0


def test_blended_list_item_is_removed():
    src = "加快三江港铁路物流基地二期、三江港现代智慧物流园、华中商品车枢纽中心和三江港冷链物流基地等一批重点项目建设。"
    v = verify("三江港要建设冷链物流基地二期、三江港现代智慧物流园、华中商品车枢纽中心。[第13条]", {A13: src})
    assert v.kept and "冷链物流基地二期" not in v.render() and "华中商品车枢纽中心" in v.render()
    v = verify("三江港要建设迪士尼乐园、环球影城、冷链物流基地二期、华中商品车枢纽中心。[第13条]", {A13: src})
    assert not v.kept


def test_echoed_system_prompt_lines_are_dropped():
    ctx = {Ref("article", 13): "建立综合物流枢纽产业体系。加快三江港铁路物流基地二期建设。"}
    system = "你是助手。\n规则：\n1. 只使用原文片段回答。"
    v = verify("规则：\n加快三江港铁路物流基地二期建设。[第13条]", ctx, instructions=system)
    assert [s.text for s in v.kept] == ["加快三江港铁路物流基地二期建设。"]
    # the same lead-in without the instructions is an ordinary lead-in
    assert verify("规则：\n加快三江港铁路物流基地二期建设。[第13条]", ctx).kept[0].reason == "lead"
