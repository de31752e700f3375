"""Shared pieces of the headless-Chromium tests: the browser, a served page, asking a question.

Kept free of answer wording: "an answer has arrived" means the last assistant bubble cites an article
(第N条) and the page's live region has announced the finished answer.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def served_page(tmp: Path, generator: Any = None) -> Iterator[tuple[str, Any, Any]]:
    """The whole app (page + API) on a free loopback port: (url, gate, feedback store)."""
    from app.answering import Pipeline
    from app.feedback import FeedbackStore
    from app.gate import GatedModel, ModelGate
    from app.retrieve import open_retriever
    from app.server import build_app, serve
    from app.settings import Settings

    refine = "draft" if generator is not None else "off"
    # One browser (one address) walks every state on purpose; the per-visitor limits have their own tests.
    settings = Settings(
        auto_rebuild=False,
        port=free_port(),
        feedback_db=tmp / "fb.sqlite3",
        download_dir=tmp / "downloads",
        refine=refine,
        answer_cache=False,
        questions_burst=1000,
        studies_burst=100,
        searches_burst=1000,
    )
    gate = ModelGate(settings.queue_size)
    model = GatedModel(generator, gate) if generator is not None else None
    answerer = Pipeline(open_retriever(settings), settings, model)
    store = FeedbackStore(settings.feedback_db)
    server = serve(build_app(answerer, settings, store), settings, background=True)
    try:
        yield f"http://127.0.0.1:{settings.port}", gate, store
    finally:
        server.should_exit = True


def open_page(browser: Any, url: str, size: str = "desktop", **context: Any) -> Any:
    """A fresh browser context (own localStorage) at ``size``; phones get touch and the mobile viewport."""
    width, height = VIEWPORTS[size]
    extra: dict[str, Any] = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
    ctx = browser.new_context(viewport={"width": width, "height": height}, **extra, **context)
    page = ctx.new_page()
    page.goto(url)
    page.wait_for_selector("#question textarea", timeout=30_000)
    page.wait_for_function("() => window.hrA11y !== undefined", timeout=30_000)
    return page


def bot_count(page: Any) -> int:
    return page.locator('#chat [data-testid="bot"]').count()


def wait_for_answer(page: Any, before: int, timeout: int = 90_000) -> str:
    """Wait until a new assistant bubble cites an article and the live region has announced it; its text."""
    page.wait_for_function(
        """(n) => {
            const bots = document.querySelectorAll('#chat [data-testid="bot"]');
            const live = document.getElementById('a11y-live');
            return bots.length > n && /第\\d+条/.test(bots[bots.length - 1].innerText)
                && live !== null && live.textContent.includes('回答完成');
        }""",
        arg=before,
        timeout=timeout,
    )
    page.wait_for_selector("#chips input", timeout=timeout)
    return page.locator('#chat [data-testid="bot"]').last.inner_text()


def ask(page: Any, question: str) -> str:
    """Type a question, send it with the 提问 button, wait for the finished answer."""
    before = bot_count(page)
    page.fill("#question textarea", question)
    page.click("#send")
    return wait_for_answer(page, before)
