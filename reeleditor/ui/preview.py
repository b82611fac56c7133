"""The live preview: a thread shrinks, mirrors and grades the newest frame; the view paints.

The GUI thread only wraps a ready BGR array in a QImage and paints it; resizing and the
look run on the preview thread, on a frame already cut down to the preview size.
"""

from __future__ import annotations

import threading
import time
from collections import deque

import cv2
import numpy as np
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from reeleditor.core.draft import Look
from reeleditor.core.errors import MediaError
from reeleditor.media.conform import conform
from reeleditor.media.looks import compile_look

PREVIEW_SIZE = (540, 960)  # a quarter of 1080x1920: sharp on screen, cheap to grade


class PreviewPipeline:
    """Follows a frame provider (a capture source or a player) on its own thread."""

    def __init__(self, size: tuple[int, int] = PREVIEW_SIZE) -> None:
        self.size = size
        self.mirror = True
        self._look = Look()
        self._source = None
        self._latest: tuple[int, np.ndarray] | None = None
        self._serial = 0
        self._stop = threading.Event()
        self._changed = threading.Event()
        self._thread: threading.Thread | None = None
        self.frame_times: deque[float] = deque(maxlen=120)
        self.look_problem = ""  # set when the draft's look cannot be compiled

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

    def set_source(self, source) -> None:
        """Anything with `wait_frame(after, timeout)` and `latest()` (None for nothing)."""
        self._source = source
        self._changed.set()

    def set_look(self, look: Look) -> None:
        self._look = look
        self.look_problem = ""

    def latest(self) -> tuple[int, np.ndarray] | None:
        """(serial, BGR image at preview size) of the newest processed frame."""
        return self._latest

    def _run(self) -> None:
        last_index = -1
        current = None
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
                frame = None  # the source reports its own error; the view keeps its picture
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
            except MediaError as exc:  # a look this build does not know: show it plain
                self.look_problem = str(exc)
                look = compile_look(Look(), w, h)
            if not look.is_identity:
                small = look.apply(small, index=frame.index, out=small)
            self._serial += 1
            self._latest = (self._serial, small)
            self.frame_times.append(time.monotonic())


class CameraView(QWidget):
    """Paints the preview in 9:16, fit or fill, with an optional frame-rate readout."""

    frame_shown = Signal()

    def __init__(self, pipeline: PreviewPipeline, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pipeline = pipeline
        self.fill = False
        self.show_fps = False
        self.notice = ""
        self._image: QImage | None = None
        self._serial = 0
        self._shown: deque[float] = deque(maxlen=90)
        self.setMinimumSize(180, 320)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setAttribute(Qt.WA_OpaquePaintEvent)
        self._timer = QTimer(self, interval=8, timerType=Qt.PreciseTimer)
        self._timer.timeout.connect(self._on_timer_tick)
        self._timer.start()

    @property
    def shown_fps(self) -> float:
        if len(self._shown) < 2:
            return 0.0
        span = self._shown[-1] - self._shown[0]
        return (len(self._shown) - 1) / span if span > 0 else 0.0

    def _on_timer_tick(self) -> None:
        latest = self.pipeline.latest()
        if latest is None or latest[0] == self._serial:
            return
        self._serial, bgr = latest
        h, w = bgr.shape[:2]
        # the array stays referenced by the QImage's owner below until the next frame
        self._array = bgr
        self._image = QImage(bgr.data, w, h, bgr.strides[0], QImage.Format_BGR888)
        self._shown.append(time.monotonic())
        self.update()
        self.frame_shown.emit()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(12, 12, 14))
        if self._image is not None:
            iw, ih = self._image.width(), self._image.height()
            scale = (max if self.fill else min)(self.width() / iw, self.height() / ih)
            w, h = iw * scale, ih * scale
            target = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
            painter.setRenderHint(QPainter.SmoothPixmapTransform, True)
            painter.drawImage(target, self._image)
        painter.setPen(QColor(255, 255, 255))
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        if self.show_fps:
            painter.drawText(
                self.rect().adjusted(10, 8, -10, -8),
                Qt.AlignTop | Qt.AlignRight,
                f"{self.shown_fps:4.1f} fps",
            )
        if self.notice:
            painter.fillRect(0, self.height() - 34, self.width(), 34, QColor(0, 0, 0, 150))
            painter.drawText(
                self.rect().adjusted(10, 0, -10, -8), Qt.AlignBottom | Qt.AlignHCenter, self.notice
            )
        painter.end()
