"""The real page in headless Chromium, as a person would use it; screenshots go to artifacts/."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from app.answering import Pipeline
from app.feedback import FeedbackStore
from app.gate import GatedModel, ModelGate
from app.retrieve import open_retriever
from app.server import build_app, serve
from app.settings import Settings
from tests.e2e_helpers import CHROMIUM, CHROMIUM_ARGS
from tests.fakes import ScriptedGenerator

pytestmark = [pytest.mark.e2e, pytest.mark.real]

SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlowScript(ScriptedGenerator):
    """Answers like a model would, slowly enough that a second user must wait."""

    def stream(self, messages, max_tokens, deadline_s):
        for piece in super().stream(messages, max_tokens, deadline_s):
            time.sleep(0.15)
            yield piece


REPLY = (
    "规划提出推进长期护理保险制度试点,实现社区居家养老服务中心全覆盖。[第28条]"
    "还要提高农村老年人互助照料活动中心覆盖率。[第28条]<script>alert(1)</script>"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    tmp = tmp_path_factory.mktemp("ui")
    settings = Settings(
        auto_rebuild=False,
        queue_size=0,
        port=_free_port(),
        feedback_db=tmp / "fb.sqlite3",
        refine="draft",
        answer_cache=False,
        download_dir=tmp / "downloads",
        questions_burst=1000,  # one browser asks every question; the limit has its own test below
    )
    gate = ModelGate(settings.queue_size)
    answerer = Pipeline(open_retriever(settings), settings, GatedModel(SlowScript(REPLY), gate))
    store = FeedbackStore(settings.feedback_db)
    server = serve(build_app(answerer, settings, store), settings, background=True)
    yield f"http://127.0.0.1:{settings.port}", gate, store
    server.should_exit = True


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, url: str, width: int = 1280, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.wait_for_selector("#question textarea", timeout=30_000)
    return page


def _ask(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.click("#send")


@pytest.mark.parametrize(("name", "width", "height"), [("desktop", 1280, 900), ("mobile", 390, 844)])
def test_ask_stream_cite_click(server, browser, name, width, height):
    url, gate, _ = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = _open(browser, url, width, height)
    _ask(page, "规划里对养老有什么安排？")
    page.wait_for_selector("#side .hit", timeout=20_000)  # original excerpts before the answer completes
    page.wait_for_selector("#chips input", timeout=60_000)
    bubble = page.locator("#chat .message").last.inner_text()
    assert "[第28条]" in bubble and "养老" in bubble
    assert page.locator("#chat script").count() == 0 and "alert(1)" not in bubble  # the model's words never shown
    page.screenshot(path=str(SHOTS / f"{name}-answer.png"), full_page=True)
    page.locator("#chips label").first.click()
    page.wait_for_selector("#side .article mark", timeout=10_000)
    side = page.locator("#side").inner_text()
    assert "第28条 健全多层次社会保障体系" in side and "第六部分" in side
    marked = page.locator("#side .article mark").first.inner_text()
    assert marked and marked.rstrip("。；;,，") in bubble  # exactly the quoted span is highlighted
    page.screenshot(path=str(SHOTS / f"{name}-article.png"), full_page=True)
    page.close()
    assert gate.max_inside <= 1


def test_missing_figure_is_said_plainly(server, browser):
    """A date the plan does not give: said so, closest sentence quoted, its article one tap away."""
    url, _, _ = server
    page = _open(browser, url, 390, 844)
    _ask(page, "武汉地铁11号线什么时候通到华容？")
    page.wait_for_selector("#chips input", timeout=30_000)
    bubble = page.locator("#chat .message").last.inner_text()
    assert bubble.startswith("《建议》没有给出这方面的具体时间") and "积极承接武汉地铁11号线延伸工程" in bubble
    page.locator("#chips label").first.click()
    page.wait_for_selector("#side .article mark", timeout=10_000)
    assert "第12条" in page.locator("#side").inner_text()
    page.screenshot(path=str(SHOTS / "mobile-no-figure.png"), full_page=True)
    page.close()


def test_feedback_is_stored(server, browser):
    url, _, store = server
    page = _open(browser, url)
    _ask(page, "第8条讲什么？")
    page.wait_for_selector("#chips input", timeout=30_000)
    page.get_by_text("对最新回答的评价").click()
    page.fill("#comment textarea", "原文很清楚")
    page.click("#up")
    page.wait_for_selector("text=感谢您的反馈", timeout=10_000)
    rows = store.rows()
    assert rows and rows[-1][2] == "第8条讲什么？" and rows[-1][6] == 1 and rows[-1][7] == "原文很清楚"
    page.close()


def test_browse_plan_and_glossary(server, browser):
    url, _, _ = server
    page = _open(browser, url)
    page.get_by_role("tab", name="原文").click()
    page.wait_for_selector("#plan #a39")
    page.fill("#find textarea, #find input", "三江港")
    page.keyboard.press("Enter")
    page.wait_for_selector("#plan .hit", timeout=15_000)
    assert "第13条" in page.locator("#plan").inner_text()
    page.screenshot(path=str(SHOTS / "browse.png"), full_page=True)
    page.get_by_role("tab", name="名词解释").click()
    assert "月光经济" in page.locator("#glossary").inner_text()
    page.close()


def test_a_second_user_is_answered_while_the_model_is_busy(server, browser):
    url, gate, _ = server
    first, second = _open(browser, url), _open(browser, url)
    ticket = gate.enter()  # the model is busy (someone else's refinement, a study job)
    try:
        _ask(first, "规划里对养老有什么安排？")
        _ask(second, "以后老百姓看病会不会更方便？")
        for page in (first, second):  # both get the complete answer without waiting for the model
            page.wait_for_selector("#chips input", timeout=30_000)
        assert "[第27条]" in second.locator("#chat .message").last.inner_text()
        second.screenshot(path=str(SHOTS / "two-users.png"), full_page=True)
    finally:
        gate.leave(ticket)
    first.close()
    second.close()


def test_study_tab_download(server, browser):
    url, _, _ = server
    page = _open(browser, url)
    page.get_by_role("tab", name="学习材料").click()
    page.fill("#study-scope textarea, #study-scope input", "7-11")
    page.click("#study-go")
    page.wait_for_selector("#study-file a", timeout=60_000)
    assert ".docx" in page.locator("#study-file").inner_text()
    assert "原文摘编" in page.locator("#study-view").inner_text()
    page.screenshot(path=str(SHOTS / "study.png"), full_page=False)
    page.close()


def test_glossary_term_tap_shows_definition(server, browser):
    url, _, _ = server
    page = _open(browser, url, 390, 844)
    _ask(page, "什么是月光经济？")
    page.wait_for_selector("#chat abbr.term", timeout=30_000)
    term = page.locator("#chat abbr.term").first
    assert "夜市经济" in (term.get_attribute("title") or "")
    term.click()
    page.wait_for_selector(".term-pop", timeout=5_000)
    assert "夜市经济" in page.locator(".term-pop").inner_text()
    page.screenshot(path=str(SHOTS / "mobile-term.png"), full_page=False)
    page.close()


def test_page_works_under_its_security_policy(server, browser):
    """CSP and anti-framing headers on: the page still asks, shows, generates and downloads, loads nothing from
    elsewhere, breaks no policy — and refuses to be framed by another origin."""
    url, _, _ = server
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    foreign: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("console", lambda m: problems.append(m.text) if "CSPV" in m.text or "Content Security" in m.text else None)
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith((url, "data:", "blob:")) else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error('CSPV', e.violatedDirective))"
    )
    response = page.goto(url)
    headers = response.headers if response else {}
    assert headers.get("x-frame-options") == "DENY" and "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "server" not in headers
    page.wait_for_selector("#question textarea", timeout=30_000)
    _ask(page, "规划里对养老有什么安排？")
    page.wait_for_selector("#chips input", timeout=60_000)
    page.get_by_role("tab", name="学习材料").click()
    page.fill("#study-scope textarea, #study-scope input", "25-28")
    page.click("#study-go")
    page.wait_for_selector("#study-file a", timeout=60_000)
    href = page.locator("#study-file a").get_attribute("href") or ""
    assert href.startswith("downloads/") and "/tmp" not in href  # no server path in the link
    with page.expect_download() as download:
        page.locator("#study-file a").click()
    assert download.value.suggested_filename.endswith(".docx") and download.value.failure() is None
    assert problems == [] and foreign == []
    page.set_content(f'<iframe id="f" src="{url}" width="600" height="400"></iframe>')
    page.wait_for_load_state("load")
    framed = page.frames[-1]
    assert framed is not page.main_frame and framed.url.startswith("chrome-error://")  # refused by the browser
    page.close()


def test_too_many_questions_are_explained_and_the_question_kept(tmp_path, browser):
    settings = Settings(
        auto_rebuild=False,
        port=_free_port(),
        feedback_db=tmp_path / "fb.sqlite3",
        download_dir=tmp_path / "downloads",
        questions_burst=1,
        questions_per_minute=0.5,
    )
    answerer = Pipeline(open_retriever(settings), settings)
    server = serve(build_app(answerer, settings, FeedbackStore(settings.feedback_db)), settings, background=True)
    try:
        page = _open(browser, f"http://127.0.0.1:{settings.port}")
        _ask(page, "第8条讲什么？")
        page.wait_for_selector("#chips input", timeout=30_000)
        _ask(page, "规划里对养老有什么安排？")
        page.wait_for_selector("text=您提问太频繁了", timeout=20_000)  # said in Chinese, with the wait
        assert page.input_value("#question textarea") == "规划里对养老有什么安排？"  # nothing lost
        page.screenshot(path=str(SHOTS / "rate-limited.png"), full_page=False)
        page.close()
    finally:
        server.should_exit = True
