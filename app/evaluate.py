"""Measure retrieval and answers against the gold set (``tests/data/gold.jsonl``).

Retrieval metrics are computed at the unit level (an article, glossary term or part
counts as one unit): recall@1/3/5 — the share of questions with a gold unit among
the first k hits — and MRR, per category, plus query latency after load.  Answer
metrics are in :func:`evaluate_answers`.  This module only measures; it changes
nothing it measures.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.refs import Ref, parse_ref
from app.retrieve import Hit, Retriever, Turn

DEFAULT_GOLD = Path(__file__).resolve().parent.parent / "tests" / "data" / "gold.jsonl"


@dataclass(frozen=True)
class GoldItem:
    id: str
    category: str
    question: str
    gold: tuple[Ref, ...]
    key_fact: str = ""
    history: tuple[Turn, ...] = field(default_factory=tuple)

    @property
    def in_scope(self) -> bool:
        return bool(self.gold)


def load_gold(path: Path = DEFAULT_GOLD) -> list[GoldItem]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        refs = tuple(r for r in (parse_ref(g) for g in d.get("gold", [])) if r is not None)
        if len(refs) != len(d.get("gold", [])):
            raise ValueError(f"gold item {d.get('id')} has an unparseable ref: {d.get('gold')}")
        history = tuple(Turn(t["role"], t["content"]) for t in d.get("history", []))
        items.append(GoldItem(d["id"], d["category"], d["question"], refs, d.get("key_fact", ""), history))
    return items


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def _rank(hits: list[Hit], gold: Iterable[Ref]) -> int | None:
    gold_set = set(gold)
    return next((i + 1 for i, h in enumerate(hits) if h.ref in gold_set), None)


def evaluate_retrieval(
    retriever: Retriever, items: list[GoldItem], k: int = 5, search: Callable[..., list[Hit]] | None = None
) -> dict[str, Any]:
    """Per-category recall@1/3/5, MRR and latency; also the misses for inspection."""
    search = search or retriever.search
    retriever.search("预热", k=k)  # load models before timing
    by_cat: dict[str, list[int | None]] = defaultdict(list)
    latencies: list[float] = []
    misses = []
    for item in items:
        if not item.in_scope:
            continue
        t0 = time.perf_counter()
        hits = search(item.question, k=k, history=item.history)
        latencies.append((time.perf_counter() - t0) * 1000)
        rank = _rank(hits, item.gold)
        by_cat[item.category].append(rank)
        if rank != 1:
            misses.append(
                {
                    "id": item.id,
                    "question": item.question,
                    "gold": [str(g) for g in item.gold],
                    "got": [str(h.ref) for h in hits[:5]],
                }
            )

    def summary(ranks: list[int | None]) -> dict[str, float]:
        n = len(ranks) or 1
        return {
            "n": len(ranks),
            **{f"recall@{c}": round(sum(1 for r in ranks if r and r <= c) / n, 4) for c in (1, 3, 5)},
            "mrr": round(sum(1 / r for r in ranks if r) / n, 4),
        }

    all_ranks = [r for ranks in by_cat.values() for r in ranks]
    return {
        "categories": {cat: summary(r) for cat, r in sorted(by_cat.items())},
        "overall": summary(all_ranks),
        "latency_ms": {"p50": round(statistics.median(latencies), 1), "p95": round(percentile(latencies, 0.95), 1)},
        "misses": misses,
    }


def evaluate_answers(
    answerer: Any,
    items: list[GoldItem],
    progress: Callable[[str], None] | None = None,
    dump: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Answer metrics over the gold set.

    * cites_gold — in-scope answers citing at least one gold unit;
    * citation_precision — cited units that are gold or among the retrieved hits shown with the answer
      (every citation is verified against its passage, so a non-gold citation is still supported text);
    * invalid_citations_shown — citations in the shown answer to units that do not exist or were not
      in the context (must be 0);
    * refusal_out_of_scope — out-of-scope questions refused (must be 1.0);
    * false_refusals — in-scope questions refused;
    * key_fact — answers containing the gold key fact verbatim;
    * ttft / total time medians.
    """
    from app.refs import find_refs

    rows = []
    for n, item in enumerate(items, 1):
        ans = answerer.answer(item.question, item.history)
        if dump is not None:  # the full ``ask --json`` answer beside the set's gold fields, for a strict reader
            dump({"id": item.id, "category": item.category, "gold": [str(g) for g in item.gold],
                  "key_fact": item.key_fact, "history": [t.__dict__ for t in item.history], **ans.to_dict()})  # fmt: skip
        shown = {m.ref for m in find_refs(ans.answer)}
        allowed = {h.ref for h in ans.hits} | set(ans.related)
        invalid = [str(r) for r in shown if r not in allowed or not answerer.plan.exists(r)]
        cited = [str(c) for c in ans.citations]
        rows.append(
            {
                "id": item.id,
                "category": item.category,
                "in_scope": item.in_scope,
                "mode": ans.mode,
                "refused": ans.refused,
                "cited": cited,
                "gold": [str(g) for g in item.gold],
                "cites_gold": bool(set(ans.citations) & set(item.gold)),
                "precision": (sum(1 for c in ans.citations if c in item.gold or c in allowed) / len(cited))
                if cited
                else None,
                "invalid": invalid,
                "removed": len(ans.removed_citations),
                "key_fact": bool(item.key_fact) and item.key_fact in ans.answer,
                "ttft_ms": ans.timings.get("first_token_ms", 0.0),
                "total_ms": ans.timings.get("total_ms", 0.0),
                "tokens": ans.timings.get("generated_tokens", 0),
                "answer": ans.answer[:300],
            }
        )
        if progress and n % 10 == 0:
            progress(f"已评测 {n}/{len(items)}")
    return {"summary": _answer_summary(answerer.model_name, rows), "rows": rows}


