"""The public web chat (Gradio): 问答 / 原文 / 名词解释 tabs.

``create_ui`` builds the page from the answering :class:`~app.answering.Pipeline` and a feedback
store; ``app.server`` mounts it beside the HTTP API and serves it (127.0.0.1 unless
told otherwise, SSR off, no uploads).
The page shows the retrieved original excerpts at once, then streams the verified
answer; citations become chips that open the full article with the cited passage
highlighted; glossary terms in answers carry their definition on hover/tap.

Answers are composed from the plan's text by code in milliseconds, so nobody waits
in line for them; the model, when configured, only refines an answer while it is
free (``app.gate``).  Everything shown is escaped here; no user text becomes HTML.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from app import a11y
from app.answering import Answer, Done, Hits, Pipeline, Replace, Text
from app.feedback import FeedbackStore
from app.housekeeping import DownloadStore
from app.limits import (
    COMMENT_CHARS,
    HISTORY_TURN_CHARS,
    HISTORY_TURNS,
    RateLimiter,
    clean_text,
    history_text,
    rate_message,
    request_visitor,
    visitor_key,
)
from app.refs import Ref, find_refs
from app.retrieve import Hit, Turn
from app.settings import Settings
from app.study import StudyError, build_study, to_markdown, write_study

log = logging.getLogger(__name__)
TITLE = "华容规划问答"
SUBTITLE = "华容区“十四五”规划和二〇三五年远景目标建议 · 智能问答"
NOTICE = (
    "本助手只依据《中共华容区委关于制定全区国民经济和社会发展第十四个五年规划和二〇三五年远景目标的建议》"
    "原文回答，每句话都标明出处并由程序与原文核对；但仍可能有误，请以原文为准。请勿输入个人隐私信息。"
)
EXAMPLES = [
    "以后老百姓看病会不会更方便？",
    "三江港要建设哪些物流项目？",
    "规划里对养老有什么安排？",
    "什么是月光经济？",
    "第8条讲什么？",
    "What are the plans for the airport?",
]
ERROR = "抱歉，处理这个问题时出了错，请换个问法或稍后再试。"
log = logging.getLogger(__name__)
CSS = """
body, .gradio-container { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif; }
.notice { font-size: 0.9em; color: #374151; border-left: 4px solid #b91c1c; padding: 4px 10px; background: #fdf5f4;
  margin-top: 8px; }
