"""The live preview pipeline: a thread shrinks, mirrors and grades the newest frame.

It lives in media/ because it runs the same conform and look code as the export (so a
frame on screen is the frame in the file); ui/ only wraps the result in a QImage.
OpenCV and the look tables load on the preview thread, not when this module is imported.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

import numpy as np

from reeleditor.core.draft import Look
from reeleditor.core.errors import MediaError

PREVIEW_SIZE = (540, 960)  # a quarter of 1080x1920: sharp on screen, cheap to grade

log = logging.getLogger(__name__)


class PreviewPipeline:
    """Follows a frame provider (a capture source or a player) on its own thread."""

    def __init__(self, size: tuple[int, int] = PREVIEW_SIZE) -> None:
        self.size = size
        self.mirror = True
        self._look = Look()
        self._source = None
        self._latest: tuple[int, np.ndarray] | None = None
        self._serial = 0
        self.graded = None  # the source's Frame behind `latest()` (tests and benchmarks)
        self._stop = threading.Event()
        self._changed = threading.Event()
        self._thread: threading.Thread | None = None
        self.frame_times: deque[float] = deque(maxlen=120)
        self.look_problem = ""  # set when the draft's look cannot be compiled
        self._words = None  # the draft whose texts and captions go on reel frames

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="preview", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._changed.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def source(self):
        """The frame provider followed now (None for nothing)."""
        return self._source

    def set_source(self, source) -> None:
        """Anything with `wait_frame(after, timeout)` and `latest()` (None for nothing)."""
        self._source = source
        self._changed.set()

    def set_look(self, look: Look) -> str:
        """Grade with `look` from the next frame; returns why it cannot ("" if it can).

        A look this build does not know (a draft from a newer version) is found here, at
        once, from the catalog; the thread shows such a picture plain.
        """
        from reeleditor.media.looks_catalog import LOOKS

        self._look = look
        self.look_problem = "" if look.name in LOOKS else f"unknown look {look.name!r}"
        return self.look_problem

    def set_words(self, draft) -> None:
        """Draw `draft`'s texts and burned captions on its frames (None: no words)."""
        self._words = draft
        self._changed.set()

    def latest(self) -> tuple[int, np.ndarray] | None:
        """(serial, BGR image at preview size) of the newest processed frame."""
        return self._latest

    def _run(self) -> None:
        import cv2

        from reeleditor.media.conform import conform
        from reeleditor.media.looks import compile_look
        from reeleditor.media.words_layer import WordsLayer

        last_index = -1
        current = reported = layer = None
        while not self._stop.is_set():
            source = self._source
            if source is not current:
                current, last_index = source, -1
            if source is None:
                self._changed.wait(0.1)
                self._changed.clear()
                continue
            try:
                frame = source.wait_frame(last_index, timeout=0.1)
            except Exception:
                # the source reports its own error (its `error`); the view keeps its picture
                if reported is not source:  # once per source, not ten times a second
                    reported = source
                    log.warning("preview: %s stopped delivering", source, exc_info=True)
                frame = None
                self._stop.wait(0.1)
            if frame is None:
                continue
            last_index = frame.index
            w, h = self.size
            small = conform(frame.image, w, h)
            if small is frame.image:
                small = small.copy()
            if self.mirror:
                cv2.flip(small, 1, dst=small)  # on screen only: the recording is never mirrored
            try:
                look = compile_look(self._look, w, h)
            except MediaError as exc:  # a look this build cannot make: show the picture plain
                if self.look_problem != str(exc):
                    log.warning("preview shows %s plain: %s", self._look, exc)
                    self.look_problem = str(exc)
                look = compile_look(Look(), w, h)
            if not look.is_identity:
                # a scrubbed still names its reel frame, so its grain is the export's
                grain = frame.index if frame.reel_index is None else frame.reel_index
                small = look.apply(small, index=grain, out=small)
            words = self._words
            if words is not None and frame.reel_index is not None:  # the camera shows no words
                if layer is None or layer[0] is not words or layer[1].size != (w, h):
                    layer = (words, WordsLayer(words, w, h))
                layer[1].composite(small, frame.reel_index)
            self._serial += 1
            self._latest = (self._serial, small)
            self.graded = frame
            self.frame_times.append(time.monotonic())
