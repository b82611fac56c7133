"""Laid over the preview while recording: the countdown, big and centred, and a REC badge."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QWidget

REC_RED = QColor("#e5484d")


def clock(seconds: float) -> str:
    """mm:ss of a take (whole seconds, as a recorder's readout counts them)."""
    whole = max(0, int(seconds))
    return f"{whole // 60:02d}:{whole % 60:02d}"


class RecordOverlayWidget(QWidget):
    """A transparent child of the preview that shows the countdown or the REC badge.

    Clicks go through to the preview; it follows the preview's size once `attach`ed.
    Hidden when there is nothing to show, so the preview paints alone.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.NoFocus)
        self.countdown = 0
        self.recording = False
        self.elapsed = 0.0
        self.view: QWidget | None = None
        self.hide()

    def attach(self, view: QWidget) -> None:
        """Lay the overlay over `view`, at its size from now on."""
        if self.view is not None:
            self.view.removeEventFilter(self)
        self.view = view
        self.setParent(view)
        view.installEventFilter(self)
        self.setGeometry(view.rect())
        self._show_or_hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view and event.type() == QEvent.Resize:
            self.setGeometry(watched.rect())
        return super().eventFilter(watched, event)

    # -- what to show ---------------------------------------------------------------------
    def show_countdown(self, seconds: int) -> None:
        self.countdown, self.recording = seconds, False
        self._show_or_hide()

    def show_recording(self, elapsed: float) -> None:
        self.countdown, self.recording, self.elapsed = 0, True, elapsed
        self._show_or_hide()

    def clear(self) -> None:
        self.countdown, self.recording, self.elapsed = 0, False, 0.0
        self._show_or_hide()

    @property
    def text(self) -> str:
        """What the overlay says: "3" in a countdown, "REC 00:01" in a take, else ""."""
        if self.countdown:
            return str(self.countdown)
        if self.recording:
            return f"REC {clock(self.elapsed)}"
        return ""

    def _show_or_hide(self) -> None:
        wanted = self.view is not None and bool(self.text)
        if wanted:
            self.raise_()
        self.setVisible(wanted)
        self.update()

    # -- painting -------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        if self.countdown:
            self._paint_countdown(painter)
        elif self.recording:
            self._paint_badge(painter)
        painter.end()

    def _paint_countdown(self, painter: QPainter) -> None:
        side = min(self.width(), self.height())
        diameter = side * 0.5
        circle = QRectF(
            (self.width() - diameter) / 2, (self.height() - diameter) / 2, diameter, diameter
        )
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(0, 0, 0, 140))
        painter.drawEllipse(circle)
        font = QFont(self.font())
        font.setBold(True)
        font.setPixelSize(max(12, round(diameter * 0.6)))
        painter.setFont(font)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(circle, Qt.AlignCenter, str(self.countdown))

    def _paint_badge(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)  # read at a glance, from the camera's spot
        painter.setFont(font)
        metrics = painter.fontMetrics()
        label = f"REC  {clock(self.elapsed)}"
        pad, dot = 8, metrics.height() * 0.55
        width = pad + dot + pad + metrics.horizontalAdvance(label) + pad
        height = metrics.height() + pad
        badge = QRectF(12, 12, width, height)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(0, 0, 0, 160))
        painter.drawRoundedRect(badge, height / 2, height / 2)
        painter.setBrush(REC_RED)
        painter.drawEllipse(QRectF(badge.left() + pad, badge.center().y() - dot / 2, dot, dot))
        painter.setPen(QColor(255, 255, 255))
        text_rect = badge.adjusted(pad + dot + pad, 0, -pad, 0)
        painter.drawText(text_rect, Qt.AlignVCenter | Qt.AlignLeft, label)
