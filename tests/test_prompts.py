import shutil

import pytest

import app.prompts as prompts_mod
from app.prompts import PromptError, placeholders, prompt_names, prompts_version, render

VALUES = {
    "passages": "【第8条 标题】正文",
    "history": "",
    "question": "问题?",
    "ref": "第8条",
    "title": "标题",
    "text": "正文",
    "previous": "上一问",
    "frame": "",
    "quote": "原文片段",
    "missing": "“驾照”",
    "refs": "第8条（标题）",
    "what": "数字",
    "count": 39,
    "articles": "第7条 标题",
    "act": "写作、翻译、计算或编程",
}


@pytest.mark.parametrize("name", prompt_names())
def test_every_prompt_and_template_renders(name):
    needed = placeholders(name)
    assert needed <= set(VALUES), f"add a value for {needed - set(VALUES)}"
    out = render(name, **{k: VALUES[k] for k in needed})
    assert "$" not in out and out.strip()


def test_missing_and_extra_variables_fail():
    with pytest.raises(PromptError):
        render("passage", ref="第8条", title="x")
    with pytest.raises(PromptError):
        render("passage", ref="第8条", title="x", text="y", bogus=1)


def test_version_follows_the_files(tmp_path, monkeypatch):
    before = prompts_version()
    copy = tmp_path / "prompts"
    shutil.copytree(prompts_mod.PROMPT_DIR, copy)
    monkeypatch.setattr(prompts_mod, "PROMPT_DIR", copy)
    assert prompts_version() == before and len(before) == 12
    (copy / "answer_lead.txt").write_text("《建议》写道：\n", encoding="utf-8")
    assert prompts_version() != before
