"""Plays the composed reel (segments in order, trimmed) as a frame source for the preview.

It is a capture source like the camera, so the preview grades it with the same look code
the export uses.
"""

from __future__ import annotations

import time

import cv2

from reeleditor.core.draft import Draft
from reeleditor.media.render import clip_frames
from reeleditor.media.sources.base import CaptureSource
from reeleditor.media.timeline import plan


class ReelPlayer(CaptureSource):
    """Delivers the reel's pictures in real time from `start` seconds; ends at the end."""

    name = "reel"

    def __init__(self, store, draft: Draft, start: float = 0.0) -> None:
        super().__init__(draft.width, draft.height, draft.fps)
        self.store, self.draft, self.start_at = store, draft, start
        self.position = start
        self.finished = False

    def _open(self) -> None:
        self._clips = plan(self.draft, self.store.media_path)  # errors name the segment
        self._frames = self._iterate()
        self._t0 = time.monotonic() - self.start_at

    def _iterate(self):
        skip = round(self.start_at * self.draft.fps)
        n = 0
        for clip in self._clips:
            if skip >= clip.frames:
                skip -= clip.frames
                n += clip.frames
                continue
            for i, frame in enumerate(clip_frames(clip, self.draft.fps)):
                if i < skip:
                    continue
                yield n + i, frame
            n += clip.frames
            skip = 0

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
        return image, due

    def _close(self) -> None:
        self._frames = None
