"""Accessibility of the real page in headless Chromium (issue #14).

* axe-core (axe-playwright-python) on desktop and phone, in normal and 长辈模式, in every state: empty page,
  after an answer, with a cited article open, on each tab (and after a search and a generated study file).
  Zero violations of any impact; 长辈模式 also runs axe's 7:1 rule (color-contrast-enhanced, WCAG 1.4.6).
* Keyboard only: skip link, type, Enter, Tab to a citation chip, open its article, return; every focus stop
  shows a ring.
* 长辈模式: one tap at the top, remembered in localStorage, text ≥ 20 px with line height ≥ 1.6, tap targets
  ≥ 44 px, answer first and sources below, highlights not by colour alone.
* What a screen reader is told: lang, title, one h1, names of inputs, buttons and chips, the live region.

Screenshots of both modes on desktop and phone go to artifacts/a11y/ (gitignored).
Answers are waited for by their shape (a 第N条 citation, the live region's announcement), not their wording.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e_helpers import ARTIFACTS, VIEWPORTS, ask, bot_count, chromium, open_page, served_page, wait_for_answer

pytestmark = [pytest.mark.e2e, pytest.mark.real]

SHOTS = ARTIFACTS / "a11y"
QUESTION = "规划里对养老有什么安排？"
CHIP_NAME = re.compile(r"^第\d+条，打开原文$")

# axe-core rules switched off, each with the reason.  None: every rule axe-core runs by default applies
# (WCAG 2.0/2.1/2.2 A and AA and the best-practice rules such as one h1, heading order, landmarks).
DISABLED_RULES: dict[str, str] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # No language model: answers are put together from the plan's text, as on a PC without one.
    with served_page(tmp_path_factory.mktemp("a11y")) as (url, _, _):
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


# ---------------------------------------------------------------- helpers


def is_elder(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.classList.contains('elder')"))


def set_elder(page: Any, on: bool, size: str) -> None:
    """Tap (phone) or click (desktop) the 长辈模式 switch at the top until the mode is ``on``."""
    if is_elder(page) != on:
        toggle = page.locator("#elder-toggle")
        if size == "phone":
            toggle.tap()
        else:
            toggle.click()
    page.wait_for_function("(on) => document.documentElement.classList.contains('elder') === on", arg=on)


def axe(page: Any, elder: bool) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    rules: dict[str, dict[str, bool]] = {rule: {"enabled": False} for rule in DISABLED_RULES}
    if elder:
        rules["color-contrast-enhanced"] = {"enabled": True}  # 7:1 for all text in 长辈模式
    result = Axe().run(page, options={"resultTypes": ["violations"], "rules": rules})
    return list(result.response["violations"])


def report(found: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for state, violations in found.items():
        for v in violations:
            lines.append(f"[{state}] {v['id']} ({v['impact']}): {v['help']}")
            for node in v["nodes"][:6]:
                why = (node.get("any") or node.get("all") or node.get("none") or [{}])[0].get("message", "")
                lines.append(f"    {node['target']} {node['html'][:120]!r} — {why[:200]}")
    return "\n".join(lines)


def open_first_chip(page: Any, size: str) -> None:
    chip = page.locator("#chips label").first
    if size == "phone":
        chip.tap()
    else:
        chip.click()
    page.wait_for_selector("#side .article mark", timeout=15_000)


def show_tab(page: Any, name: str, size: str) -> None:
    tab = page.get_by_role("tab", name=name, exact=True)
    if size == "phone":
        tab.tap()
    else:
        tab.click()
    page.wait_for_function(
        "(name) => [...document.querySelectorAll('[role=tab]')].some("
        "t => t.textContent.trim() === name && t.getAttribute('aria-selected') === 'true')",
        arg=name,
    )


FOCUS_JS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return {
        tag: el.tagName.toLowerCase(), id: el.id, cls: String(el.className),
        name: el.getAttribute('aria-label') || (el.innerText || el.value || '').trim().slice(0, 40),
        ring: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2,
        onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0,
        skip: el.classList.contains('skip-link'), question: !!el.closest('#question'),
        chip: !!el.closest('#chips') && el.type === 'radio', article: !!el.closest('#side .article'),
        heading: /^H[1-6]$/.test(el.tagName), back: el.classList.contains('back-to-chips'),
    };
}"""


def focus(page: Any) -> dict[str, Any] | None:
    return page.evaluate(FOCUS_JS)


# Text that 长辈模式 must show at ≥ 20 px with line height ≥ 1.6.
TEXT_JS = """(selectors) => selectors.map((sel) => {
    const el = document.querySelector(sel);
    if (!el) return [sel, 0, 0];
    const cs = getComputedStyle(el);
    const size = parseFloat(cs.fontSize);
    const line = cs.lineHeight === 'normal' ? 0 : parseFloat(cs.lineHeight);
    return [sel, size, line / size];
})"""
ELDER_TEXT = [
    ".topbar .subtitle",
    ".notice",
    '[role="tab"]',
    '#chat [data-testid="bot"] .message-content p',
    '#chat [data-testid="user"] .message-content p',
    "#question textarea",
    "#send",
    "#status p",
    "#chips label span",
    "#side .article p",
    ".gallery-item",
    "#clear",
]

