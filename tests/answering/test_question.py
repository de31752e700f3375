import pytest

from app.answering.question import clean_question, make_query, trim_history
from app.retrieve import Turn


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("", False),
        ("   ", False),
        ("？？？", False),
        ("😀😀", False),
        ("a" * 600, False),
        ("看病\x00方便吗", True),
        ("\x1b[31m看病方便吗\x1b[0m", True),
        ("看病\ud800方便吗", True),
    ],
)
def test_bad_input_gets_a_clear_chinese_message(raw, ok):
    q, err = clean_question(raw, 500)
    assert bool(q) == ok and bool(err) != ok
    if ok:
        assert q == "看病方便吗"
    else:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in err)


def test_a_huge_input_is_cut_before_any_cleaning():
    q, err = clean_question("<" * 1_000_000, 500)
    assert not q and "太长" in err


def test_history_keeps_the_last_turns_each_cut():
    turns = [Turn("user", f"问题{i}" * 100) for i in range(10)]
    kept = trim_history(turns, 6, 30)
    assert len(kept) == 6 and all(len(t.content) == 30 for t in kept)
    assert kept[-1].content.startswith("问题9")


def test_followup_reads_the_previous_question():
    hist = (Turn("user", "庙岭镇的定位是什么?"), Turn("assistant", "……"))
    assert make_query("那么段店镇呢?", hist).previous == "庙岭镇的定位是什么?"
    assert make_query("三江港要建设哪些物流项目?", hist).previous == ""
    assert make_query("What about healthcare?", hist).english


TOWNS = "“……建设华容宜居宜业主城区、庙岭数智文旅融合特色镇、临江多式联运特色镇、段店农文旅融合特色镇……”[第4条]"
HEADS = "“——坚持党的全面领导。”[第3条]\n“——坚持以人民为中心。”[第3条]\n“——坚持系统观念。”[第3条]"


@pytest.mark.parametrize(
    "asked, answer, item",
    [
        ("那第三个要怎么搞", TOWNS, "临江多式联运特色镇"),
        ("最后一个呢", TOWNS, "段店农文旅融合特色镇"),
        ("What about the second one?", HEADS, "坚持以人民为中心"),
        ("and the last principle?", HEADS, "坚持系统观念"),
    ],
)
def test_an_ordinal_follow_up_points_at_an_item_of_the_previous_answer(asked, answer, item):
    q = make_query(asked, [Turn("user", "有哪些?"), Turn("assistant", answer)])
    assert item in q.text and q.asked == asked and q.previous == "有哪些?"


def test_article_numbers_are_not_ordinals():
    q = make_query("第三条讲什么", [Turn("user", "有哪些?"), Turn("assistant", TOWNS)])
    assert q.text == "第三条讲什么" and q.asked == ""


def test_an_ordinal_past_the_list_is_left_alone():
    q = make_query("第九个呢", [Turn("user", "有哪些?"), Turn("assistant", HEADS)])
    assert q.text == "第九个呢"


def test_an_english_list_is_a_list_too():
    answer = "Upholding leadership, putting people first, new ideas, deeper reform and systems thinking."
    q = make_query("what does the last one mean?", [Turn("user", "What are they?"), Turn("assistant", answer)])
    assert "systems thinking" in q.text and len(q.listed) == 5


def test_the_list_pointed_into_is_kept_for_the_composer():
    q = make_query("那第二个呢", [Turn("user", "有哪些?"), Turn("assistant", TOWNS)])
    assert "庙岭数智文旅融合特色镇" in q.text and "临江多式联运特色镇" in q.listed
