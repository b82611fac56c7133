"""The live preview's view: paints the newest frame the media pipeline has graded.

The GUI thread only wraps a ready BGR array in a QImage and paints it; resizing and the
look run on the pipeline's thread (`media/preview.py`), at the preview size.
"""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from reeleditor.media.preview import PREVIEW_SIZE, PreviewPipeline

__all__ = ["PREVIEW_SIZE", "CameraView", "PreviewPipeline"]  # the pipeline, for old callers


def centred_rect(width: int, height: int, size: tuple[int, int], fill: bool = False) -> QRectF:
    """A picture of `size` scaled into a width x height area, centred: fitted whole, or
    (`fill`) covering the area and cropped."""
    iw, ih = size
    scale = (max if fill else min)(width / iw, height / ih)
    w, h = iw * scale, ih * scale
    return QRectF((width - w) / 2, (height - h) / 2, w, h)


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

    def image_rect(self, size: tuple[int, int] | None = None) -> QRectF:
        """Where the picture (`size`, or the one shown) is painted, in widget pixels."""
        if size is None:
            size = (self._image.width(), self._image.height()) if self._image else (9, 16)
        return centred_rect(self.width(), self.height(), size, self.fill)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(12, 12, 14))
        if self._image is not None:
            target = self.image_rect()
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
