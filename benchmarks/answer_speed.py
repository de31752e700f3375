"""Answer latency and quality per LLM context strategy, in one run.

For one model, each strategy (rag = passages evaluated per question; packs = the
top article's precomputed state; auto = packs when one article dominates) runs in
its own subprocess over the same questions — gold questions that reach the model
(direct, paraphrase, multi, english, followup; every k-th, deterministic).  Reported:
model time-to-first-token (p50/p95), time to the first *verified* sentence, total
time, decode tokens/s, peak RSS, startup, pack build time, and the answer-quality
metrics of ``huarong-qa eval``; then ratios against rag.

    python benchmarks/answer_speed.py --model default --n 30
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

LLM_CATEGORIES = ("direct", "paraphrase", "multi", "english", "followup")


def questions(n: int) -> list[Any]:
    from app.evaluate import load_gold

    items = [i for i in load_gold() if i.category in LLM_CATEGORIES]
    step = max(1, len(items) // n)
    return items[::step][:n]


def run_one(model: str, strategy: str, n: int) -> dict[str, Any]:
    from app.answer import Answerer
    from app.evaluate import evaluate_answers, percentile
    from app.retrieve import open_retriever
    from app.settings import Settings

    t0 = time.perf_counter()
    settings = Settings(model=model, mode="llm", strategy=strategy, answer_cache=False)
    answerer = Answerer.create(open_retriever(settings), settings)
    startup_s = time.perf_counter() - t0
    items = questions(n)

    pack_build_s: list[float] = []
    if answerer.packs is not None:  # build the packs this run needs up front and time them
        for item in items:
            ref = answerer.pack_for(answerer.retriever.search(item.question, k=settings.top_k, history=item.history))
            if ref is not None and not answerer.packs.path(ref).exists():
                t = time.perf_counter()
                answerer.packs.get(ref)
                pack_build_s.append(time.perf_counter() - t)

    gen = answerer.generator
    inner = gen.stream
    stats: list[dict[str, float]] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        first = last = None
        count = 0
        for piece in inner(*args, **kwargs):
            now = time.perf_counter()
            first = first or now
            last = now
            count += 1
            yield piece
        if first is not None and last is not None:
            stats.append(
                {
                    "ttft": first - start,
                    "decode": (count - 1) / (last - first) if last > first else 0.0,
                    "tokens": count,
                }
            )

    gen.stream = spy  # type: ignore[method-assign]
    result = evaluate_answers(answerer, items)
    llm_rows = [r for r in result["rows"] if r["mode"] in ("llm", "extractive")]
    ttft = [s["ttft"] * 1000 for s in stats]
    return {
        "model": answerer.model_name,
        "strategy": strategy,
        "n": len(items),
        "startup_s": round(startup_s, 2),
        "pack_build_s_median": round(statistics.median(pack_build_s), 1) if pack_build_s else 0.0,
        "packs_built": len(pack_build_s),
        "model_ttft_ms_p50": round(statistics.median(ttft), 0) if ttft else 0.0,
        "model_ttft_ms_p95": round(percentile(ttft, 0.95), 0) if ttft else 0.0,
        "first_verified_ms_p50": round(statistics.median([r["ttft_ms"] for r in llm_rows]), 0) if llm_rows else 0.0,
        "total_ms_p50": round(statistics.median([r["total_ms"] for r in llm_rows]), 0) if llm_rows else 0.0,
        "total_ms_p95": round(percentile([r["total_ms"] for r in llm_rows], 0.95), 0) if llm_rows else 0.0,
        "decode_tok_s_p50": round(statistics.median([s["decode"] for s in stats]), 1) if stats else 0.0,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
        "quality": {k: v for k, v in result["summary"].items() if k not in ("model",)},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="default")
    ap.add_argument("--strategies", default="rag,packs,auto")
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--out", help="write all results as JSON here")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.model, args.one, args.n), ensure_ascii=False))
        return
    results = []
    for strategy in args.strategies.split(","):
        out = (
            subprocess.run(
                [sys.executable, __file__, "--model", args.model, "--n", str(args.n), "--one", strategy],
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        results.append(json.loads(out))
        print(json.dumps(results[-1], ensure_ascii=False), file=sys.stderr, flush=True)
    base = results[0]
    cols = [
        "model_ttft_ms_p50",
        "model_ttft_ms_p95",
        "first_verified_ms_p50",
        "total_ms_p50",
        "total_ms_p95",
        "decode_tok_s_p50",
        "peak_rss_mb",
        "startup_s",
    ]
    qcols = ["cites_gold", "citation_precision", "invalid_citations_shown", "false_refusals", "key_fact"]
    print(f"model: {base['model']}, {base['n']} questions that reach the model\n")
    print("| strategy | " + " | ".join(cols + qcols) + " | pack build s (median) |")
    print("|" + "---|" * (len(cols) + len(qcols) + 2))
    for r in results:
        cells = []
        for c in cols:
            ratio = f" ({r[c] / base[c]:.2f}×)" if base[c] and r is not base else ""
            cells.append(f"{r[c]}{ratio}")
        cells += [str(r["quality"][c]) for c in qcols]
        print(
            f"| {r['strategy']} | " + " | ".join(cells) + f" | {r['pack_build_s_median']} ({r['packs_built']} built) |"
        )
    if args.out:
        Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
