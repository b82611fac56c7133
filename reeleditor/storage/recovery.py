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


@dataclass(frozen=True)
class RecoveredDraft:
    """A draft as the creator knows it: its title and length, and a salvaged take's length."""

    title: str
    seconds: float
    take_seconds: float | None = None  # a take that was recording when the app stopped


@dataclass(frozen=True)
class RecoveryReport:
    """What the recovery prompt says, in plain words: no process ids, no draft ids."""

    crashed: bool = False  # the last run did not end cleanly
    drafts: tuple[RecoveredDraft, ...] = ()
    lost: tuple[str, ...] = ()  # titles of drafts with a take that could not be saved
    pending: tuple[str, ...] = ()  # titles of drafts with a take to try again next start
    logs: Path | None = None  # the folder with the log and the crash file

    def __bool__(self) -> bool:
        """Worth a prompt: something was recovered, or the last run crashed."""
        return self.crashed or bool(self.drafts or self.lost or self.pending)

    @property
    def headline(self) -> str:
        if self.crashed:
            return "Your last session ended unexpectedly."
        return "A recording was interrupted last time."

    def lines(self) -> list[str]:
        """One sentence per thing to tell, the headline first."""
        lines = [self.headline]
        # "everything" only when no take was lost or left for later
        kept = "We kept " if self.lost or self.pending else "We kept everything: "
        if self.drafts:
            lines.append(kept + ", ".join(_describe(d) for d in self.drafts) + ".")
        elif not (self.lost or self.pending):
            lines.append(kept + "your drafts were saved as you went.")
        for title in self.lost:
            lines.append(
                f"A take in “{title}” could not be saved whole; the damaged file was kept "
                "beside the draft's media."
            )
        for title in self.pending:
            lines.append(
                f"A take in “{title}” could not be recovered yet; reeleditor tries again "
                "the next time it starts."
            )
        return lines

    def text(self) -> str:
        return " ".join(self.lines())


def _describe(draft: RecoveredDraft) -> str:
    text = f"“{draft.title}” ({draft.seconds:.1f} s"
    if draft.take_seconds is not None:
        text += ", including the take you were recording"
    return text + ")"
