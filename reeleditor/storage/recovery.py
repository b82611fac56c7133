"""Crash detection: a sentinel per run, removed on clean exit; a stale one means a crash."""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from reeleditor.storage.atomic import atomic_write
from reeleditor.storage.locks import FileLock


@dataclass(frozen=True)
class StaleRun:
    """A run that did not end cleanly: what it was doing when it stopped."""

    path: Path
    pid: int
    started: float
    info: dict = field(default_factory=dict)

    @property
    def draft_id(self) -> str | None:
        return self.info.get("draft_id")

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.started))
        text = f"reeleditor started {when} (process {self.pid}) did not close cleanly"
        if self.draft_id:
            text += f"; it was editing draft {self.draft_id}"
        if self.info.get("recording"):
            text += " while recording"
        return text


class RunSentinel:
    """The sentinel of this run. Its lock file stays locked while the process lives."""

    def __init__(self, runs_dir: Path) -> None:
        self.runs_dir = Path(runs_dir)
        self.started = time.time()
        self.name = f"{os.getpid()}-{int(self.started * 1000)}"
        self.path = self.runs_dir / f"{self.name}.json"
        self._lock = FileLock(self.runs_dir / f"{self.name}.lock")
        self._info: dict = {}

    def find_stale(self) -> list[StaleRun]:
        """Sentinels whose process is gone (their lock can be taken)."""
        stale = []
        for path in sorted(self.runs_dir.glob("*.json")):
            if path == self.path:
                continue
            probe = FileLock(path.with_suffix(".lock"))
            if not probe.acquire():
                continue  # another instance is running
            probe.release()
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError):
                data = {}
            stale.append(
                StaleRun(
                    path,
                    int(data.get("pid", 0)),
                    float(data.get("started", 0)),
                    dict(data.get("info", {})),
                )
            )
        return stale

    def start(self) -> list[StaleRun]:
        """Mark this run as running; return the runs that ended badly before it."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        stale = self.find_stale()
        self._lock.acquire()
        self._write()
        return stale

    def update(self, **info) -> None:
        """Record what this run is doing (the open draft, a recording in progress)."""
        self._info.update({k: v for k, v in info.items() if v is not None})
        for key in [k for k, v in info.items() if v is None]:
            self._info.pop(key, None)
        self._write()

    def _write(self) -> None:
        data = {"pid": os.getpid(), "started": self.started, "info": self._info}
        atomic_write(self.path, json.dumps(data).encode(), sync_dir=False)

    def stop(self) -> None:
        """A clean exit: remove the sentinel."""
        with contextlib.suppress(OSError):
            self.path.unlink()
        self._lock.release()
        with contextlib.suppress(OSError):
            self._lock.path.unlink()

    @staticmethod
    def dismiss(stale: StaleRun) -> None:
        """Forget a stale run once the user has dealt with it."""
        for path in (stale.path, stale.path.with_suffix(".lock")):
            with contextlib.suppress(OSError):
                path.unlink()
