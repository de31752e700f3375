"""Over the whole gold set, with the real retriever: every line shown is a template or the plan's own words."""

import re

import pytest

from app.answering import Pipeline
from app.evaluate import load_gold
from app.prompts import PROMPT_DIR, prompt_names
from app.retrieve import open_retriever
from app.settings import Settings

pytestmark = pytest.mark.real
MODEL_PROMPTS = {"answer_system", "answer_user", "history", "passage", "study_point"}  # seen by the model only
FREE = {"missing", "refs", "articles", "count", "what", "title", "act"}  # filled from the question or the plan's titles


def template_lines(labels: set[str]) -> list[re.Pattern[str]]:
    frame = "|".join(re.escape(x) for x in sorted(labels, key=len, reverse=True))
    out = []
    for name in prompt_names():
        if name in MODEL_PROMPTS:
            continue
        for line in (PROMPT_DIR / f"{name}.txt").read_text(encoding="utf-8").splitlines():
            if line.strip():
                parts = re.split(r"\$(\w+)", line)
                pattern = "".join(
                    re.escape(p) if i % 2 == 0 else (f"(?P<frame>{frame})" if p == "frame" else f"(?P<{p}>.*?)")
                    for i, p in enumerate(parts)
                )
                out.append(re.compile(f"^{pattern}$"))
    return out


@pytest.fixture(scope="module")
def pipeline():
    s = Settings(auto_rebuild=False, answer_cache=False, mode="extractive")
    return Pipeline(open_retriever(s), s)


def valid(values: dict[str, str], body: str) -> bool:
    for key, value in values.items():
        if key == "ref" and not re.fullmatch(r"第\d+条|名词解释\d+|第[一二三四五六七八九]部分", value):
            return False
        if key in ("quote", "text") and not all(piece in body for piece in value.split("……")):
            return False
        if key not in ("ref", "quote", "text", "frame") and key not in FREE:
            return False
    return True


def test_every_line_of_every_gold_answer_is_a_template_or_verbatim(pipeline):
    plan = pipeline.plan
    units = [*plan.articles, *plan.glossary, *plan.parts]
    body = plan.preamble + "\n".join(plan.unit_text(u.ref) for u in units)
    patterns = template_lines({label for _, label in pipeline.composer.frames.values()} | {""})
    checked = 0
    for item in load_gold():
        answer = pipeline.answer(item.question, item.history)
        for line in filter(str.strip, answer.answer.splitlines()):
            matches = [m.groupdict() for p in patterns if (m := p.match(line))]
            assert any(valid(values, body) for values in matches), (item.id, line)
            checked += 1
    assert checked > 300
