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
    assert make_query("那段店镇呢?", hist).previous == "庙岭镇的定位是什么?"
    assert make_query("三江港要建设哪些物流项目?", hist).previous == ""
    assert make_query("What about healthcare?", hist).english
