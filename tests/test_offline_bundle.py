"""Build the Linux offline bundle, install it with pip's network disabled, answer a question."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.real, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent


def test_offline_bundle_installs_and_answers(tmp_path):
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_offline_bundle.py"), "--model", "small", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=1800,
    )
    bundle = next(tmp_path.glob("huarong-qa-offline-*"))
    assert (bundle / "install.bat").read_bytes().count(b"\r\n") > 3
    assert any(p.name.startswith("llama_cpp_python-") for p in (bundle / "wheelhouse").iterdir())
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env |= {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "HUARONG_MODEL_CACHE_DIR": str(tmp_path / "cache")}
    subprocess.run(["bash", str(bundle / "install.sh")], check=True, env=env, capture_output=True, timeout=1800)
    model = (bundle / "huarong.env").read_text().strip().split("=", 1)[1]
    env["HUARONG_MODEL"] = model
    out = subprocess.run(
        [str(bundle / ".venv" / "bin" / "huarong-qa"), "ask", "三江港要建设哪些物流项目?", "--json"],
        check=True,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout
    d = json.loads(out.strip().splitlines()[-1])
    assert d["mode"] in ("llm", "extractive") and {c["ref"] for c in d["citations"]} & {"第13条", "第14条"}
    assert d["model"] in (Path(model).name, "extractive")
