"""Build an offline installation bundle for office PCs with no internet.

The bundle is a folder (and optionally a .zip) with:

* ``wheelhouse/`` — wheels for the app and every dependency for *this* platform and Python,
  including a llama-cpp-python wheel built here (pip's cache makes that fast after the first time);
* ``model/`` — the assembled, checksum-verified GGUF (default or small model);
* ``huarong-qa/`` — the project source with its committed corpus, prompts and built index;
* ``install.sh`` / ``install.bat`` — create a virtual environment and install with
  ``pip --no-index`` (no network), then point the app at the bundled model;
* ``start.sh`` / ``start.bat`` — ``huarong-qa serve --open``.

A Windows bundle must be built on Windows (wheels are platform-specific, and llama-cpp-python
must be compiled for the target); see docs/deploy.md.

    python scripts/make_offline_bundle.py --model small --out dist/ [--zip]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_ITEMS = ["app", "corpus", "index", "prompts", "pyproject.toml", "README.md", "docs"]

INSTALL_SH = """#!/usr/bin/env bash
# Offline install: no network is used.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python3 -m venv "$here/.venv"
"$here/.venv/bin/python" -m pip install --no-index --find-links "$here/wheelhouse" --upgrade pip setuptools wheel
"$here/.venv/bin/python" -m pip install --no-index --find-links "$here/wheelhouse" -e "$here/huarong-qa"
echo "HUARONG_MODEL=$here/model/{model_file}" > "$here/huarong.env"
echo "安装完成。启动：bash $here/start.sh"
"""
START_SH = """#!/usr/bin/env bash
here="$(cd "$(dirname "$0")" && pwd)"
set -a; . "$here/huarong.env"; set +a
exec "$here/.venv/bin/huarong-qa" serve --open "$@"
"""
INSTALL_BAT = r"""@echo off
rem Offline install: no network is used.
set HERE=%~dp0
py -3 -m venv "%HERE%.venv" || python -m venv "%HERE%.venv"
"%HERE%.venv\Scripts\python.exe" -m pip install --no-index --find-links "%HERE%wheelhouse" --upgrade pip setuptools wheel
"%HERE%.venv\Scripts\python.exe" -m pip install --no-index --find-links "%HERE%wheelhouse" -e "%HERE%huarong-qa"
echo HUARONG_MODEL=%HERE%model\{model_file}> "%HERE%huarong.env"
echo 安装完成。启动：双击 start.bat
"""
START_BAT = r"""@echo off
set HERE=%~dp0
for /f "usebackq tokens=1,* delims==" %%a in ("%HERE%huarong.env") do set %%a=%%b
"%HERE%.venv\Scripts\huarong-qa.exe" serve --open
"""


def run(cmd: list[str]) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="default", help="default | small | path to a .gguf")
    ap.add_argument("--out", default="dist", help="output folder")
    ap.add_argument("--zip", action="store_true", help="also write a .zip of the bundle")
    args = ap.parse_args()

    sys.path.insert(0, str(ROOT))
    from app.models import resolve_model
    from app.settings import Settings

    tag = f"{platform.system().lower()}-{platform.machine()}-py{sys.version_info.major}{sys.version_info.minor}"
    bundle = Path(args.out).resolve() / f"huarong-qa-offline-{tag}"
    if bundle.exists():
        shutil.rmtree(bundle)
    (bundle / "wheelhouse").mkdir(parents=True)
    (bundle / "model").mkdir()

    src = bundle / "huarong-qa"
    src.mkdir()
    for item in SOURCE_ITEMS:
        path = ROOT / item
        if path.is_dir():
            shutil.copytree(path, src / item, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif path.exists():
            shutil.copy2(path, src / item)

    # Wheels for the app's dependencies (building what has no wheel, e.g. llama-cpp-python) and the build tools.
    run([sys.executable, "-m", "pip", "wheel", "--wheel-dir", str(bundle / "wheelhouse"), str(src)])
    run([sys.executable, "-m", "pip", "wheel", "--wheel-dir", str(bundle / "wheelhouse"), "pip", "setuptools", "wheel"])

    model_path, name = resolve_model(args.model, Settings().model_cache_dir)
    shutil.copy2(model_path, bundle / "model" / model_path.name)

    for fname, text in (
        ("install.sh", INSTALL_SH),
        ("start.sh", START_SH),
        ("install.bat", INSTALL_BAT),
        ("start.bat", START_BAT),
    ):
        target = bundle / fname
        target.write_text(
            text.replace("{model_file}", model_path.name),
            encoding="utf-8",
            newline="\r\n" if fname.endswith(".bat") else "\n",
        )
        target.chmod(0o755)
    (bundle / "README.txt").write_text(
        f"华容规划问答 离线安装包（{tag}，模型：{name}）\n\n"
        "Linux：bash install.sh，然后 bash start.sh（浏览器打开 http://127.0.0.1:7860）。\n"
        "Windows：双击 install.bat，然后双击 start.bat（此安装包须在 Windows 上构建，见 docs/deploy.md）。\n",
        encoding="utf-8",
    )
    if args.zip:
        shutil.make_archive(str(bundle), "zip", bundle.parent, bundle.name)
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file())
    print(f"bundle: {bundle} ({size / 1e9:.2f} GB)")


if __name__ == "__main__":
    main()