# Every visible control smaller than 44×44 px (radio/checkbox: their label is the target; glossary terms are
# words inside a sentence, which WCAG 2.5.5 exempts).
TARGETS_JS = """() => {
    const out = [];
    const sel = 'button, a[href], input, textarea, select, summary, [role="tab"], [tabindex]:not([tabindex="-1"])';
    for (const el of document.querySelectorAll(sel)) {
        if (el.disabled || el.closest('[aria-hidden="true"]') || el.matches('abbr.term, .skip-link')) continue;
        if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
        const target = (el.matches('input[type=radio], input[type=checkbox]') && el.closest('label')) || el;
        const r = target.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        if (r.width < 43.5 || r.height < 43.5) {
            const name = el.getAttribute('aria-label') || (target.innerText || el.value || el.placeholder || '').trim();
            out.push(`${el.tagName.toLowerCase()}#${el.id} "${name.slice(0, 30)}" ${Math.round(r.width)}×${Math.round(r.height)}`);
        }
    }
    return out;
}"""


# ---------------------------------------------------------------- axe in every state


@pytest.mark.parametrize("mode", ["normal", "elder"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_axe_finds_nothing_in_any_state(server, browser, size, mode):
    """Reduced motion: colours are measured at rest, not halfway through a transition."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    elder = mode == "elder"
    page = open_page(browser, server, size, reduced_motion="reduce")
    set_elder(page, elder, size)
    found: dict[str, list[dict[str, Any]]] = {}

    def check(state: str, shot: bool = False) -> None:
        found[state] = axe(page, elder)
        if shot:
            page.screenshot(path=str(SHOTS / f"{size}-{mode}-{state}.png"), full_page=True)

    check("empty", shot=True)
    ask(page, QUESTION)
    check("answer", shot=True)
    open_first_chip(page, size)
    check("article", shot=True)
    show_tab(page, "原文", size)
    check("tab-plan")
    page.fill("#find textarea, #find input", "三江港")
    page.keyboard.press("Enter")
    page.wait_for_selector("#plan .hit", timeout=20_000)
    check("plan-search")
    show_tab(page, "名词解释", size)
    check("tab-glossary")
    show_tab(page, "学习材料", size)
    check("tab-study")
    page.fill("#study-scope textarea, #study-scope input", "7-11")
    page.click("#study-go")
    page.wait_for_selector("#study-file a", timeout=90_000)
    check("study-generated", shot=True)
    page.context.close()

    counts = {state: sum(len(v["nodes"]) for v in vs) for state, vs in found.items()}
    print(f"axe {size}/{mode}: {counts}")
    assert not any(counts.values()), report({s: v for s, v in found.items() if v})


def test_axe_dark_preference_still_gets_the_checked_light_page(server, browser):
    """The colours above are checked on the light theme; a dark system setting must not switch the page away."""
    page = open_page(browser, server, "desktop", color_scheme="dark", reduced_motion="reduce")
    ask(page, QUESTION)
    assert not page.evaluate("document.body.classList.contains('dark')")
    found = axe(page, elder=False)
    assert not found, report({"dark-preference": found})
    page.context.close()


# ---------------------------------------------------------------- keyboard only


def test_keyboard_only_question_citation_article_and_back(server, browser):
    page = open_page(browser, server, "desktop")
    keys = page.keyboard

    keys.press("Tab")
    first = focus(page)
    assert first and first["skip"] and first["ring"] and first["onScreen"], first
    keys.press("Tab")
    toggle = focus(page)
    assert toggle and toggle["id"] == "elder-toggle" and toggle["ring"], toggle
    keys.press("Shift+Tab")
    keys.press("Enter")  # 跳到提问框
    f = focus(page)
    assert f and f["question"] and f["ring"], f

    before = bot_count(page)
    keys.type(QUESTION)
    keys.press("Enter")
    wait_for_answer(page, before)
    f = focus(page)
    assert f and f["question"], f  # focus stays where the user typed

    for _ in range(15):  # Tab on to the first citation chip
        keys.press("Tab")
        f = focus(page)
        assert f and f["ring"] and f["onScreen"], f
        if f["chip"]:
            break
    assert f and f["chip"] and CHIP_NAME.match(f["name"]), f

    keys.press("Space")  # choose the chip: its article opens and takes the focus
    page.wait_for_function("() => !!document.activeElement?.closest('#side .article')", timeout=15_000)
    heading = focus(page)
    assert heading and heading["heading"] and heading["ring"], heading
    assert page.locator("#side .article mark").count() >= 1
    assert re.match(r"第\d+条", heading["name"]), heading

    keys.press("Tab")
    back = focus(page)
    assert back and back["back"] and back["ring"], back
    keys.press("Enter")  # 返回引用条目
    page.wait_for_function("() => document.activeElement?.closest('#chips') !== null")
    f = focus(page)
    assert f and f["chip"] and f["ring"], f

    keys.press("Tab")  # into the article again, and Escape returns too
    for _ in range(30):
        if (f := focus(page)) and f["article"]:
            break
        keys.press("Tab")
    keys.press("Escape")
    page.wait_for_function("() => document.activeElement?.closest('#chips') !== null")

    # A full round (past the end of the page, back to the chip): every stop shows where the focus is.
    stops, missing, wrapped = 0, [], False
    for _ in range(200):
        keys.press("Tab")
        f = focus(page)
        if f is None:
            wrapped = True
            continue
        if wrapped and f["chip"]:
            break
        stops += 1
        if not (f["ring"] and f["onScreen"]):
            missing.append(f)
    assert wrapped and stops > 15 and not missing, (stops, missing)
    page.context.close()


# ---------------------------------------------------------------- 长辈模式


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_elder_mode_one_tap_remembered_large_and_simple(server, browser, size):
    page = open_page(browser, server, size)
    toggle = page.locator("#elder-toggle")
    box = toggle.bounding_box()
    assert box and box["y"] + box["height"] <= VIEWPORTS[size][1] / 3  # at the top, without scrolling
    assert toggle.get_attribute("aria-pressed") == "false" and not is_elder(page)

    set_elder(page, True, size)  # one tap
    assert toggle.get_attribute("aria-pressed") == "true"
    assert page.evaluate("localStorage.getItem('huarong-elder-mode')") == "1"
    page.reload()
    page.wait_for_selector("#question textarea", timeout=30_000)
    page.wait_for_function("() => document.getElementById('elder-toggle')?.getAttribute('aria-pressed') === 'true'")
    assert is_elder(page)  # remembered

    ask(page, QUESTION)
    open_first_chip(page, size)
    page.get_by_text("对最新回答的评价").click()
    page.wait_for_selector("#comment textarea")

    for sel, px, ratio in page.evaluate(TEXT_JS, ELDER_TEXT):
        assert px >= 20 and ratio >= 1.6, f"{sel}: {px}px, line height {ratio:.2f}"

    small = page.evaluate(TARGETS_JS)
    for tab in ["原文", "名词解释", "学习材料"]:
        show_tab(page, tab, size)
        small += [f"[{tab}] {t}" for t in page.evaluate(TARGETS_JS)]
    assert not small, small
    show_tab(page, "问答", size)

    # One column: the answer first, its sources below it.
    chat, side = page.locator("#chat").bounding_box(), page.locator("#side").bounding_box()
    assert chat and side and side["y"] >= chat["y"] + chat["height"] and abs(side["x"] - chat["x"]) < 40

    # Not by colour alone: the cited passage is underlined, sources are named in words, the tab is underlined.
    assert "underline" in page.eval_on_selector("#side .article mark", "m => getComputedStyle(m).textDecorationLine")
    assert re.search(r"第\d+条", page.locator('#chat [data-testid="bot"]').last.inner_text())
    cites = page.locator("#chat .cite")
    for i in range(cites.count()):  # coloured citations are bracketed and underlined too
        assert re.fullmatch(r"\[.+\]", cites.nth(i).inner_text())
        assert "underline" in cites.nth(i).evaluate("c => getComputedStyle(c).textDecorationLine")
    selected = page.locator('[role="tab"][aria-selected="true"]').first
    assert "underline" in selected.evaluate("t => getComputedStyle(t).textDecorationLine")

    set_elder(page, False, size)
    assert page.evaluate("localStorage.getItem('huarong-elder-mode')") == "0"
    page.reload()
    page.wait_for_selector("#question textarea", timeout=30_000)
    page.wait_for_function("() => window.hrA11y !== undefined")
    assert not is_elder(page)
    page.context.close()


# ---------------------------------------------------------------- what a screen reader is told


def test_screen_reader_names_and_live_region(server, browser):
    page = open_page(browser, server, "desktop")
    page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
    assert page.title() == "华容规划问答"
    assert page.locator("h1").count() == 1 and page.locator("h1").inner_text() == "华容规划问答"
    assert page.get_by_role("textbox", name="您的问题").count() == 1
    assert page.get_by_role("button", name="提问", exact=True).count() == 1
    assert page.get_by_role("button", name="长辈模式").get_attribute("aria-pressed") == "false"
    assert page.get_by_role("log", name="对话记录").get_attribute("aria-live") == "off"  # read once, when done
    live = page.locator("#a11y-live")
    assert live.get_attribute("role") == "status" and live.get_attribute("aria-live") == "polite"
    assert live.inner_text().strip() == ""

    ask(page, QUESTION)
    said = live.inner_text()
    assert said.startswith("回答完成") and re.search(r"第\d+条", said), said
    chips = page.get_by_role("radio", name=CHIP_NAME)
    assert chips.count() >= 1
    assert page.get_by_role("group", name=re.compile("本回答引用的条目")).count() == 1
    english = page.evaluate(
        "() => [...document.querySelectorAll('[aria-label]')].map(e => e.getAttribute('aria-label'))"
        ".filter(l => /^[A-Za-z][A-Za-z .!']*$/.test(l))"
    )
    assert english == [], english  # every control is named in Chinese
    page.context.close()
