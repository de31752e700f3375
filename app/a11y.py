"""Accessibility and 长辈模式 (elder-friendly mode) for the web page.

Everything here is static: a theme whose colours meet WCAG 2.1 AA contrast (and AAA, 7:1, in 长辈模式),
CSS, and one HEAD script.  The script

* sets ``<html lang="zh-CN">`` (Gradio writes the browser's locale there) and keeps the page light
  (our colours are checked against the light theme only);
* turns 长辈模式 on and off from the button at the top of the page and remembers it in localStorage;
* patches what Gradio renders in English or leaves unnamed: the chat log's and buttons' labels,
  radio groups without a legend, the citation chips ("第26条，打开原文"), the accordion's state;
* announces a finished answer in one polite live region (the chat log itself is kept quiet, so that
  streamed text is not read out piece by piece);
* moves focus to the cited article when a chip is chosen, and back to the chip from the article;
* shows a glossary term's definition on tap, hover or keyboard focus.

The page structure (one ``<h1>``, labelled controls, the live region) is built in :mod:`app.ui`.
"""

from __future__ import annotations

import gradio as gr

# localStorage key for 长辈模式 ("1" on, "0" off).
ELDER_KEY = "huarong-elder-mode"
LIVE_ID = "a11y-live"

# Colours (contrast against white / the theme's #f9fafb page background, WCAG formula):
#   #b91c1c 6.5:1, #991b1b 8.3:1, #7f1d1d 10.0:1, #4b5563 7.6:1, #374151 10.3:1, #111827 17.7:1.
FOCUS = "#1d4ed8"  # focus ring: 6.7:1 on white (non-text contrast needs 3:1)


def theme() -> gr.themes.Base:
    """Gradio's Soft theme in red, with every text/background pair at 4.5:1 or more and outlined controls."""
    return gr.themes.Soft(primary_hue="red").set(
        color_accent="*primary_700",
        block_label_text_color="*primary_800",
        block_title_text_color="*primary_800",
        body_text_color_subdued="*neutral_600",
        block_info_text_color="*neutral_600",
        input_placeholder_color="*neutral_500",
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_text_color="white",
        checkbox_label_background_fill_selected="*primary_700",
        checkbox_label_text_color_selected="white",
        loader_color="*primary_700",
        # Non-text contrast (WCAG 1.4.11): fields, radio circles and secondary buttons outlined at 4.8:1.
        input_border_width="1px",
        input_border_color="*neutral_500",
        input_border_color_focus="*primary_700",
        checkbox_border_color="*neutral_500",
        checkbox_label_border_color="*neutral_500",
        button_secondary_border_color="*neutral_500",
        button_primary_border_color="*primary_700",
    )


