"""Fit the scope classifier (``app.offtopic``) on labelled development questions and write index/offtopic.json.

Usage:  python scripts/train_offtopic.py [--sets gold heldout3 ...] [--c 10] [--out index/offtopic.json]

Each question of the named sets in tests/data/ (follow-ups left out: scope does not ask the classifier about
them) is embedded exactly as retrieval embeds it, labelled out of scope when the set says so (``in_scope``
false, or no gold references), and a class-balanced logistic regression is fitted.  The default sets are the
development sets; a set written to measure a session (the newest held-out and scope sets) must not be added
before it has been reported.  With ``--cv`` it first prints, for each set left out in turn, how many of its
questions the classifier alone would call off topic at 0.5 / 0.85 / 0.95 — the honest estimate of what it adds.
Run it again after changing the embedder (the file records which one it was fitted for).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.answering.question import make_query  # noqa: E402
from app.offtopic import OffTopic, fit, save  # noqa: E402
from app.retrieve import open_retriever  # noqa: E402
from app.settings import Settings  # noqa: E402

DEV_SETS = (
    "gold", "heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6",
    "heldout7", "scope_set", "scope_set2", "scope_set3", "scope_set4", "scope_set5",
)  # fmt: skip


def labelled(name: str) -> list[tuple[str, int]]:
    rows = []
    for line in (ROOT / "tests" / "data" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item.get("history"):
            continue
        in_scope = item["in_scope"] if "in_scope" in item else bool(item.get("gold"))
        rows.append((make_query(item["question"], ()).text, 0 if in_scope else 1))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(DEV_SETS))
    parser.add_argument("--c", type=float, default=10.0, help="inverse L2 strength (larger fits more closely)")
    parser.add_argument("--out", type=Path, default=None, help="default: <index_dir>/offtopic.json")
    parser.add_argument("--cv", action="store_true", help="print the leave-one-set-out estimate first")
    args = parser.parse_args()

    settings = Settings()
    retriever = open_retriever(settings, print)
    groups, texts, labels = [], [], []
    for name in args.sets:
        for text, label in labelled(name):
            groups.append(name)
            texts.append(text)
            labels.append(label)
    x = retriever.embedder.embed_queries(texts)
    y = np.asarray(labels)
    group = np.asarray(groups)
    print(f"{len(y)} questions ({int(y.sum())} out of scope) from {len(args.sets)} sets")
    if args.cv:
        for name in args.sets:
            held = group == name
            weights, bias = fit(x[~held], y[~held], args.c)
            p = 1.0 / (1.0 + np.exp(-(x[held] @ weights + bias)))
            cells = []
            for t in (0.5, 0.85, 0.95):
                caught = int(((p >= t) & (y[held] == 1)).sum())
                wrong = int(((p >= t) & (y[held] == 0)).sum())
                cells.append(f"p≥{t}: {caught}/{int(y[held].sum())} out, {wrong}/{int((y[held] == 0).sum())} in")
            print(f"  {name:11s} " + " | ".join(cells))
    weights, bias = fit(x, y, args.c)
    out = args.out or settings.index_dir / "offtopic.json"
    save(OffTopic(weights, bias, retriever.embedder.id, tuple(args.sets), args.c), out)
    print(f"wrote {out} (embedder {retriever.embedder.id})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