.hit { border: 1px solid #e3e3e3; border-radius: 8px; padding: 8px 10px; margin: 6px 0; background: #fafafa; }
.hit b { color: #8e1c13; }
.article mark { background: #ffe58f; padding: 0 2px; }
.article .part { color: #4b5563; font-size: 0.9em; }
abbr.term { text-decoration: underline dotted #8e1c13; cursor: help; }
.term-pop { position: absolute; z-index: 1000; max-width: 280px; background: #fff; border: 1px solid #8e1c13;
  border-radius: 8px; padding: 8px 10px; font-size: 0.9em; box-shadow: 0 2px 8px rgba(0,0,0,.15); }
.cite { color: #8e1c13; font-weight: 600; white-space: nowrap; }
#chips label { border-radius: 16px !important; }
@media (max-width: 480px) { .gradio-container { padding: 4px !important; } }
/* The chat's floating label and its delete/copy buttons sit over the first message: start messages below them. */
#chat > .wrapper { padding-top: 40px; }
"""
THEME = a11y.theme()


# The page script (glossary pop-up, 长辈模式, screen-reader fixes): see app.a11y.
HEAD = a11y.HEAD


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def plain_markdown(text: str) -> str:
    """User or model text made inert: HTML escaped, markdown link/image/emphasis syntax neutralised."""
    out = esc(text)
    return re.sub(r"([\\`*_\[\]()!#|~>])", r"\\\1", out)


def demote_headings(markdown: str) -> str:
    """Markdown headings one level down (``#`` → ``##``), for documents shown under the page's ``<h1>``."""
    return re.sub(r"(?m)^(#{1,5}) ", r"#\1 ", markdown)


class Page:
    """Rendering helpers bound to one plan."""

    def __init__(self, answerer: Pipeline) -> None:
        self.answerer = answerer
        self.plan = answerer.plan
        terms = []
        for g in self.plan.glossary:
            for alias in {re.sub(r"[“”]", "", g.term), *re.findall(r"“([^”]{3,})”", g.term)}:
                terms.append((alias, g))
        self.terms = sorted(terms, key=lambda t: -len(t[0]))

    def mark_terms(self, escaped: str) -> str:
        """Wrap glossary terms (in already escaped text) with their definition."""
        if not self.terms:
            return escaped
        table = {esc(alias): g for alias, g in self.terms}
        pattern = re.compile("|".join(re.escape(a) for a in table))
        return pattern.sub(
            lambda m: f'<abbr class="term" tabindex="0" title="{esc(table[m.group()].definition)}">{m.group()}</abbr>',
            escaped,
        )

    def answer_html(self, text: str) -> str:
        body = self.mark_terms(plain_markdown(text))
        body = re.sub(r"\\\[((?:第\d+条|名词解释\d+))\\\]", r'<span class="cite">[\1]</span>', body)
        return body.replace("\n", "  \n")

    def hits_html(self, hits: list[Hit], heading: str = "相关原文") -> str:
        """Excerpts under an ``<h2>`` (the page's ``<h1>`` is the title; a tab's sections are level two)."""
        if not hits:
            return ""
        items = "".join(
            f'<div class="hit"><b>{esc(str(h.ref))} {esc(h.title)}</b><br>{esc(h.text[:260])}'
            f"{'…' if len(h.text) > 260 else ''}</div>"
            for h in hits
        )
        return f"<h2>{esc(heading)}</h2>{items}"

    def unit_html(self, ref: Ref, start: int = 0, end: int = 0, level: int = 2, back: bool = False) -> str:
        """One article (or glossary entry) under an ``<h{level}>``, the cited span marked.

        With ``back`` (an article opened from a citation chip) it starts with a button that returns to the chip.
        """
        text = self.plan.unit_text(ref)
        if not text:
            return "<p>没有找到该条目。</p>"
        if 0 <= start < end <= len(text):
            body = esc(text[:start]) + "<mark>" + esc(text[start:end]) + "</mark>" + esc(text[end:])
        else:
            body = esc(text)
        part = ""
        if ref.kind == "article":
            a = self.plan.article(ref.number)
            p = self.plan.part(a.part) if a else None
            if p:
                part = f'<div class="part">{esc(str(p.ref))} {esc(p.title)}</div>'
        elif ref.kind == "glossary":
            part = '<div class="part">附件 名词解释</div>'
        title = f"{esc(str(ref))} {esc(self.plan.unit_title(ref))}"
        button = '<button type="button" class="back-to-chips">返回引用条目</button>' if back else ""
        return (
            f'<div class="article">{part}<h{level} tabindex="-1">{title}</h{level}>{button}'
            f"<p>{self.mark_terms(body)}</p></div>"
        )

    def plan_html(self, part: int | None = None) -> str:
        blocks = []
        for p in self.plan.parts:
            if part and p.number != part:
                continue
            blocks.append(f"<h2>{esc(str(p.ref))} {esc(p.title)}</h2>")
            if p.preamble:
                blocks.append(f"<p>{esc(p.preamble)}</p>")
            for a in self.plan.articles:
                if a.part == p.number:
                    blocks.append(f'<p id="a{a.number}"><b>{esc(str(a.ref))}</b> {esc(a.text)}</p>')
        return '<div class="article">' + "".join(blocks) + "</div>"

    def glossary_html(self) -> str:
        rows = "".join(
            f"<dt><b>{g.number}. {esc(g.term)}</b></dt><dd>{esc(g.definition)}</dd>" for g in self.plan.glossary
        )
        return f"<dl>{rows}</dl>"


def _history(chat: list[dict[str, Any]], limit: int = HISTORY_TURNS) -> list[Turn]:
    """The conversation the page sent back, as plain turns: the last ``limit`` messages, each cut before
    any markup is removed (in linear time) and cleaned like a question (``app.limits.history_text``)."""
    turns = []
    for m in chat[-limit:] if isinstance(chat, list) else []:
        if not isinstance(m, dict):
            continue
        role = m.get("role")
        raw = m.get("metadata", {}).get("raw") if isinstance(m.get("metadata"), dict) else None
        if isinstance(raw, str) and raw:
            text = clean_text(raw, HISTORY_TURN_CHARS)  # the answer's own text: no page markup to undo
        else:
            text = history_text(m.get("content", ""))
        if role in ("user", "assistant") and text:
            turns.append(Turn(role, text))
    return turns


@dataclass
class Widgets:
    """The page's interactive components, built once by ``_layout`` and used by the handlers and the wiring."""

    chat: Any
    side: Any
    box: Any
    send: Any
    status: Any
    chips: Any
    answers: Any
    clear: Any
    comment: Any
    up: Any
    down: Any
    thanks: Any
    part: Any
    find: Any
    plan_view: Any
    study_scope: Any
    study_model: Any
    study_go: Any
    study_file: Any
    study_view: Any


def _qa_tab(settings: Settings) -> dict[str, Any]:
    with gr.Tab("问答"), gr.Row(equal_height=False, elem_id="qa-row"):
        with gr.Column(scale=3, min_width=320):
            chat = gr.Chatbot(
                label="对话记录",
                height=480,
                buttons=["copy", "copy_all"],
                sanitize_html=True,
                render_markdown=True,
                elem_id="chat",
                placeholder="您好！可以问我关于华容区“十四五”规划建议的问题，我会标明每句话的出处。",
            )
            with gr.Row():
                box = gr.Textbox(
                    label="您的问题",  # not shown; names the box for screen readers and rate-limit messages
                    show_label=False,
                    placeholder="请输入问题，例如：以后老百姓看病会不会更方便？",
                    max_length=settings.max_question_chars,
                    scale=5,
                    elem_id="question",
                    submit_btn=False,
                )
                send = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="send")
            status = gr.Markdown(elem_id="status")
            chips = gr.Radio(choices=[], label="本回答引用的条目（选中即打开原文）", elem_id="chips")
            gr.Examples(EXAMPLES, inputs=box, label="示例问题")
            with gr.Row():
                clear = gr.Button("清空对话", elem_id="clear")
            with gr.Accordion("对最新回答的评价", open=False):
                comment = gr.Textbox(label="意见（可选）", max_length=1000, elem_id="comment")
                with gr.Row():
                    up = gr.Button("👍 有帮助", elem_id="up")
                    down = gr.Button("👎 有问题", elem_id="down")
                thanks = gr.Markdown()
        with gr.Column(scale=2, min_width=300):
            side = gr.HTML(elem_id="side", js_on_load=None)
    return dict(chat=chat, side=side, box=box, send=send, status=status, chips=chips, clear=clear,
                comment=comment, up=up, down=down, thanks=thanks)  # fmt: skip


def _reading_tabs(page: Page, has_model: bool) -> dict[str, Any]:
    with gr.Tab("原文"):
        with gr.Row():
            part = gr.Dropdown(
                ["全部", *[f"{p.ref} {p.title}" for p in page.plan.parts]], value="全部", label="按部分浏览"
            )
            find = gr.Textbox(label="搜索原文", placeholder="例如：三江港、养老、数字经济", elem_id="find")
        plan_view = gr.HTML(page.plan_html(), elem_id="plan", js_on_load=None)
    with gr.Tab("名词解释"):
        gr.HTML(page.glossary_html(), elem_id="glossary", js_on_load=None)
    with gr.Tab("学习材料"):
        gr.Markdown(
            "为专题学习生成材料（Word 文档）：原文摘编、学习要点、名词解释、讨论题、自测题及答案。引文均经程序逐字核对。"
        )
        with gr.Row():
            study_scope = gr.Textbox(
                label="学习范围",
                placeholder="主题（数字经济）、部分（第二部分）或条目范围（7-11）",
                elem_id="study-scope",
            )
            study_model = gr.Checkbox(label="用语言模型挑选要点（较慢）", value=False, visible=has_model)
        gr.Examples(["数字经济", "第六部分", "25-28", "乡村振兴"], inputs=study_scope, label="示例")
        study_go = gr.Button("生成学习材料", variant="primary", elem_id="study-go")
        study_file = gr.HTML(elem_id="study-file", js_on_load=None)  # a relative link: no server path in URLs
        study_view = gr.Markdown(elem_id="study-view")
    return dict(part=part, find=find, plan_view=plan_view, study_scope=study_scope, study_model=study_model,
                study_go=study_go, study_file=study_file, study_view=study_view)  # fmt: skip


class Handlers:
    """What the page does when used; each handler returns ``{component: value}`` for what it changes."""

    def __init__(
        self,
        w: Widgets,
        page: Page,
        answerer: Pipeline,
        settings: Settings,
        store: FeedbackStore,
        limiter: RateLimiter,
        downloads: DownloadStore,
    ) -> None:
        self.w, self.page, self.answerer, self.settings = w, page, answerer, settings
        self.store, self.limiter, self.downloads = store, limiter, downloads

    def respond(
        self, message: str, chat: list[dict[str, Any]], answers: list[dict[str, Any]]
    ) -> Iterator[dict[Any, Any]]:
        w, page = self.w, self.page
        history = _history(chat)
        chat = [*chat, {"role": "user", "content": plain_markdown(message or "")}]
        yield {
            w.chat: chat,
            w.side: "",
            w.box: "",
            w.chips: gr.update(choices=[], value=None),
            w.status: "正在检索原文…",
        }
        result: Answer | None = None
        try:
            for event in self.answerer.events(message or "", history):
                if isinstance(event, Hits):
                    yield {w.side: page.hits_html(list(event.hits)[:4]), w.status: "已找到相关原文，正在组织回答…"}
                elif isinstance(event, Text | Replace):
                    yield {w.chat: [*chat, {"role": "assistant", "content": page.answer_html(event.text)}]}
                elif isinstance(event, Done):
                    result = event.answer
        except Exception:
            log.exception("answering failed for a web question")
            yield {w.chat: [*chat, {"role": "assistant", "content": ERROR}], w.box: message, w.status: ""}
            return
        if result is None:
            return
        text = page.answer_html(result.answer) + (f"\n\n*{esc(result.notice)}*" if result.notice else "")
        chat = [*chat, {"role": "assistant", "content": text, "metadata": {"raw": result.answer}}]
        chips = [str(r) for r in result.citations]
        spans = {str(h.ref): [h.start, h.end] for h in result.hits}
        for span in reversed(result.spans):  # the exact span quoted wins over the retrieved passage
            spans[str(span.ref)] = [span.start, span.end]
        record = {"question": result.question, "answer": result.answer, "citations": chips, "model": result.model,
                  "hits": spans}  # fmt: skip
        status = f"出处：{'、'.join(chips)}（选中下方条目查看原文）" if chips else ""
        yield {w.chat: chat, w.chips: gr.update(choices=chips, value=None), w.answers: [*answers, record],
               w.status: status}  # fmt: skip

    def show_unit(self, choice: str | None, answers: list[dict[str, Any]]) -> str:
        ref = next((m.ref for m in find_refs(choice or "")), None)
        if ref is None:
            return ""
        span = answers[-1]["hits"].get(str(ref), [0, 0]) if answers else [0, 0]
        return self.page.unit_html(ref, span[0], span[1], back=True)

    def save_rating(self, a: dict[str, Any], liked: bool, comment: str, request: gr.Request | None) -> tuple[bool, str]:
        """(saved, message): one rating per answer per visitor (a later one replaces it), at a bounded rate."""
        visitor = request_visitor(request)
        wait = self.limiter.hit("feedback", visitor)
        if wait > 0:
            return False, rate_message("feedback", wait)
        text = clean_text(comment or "", COMMENT_CHARS)
        score = 1 if liked else -1
        ok = self.store.add(a["question"], a["answer"], a["citations"], a["model"], score, text, visitor_key(visitor))
        return ok, ("感谢您的反馈！" if ok else "反馈暂时无法保存，请稍后再试。")

    def rate(
        self, liked: bool, comment: str, answers: list[dict[str, Any]], request: gr.Request | None
    ) -> tuple[str, str]:
        if not answers:
            return "请先提问，再评价回答。", comment
        ok, message = self.save_rating(answers[-1], liked, comment, request)
        return message, ("" if ok else comment)

    def rate_up(self, comment: str, answers: list[dict[str, Any]], request: gr.Request) -> tuple[str, str]:
        return self.rate(True, comment, answers, request)

    def rate_down(self, comment: str, answers: list[dict[str, Any]], request: gr.Request) -> tuple[str, str]:
        return self.rate(False, comment, answers, request)

    def on_like(self, data: gr.LikeData, answers: list[dict[str, Any]], request: gr.Request) -> str:
        index = data.index if isinstance(data.index, int) else (data.index or [0])[0]
        n = int(index) // 2 if isinstance(index, int) else -1
        if not answers or not 0 <= n < len(answers):
            return ""
        return self.save_rating(answers[n], bool(data.liked), "", request)[1]

    def allowed(self, kind: str, request: gr.Request | None, n_inputs: int) -> tuple[Any, ...]:
        """A Gradio validator's answer: the visitor's rate for ``kind`` allows one more, or the reason shown
        at the first input (the question stays in its box; nothing runs)."""
        wait = self.limiter.hit(kind, request_visitor(request))
        first = gr.validate(wait <= 0, rate_message(kind, wait) if wait > 0 else "")
        return (first, *(gr.validate(True, "") for _ in range(n_inputs - 1)))

    def question_allowed(self, message: str, chat: Any, answers: Any, request: gr.Request) -> tuple[Any, ...]:
        return self.allowed("question", request, 3)

    def study_allowed(self, spec: str, use_model: bool, request: gr.Request) -> tuple[Any, ...]:
        return self.allowed("study", request, 2)

    def search_allowed(self, part_label: str, query: str, request: gr.Request) -> tuple[Any, ...]:
        return self.allowed("search", request, 2) if query and query.strip() else (gr.validate(True, ""),) * 2

    def browse(self, part_label: str, query: str) -> str:
        page = self.page
        if query and query.strip():
            hits = self.answerer.retriever.search(query.strip()[: self.settings.max_question_chars], k=5)
            return page.hits_html(hits, f"与“{query.strip()[:30]}”最相关的条目") + "".join(
                page.unit_html(h.ref, level=3) for h in hits[:3]
            )
        number = next((p.number for p in page.plan.parts if part_label.startswith(str(p.ref))), None)
        return page.plan_html(number)

    def make_study(self, spec: str, use_model: bool, progress: gr.Progress = gr.Progress()) -> tuple[str, str]:  # noqa: B008
        spec, model = (spec or "").strip()[:50], self.answerer.model if use_model else None
        plan = self.page.plan
        try:
            doc = build_study(spec, plan, self.answerer.retriever, model, model.name if model else "extractive",
                              lambda f, m: progress(f, desc=m))  # fmt: skip
        except StudyError as exc:
            return "", f"**{esc(str(exc))}**"
        try:
            docx_path, _ = write_study(doc, plan, self.downloads.new_folder())
        except OSError as exc:
            log.error("could not write a study document: %s", exc)
            return "", "**文档暂时无法保存，请稍后再试。**"
        summary = (
            f"已生成：{len(doc.articles)} 条原文，{len(doc.points)} 个学习要点，{len(doc.quiz)} 道自测题；"
            f"核对未通过而替换或删去 {doc.dropped} 项。\n\n---\n\n"
        )
        link = (
            f'<p>下载 Word 文档：<a href="{esc(self.downloads.link(docx_path))}" download>{esc(docx_path.name)}</a>'
            f"（{self.settings.download_max_age_s / 60:.0f} 分钟内有效）</p>"
        )
        # corpus text; the label is escaped; headings one level down (the page's <h1> is its title)
        return link, summary + esc(demote_headings(to_markdown(doc, plan)))


def _wire(w: Widgets, h: Handlers, settings: Settings) -> None:
    outputs = [w.chat, w.side, w.box, w.chips, w.answers, w.status]
    limit = settings.web_concurrency
    for trigger in (w.send.click, w.box.submit):
        # Each answer, once complete, is read out once by the live region (js only: no server call).
        trigger(h.respond, [w.box, w.chat, w.answers], outputs, concurrency_limit=limit,
                validator=h.question_allowed).then(None, None, None, js=a11y.JS_ANSWERED)  # fmt: skip
    # A chosen chip opens its article and focus moves to the article's heading ("返回引用条目" goes back).
    w.chips.change(h.show_unit, [w.chips, w.answers], w.side).then(None, None, None, js=a11y.JS_ARTICLE_OPENED)
    w.clear.click(
        lambda: ([], "", gr.update(choices=[], value=None), [], ""),
        None,
        [w.chat, w.side, w.chips, w.answers, w.status],
    )
    w.up.click(h.rate_up, [w.comment, w.answers], [w.thanks, w.comment])
    w.down.click(h.rate_down, [w.comment, w.answers], [w.thanks, w.comment])
    w.chat.like(h.on_like, [w.answers], w.thanks)
    w.study_go.click(h.make_study, [w.study_scope, w.study_model], [w.study_file, w.study_view], concurrency_limit=2,
                     validator=h.study_allowed)  # fmt: skip
    w.part.change(h.browse, [w.part, w.find], w.plan_view, validator=h.search_allowed)
    w.find.submit(h.browse, [w.part, w.find], w.plan_view, validator=h.search_allowed)


def create_ui(
    answerer: Pipeline,
    settings: Settings,
    store: FeedbackStore,
    limiter: RateLimiter | None = None,
    downloads: DownloadStore | None = None,
) -> gr.Blocks:
    """Build the page (not launched): layout, handlers, wiring.  ``limiter`` (shared with the server's
    middleware) limits questions and feedback per visitor; ``downloads`` keeps generated study documents."""
    page = Page(answerer)
    limiter = limiter or RateLimiter.from_settings(settings)
    downloads = downloads or DownloadStore.from_settings(settings)
    model_note = f"当前模型：{answerer.model_name}" if answerer.model else "回答由程序从原文中摘录，不经语言模型改写。"
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        # The one <h1>, the 长辈模式 switch and the live region that announces finished answers.
        gr.HTML(
            a11y.topbar_html(esc(TITLE), esc(SUBTITLE), f"{esc(NOTICE)}<br>{esc(model_note)}"),
            elem_id="topbar",
            js_on_load=None,
        )
        answers = gr.State([])
        w = Widgets(answers=answers, **_qa_tab(settings), **_reading_tabs(page, answerer.model is not None))
        _wire(w, Handlers(w, page, answerer, settings, store, limiter, downloads), settings)
    return demo