CSS = f"""
/* ---- always ---- */
/* This sheet goes into <head> as is: Gradio would prefix a css= sheet's selectors with ".gradio-container… .contain"
   (which breaks html.elder… and @media rules).  The page's own css= rules get that prefix (specificity 0,4,0),
   so overrides of them here carry !important. */
#chat .message .prose, #chat .message .md {{ opacity: 1 !important; }}  /* Gradio dims messages to 0.8 */
/* specificity 0,3,2: above Gradio's "textarea.svelte-…{{outline:none!important}}" */
html:root body :focus-visible:focus-visible {{ outline: 3px solid {FOCUS} !important; outline-offset: 2px !important; }}
html:root body textarea:focus-visible:focus-visible, html:root body input:focus-visible:focus-visible {{
  outline-offset: 0 !important; }}
.hr-sr-only {{ position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }}
/* The page's own controls: under #topbar/#side (an id) to stay above Gradio's resets, e.g.
   ".gradio-container-6-31-0 [type=button]{{background-color:transparent}}" (0,2,0). */
#topbar .skip-link {{ position: absolute; left: 8px; top: -100px; z-index: 2000; background: #fff; color: #7f1d1d;
  padding: 10px 14px; border: 2px solid #7f1d1d; border-radius: 6px; font-weight: 700; transition: none !important; }}
#topbar .skip-link:focus {{ top: 8px; }}
#topbar .topbar {{ display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between;
  gap: 8px 16px; }}
#topbar h1 {{ font-size: 1.6em; margin: 0; line-height: 1.3; }}
#topbar .subtitle {{ margin: 2px 0 0; color: #374151; }}
#topbar .elder-toggle {{ display: inline-flex; align-items: center; gap: 6px; min-height: 44px; padding: 8px 16px;
  border: 2px solid #7f1d1d; border-radius: 22px; background: #fff; color: #7f1d1d; font-size: 1.05em;
  font-weight: 700; cursor: pointer; }}
#topbar .elder-toggle span {{ color: inherit; }}
#topbar .elder-toggle[aria-pressed="true"] {{ background: #7f1d1d; color: #fff; }}
#topbar .elder-toggle .elder-state::before {{ content: "○ "; }}
#topbar .elder-toggle[aria-pressed="true"] .elder-state::before {{ content: "✓ "; }}
[role="tab"][aria-selected="true"] {{ font-weight: 700; text-decoration: underline; text-underline-offset: 6px; }}
.article mark {{ text-decoration: underline; text-decoration-thickness: 2px; text-underline-offset: 3px; }}
#side .back-to-chips {{ min-height: 44px; margin: 4px 0 8px; padding: 6px 14px; border: 2px solid #7f1d1d;
  border-radius: 8px; background: #fff; color: #7f1d1d; font-weight: 700; cursor: pointer; }}
.article h2, .article h3 {{ margin-top: 0.4em; }}
@media (prefers-reduced-motion: reduce) {{
  *, *::before, *::after {{ transition: none !important; animation-duration: 0.01ms !important;
    animation-iteration-count: 1 !important; scroll-behavior: auto !important; }}
}}

/* ---- 长辈模式: base text 20 px, line height 1.7, body text 7:1 or more, tap targets 44 px, one column ---- */
html.elder {{
  --text-xxs: 16px; --text-xs: 18px; --text-sm: 20px; --text-md: 20px; --text-lg: 22px; --text-xl: 26px;
  --text-xxl: 30px;
  --body-text-size: 20px; --prose-text-size: 20px; --chatbot-text-size: 22px; --input-text-size: 20px;
  --block-label-text-size: 20px; --block-title-text-size: 20px; --block-info-text-size: 20px;
  --checkbox-label-text-size: 20px; --section-header-text-size: 20px; --button-large-text-size: 22px;
  --button-small-text-size: 20px; --button-medium-text-size: 20px;
  --line-sm: 1.6; --line-md: 1.7; --line-lg: 1.8; --prose-header-text-weight: 700;
  --body-text-color: #111827; --body-text-color-subdued: #374151; --block-info-text-color: #374151;
  --input-placeholder-color: #4b5563; --block-label-text-color: #7f1d1d; --block-title-text-color: #7f1d1d;
  --color-accent: #991b1b; --button-primary-background-fill: #991b1b;
  --button-primary-background-fill-hover: #7f1d1d; --checkbox-label-background-fill-selected: #991b1b;
  --button-secondary-text-color: #111827; --body-background-fill: #ffffff; --background-fill-primary: #ffffff;
  --block-label-background-fill: #fef2f2;
  --link-text-color: #312e81; --link-text-color-hover: #1e1b4b; --link-text-color-visited: #4c1d95;
  --link-text-color-active: #1e1b4b;
}}
html.elder a[href] {{ text-decoration: underline !important; }}
html.elder body, html.elder .gradio-container {{ font-size: 20px; line-height: 1.7; }}
html.elder .prose, html.elder .prose p, html.elder .prose li, html.elder .prose dd, html.elder .prose dt,
html.elder .md, html.elder textarea, html.elder input, html.elder label, html.elder button,
html.elder .message-content {{ font-size: max(20px, 1em); line-height: 1.7; }}
html.elder .notice {{ font-size: 20px !important; color: #111827 !important; background: #fff !important;
  border-left-width: 6px !important; }}
html.elder #topbar .subtitle {{ color: #111827; }}
html.elder .hit {{ background: #fff !important; border-color: #6b7280 !important; }}
html.elder .hit b {{ color: #7f1d1d !important; }}
html.elder .article .part {{ color: #374151 !important; font-size: 20px !important; }}
html.elder .cite {{ color: #7f1d1d !important; text-decoration: underline !important; }}
html.elder abbr.term {{ text-decoration: underline dotted #7f1d1d 2px !important; }}
html.elder .term-pop {{ font-size: 20px !important; line-height: 1.7 !important; color: #111827 !important;
  max-width: min(420px, 92vw) !important; }}
html.elder:root body :focus-visible:focus-visible {{ outline-width: 4px !important; }}
/* tap targets */
html.elder button, html.elder [role="tab"], html.elder textarea, html.elder input[type="text"],
html.elder input[role="listbox"], html.elder input[role="combobox"], html.elder select,
html.elder .gallery-item, html.elder fieldset label, html.elder .label-wrap {{ min-height: 44px; }}
html.elder .icon-button, html.elder button[aria-label] {{ min-width: 44px; min-height: 44px; }}
html.elder fieldset label {{ display: inline-flex; align-items: center; padding: 6px 14px; }}
html.elder input[type="radio"], html.elder input[type="checkbox"] {{ width: 24px; height: 24px; }}
/* one column: the answer first, its sources below, nothing beside it */
html.elder #qa-row {{ flex-direction: column !important; }}
html.elder #qa-row > .column {{ width: 100% !important; min-width: 100% !important; flex: 1 1 auto !important; }}
html.elder .gradio-container {{ max-width: 1000px !important; margin: 0 auto !important; }}
html.elder #chat {{ height: auto !important; min-height: 160px; }}
@media (max-width: 480px) {{
  .gradio-container .main.app {{ padding-left: 8px !important; padding-right: 8px !important; }}
  html.elder [role="tab"] {{ padding-left: 10px !important; padding-right: 10px !important; }}
  html.elder #question textarea {{ min-height: 88px; }}  /* the example in the placeholder wraps, not cut */
}}
"""


