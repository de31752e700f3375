"""Render the prompt files in ``prompts/`` strictly.

Templates use ``$name`` placeholders (``string.Template``).  Rendering fails with
:class:`PromptError` when a placeholder has no value or a value is given that the
template does not use, so a renamed variable can never silently produce a prompt
with a hole in it.  The version hash of all prompt files keys caches that depend on
the prompts.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from string import Template

PROMPT_DIR = Path(__file__).resolve().parent.parent / "prompts"


class PromptError(KeyError):
    """A prompt was rendered with missing or unexpected variables."""


@cache
def _template(name: str) -> Template:
    path = PROMPT_DIR / f"{name}.txt"
    if not path.is_file():
        raise PromptError(f"prompt file missing: {path}")
    return Template(path.read_text(encoding="utf-8"))


def placeholders(name: str) -> set[str]:
    t = _template(name)
    return {
        m.group("named") or m.group("braced")
        for m in t.pattern.finditer(t.template)
        if m.group("named") or m.group("braced")
    }


def render(name: str, **values: object) -> str:
    """Render ``prompts/<name>.txt``; every placeholder must be given, nothing else."""
    needed = placeholders(name)
    extra = set(values) - needed
    if extra:
        raise PromptError(f"prompt {name!r} does not use {sorted(extra)}")
    try:
        return _template(name).substitute({k: str(v) for k, v in values.items()}).strip("\n")
    except KeyError as exc:
        raise PromptError(f"prompt {name!r} needs {exc.args[0]!r}") from exc


def prompt_names() -> list[str]:
    return sorted(p.stem for p in PROMPT_DIR.glob("*.txt"))


def prompts_version() -> str:
    h = hashlib.sha256()
    for name in prompt_names():
        h.update(name.encode() + b"\0" + (PROMPT_DIR / f"{name}.txt").read_bytes())
    return h.hexdigest()[:12]
