"""Plays the composed reel (segments, trims, transitions) as a frame source for the preview.

It is a capture source like the camera, so the preview grades it with the same look code
the export uses. `run()` is its life as a long task (open, play to the end, close): the
GUI runs it on its task runner and learns the end from the task's result, not by polling.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Generator

import cv2

from reeleditor.core.draft import Draft
from reeleditor.core.progress import Progress
from reeleditor.media.sources.base import CaptureSource
from reeleditor.media.timeline import plan
from reeleditor.media.transitions import reel_frames


class ReelPlayer(CaptureSource):
    """Delivers the reel's pictures in real time from `start` seconds; ends at the end."""

    name = "reel"

    def __init__(self, store, draft: Draft, start: float = 0.0) -> None:
        super().__init__(draft.width, draft.height, draft.fps)
        self.store, self.draft, self.start_at = store, draft, start
        self.position = start
        self.finished = False  # the reel played to its end
        self._ended = threading.Event()  # ended, failed or stopped: `run` returns

    def run(self, tick: float = 0.25) -> Generator[Progress, None, float]:
        """Open, play to the end (or `stop()`), close; yields the position every `tick` s.

        Returns the position it stopped at; raises the source's error if it failed.
        Closing the generator (a cancelled task) closes the player at once.
        """
        self.open()
        try:
            total = round(self.draft.duration, 2)
            while not self._ended.wait(tick):
                yield Progress("play", round(self.position, 2), total, unit="s")
            if self.error is not None:
                raise self.error
            return self.position
        finally:
            self.close()

    @property
    def clock_zero(self) -> float | None:
        """The time.monotonic() at which reel second 0 is due; None until the player opens.

        A narration recorded over playback is placed by it (media/voiceover.py)."""
        return getattr(self, "_t0", None)

    def stop(self) -> None:
        """End playback now; `run` returns and closes the player on its own thread."""
        self._stop.set()
        self._ended.set()

    def _run(self) -> None:
        try:
            super()._run()
        finally:
            self._ended.set()

    def _open(self) -> None:
        self._clips = plan(self.draft, self.store.media_path)  # errors name the segment
        self._frames = self._iterate()
        self._t0 = time.monotonic() - self.start_at

    def _iterate(self):
        # the export's own frames, transitions composed: the preview shows what it writes
        return reel_frames(self._clips, self.draft.fps, round(self.start_at * self.draft.fps))

    def _grab(self):
        try:
            index, frame = next(self._frames)
        except StopIteration:
            self.finished = True
            return None
        due = self._t0 + index / self.fps
        wait = due - time.monotonic()
        if wait > 0 and self._stop.wait(wait):
            return None
        self.position = index / self.fps
        if frame.format.name == "yuv420p":
            image = cv2.cvtColor(frame.to_ndarray(), cv2.COLOR_YUV2BGR_I420)
        else:
            image = frame.to_ndarray(format="bgr24")
        # the reel's frame number picks the look's grain, as in the export, from any start
        return image, due, index

    def _close(self) -> None:
        frames, self._frames = getattr(self, "_frames", None), None
        if frames is not None:
            # closes the files it reads now, not at garbage collection; a thread that did
            # not stop within close()'s wait still runs it, and then it is left to that
            with contextlib.suppress(ValueError):
                frames.close()