# The glossary pop-up and everything listed in the module docstring.  ``window.hrA11y`` is called from
# event ``js`` hooks in app.ui (after an answer; after a chip opens an article).
HEAD = (
    "<style>"
    + CSS
    + """</style>
<script>
(() => {
  const KEY = "__ELDER_KEY__", LIVE = "__LIVE_ID__";
  const root = document.documentElement;
  const stored = () => { try { return localStorage.getItem(KEY) === "1"; } catch (e) { return false; } };
  root.classList.toggle("elder", stored());

  const LABELS = {
    "Clear": "清除对话记录", "Copy conversation": "复制全部对话", "Copy message": "复制这条消息",
    "Copied conversation": "已复制全部对话", "Copied message": "已复制", "Copied!": "已复制", "Copy": "复制",
    "Like": "有帮助", "Dislike": "有问题", "More tabs": "更多标签页", "Scroll down": "滚动到最新消息",
    "Retry": "重试", "Undo": "撤销", "Edit": "编辑", "Download": "下载", "Share": "分享", "Remove": "移除",
    "Close": "关闭", "Empty value": "暂无内容", "Loading...": "正在加载", "chatbot conversation": "对话记录",
  };

  function text(el) { return (el && (el.innerText || el.textContent) || "").replace(/\\s+/g, " ").trim(); }
  function setAttr(el, name, value) { if (el.getAttribute(name) !== value) el.setAttribute(name, value); }

  function syncToggle() {
    const on = root.classList.contains("elder");
    document.querySelectorAll("#elder-toggle").forEach((b) => {
      setAttr(b, "aria-pressed", on ? "true" : "false");
      const state = b.querySelector(".elder-state");
      const want = on ? "已开启" : "未开启";
      if (state && state.textContent !== want) state.textContent = want;
    });
  }

  function setElder(on) {
    root.classList.toggle("elder", on);
    try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) { /* private mode: this visit only */ }
    syncToggle();
    announce(on ? "已开启长辈模式：大字、高对比、单栏显示。" : "已关闭长辈模式。");
  }

  function announce(message) {
    const live = document.getElementById(LIVE);
    if (!live) return;
    live.textContent = "";
    setTimeout(() => { live.textContent = message; }, 60);  // a fresh change, even for the same words
  }

  function patch() {
    if (root.getAttribute("lang") !== "zh-CN") root.setAttribute("lang", "zh-CN");
    if (document.body && document.body.classList.contains("dark")) document.body.classList.remove("dark");
    syncToggle();
    document.querySelectorAll("[aria-label], [title]").forEach((el) => {
      for (const name of ["aria-label", "title"]) {
        const v = el.getAttribute(name);
        if (v && Object.prototype.hasOwnProperty.call(LABELS, v)) el.setAttribute(name, LABELS[v]);
      }
    });
    const q = questionBox();
    if (q && !q.id) q.id = "question-input";  // the skip link's target
    document.querySelectorAll("div.empty[aria-label]:not([role])").forEach((el) => el.setAttribute("role", "img"));
    document.querySelectorAll("#chat [role=log]").forEach((log) => {
      setAttr(log, "aria-label", "对话记录");
      setAttr(log, "aria-live", "off");  // finished answers are announced once, in the live region
    });
    document.querySelectorAll('#chat [data-testid="user"], #chat [data-testid="bot"]').forEach((m) => {
      const who = m.getAttribute("data-testid") === "user" ? "您的问题：" : "回答：";
      setAttr(m, "aria-label", who + text(m.querySelector(".message-content") || m));
    });
    document.querySelectorAll("fieldset").forEach((fs, i) => {
      if (fs.querySelector("legend") || fs.hasAttribute("aria-labelledby")) return;
      const info = fs.querySelector(':scope > [data-testid="block-info"]');
      if (!info || !text(info)) return;
      if (!info.id) info.id = "fs-label-" + i;
      fs.setAttribute("aria-labelledby", info.id);
    });
    document.querySelectorAll('#chips input[type="radio"]').forEach((r) => {
      setAttr(r, "aria-label", (r.value || text(r.parentElement)) + "，打开原文");
    });
    document.querySelectorAll(".label-wrap").forEach((b) => {
      const content = b.parentElement && b.parentElement.querySelector('[data-testid="accordion-content"]');
      if (content) setAttr(b, "aria-expanded", content.style.display === "none" ? "false" : "true");
    });
  }

  let queued = false;
  const schedule = () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; patch(); }); } };
  new MutationObserver(schedule).observe(root, {
    subtree: true, childList: true, attributes: true,
    attributeFilter: ["lang", "class", "aria-label", "title", "style", "value"],
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", patch); else patch();

  function questionBox() { return document.querySelector("#question textarea, #question input"); }
  function chosenChip() {
    return document.querySelector('#chips input[type="radio"]:checked') || document.querySelector('#chips input[type="radio"]');
  }
  function motion() { return matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth"; }

  window.hrA11y = {
    setElder,
    announce,
    /** After an answer (or a refusal, or an error) has been shown in full. */
    answered() {
      patch();
      const bots = document.querySelectorAll('#chat [data-testid="bot"]');
      const last = bots.length ? text(bots[bots.length - 1].querySelector(".message-content") || bots[bots.length - 1]) : "";
      const status = text(document.getElementById("status"));
      if (last || status) announce("回答完成。" + last + (status ? " " + status : ""));
    },
    /** After a citation chip has opened its article: focus the article's heading (the chip stays one step back). */
    articleOpened() {
      const side = document.getElementById("side");
      const heading = side && side.querySelector(".article h2, .article h3");
      if (!heading) return;
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
      heading.scrollIntoView({ behavior: motion(), block: "start" });
    },
    backToChips() {
      const chip = chosenChip();
      if (chip) { chip.focus({ preventScroll: true }); chip.scrollIntoView({ behavior: motion(), block: "center" }); }
      else { const q = questionBox(); if (q) q.focus(); }
    },
  };

  function closeTerm() { document.querySelectorAll(".term-pop").forEach((el) => el.remove()); }
  function showTerm(term) {
    closeTerm();
    const pop = document.createElement("div");
    pop.className = "term-pop";
    pop.setAttribute("role", "tooltip");
    pop.id = "term-pop";
    pop.textContent = term.textContent + "：" + term.getAttribute("title");
    (document.querySelector(".gradio-container main") || document.body).appendChild(pop);  // inside a landmark
    const box = term.getBoundingClientRect();
    const host = pop.offsetParent ? pop.offsetParent.getBoundingClientRect() : { top: -window.scrollY, left: -window.scrollX };
    const left = Math.max(8, Math.min(box.left, window.innerWidth - pop.offsetWidth - 8));
    pop.style.top = (box.bottom + 6 - host.top) + "px";
    pop.style.left = (left - host.left) + "px";
    term.setAttribute("aria-describedby", "term-pop");
  }

  document.addEventListener("click", (event) => {
    const t = event.target;
    if (!t || !t.closest) return;
    if (t.closest("#elder-toggle")) { setElder(!root.classList.contains("elder")); return; }
    if (t.closest(".skip-link")) { event.preventDefault(); const q = questionBox(); if (q) q.focus(); return; }
    if (t.closest(".back-to-chips")) { event.preventDefault(); window.hrA11y.backToChips(); return; }
    const term = t.closest("abbr.term");
    if (term) showTerm(term); else closeTerm();
  });
  document.addEventListener("focusin", (event) => {
    const term = event.target && event.target.closest && event.target.closest("abbr.term");
    if (term) showTerm(term); else closeTerm();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (document.querySelector(".term-pop")) { closeTerm(); return; }
    const inSide = document.activeElement && document.activeElement.closest && document.activeElement.closest("#side");
    if (inSide && document.querySelector("#chips input")) window.hrA11y.backToChips();
  });
})();
</script>
""".replace("__ELDER_KEY__", ELDER_KEY).replace("__LIVE_ID__", LIVE_ID)
)


def topbar_html(title: str, subtitle: str, notice: str) -> str:
    """The page's header: skip link, the one ``<h1>``, the 长辈模式 switch, the notice (all escaped by the caller)."""
    return (
        '<a class="skip-link" href="#question-input">跳到提问框</a>'
        f'<div class="topbar"><div class="brand"><h1>{title}</h1><p class="subtitle">{subtitle}</p></div>'
        '<button type="button" id="elder-toggle" class="elder-toggle" aria-pressed="false">'
        '<span class="elder-label">长辈模式</span><span class="elder-state" aria-hidden="true">未开启</span>'
        "</button></div>"
        f'<div class="notice">{notice}</div>'
        f'<div id="{LIVE_ID}" class="hr-sr-only" role="status" aria-live="polite" aria-atomic="true"></div>'
    )


# ``js`` for the events in app.ui (the functions above; absent → nothing happens).
JS_ANSWERED = "() => { window.hrA11y && window.hrA11y.answered(); }"
JS_ARTICLE_OPENED = "() => { window.hrA11y && window.hrA11y.articleOpened(); }"
