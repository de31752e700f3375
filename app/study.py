"""Study-session material (学习材料) for cadres, as .docx and Markdown.

Given a scope — a topic ("数字经济"), a part ("第二部分") or an article range
("7-11") — build a document with, in order: title block; 原文摘编 (articles quoted
verbatim); 学习要点 (5–10 points, each an article's own title, its ref and a
short verbatim quote); 名词解释 used in the scope; 讨论题 (fixed question templates
around the articles' titles); 自测题 (multiple choice and fill-in-the-blank with an
answer key); an appendix with every cited article.

Faithfulness is by construction, as in answers: no sentence a model wrote is shown.
With a model, its one-line summary of an article only chooses which sentence is
quoted (it is aligned to the article's sentences and discarded); every quote and
every quiz answer is checked to be an exact substring of the cited unit; items that
fail are dropped and counted.  Works without a model.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.answering.claims import support
from app.corpus import Article, GlossaryTerm, Plan
from app.llm import Generator
from app.prompts import render
from app.refs import Ref, find_refs, parse_number
from app.retrieve import Retriever
from app.text import sentences

Progress = Callable[[float, str], None]


class StudyError(ValueError):
    """The requested scope cannot be understood; the message shows valid forms."""


@dataclass(frozen=True)
class KeyPoint:
    ref: Ref
    title: str  # the article's own title (verbatim)
    quote: str  # a verbatim run of clauses of one of its sentences
    by_model: bool  # the model's summary chose this sentence (the summary itself is never shown)


@dataclass(frozen=True)
class QuizItem:
    kind: str  # "choice" | "blank"
    ref: Ref
    stem: str
    options: tuple[str, ...]
    answer: str  # the option letter or the blanked words


@dataclass
class StudyDoc:
    title: str
    scope_label: str
    date: str
    model: str
    articles: list[Article]
    points: list[KeyPoint] = field(default_factory=list)
    terms: list[GlossaryTerm] = field(default_factory=list)
    discussion: list[str] = field(default_factory=list)
    quiz: list[QuizItem] = field(default_factory=list)
    dropped: int = 0

    @property
    def cited(self) -> list[Ref]:
        refs = [a.ref for a in self.articles]
        for r in [p.ref for p in self.points] + [q.ref for q in self.quiz]:
            if r not in refs and r.kind == "article":
                refs.append(r)
        return refs


def select_scope(spec: str, plan: Plan, retriever: Retriever | None) -> tuple[str, list[Article]]:
    """(label, articles) for "7-11", "第二部分" / "二", "第8条", or a topic searched in the plan."""
    s = spec.strip()
    m = re.fullmatch(r"第?\s*(\d{1,2})\s*(?:条)?\s*[-–—~至到]\s*第?\s*(\d{1,2})\s*条?", s)
    if m:
        lo, hi = sorted((int(m.group(1)), int(m.group(2))))
        if not (1 <= lo <= hi <= len(plan.articles)):
            raise StudyError(f"条目范围 {lo}-{hi} 超出 1-{len(plan.articles)}。")
        return f"第{lo}条至第{hi}条", [a for a in plan.articles if lo <= a.number <= hi]
    refs = [m.ref for m in find_refs(s)]
    if not refs and (n := parse_number(s.strip("第部分"))) and 1 <= n <= len(plan.parts) and "部分" in s:
        refs = [Ref("part", n)]
    if refs and all(plan.exists(r) for r in refs):
        arts: list[Article] = []
        for r in refs:
            if r.kind == "part":
                arts += [a for a in plan.articles if a.part == r.number]
            elif r.kind == "article" and (a := plan.article(r.number)):
                arts.append(a)
        if arts:
            label = "、".join(f"{r}（{plan.unit_title(r)}）" for r in refs)
            return label, sorted(set(arts), key=lambda a: a.number)
    if not s or retriever is None:
        raise StudyError("请给出范围：主题（如“数字经济”）、部分（如“第二部分”）或条目范围（如“7-11”）。")
    hits = [h for h in retriever.search(s, k=8) if h.kind == "article"]
    if not hits:
        raise StudyError(f"《建议》中没有找到与“{s}”相关的条目。")
    top = hits[0].score
    chosen = [h for h in hits if h.score >= 0.7 * top][:5]
    arts = [a for a in (plan.article(h.number) for h in chosen) if a is not None]
    return f"主题“{s}”", sorted(arts, key=lambda a: a.number)


def _key_sentences(article: Article, n: int) -> list[str]:
    """The article's most substantive sentences after its title sentence, in order."""
    spans = [article.text[s:e].strip() for s, e in sentences(article.text)]
    body = [s for s in spans[1:] if 12 <= len(s) <= 160] or spans[:1]
    ranked = sorted(body, key=lambda s: (-len(re.findall(r"[、,，]", s)), body.index(s)))[:n]
    return sorted(ranked, key=body.index)


