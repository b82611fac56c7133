"""What a running upload shares with other threads: its control, its rate and progress."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from reeleditor.core.progress import Progress


@dataclass(frozen=True)
class UploadProgress(Progress):
    """Progress of one upload, with the numbers a UI shows (bytes, rate, time left)."""

    entry_id: str = ""
    rate: float = 0.0  # bytes per second over the last few seconds
    eta: float | None = None  # seconds left at that rate


class Control:
    """How another thread asks a running upload to pause, stop or cancel.

    A pause is honoured after the current chunk; a stop or cancel abandons the chunk being
    sent (the server keeps what arrived, or the next HEAD says what it kept).
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self.action = ""
        self._stopped_by: Callable[[], bool] | None = None

    def request(self, action: str) -> None:
        self.action = action
        self.event.set()

    def link(self, stopped: Callable[[], bool]) -> None:
        """Also stop when `stopped()` says so (say, the task running the upload is cancelled)."""
        self._stopped_by = stopped

    @property
    def current(self) -> str:
        """'' (go on), 'pause', 'stop' or 'cancel'."""
        if self.action:
            return self.action
        if self._stopped_by is not None and self._stopped_by():
            return "stop"
        return ""

    def aborting(self) -> bool:
        return self.current in ("stop", "cancel")


class RateMeter:
    """Bytes per second over a sliding window of a few seconds."""

    def __init__(self, window: float = 3.0) -> None:
        self.window = window
        self.samples: deque[tuple[float, int]] = deque()

    def add(self, done: int, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        self.samples.append((now, done))
        while len(self.samples) > 2 and now - self.samples[1][0] > self.window:
            self.samples.popleft()
        (t0, d0), (t1, d1) = self.samples[0], self.samples[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 else 0.0


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds + 0.5)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"
