"""The capture-source interface: a thread that keeps only the latest frame."""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from reeleditor.core.errors import SourceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Frame:
    """One captured picture: BGR uint8 (height, width, 3), its capture time, its index."""

    image: np.ndarray
    time: float  # time.monotonic() of capture
    index: int  # counts delivered frames from 0; a gap means the source skipped
    reel_index: int | None = None  # a reel's frame number (picks the look's grain), if any


class CaptureSource(ABC):
    """Open, take the latest frame (or wait for a newer one), close.

    Subclasses implement `_open`, `_grab` (blocks until the next frame) and `_close`; the
    base runs `_grab` on its own thread and keeps one frame, never a queue.
    """

    name = "source"

    def __init__(self, width: int, height: int, fps: float) -> None:
        self.requested = (width, height, fps)
        self.width, self.height, self.fps = width, height, float(fps)
        self.notice: str | None = None  # shown to the user, e.g. a fallback that happened
        self.error: SourceError | None = None  # set when the source stops for good
        self.audio = None  # an AudioInput the source brings (the test pattern's tone)
        self._latest: Frame | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._life = threading.Lock()  # open() and close() from different threads
        self._closed = False
        self._count = 0

    # -- to implement ---------------------------------------------------------------------
    @abstractmethod
    def _open(self) -> None: ...

    @abstractmethod
    def _grab(self) -> tuple[np.ndarray, float] | tuple[np.ndarray, float, int] | None:
        """Block until the next picture; None when the source has ended."""

    @abstractmethod
    def _close(self) -> None: ...

    # -- public ----------------------------------------------------------------------------
    def open(self) -> CaptureSource:
        """Start delivering; a source closed before (or while) opening stays closed."""
        with self._life:
            if self._thread is not None or self._closed:
                return self
            self._open()
            self._thread = threading.Thread(
                target=self._run, name=f"capture-{self.name}", daemon=True
            )
            self._thread.start()
            return self

    @property
    def is_open(self) -> bool:
        return self._thread is not None and not self._closed

    def latest(self) -> Frame | None:
        """The newest frame, without waiting (None before the first one)."""
        return self._latest

    def wait_frame(self, after: int = -1, timeout: float = 1.0) -> Frame | None:
        """The newest frame whose index is above `after`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while (self._latest is None or self._latest.index <= after) and self.error is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stop.is_set():
                    return None
                self._cond.wait(remaining)
            if self.error is not None and (self._latest is None or self._latest.index <= after):
                raise self.error
            return self._latest

    def close(self) -> None:
        self._closed = True
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        with self._life:  # waits for an open() in progress, which then sees _closed
            if self._thread is not None:
                self._thread.join(timeout=5)
                self._thread = None
            self._close()

    def __enter__(self) -> CaptureSource:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    def describe(self) -> str:
        return f"{self.name} {self.width}x{self.height} @ {self.fps:g} fps"

    # -- the capture thread ------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                got = self._grab()
                if got is None:
                    break
                image, stamp, *reel = got  # a reel player also says which reel frame
                frame = Frame(image, stamp, self._count, reel_index=reel[0] if reel else None)
                self._count += 1
                with self._cond:
                    self._latest = frame
                    self._cond.notify_all()
        except SourceError as exc:
            log.warning("%s stopped: %s", self.name, exc, exc_info=True)
            self.error = exc
        except Exception as exc:  # a device error must reach the user, not kill silently
            log.warning("%s stopped", self.name, exc_info=True)
            self.error = SourceError(f"{self.name} stopped: {exc}")
        finally:
            with self._cond:
                self._cond.notify_all()