def _short_quote(sentence: str, limit: int = 80, least: int = 20) -> str:
    """Whole clauses from the start of the sentence: at least ``least`` characters, at most ``limit``."""
    if len(sentence) <= limit:
        return sentence
    out = ""
    for clause in re.split(r"(?<=[,，;；])", sentence):
        if len(out) >= least or len(out) + len(clause) > limit:
            break
        out += clause
    return out.rstrip(",，;；") if len(out) >= least else sentence[:limit]


def _model_choice(article: Article, generator: Generator) -> str | None:
    """The article sentence the model's one-line summary grounds to (the summary itself is never shown)."""
    prompt = render("study_point", ref=str(article.ref), title=article.title, text=article.text[:600])
    reply = "".join(generator.stream([{"role": "user", "content": prompt}], 80, 60.0)).strip()
    reply = reply.split("\n")[0].strip()
    candidates = [article.text[a:b].strip() for a, b in sentences(article.text)][1:]
    scored = max(((support(reply, c), c) for c in candidates if len(c) >= 12), default=(0.0, ""))
    return scored[1] if reply and scored[0] >= 0.5 else None


def _points(
    plan: Plan, articles: list[Article], generator: Generator | None, progress: Progress
) -> tuple[list[KeyPoint], int]:
    """Key points: each the article's own title and one verbatim quote from it.

    With a model, its summary of the article chooses which sentence is quoted (draft, then ground);
    a summary that grounds to no sentence is dropped and counted, and the code's choice stands.
    """
    per = max(1, min(3, 10 // max(1, len(articles))))
    points: list[KeyPoint] = []
    dropped = 0
    for i, a in enumerate(articles):
        if len(points) >= 10:
            break
        progress(0.1 + 0.6 * i / max(1, len(articles)), f"学习要点（{a.ref}）")
        picks = [(s, False) for s in _key_sentences(a, per)]
        if generator is not None:
            choice = _model_choice(a, generator)
            if choice is None:
                dropped += 1  # the model's summary grounded to nothing: the code's choice stands
            else:
                picks = [(choice, True), *[(s, False) for s, _ in picks if s != choice]][:per]
        for sentence, by_model in picks:
            quote = _short_quote(sentence)
            if quote not in a.text:
                dropped += 1
                continue
            points.append(KeyPoint(a.ref, a.title, quote, by_model))
    points = points[:10]
    if len(points) < 5:  # widen with title sentences so a small scope still has 5 points
        for a in articles:
            if len(points) >= 5:
                break
            if all(p.quote != a.title for p in points):
                points.append(KeyPoint(a.ref, a.title, a.title, False))
    return points, dropped


def _terms(plan: Plan, articles: list[Article]) -> list[GlossaryTerm]:
    text = "".join(re.sub(r"[“”]", "", a.text) for a in articles)
    out = []
    for g in plan.glossary:
        core = re.sub(r"[“”]", "", g.term)
        quoted = re.findall(r"“([^”]{3,})”", g.term)
        if core in text or any(q in text for q in quoted):
            out.append(g)
    return out


def _discussion(articles: list[Article]) -> list[str]:
    templates = [
        "结合本单位、本岗位实际，谈谈如何落实{ref}“{title}”的要求。",
        "{ref}提出“{title}”，当前工作中还有哪些差距和短板？",
        "围绕{ref}“{title}”，本单位可以提出哪些具体举措？",
        "如何把{ref}“{title}”的部署转化为群众看得见、摸得着的实效？",
        "落实{ref}“{title}”需要哪些部门协同？怎样形成合力？",
    ]
    items = [templates[i % len(templates)].format(ref=a.ref, title=a.title) for i, a in enumerate(articles[:5])]
    while len(items) < 3 and articles:
        a = articles[len(items) % len(articles)]
        items.append(templates[(len(items) + 2) % len(templates)].format(ref=a.ref, title=a.title))
    return items


_VERBS = re.compile(
    r"^(?:加快|推进|建设|发展|打造|依托|大力|积极|推动|实施|突出|聚焦|围绕|加强|完善|提升|深化|健全|培育|支持|鼓励|构建|以)+"
)


def _enumeration(article: Article) -> list[str]:
    """Items of the longest 、-separated list in the article (e.g. project names)."""
    best: list[str] = []
    for s, e in sentences(article.text):
        for clause in re.split(r"[,，;；:：。]", article.text[s:e]):
            raw = clause.split("、")
            if len(raw) < 4:
                continue
            items = [_VERBS.sub("", x).strip("等和与及 ") for x in raw]
            if any(not (3 <= len(x) <= 14) or re.search(r"[“”\"()（）]", x) for x in items):
                continue  # only clean lists of names (projects, industries, programmes)
            if len(items) > len(best):
                best = items
    return best


def _quiz(plan: Plan, articles: list[Article], seed: int) -> tuple[list[QuizItem], int]:
    rng = random.Random(seed)
    items: list[QuizItem] = []
    dropped = 0
    others = [x for a in plan.articles if a not in articles for x in _enumeration(a)]
    letters = "ABCD"
    for a in articles:
        enum = _enumeration(a)
        if not enum or len(others) < 3:
            continue
        correct = rng.choice(enum)
        similar = [d for d in others if abs(len(d) - len(correct)) <= 3 and d not in a.text]
        distractors = list(dict.fromkeys(rng.sample(similar, min(len(similar), 12))))[:3]
        if len(distractors) < 3 or correct not in a.text:
            dropped += 1
            continue
        options = [correct, *distractors]
        rng.shuffle(options)
        stem = f"根据{a.ref}“{a.title}”，下列哪一项是该条明确提出的内容？"
        items.append(QuizItem("choice", a.ref, stem, tuple(options), letters[options.index(correct)]))
        if sum(q.kind == "choice" for q in items) >= 4:
            break
    for a in articles:
        if sum(q.kind == "blank" for q in items) >= 4:
            break
        candidates = [s for s in _key_sentences(a, 3) if re.search(r"“[^”]{2,12}”", s)] or _key_sentences(a, 1)
        for s in candidates:
            m = re.search(r"“([^”]{2,12})”", s) or next(
                (x for x in [re.search(re.escape(t), s) for t in _enumeration(a)] if x), None
            )
            if not m:
                continue
            word = m.group(1) if m.re.groups else m.group()
            stem = s.replace(word, "______", 1)
            if stem == s or s not in a.text or word not in s:
                dropped += 1
                continue
            items.append(QuizItem("blank", a.ref, f"（{a.ref}）{stem}", (), word))
            break
    return items, dropped


def build_study(
    spec: str,
    plan: Plan,
    retriever: Retriever | None,
    generator: Generator | None,
    model_name: str,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> StudyDoc:
    """Assemble and verify the material (no files written)."""
    progress = progress or (lambda f, m: None)
    progress(0.02, "确定学习范围")
    label, articles = select_scope(spec, plan, retriever)
    doc = StudyDoc(
        title=f"《建议》专题学习材料：{label}",
        scope_label=label,
        date=(today or dt.date.today()).isoformat(),
        model=model_name,
        articles=articles,
    )
    doc.points, dropped_points = _points(plan, articles, generator, progress)
    progress(0.75, "名词解释与讨论题")
    doc.terms = _terms(plan, articles)
    doc.discussion = _discussion(articles)
    progress(0.85, "自测题")
    doc.quiz, dropped_quiz = _quiz(plan, articles, seed=sum(a.number for a in articles))
    doc.dropped = dropped_points + dropped_quiz
    verify_study(doc, plan)
    progress(0.95, "排版")
    return doc


def verify_study(doc: StudyDoc, plan: Plan) -> None:
    """Raise if anything presented as original text is not exactly in the plan."""
    for p in doc.points:
        if p.quote not in plan.unit_text(p.ref):
            raise AssertionError(f"unverified quote for {p.ref}: {p.quote}")
    for q in doc.quiz:
        text = plan.unit_text(q.ref)
        if q.kind == "choice":
            correct = q.options["ABCD".index(q.answer)]
            if correct not in text or any(o in text for o in q.options if o != correct):
                raise AssertionError(f"quiz item not verified against {q.ref}: {q.stem}")
        elif q.stem.split("）", 1)[1].replace("______", q.answer, 1) not in text:
            raise AssertionError(f"fill-in item not verified against {q.ref}: {q.stem}")


def to_markdown(doc: StudyDoc, plan: Plan) -> str:
    lines = [
        f"# {doc.title}",
        "",
        f"学习范围：{doc.scope_label}  ",
        f"生成日期：{doc.date}  ",
        f"说明：本材料依据《中共华容区委关于制定全区国民经济和社会发展第十四个五年规划和二〇三五年远景目标的建议》原文生成"
        f"（{'模型：' + doc.model if doc.model != 'extractive' else '未使用语言模型'}），引文均经程序逐字核对。",
        "",
    ]
    lines += ["## 一、原文摘编", ""]
    for a in doc.articles:
        lines += [f"**{a.ref} {a.title}**", "", a.text, ""]
    lines += ["## 二、学习要点", ""]
    for i, p in enumerate(doc.points, 1):
        lines += [f"{i}. {p.title}（{p.ref}）原文：“{p.quote}”"]
    lines += ["", "## 三、名词解释", ""]
    lines += [f"- **{g.term}**：{g.definition}（名词解释{g.number}）" for g in doc.terms] or [
        "（本范围未出现附件所列名词。）"
    ]
    lines += ["", "## 四、讨论题", ""] + [f"{i}. {q}" for i, q in enumerate(doc.discussion, 1)]
    lines += ["", "## 五、自测题", ""]
    for i, q in enumerate(doc.quiz, 1):
        lines.append(f"{i}. {q.stem}")
        lines += [f"   {'ABCD'[j]}. {o}" for j, o in enumerate(q.options)]
    lines += ["", "**参考答案**", ""]
    lines += [f"{i}. {q.answer}（{q.ref}）" for i, q in enumerate(doc.quiz, 1)]
    lines += ["", "## 附录：引用条目全文", ""]
    for r in doc.cited:
        lines += [f"**{r} {plan.unit_title(r)}**", "", plan.unit_text(r), ""]
    return "\n".join(lines).rstrip() + "\n"


def _set_font(run: object, name: str, size_pt: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name  # type: ignore[attr-defined]
    run.font.size = Pt(size_pt)  # type: ignore[attr-defined]
    run.font.bold = bold  # type: ignore[attr-defined]
    rpr = run._element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), name)


HEI, FANGSONG, SONG = "黑体", "仿宋", "宋体"  # present on Windows; LibreOffice maps them to Noto CJK on Linux


def to_docx(doc: StudyDoc, plan: Plan, path: Path) -> Path:
    """Write an A4 .docx in Chinese official-document style (黑体 headings, 仿宋 body, page numbers)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    d = Document()
    sec = d.sections[0]
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)
    normal = d.styles["Normal"]
    normal.font.name = FANGSONG
    normal.font.size = Pt(16)  # 三号
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)

    def para(
        text: str, font: str = FANGSONG, size: float = 14, bold: bool = False, center: bool = False, indent: bool = True
    ) -> None:
        p = d.add_paragraph()
        p.paragraph_format.line_spacing = Pt(28)
        if indent and not center:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_font(p.add_run(text), font, size, bold)

    def heading(text: str) -> None:
        h = d.add_heading(level=1)
        _set_font(h.add_run(text), HEI, 16)
        h.runs[0].font.color.rgb = RGBColor(0, 0, 0)

    para(doc.title, SONG, 22, bold=True, center=True)  # 二号 title
    para(f"学习范围：{doc.scope_label}", size=14, center=True)
    para(f"生成日期：{doc.date}", size=14, center=True)
    para(
        "说明：本材料依据《中共华容区委关于制定全区国民经济和社会发展第十四个五年规划和二〇三五年远景目标的建议》原文生成"
        f"（{'模型：' + doc.model if doc.model != 'extractive' else '未使用语言模型'}），原文引文均经程序逐字核对。",
        size=12,
    )
    heading("一、原文摘编")
    for a in doc.articles:
        para(f"{a.ref} {a.title}", HEI, 14, indent=False)
        para(a.text)
    heading("二、学习要点")
    for i, p in enumerate(doc.points, 1):
        para(f"{i}. {p.title}（{p.ref}）原文：“{p.quote}”")
    heading("三、名词解释")
    for g in doc.terms:
        para(f"{g.term}：{g.definition}（名词解释{g.number}）")
    if not doc.terms:
        para("本范围未出现附件所列名词。")
    heading("四、讨论题")
    for i, question in enumerate(doc.discussion, 1):
        para(f"{i}. {question}")
    heading("五、自测题")
    for i, q in enumerate(doc.quiz, 1):
        para(f"{i}. {q.stem}")
        for j, o in enumerate(q.options):
            para(f"{'ABCD'[j]}. {o}", indent=False)
    para("参考答案", HEI, 14, indent=False)
    _answer_table(d, doc)
    heading("附录：引用条目全文")
    for r in doc.cited:
        para(f"{r} {plan.unit_title(r)}", HEI, 14, indent=False)
        para(plan.unit_text(r), size=12)
    _page_numbers(sec)
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path


def _answer_table(d: Any, doc: StudyDoc) -> None:
    table = d.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("题号", "答案", "出处"), strict=True):
        _set_font(cell.paragraphs[0].add_run(text), HEI, 12)
    for i, q in enumerate(doc.quiz, 1):
        row = table.add_row().cells
        for cell, text in zip(row, (str(i), q.answer, str(q.ref)), strict=True):
            _set_font(cell.paragraphs[0].add_run(text), FANGSONG, 12)


def _page_numbers(section: Any) -> None:
    """A centred PAGE field in the footer."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = footer.add_run()
    for tag in ("begin", "PAGE", "end"):
        if tag == "PAGE":
            el = run._element.makeelement(qn("w:instrText"), {qn("xml:space"): "preserve"})
            el.text = "PAGE"
        else:
            el = run._element.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): tag})
        run._element.append(el)
    _set_font(run, SONG, 14)


def write_study(doc: StudyDoc, plan: Plan, out_dir: Path, stem: str = "") -> tuple[Path, Path]:
    stem = stem or re.sub(r"[^\w\u4e00-\u9fff-]+", "_", f"学习材料_{doc.scope_label}")[:60].strip("_")
    md = out_dir / f"{stem}.md"
    out_dir.mkdir(parents=True, exist_ok=True)
    md.write_text(to_markdown(doc, plan), encoding="utf-8")
    return to_docx(doc, plan, out_dir / f"{stem}.docx"), md
