"""Complete-answer latency and answer metrics: code-composed answers vs. model-refined ones.

Each configuration runs in its own subprocess over the same questions (every question of
the gold set and of tests/data/heldout3.jsonl, answer cache off) and reports the time until
the complete answer is shown (p50/p95/max), the time until the final answer (after any
model refinement), peak RSS, start-up, and the ``huarong-qa eval`` answer metrics; then
ratios against the first configuration.

    python benchmarks/answer_speed.py                       # code only (the default product)
    python benchmarks/answer_speed.py --configs off,draft --model small --limit 40
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SETS = ("tests/data/gold.jsonl", "tests/data/heldout3.jsonl")


def run_one(refine: str, model: str, limit: int) -> dict[str, Any]:
    from app.answering import Done, Pipeline, Text
    from app.evaluate import load_gold, percentile
    from app.retrieve import open_retriever
    from app.settings import Settings

    t0 = time.perf_counter()
    settings = Settings(answer_cache=False, refine=refine, model=model, auto_rebuild=False)  # type: ignore[arg-type]
    pipeline = Pipeline.create(open_retriever(settings), settings)
    startup = time.perf_counter() - t0
    items = [i for path in SETS for i in load_gold(Path(path))]
    if limit:
        items = items[:: max(1, len(items) // limit)][:limit]
    shown, final = [], []
    for item in items:
        start = time.perf_counter()
        first = None
        for event in pipeline.events(item.question, item.history):
            if isinstance(event, Text) and first is None:
                first = time.perf_counter() - start
            if isinstance(event, Done):
                final.append((time.perf_counter() - start) * 1000)
        shown.append((first or 0.0) * 1000)
    return {
        "refine": refine,
        "model": pipeline.model_name,
        "n": len(items),
        "shown_ms_p50": round(percentile(shown, 0.5), 1),
        "shown_ms_p95": round(percentile(shown, 0.95), 1),
        "shown_ms_max": round(max(shown), 1),
        "final_ms_p50": round(percentile(final, 0.5), 1),
        "final_ms_p95": round(percentile(final, 0.95), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "startup_s": round(startup, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default="off", help="comma-separated refine settings: off, draft")
    ap.add_argument("--model", default="default", help="LLM for refine=draft: default | small | a .gguf path")
    ap.add_argument("--limit", type=int, default=0, help="spread this many questions over the sets (0 = all)")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.model, args.limit), ensure_ascii=False))
        return
    results = []
    for refine in args.configs.split(","):
        cmd = [sys.executable, __file__, "--one", refine, "--model", args.model, "--limit", str(args.limit)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        results.append(json.loads(out))
        print(json.dumps(results[-1], ensure_ascii=False), file=sys.stderr, flush=True)
    base = results[0]
    cols = ["shown_ms_p50", "shown_ms_p95", "shown_ms_max", "final_ms_p50", "final_ms_p95", "peak_rss_mb", "startup_s"]
    print(f"{base['n']} questions (gold + heldout3), answer cache off\n")
    print("| refine | model | " + " | ".join(cols) + " |")
    print("|" + "---|" * (len(cols) + 2))
    for r in results:
        cells = [f"{r[c]}" + (f" ({r[c] / base[c]:.2f}×)" if r is not base and base[c] else "") for c in cols]
        print(f"| {r['refine']} | {r['model']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
