"""Disk that visitors can fill is bounded: generated documents and Gradio's cache are pruned.

* :func:`prune` — keep a folder's entries under an age, a total size and a count (oldest go first).
* :class:`DownloadStore` — study documents, one random folder each, served by ``/downloads/{token}/{name}``
  with a relative link (no server path ever reaches a URL); the cap is enforced before each new document.
* :class:`Housekeeper` — a background thread that prunes on a schedule while the server runs.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from app.settings import Settings

log = logging.getLogger(__name__)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class DiskCap:
    max_age_s: float
    max_bytes: int
    max_entries: int | None = None


@dataclass
class PruneReport:
    kept: int = 0
    removed: int = 0
    bytes_kept: int = 0
    bytes_removed: int = 0
    errors: list[str] = field(default_factory=list)


def _size(path: Path) -> int:
    """Bytes under ``path`` (links are not followed)."""
    try:
        st = path.lstat()
    except OSError:
        return 0
    if not stat.S_ISDIR(st.st_mode):
        return st.st_size
    total = 0
    for root, dirs, files in os.walk(path, followlinks=False):
        for name in files + dirs:
            try:
                s = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            if not stat.S_ISDIR(s.st_mode):
                total += s.st_size
    return total


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def prune(root: Path, cap: DiskCap, now: float | None = None, reserve: int = 0) -> PruneReport:
    """Delete ``root``'s entries older than ``cap.max_age_s``, then the oldest until the rest fit in
    ``cap.max_bytes`` and ``cap.max_entries - reserve`` entries.  Errors are logged and reported."""
    report = PruneReport()
    if not root.is_dir():
        return report
    now = time.time() if now is None else now
    entries: list[tuple[float, int, Path]] = []
    for entry in root.iterdir():
        try:
            mtime = entry.lstat().st_mtime
        except OSError:
            continue  # removed meanwhile
        entries.append((mtime, _size(entry), entry))
    entries.sort(key=lambda e: e[0])  # oldest first
    total = sum(e[1] for e in entries)
    count = len(entries)
    max_entries = None if cap.max_entries is None else max(0, cap.max_entries - reserve)
    for mtime, size, path in entries:
        too_old = now - mtime > cap.max_age_s
        over = total > cap.max_bytes or (max_entries is not None and count > max_entries)
        if not (too_old or over):
            report.kept += 1
            report.bytes_kept += size
            continue
        try:
            _remove(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.error("could not prune %s: %s", path, exc)
            report.errors.append(f"{path.name}: {exc}")
            report.kept += 1
            report.bytes_kept += size
            continue
        total -= size
        count -= 1
        report.removed += 1
        report.bytes_removed += size
    return report


class DownloadStore:
    """Generated documents, one random folder each, linked relatively as ``downloads/{token}/{name}``."""

    url_prefix = "downloads"

    def __init__(self, root: Path, cap: DiskCap) -> None:
        self.root = root
        self.cap = cap
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, s: Settings) -> DownloadStore:
        return cls(s.download_dir, DiskCap(s.download_max_age_s, s.download_max_bytes, s.download_max_files))

    def new_folder(self) -> Path:
        """A fresh private folder, after pruning so that the store stays within its cap with it."""
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True)
            prune(self.root, self.cap, reserve=1)
            path = self.root / secrets.token_urlsafe(18)
            path.mkdir(mode=0o700)
            return path

    def link(self, path: Path) -> str:
        """The relative URL of a file in one of this store's folders."""
        return f"{self.url_prefix}/{quote(path.parent.name)}/{quote(path.name)}"

    def resolve(self, token: str, name: str) -> Path | None:
        """The file behind a link, or None (bad token, name with separators, outside the store, missing)."""
        if not _TOKEN.match(token) or not name or "/" in name or "\\" in name or name in (".", ".."):
            return None
        path = self.root / token / name
        try:
            real = path.resolve(strict=True)
        except OSError:
            return None
        if real.parent != (self.root / token).resolve() or not real.is_file():
            return None
        return real


class Housekeeper:
    """Prunes each (folder, cap) on a schedule in a daemon thread; ``start``/``stop`` follow the server."""

    def __init__(self, jobs: list[tuple[Path, DiskCap]], interval_s: float) -> None:
        self.jobs = jobs
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> list[PruneReport]:
        reports = []
        for root, cap in self.jobs:
            try:
                report = prune(root, cap)
            except OSError as exc:
                log.error("pruning %s failed: %s", root, exc)
                continue
            if report.removed:
                log.info(
                    "pruned %s: %d removed (%d bytes), %d kept", root, report.removed, report.bytes_removed, report.kept
                )
            reports.append(report)
        return reports

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.interval_s)

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="housekeeping", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
