"""How much a question reads like the questions the plan does not cover: a linear classifier on its embedding.

The scope rules (``app.scope``) catch the kinds of off-topic question someone wrote a phrase family for; this
catches the ones nobody did ("What is the boiling point of water?", "伢上小学一年级报名要准备哪些材料?") by
what they are *like*.  A logistic regression over the question's query vector, fitted by
``scripts/train_offtopic.py`` on labelled development questions (in scope / out of scope) and stored beside the
index in ``index/offtopic.json`` with the embedder it was fitted for.  ``app.scope`` uses the probability only
as one more signal, and only when the question also holds a word the plan never uses
(``Settings.offtopic_min``); how the threshold was chosen is in docs/answers.md ("Scope").

A classifier fitted for another embedder means nothing for this one: loading it then returns None and logs
the command that fits a new one (the rules alone decide meanwhile).  This module does not decide scope and
does not embed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
FIT_COMMAND = "python scripts/train_offtopic.py"


@dataclass(frozen=True)
class OffTopic:
    """A fitted classifier: P(out of scope) = sigmoid(vector · weights + bias)."""

    weights: np.ndarray
    bias: float
    embedder: str  # the embedder id the vectors came from
    trained_on: tuple[str, ...] = ()  # the labelled sets it was fitted on
    c: float = 10.0  # inverse L2 strength it was fitted with

    def probability(self, vector: np.ndarray) -> float:
        z = float(np.asarray(vector, dtype=np.float64).reshape(-1) @ self.weights + self.bias)
        return float(1.0 / (1.0 + np.exp(-z)))


def fit(x: np.ndarray, y: np.ndarray, c: float = 10.0, iterations: int = 50) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression with balanced class weights, by Newton's method.

    Minimises ``sum_i w_i * logloss_i + ||weights||^2 / (2c)`` (the bias is not penalised), where ``w_i``
    weighs each class by ``n / (2 * n_class)`` so that the smaller class counts as much as the larger.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, d = x.shape
    positives = max(float(y.sum()), 1.0)
    negatives = max(float(n - y.sum()), 1.0)
    sample = np.where(y == 1, n / (2 * positives), n / (2 * negatives))
    design = np.hstack([x, np.ones((n, 1))])
    penalty = np.full(d + 1, 1.0 / c)
    penalty[-1] = 0.0
    theta = np.zeros(d + 1)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(design @ theta)))
        gradient = design.T @ (sample * (p - y)) + penalty * theta
        hessian = (design * (sample * p * (1 - p))[:, None]).T @ design + np.diag(penalty) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return theta[:-1], float(theta[-1])


def save(model: OffTopic, path: Path) -> None:
    data = {
        "format_version": FORMAT_VERSION,
        "embedder": model.embedder,
        "dimension": int(model.weights.shape[0]),
        "c": model.c,
        "trained_on": list(model.trained_on),
        "bias": model.bias,
        "weights": [round(float(w), 6) for w in model.weights],
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def load(path: Path, embedder_id: str, dimension: int, log: Callable[[str], None] | None = None) -> OffTopic | None:
    """The classifier in ``path`` when it was fitted for this embedder, else None (logged with the remedy)."""
    say = log or (lambda _message: None)
    if not path.exists():
        say(f"Scope classifier {path} not found: scope uses its rules alone. To fit one: {FIT_COMMAND}")
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        weights = np.asarray(data["weights"], dtype=np.float64)
        version, fitted_for, bias = data["format_version"], data["embedder"], float(data["bias"])
        trained_on: Sequence[str] = data.get("trained_on", ())
        c = float(data.get("c", 10.0))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        say(f"Scope classifier {path} unreadable ({exc}): scope uses its rules alone. To fit it again: {FIT_COMMAND}")
        return None
    if version != FORMAT_VERSION or fitted_for != embedder_id or weights.shape != (dimension,):
        say(
            f"Scope classifier {path} was fitted for embedder {fitted_for!r} ({weights.shape[0]} dimensions), not "
            f"{embedder_id!r} ({dimension}): scope uses its rules alone. To fit one for this embedder: {FIT_COMMAND}"
        )
        return None
    return OffTopic(weights, bias, fitted_for, tuple(trained_on), c)