def _answer_summary(model: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    ins = [r for r in rows if r["in_scope"]]
    outs = [r for r in rows if not r["in_scope"]]
    precisions = [r["precision"] for r in ins if r["precision"] is not None]

    def share(rs: list[dict[str, Any]], key: str) -> float:
        return round(sum(1 for r in rs if r[key]) / (len(rs) or 1), 4)

    modes: dict[str, int] = defaultdict(int)
    for r in rows:
        modes[r["mode"]] += 1
    return {
        "model": model,
        "n_in_scope": len(ins),
        "n_out_of_scope": len(outs),
        "cites_gold": share(ins, "cites_gold"),
        "citation_precision": round(sum(precisions) / (len(precisions) or 1), 4),
        "invalid_citations_shown": sum(len(r["invalid"]) for r in rows),
        "removed_citations": sum(r["removed"] for r in rows),
        "refusal_out_of_scope": share(outs, "refused"),
        "false_refusals": share(ins, "refused"),
        "key_fact": share(ins, "key_fact"),
        "ttft_ms_p50": round(statistics.median([r["ttft_ms"] for r in rows]), 1) if rows else 0.0,
        "total_ms_p50": round(statistics.median([r["total_ms"] for r in rows]), 1) if rows else 0.0,
        "total_ms_p95": round(percentile([r["total_ms"] for r in rows], 0.95), 1),
        "modes": dict(modes),
    }


# -- scope: does the pipeline refuse what the plan does not cover, and only that? -------------------------------
DEFAULT_SCOPE_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "scope_set.jsonl"
SPLITS = ("dev", "report", "all")


@dataclass(frozen=True)
class ScopeItem:
    id: str
    in_scope: bool
    category: str
    lang: str
    question: str
    split: str
    missing: str = ""  # what the set's author says the plan does not cover (out-of-scope items)
    history: tuple[Turn, ...] = ()


def load_scope_set(path: Path = DEFAULT_SCOPE_SET, split: str = "dev") -> list[ScopeItem]:
    """The items of one half of the scope set (``split`` = dev, report or all)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        if split != "all" and d.get("split", split) != split:  # a set without halves belongs to each
            continue
        history = tuple(Turn(t["role"], t["content"]) for t in d.get("history", []))
        in_scope = bool(d["in_scope"]) if "in_scope" in d else bool(d.get("gold"))  # gold.jsonl's format too
        items.append(
            ScopeItem(
                d["id"], in_scope, d["category"], d.get("lang", ""), d["question"], d.get("split", ""),
                d.get("missing", ""), history,
            )
        )  # fmt: skip
    return items


def names_missing(answer: Any) -> bool:
    """A refusal says what the plan does not cover: a named missing thing, or an instruction it will not follow."""
    return bool(answer.missing) or answer.scope_reason == "instructions"


def evaluate_scope(
    answerer: Any, items: list[ScopeItem], progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Refusals over the scope set, by category.

    A refusal is ``answer.refused`` (scope refusals, absent figures and absent units alike).
    For out-of-scope categories the rate is the share refused (higher is better); for in-scope
    categories it is the share falsely refused (lower is better).  ``names_missing`` is the share
    of refusals that say what the plan does not cover.
    """
    rows = []
    for n, item in enumerate(items, 1):
        ans = answerer.answer(item.question, item.history)
        rows.append(
            {
                "id": item.id,
                "category": item.category,
                "lang": item.lang,
                "in_scope": item.in_scope,
                "refused": ans.refused,
                "reason": ans.scope_reason,
                "missing": ans.missing,
                "names_missing": ans.refused and names_missing(ans),
                "total_ms": ans.timings.get("total_ms", 0.0),
            }
        )
        if progress and n % 50 == 0:
            progress(f"已评测 {n}/{len(items)}")

    def group(rs: list[dict[str, Any]]) -> dict[str, Any]:
        refused = sum(1 for r in rs if r["refused"])
        return {"n": len(rs), "refused": refused, "rate": round(refused / (len(rs) or 1), 4)}

    categories: dict[str, dict[str, Any]] = {}
    for in_scope in (False, True):
        for cat in sorted({r["category"] for r in rows if r["in_scope"] is in_scope}):
            categories[cat] = {"in_scope": in_scope, **group([r for r in rows if r["category"] == cat])}
    outs = [r for r in rows if not r["in_scope"]]
    ins = [r for r in rows if r["in_scope"]]
    refusals = [r for r in rows if r["refused"]]
    summary = {
        "n_out_of_scope": len(outs),
        "n_in_scope": len(ins),
        "out_of_scope_refused": group(outs)["rate"],
        "false_refusals": group(ins)["rate"],
        "by_lang": {
            lang: {
                "out_of_scope_refused": group([r for r in outs if r["lang"] == lang])["rate"],
                "false_refusals": group([r for r in ins if r["lang"] == lang])["rate"],
            }
            for lang in sorted({r["lang"] for r in rows})
        },
        "refusals_name_missing": round(sum(1 for r in refusals if r["names_missing"]) / (len(refusals) or 1), 4),
        "total_ms_p50": round(statistics.median([r["total_ms"] for r in rows]), 1) if rows else 0.0,
        "refusal_ms_p95": round(percentile([r["total_ms"] for r in refusals], 0.95), 1),
    }
    return {"summary": summary, "categories": categories, "rows": rows}


def scope_curves(
    answerer: Any,
    items: list[ScopeItem],
    shares: Iterable[float] = (0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 1.01),
    evidences: Iterable[float] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Refusal rates as each scope threshold moves, the other held at its setting.

    Every question is answered once with both thresholds off; what the thresholds would add is
    computed from the signals they are applied to (``app.scope.scope_signals``), so a curve costs
    one pass over the set.
    """
    from app.answering import Pipeline
    from app.answering.question import make_query
    from app.answering.route import offtopic_probability
    from app.scope import apply_thresholds, scope_signals

    s = answerer.settings
    offtopic = getattr(answerer, "offtopic", None)
    off = s.model_copy(
        update={
            "scope_unknown_share": 1.01,
            "scope_evidence_min": 0.0,
            "scope_asked_unknown_share": 1.01,
            "offtopic_min": 1.01,
        }
    )
    base = Pipeline(answerer.retriever, off, offtopic=offtopic)
    rows = []
    for n, item in enumerate(items, 1):
        ans = base.answer(item.question, item.history)
        query = make_query(item.question, item.history)
        hits = answerer.retriever.search(query.text, k=s.top_k, history=query.history)
        named = any(h.via != "ranked" for h in hits)
        p = offtopic_probability(query, answerer.retriever, offtopic)
        sig = scope_signals(query.text, answerer.plan, named, answerer.retriever, hits, query.previous, p)
        rows.append((item, ans.refused, sig))
        if progress and n % 50 == 0:
            progress(f"已计算 {n}/{len(items)}")

    def rates(share: float, ev_min: float, offtopic_min: float | None = None) -> dict[str, float]:
        variant = s.model_copy(
            update={"scope_unknown_share": share, "scope_evidence_min": ev_min,
                    "offtopic_min": s.offtopic_min if offtopic_min is None else offtopic_min}
        )  # fmt: skip

        def refused(base_refused: bool, sig: Any) -> bool:
            if base_refused or sig.decided is not None:
                return base_refused
            return not apply_thresholds(sig, variant).in_scope

        outs = [refused(b, sig) for item, b, sig in rows if not item.in_scope]
        ins = [refused(b, sig) for item, b, sig in rows if item.in_scope]
        return {
            "out_of_scope_refused": round(sum(outs) / (len(outs) or 1), 4),
            "false_refusals": round(sum(ins) / (len(ins) or 1), 4),
        }

    evidences = list(evidences)
    return {
        "unknown_share": [{"threshold": t, **rates(t, s.scope_evidence_min)} for t in shares],
        "evidence_min": [{"threshold": t, **rates(s.scope_unknown_share, t)} for t in evidences],
        "evidence_min_alone": [{"threshold": t, **rates(1.01, t)} for t in evidences],
        "offtopic_min": [
            {"threshold": t, **rates(s.scope_unknown_share, s.scope_evidence_min, t)}
            for t in (0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 1.01)
        ],
        "settings": {"scope_unknown_share": s.scope_unknown_share, "scope_evidence_min": s.scope_evidence_min,
                     "offtopic_min": s.offtopic_min},
        "signals": [
            {"id": item.id, "in_scope": item.in_scope, "refused_anyway": b or sig.decided is not None,
             "unknown_share": round(sig.unknown_share, 3),
             "evidence": None if sig.evidence is None else round(sig.evidence, 3),
             "offtopic": None if sig.offtopic is None else round(sig.offtopic, 3)}
            for item, b, sig in rows
        ],
    }  # fmt: skip
