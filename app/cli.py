"""The ``huarong-qa`` command line: one entry point, one subcommand per task.

Each subcommand builds on the pipeline modules and only parses arguments, builds
:class:`~app.settings.Settings`, calls one function and prints.  Errors become one
clear message on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from app.settings import Settings

EPILOG = """示例 / examples:
  huarong-qa search "三江港要建设哪些物流项目?"
  huarong-qa search "以后老百姓看病会不会更方便?" --json -k 5
  printf '第8条讲什么?\\n什么是月光经济?\\n' | huarong-qa search --stdin --json
  huarong-qa ask "以后老百姓看病会不会更方便?"
  huarong-qa ask "那段店镇呢?" --history turns.json --json
  huarong-qa ask "什么是月光经济?" --refine draft
  huarong-qa corpus --json
  huarong-qa build-index
  huarong-qa eval --retrieval
  huarong-qa eval --answers --model small --limit 20
  huarong-qa eval --scope --split dev
  huarong-qa study 数字经济 --out study/
  huarong-qa study 7-11 --mode extractive
  huarong-qa serve --port 7860

Settings come from HUARONG_* environment variables (see README); flags override them.
"""


log = logging.getLogger(__name__)


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def _questions(args: argparse.Namespace) -> Iterable[str]:
    if args.stdin:
        for line in sys.stdin:
            if line.strip():
                yield line.strip()
    elif args.question:
        yield args.question
    else:
        raise UserError("请给出一个问题，或用 --stdin 逐行读入 / give a question or --stdin")


def cmd_corpus(args: argparse.Namespace, settings: Settings) -> int:
    from app.corpus import load_plan

    plan = load_plan(settings.corpus_path)
    if args.json:
        _print_json(plan.to_dict())
        return 0
    print(f"{plan.title}\n{plan.issuer} {plan.date}")
    for part in plan.parts:
        print(f"\n{part.ref} {part.title}")
        for a in plan.articles:
            if a.part == part.number:
                print(f"  {a.ref} {a.title}")
    print("\n名词解释: " + "、".join(f"{g.number}.{g.term}" for g in plan.glossary))
    return 0


def cmd_build_index(args: argparse.Namespace, settings: Settings) -> int:
    from app.corpus import load_plan
    from app.embed import make_embedder
    from app.index import build_index

    t0 = time.perf_counter()
    index = build_index(load_plan(settings.corpus_path), make_embedder(settings), settings, _log)
    m = index.manifest
    _log(
        f"索引已写入 {settings.index_dir}: {m['n_chunks']} 个片段, {m['embedder']} (dim {m['dimension']}), "
        f"{time.perf_counter() - t0:.1f} s"
    )
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from app.retrieve import open_retriever

    retriever = open_retriever(settings, _log)
    for q in _questions(args):
        hits = retriever.search(q, k=args.k)
        if args.json:
            _print_json({"query": q, "hits": [h.to_dict() for h in hits]})
            continue
        print(f"问题: {q}")
        for i, h in enumerate(hits, 1):
            print(
                f"{i}. [{h.ref}] {h.title}  (score {h.score:.2f})\n   {h.text[:120]}{'…' if len(h.text) > 120 else ''}"
            )
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from app.evaluate import evaluate_retrieval, load_gold
    from app.retrieve import open_retriever

    settings = settings.model_copy(update={"answer_cache": False})  # measure answers, not the cache
    if args.scope:
        return _eval_scope(args, settings)
    items = load_gold(Path(args.gold)) if args.gold else load_gold()
    if args.limit:
        items = items[: args.limit]
    out: dict[str, Any] = {}
    retriever = open_retriever(settings, _log)
    if args.retrieval or not args.answers:
        out["retrieval"] = evaluate_retrieval(retriever, items, k=5)
    if args.answers:
        from app.answering import Pipeline
        from app.evaluate import evaluate_answers

        dump_file = open(args.answers_out, "w", encoding="utf-8") if args.answers_out else None  # noqa: SIM115
        try:
            out["answers"] = evaluate_answers(
                Pipeline.create(retriever, settings),
                items,
                progress=_log,
                dump=(lambda d: print(json.dumps(d, ensure_ascii=False), file=dump_file)) if dump_file else None,
            )
        finally:
            if dump_file:
                dump_file.close()
    if args.json:
        _print_json(out)
        return 0
    if "retrieval" in out:
        r = out["retrieval"]
        print("| category | n | recall@1 | recall@3 | recall@5 | MRR |\n|---|---|---|---|---|---|")
        for cat, v in [*r["categories"].items(), ("**overall**", r["overall"])]:
            print(
                f"| {cat} | {v['n']} | {v['recall@1']:.3f} | {v['recall@3']:.3f} | {v['recall@5']:.3f} | {v['mrr']:.3f} |"
            )
        print(f"\nlatency after load: p50 {r['latency_ms']['p50']} ms, p95 {r['latency_ms']['p95']} ms")
        if args.verbose:
            for m in r["misses"]:
                print(json.dumps(m, ensure_ascii=False))
    if "answers" in out:
        a = out["answers"]
        for key, value in a["summary"].items():
            print(f"{key}: {value}")
        if args.verbose:
            for row in a["rows"]:
                print(json.dumps(row, ensure_ascii=False))
    return 0


def _eval_scope(args: argparse.Namespace, settings: Settings) -> int:
    from app.answering import Pipeline
    from app.evaluate import DEFAULT_SCOPE_SET, evaluate_scope, load_scope_set
    from app.retrieve import open_retriever

    try:
        items = load_scope_set(Path(args.gold) if args.gold else DEFAULT_SCOPE_SET, args.split)
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"无法读取评测集: {exc}") from exc
    if args.limit:
        items = items[: args.limit]
    pipeline = Pipeline.create(open_retriever(settings, _log), settings)
    if args.curves:
        from app.evaluate import scope_curves

        curves = scope_curves(pipeline, items, progress=_log)
        if args.json:
            _print_json({"curves": curves, "split": args.split})
            return 0
        print(f"split: {args.split}; settings: {json.dumps(curves['settings'])}")
        for name in ("unknown_share", "evidence_min", "evidence_min_alone", "offtopic_min"):
            label = {"evidence_min_alone": "scope_evidence_min (share check off)", "offtopic_min": "offtopic_min"}.get(
                name, f"scope_{name}"
            )
            print(f"\n| {label} | out of scope refused | false refusals |\n|---|---|---|")
            for row in curves[name]:
                print(f"| {row['threshold']} | {row['out_of_scope_refused']:.1%} | {row['false_refusals']:.1%} |")
        return 0
    out = evaluate_scope(pipeline, items, progress=_log)
    if args.json:
        _print_json({"scope": out, "split": args.split})
        return 0
    print(f"split: {args.split}\n")
    print("| category | in scope | n | refused | rate |\n|---|---|---|---|---|")
    for cat, v in out["categories"].items():
        label = "false refusals" if v["in_scope"] else "refused"
        print(f"| {cat} | {'yes' if v['in_scope'] else 'no'} | {v['n']} | {v['refused']} | {v['rate']:.1%} {label} |")
    s = out["summary"]
    print(
        f"\nout of scope refused: {s['out_of_scope_refused']:.1%} (n={s['n_out_of_scope']})"
        f"\nfalse refusals: {s['false_refusals']:.1%} (n={s['n_in_scope']})"
        f"\nrefusals naming what is missing: {s['refusals_name_missing']:.1%}"
        f"\nby language: {json.dumps(s['by_lang'])}"
        f"\nlatency: p50 {s['total_ms_p50']} ms, refusals p95 {s['refusal_ms_p95']} ms"
    )
    if args.verbose:
        for row in out["rows"]:
            print(json.dumps(row, ensure_ascii=False))
    return 0


def _load_history(path: str | None) -> list[Any]:
    from app.retrieve import Turn

    if not path:
        return []
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        turns = [Turn(t["role"], str(t["content"])) for t in data if t.get("role") in ("user", "assistant")]
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise UserError(f'无法读取对话历史 {path}: {exc}。格式：[{{"role": "user", "content": "…"}}, …]') from exc
    return turns


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from app.answering import Done, Pipeline, Replace, Text
    from app.retrieve import open_retriever

    history = _load_history(args.history)
    pipeline = Pipeline.create(open_retriever(settings, _log), settings)
    for q in _questions(args):
        if args.json:
            _print_json(pipeline.answer(q, history).to_dict())
            continue
        result = None
        for event in pipeline.events(q, history):
            if isinstance(event, Text):
                print(event.text, flush=True)
            elif isinstance(event, Replace):
                print(f"（模型协助选取原文后）\n{event.text}", flush=True)
            elif isinstance(event, Done):
                result = event.answer
        if result is not None:
            if result.notice:
                print(f"※ {result.notice}")
            if result.citations:
                print("出处: " + "；".join(f"{r} {pipeline.plan.unit_title(r)}" for r in result.citations))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from app.answering import Pipeline
    from app.feedback import FeedbackStore
    from app.gate import ModelGate
    from app.retrieve import open_retriever
    from app.server import build_app, serve, serve_workers

    workers = getattr(args, "workers", 1) or 1
    if workers > 1:
        os.environ.update({f"HUARONG_{k.upper()}": str(v) for k, v in settings.model_dump().items() if v is not None})
        _log(f"API: http://{settings.host}:{settings.port}/v1 （{workers} 个进程）")
        serve_workers(settings, workers)
        return 0
    gate = ModelGate(settings.queue_size)
    pipeline = Pipeline.create(open_retriever(settings, _log), settings, gate)
    with_ui = args.command == "serve"
    app = build_app(pipeline, settings, FeedbackStore(settings.feedback_db), with_ui=with_ui)
    where = f"http://{settings.host}:{settings.port}"
    api = f"{where}/v1/docs" if settings.api_docs else f"{where}/v1"
    _log(f"华容规划问答 已启动: {where}/ （API: {api}）  Ctrl+C 退出" if with_ui else f"API: {api}")
    serve(app, settings, open_browser=getattr(args, "open", False) and with_ui)
    return 0


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    from app.feedback import FeedbackStore

    data = FeedbackStore(settings.feedback_db).export_csv()
    if args.out:
        Path(args.out).write_text(data, encoding="utf-8-sig")
        _log(f"已导出到 {args.out}")
    else:
        sys.stdout.write(data)
    return 0


def cmd_study(args: argparse.Namespace, settings: Settings) -> int:
    from app.corpus import load_plan
    from app.gate import GatedModel, ModelGate
    from app.llm import load_generator
    from app.models import ModelError
    from app.retrieve import open_retriever
    from app.study import StudyError, build_study, write_study

    retriever = open_retriever(settings, _log)
    model: GatedModel | None = None
    if settings.mode != "extractive":
        try:
            model = GatedModel(load_generator(settings), ModelGate(0))
        except ModelError as exc:
            if settings.mode == "llm":
                raise
            _log(f"提示: {exc}\n学习要点将直接摘录原文。")

    def progress(fraction: float, message: str) -> None:
        _log(f"[{fraction * 100:3.0f}%] {message}")

    plan = load_plan(settings.corpus_path)
    try:
        doc = build_study(args.scope, plan, retriever, model, model.name if model else "extractive", progress)
    except StudyError as exc:
        raise UserError(str(exc)) from exc
    docx_path, md_path = write_study(doc, plan, Path(args.out))
    _log(
        f"已生成 {docx_path} 和 {md_path}：{len(doc.articles)} 条原文，{len(doc.points)} 个要点，"
        f"{len(doc.quiz)} 道自测题；核对未通过而替换或删去 {doc.dropped} 项。"
    )
    print(docx_path)
    return 0


def _add_settings_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index-dir", help="index directory (HUARONG_INDEX_DIR)")
    p.add_argument("--embedder", choices=["e5", "sentence-transformers"], help="embedding backend (HUARONG_EMBEDDER)")
    p.add_argument("--embedder-model", help="sentence-transformers model dir or id (HUARONG_EMBEDDER_MODEL)")
    p.add_argument("--model", help="LLM: default | small | path to a .gguf (HUARONG_MODEL)")
    p.add_argument("--no-rebuild", action="store_true", help="refuse a stale index instead of rebuilding it")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="huarong-qa",
        description="华容区“十四五”规划建议问答 — offline Q&A over the Huarong District 14th Five-Year Plan proposal.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, func: Callable[..., int], help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            allow_abbrev=False,
            help=help_,
            description=help_,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        _add_settings_flags(p)
        return p

    p = add("corpus", cmd_corpus, "print the parsed plan (parts, articles, glossary)")
    p.add_argument("--json", action="store_true", help="print the structure as JSON")

    add("build-index", cmd_build_index, "chunk, embed and write the index to index/")

    p = add("search", cmd_search, "retrieve the most relevant articles / glossary terms")
    p.add_argument("question", nargs="?", help="the question")
    p.add_argument("-k", type=int, default=5, help="number of hits (default 5)")
    p.add_argument("--json", action="store_true", help="one JSON object per question")
    p.add_argument("--stdin", action="store_true", help="read one question per line from standard input")

    p = add("ask", cmd_ask, "answer a question from the plan, citing 第N条 / 名词解释N")
    p.add_argument("question", nargs="?", help="the question")
    p.add_argument("--json", action="store_true", help="one JSON object per question (public contract)")
    p.add_argument("--stdin", action="store_true", help="read one question per line (model loaded once)")
    p.add_argument("--history", help="JSON file: list of {role, content} turns before the question")
    p.add_argument("--mode", choices=["auto", "llm", "extractive"], help="answer mode (HUARONG_MODE)")
    p.add_argument("--refine", choices=["off", "draft"], help="model help choosing spans (HUARONG_REFINE)")

    p = add("study", cmd_study, "write study material (学习材料) as .docx and Markdown")
    p.add_argument("scope", help='topic ("数字经济"), part ("第二部分") or article range ("7-11")')
    p.add_argument("--out", default="study", help="output directory (default ./study)")
    p.add_argument("--mode", choices=["auto", "llm", "extractive"], help="extractive = no model, text only")

    p = add("serve", cmd_serve, "start the web chat (Gradio) on 127.0.0.1:7860")
    p.add_argument("--host", help="bind address (default 127.0.0.1; use 0.0.0.0 only behind a proxy)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    p.add_argument("--mode", choices=["auto", "llm", "extractive"], help="answer mode (HUARONG_MODE)")
    p.add_argument("--open", action="store_true", help="open the browser once the server is up")

    p = add("api", cmd_serve, "serve only the HTTP API (/v1/chat/completions, /v1/search, /v1/articles/N)")
    p.add_argument("--host", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    p.add_argument("--workers", type=int, default=1, help="API processes on this port (default 1; docs/deploy.md)")
    p.add_argument("--mode", choices=["auto", "llm", "extractive"], help="answer mode (HUARONG_MODE)")

    p = add("feedback", cmd_feedback, "export the collected 👍/👎 feedback")
    p.add_argument("action", choices=["export"], help="export as CSV")
    p.add_argument("--out", help="CSV file to write (default: standard output)")

    p = add("eval", cmd_eval, "measure retrieval (and answers) on the gold set, or refusals on the scope set")
    p.add_argument("--retrieval", action="store_true", help="retrieval metrics (default)")
    p.add_argument("--answers", action="store_true", help="answer metrics (runs the LLM)")
    p.add_argument(
        "--scope", action="store_true", help="refusal rates per category on the scope set (tests/data/scope_set.jsonl)"
    )
    p.add_argument("--split", choices=["dev", "report", "all"], default="dev", help="with --scope: which half")
    p.add_argument("--curves", action="store_true", help="with --scope: refusal rates as each scope threshold moves")
    p.add_argument("--gold", help="gold set path (default tests/data/gold.jsonl, or scope_set.jsonl with --scope)")
    p.add_argument("--limit", type=int, default=0, help="only the first N gold items")
    p.add_argument("--mode", choices=["auto", "llm", "extractive"], help="answer mode for --answers")
    p.add_argument("--refine", choices=["off", "draft"], help="model help choosing spans, for --answers")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.add_argument("--answers-out", help="with --answers: write every answer (ask --json + gold fields) as JSON lines")
    p.add_argument("-v", "--verbose", action="store_true", help="also list misses / rows")
    return parser


def make_settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    for field in ("index_dir", "embedder", "embedder_model", "model", "mode", "refine", "host", "port"):
        value = getattr(args, field, None)
        if value is not None:
            overrides[field] = value
    if getattr(args, "no_rebuild", False):
        overrides["auto_rebuild"] = False
    return Settings(**overrides)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from app.corpus import CorpusError
    from app.embed import EmbedderError
    from app.index import IndexError_
    from app.models import ModelError

    try:
        settings = make_settings(args)
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        return int(args.func(args, settings))
    except (UserError, CorpusError, EmbedderError, IndexError_, ModelError) as exc:
        _log(f"错误: {exc}")
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        log.exception("unexpected error in %s", getattr(args, "command", "?"))  # the trace goes to the log only
        _log(f"错误: 未预期的问题 ({type(exc).__name__}: {exc})。请重试；若持续出现请报告此信息。")
        return 1


if __name__ == "__main__":
    sys.exit(main())
