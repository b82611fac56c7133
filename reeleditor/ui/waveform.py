"""A song's waveform with a draggable window, as long as the reel, marking the part that plays."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from reeleditor.core.mixing import peak_bars
from reeleditor.ui.theme import ACCENT, BASE, BORDER, MUTED

MIN_WINDOW = 1.0  # seconds: an empty reel still shows where the song would start
KEY_STEP = 0.5  # seconds an arrow key moves the window (Shift: 5 s)


class WaveformWidget(QWidget):
    """Paints peaks (0..1 per bucket) and a window the user drags along the song.

    Signals: `window_moved(float)` with the start in seconds while dragging, and
    `window_released(float)` once when the drag (or an arrow key) ends.
    """

    window_moved = Signal(float)
    window_released = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setAccessibleName("Music waveform: drag to choose the part that plays")
        self.peaks = np.zeros(0, np.float32)
        self.song_seconds = 0.0
        self.window_seconds = MIN_WINDOW
        self.start = 0.0
        self.message = "No song"
        self._grab: float | None = None  # seconds between the window start and the mouse
        self._bars: tuple[int, np.ndarray] | None = None  # (columns, bars): paints reuse them

    def sizeHint(self) -> QSize:
        line = self.fontMetrics().height()
        return QSize(30 * line, 4 * line)

    def minimumSizeHint(self) -> QSize:
        return QSize(8 * self.fontMetrics().height(), 3 * self.fontMetrics().height())

    # -- the model (set by the music panel) -----------------------------------------------
    def set_song(self, peaks: np.ndarray | None, seconds: float, message: str = "") -> None:
        """Show a song's peaks (None: nothing, with `message` in its place)."""
        self.peaks = np.zeros(0, np.float32) if peaks is None else np.asarray(peaks, np.float32)
        self.song_seconds = max(0.0, float(seconds)) if peaks is not None else 0.0
        self._bars = None
        self.message = message
        self.start = self._clamp(self.start)
        self.update()

    def set_window(self, start: float, reel_seconds: float) -> None:
        """Place the window at `start`, as long as the reel (at least MIN_WINDOW)."""
        self.window_seconds = max(MIN_WINDOW, float(reel_seconds))
        if self._grab is None:  # never yank the window from under the user's hand
            self.start = self._clamp(float(start))
        self.update()

    @property
    def has_song(self) -> bool:
        return self.peaks.size > 0 and self.song_seconds > 0

    def _clamp(self, start: float) -> float:
        return max(0.0, min(start, max(0.0, self.song_seconds - self.window_seconds)))

    # -- geometry ------------------------------------------------------------------------
    def _x(self, seconds: float) -> float:
        return seconds / self.song_seconds * self.width() if self.song_seconds else 0.0

    def _seconds(self, x: float) -> float:
        return x / max(1, self.width()) * self.song_seconds

    def window_rect(self) -> QRectF:
        x0 = self._x(self.start)
        x1 = self._x(min(self.song_seconds, self.start + self.window_seconds))
        return QRectF(x0, 0, max(2.0, x1 - x0), self.height())

    # -- painting ------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.fillRect(self.rect(), QColor(BASE))
        if not self.has_song:
            p.setPen(QColor(MUTED))
            p.drawText(self.rect(), Qt.AlignCenter, self.message)
            p.end()
            return
        window = self.window_rect()
        w, h = self.width(), self.height()
        mid = h / 2
        columns = max(1, w // 3)  # a bar every 3 px, each the loudest of its buckets
        if self._bars is None or self._bars[0] != columns:  # a drag repaints, bars stay
            self._bars = (columns, peak_bars(self.peaks, columns))
        bars = self._bars[1]
        dim, bright = QColor(MUTED), QColor(ACCENT).lighter(130)
        for i, level in enumerate(bars):
            x = (i + 0.5) * w / columns
            half = max(1.0, float(level) * (mid - 3))
            p.setPen(QPen(bright if window.left() <= x <= window.right() else dim, 2))
            p.drawLine(QPointF(x, mid - half), QPointF(x, mid + half))
        fill = QColor(ACCENT)
        fill.setAlpha(50)
        p.setPen(QPen(QColor(ACCENT), 2))
        p.setBrush(fill)
        p.drawRoundedRect(window.adjusted(1, 1, -1, -1), 4, 4)
        p.setPen(QColor(BORDER))
        p.setBrush(Qt.NoBrush)
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        p.end()

    # -- interaction ---------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.LeftButton or not self.has_song:
            return super().mousePressEvent(event)
        at = self._seconds(event.position().x())
        if not self.window_rect().contains(event.position()):
            # a click beside the window centres it there, and the drag goes on from it
            self.start = self._clamp(at - self.window_seconds / 2)
            self.window_moved.emit(self.start)
            self.update()
        self._grab = at - self.start

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._grab is None:
            return super().mouseMoveEvent(event)
        start = self._clamp(self._seconds(event.position().x()) - self._grab)
        if start != self.start:
            self.start = start
            self.window_moved.emit(start)
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._grab is None or event.button() != Qt.LeftButton:
            return super().mouseReleaseEvent(event)
        self._grab = None
        self.window_released.emit(self.start)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = KEY_STEP * (10 if event.modifiers() & Qt.ShiftModifier else 1)
        moves = {Qt.Key_Left: -step, Qt.Key_Right: step}
        if event.key() not in moves or not self.has_song or self._grab is not None:
            return super().keyPressEvent(event)
        start = self._clamp(self.start + moves[event.key()])
        if start != self.start:
            self.start = start
            self.update()
            self.window_released.emit(start)
