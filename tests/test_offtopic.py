"""The scope classifier: fitting, the probability it gives, and loading only what fits this embedder."""

from __future__ import annotations

import json

import numpy as np

from app.offtopic import FIT_COMMAND, OffTopic, fit, load, save
from app.settings import REPO_ROOT


def toy(n: int = 60, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Two clouds on the unit sphere of 8 dimensions; the smaller one (a third) is 'off topic'."""
    rng = np.random.default_rng(seed)
    centre = np.eye(8)
    off = n // 3
    x = np.vstack(
        [centre[0] + 0.3 * rng.standard_normal((n - off, 8)), centre[1] + 0.3 * rng.standard_normal((off, 8))]
    )
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, np.array([0] * (n - off) + [1] * off)


def test_fit_separates_the_two_kinds_and_weighs_the_smaller_class_up():
    x, y = toy()
    weights, bias = fit(x, y, c=10.0)
    model = OffTopic(weights, bias, "fake")
    p = np.array([model.probability(v) for v in x])
    assert (p[y == 1] > 0.5).all() and (p[y == 0] < 0.5).all()
    # a vector exactly between the clouds is undecided, not pulled to the larger class
    middle = (np.eye(8)[0] + np.eye(8)[1]) / np.sqrt(2)
    assert 0.2 < model.probability(middle) < 0.8


def test_a_stronger_penalty_gives_less_confident_probabilities():
    x, y = toy()
    loose = OffTopic(*fit(x, y, c=100.0), "fake")
    tight = OffTopic(*fit(x, y, c=0.01), "fake")
    off = x[y == 1][0]
    assert loose.probability(off) > tight.probability(off) > 0.5


def test_saved_classifier_loads_back_for_the_same_embedder(tmp_path):
    x, y = toy()
    model = OffTopic(*fit(x, y), "e5/test", ("gold", "scope_set"), 10.0)
    path = tmp_path / "offtopic.json"
    save(model, path)
    back = load(path, "e5/test", 8)
    assert back is not None and back.trained_on == ("gold", "scope_set")
    assert abs(back.probability(x[0]) - model.probability(x[0])) < 1e-4


def test_a_classifier_for_another_embedder_is_not_used_and_the_log_says_how_to_fit_one(tmp_path):
    x, y = toy()
    path = tmp_path / "offtopic.json"
    save(OffTopic(*fit(x, y), "e5/test"), path)
    said: list[str] = []
    assert load(path, "st/bge-small-zh/abc", 8, said.append) is None
    assert load(path, "e5/test", 16, said.append) is None  # same name, other dimension
    assert len(said) == 2 and all(FIT_COMMAND in m and "e5/test" in m for m in said)


def test_missing_or_damaged_file_means_rules_alone(tmp_path):
    said: list[str] = []
    assert load(tmp_path / "none.json", "e5/test", 8, said.append) is None
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format_version": 1, "embedder": "e5/test"}), encoding="utf-8")
    assert load(bad, "e5/test", 8, said.append) is None
    bad.write_text("{not json", encoding="utf-8")
    assert load(bad, "e5/test", 8, said.append) is None
    assert len(said) == 3 and all("rules alone" in m for m in said)


def test_the_shipped_classifier_fits_the_shipped_index():
    manifest = json.loads((REPO_ROOT / "index" / "manifest.json").read_text(encoding="utf-8"))
    shipped = load(REPO_ROOT / "index" / "offtopic.json", manifest["embedder"], manifest["dimension"])
    assert shipped is not None
    assert "heldout8" not in shipped.trained_on and "scope_set6" not in shipped.trained_on
