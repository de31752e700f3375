import pytest

from app.prompts import PromptError, placeholders, prompt_names, prompts_version, render

VALUES = {
    "passages": "【第8条 标题】正文",
    "history": "",
    "question": "问题?",
    "ref": "第8条",
    "title": "标题",
    "text": "正文",
    "previous": "上一问",
}


@pytest.mark.parametrize("name", prompt_names())
def test_every_prompt_renders(name):
    needed = placeholders(name)
    out = render(name, **{k: VALUES[k] for k in needed})
    assert "$" not in out and out.strip()


def test_missing_and_extra_variables_fail():
    with pytest.raises(PromptError):
        render("passage", ref="第8条", title="x")
    with pytest.raises(PromptError):
        render("passage", ref="第8条", title="x", text="y", bogus=1)


def test_version_is_stable():
    assert prompts_version() == prompts_version() and len(prompts_version()) == 12
