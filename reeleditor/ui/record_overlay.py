"""Laid over the preview: the countdown, a REC badge, the Align ghost, grid and safe zones."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget

REC_RED = QColor("#e5484d")
GHOST_OPACITY = 0.4  # enough to line up against, not so much it hides the live picture
# Where a platform's own interface covers a 9:16 reel, as fractions of the picture.
# Approximate and deliberately rounded: Meta's Reels ads guidance (Business Help Center,
# "Reels safe zones") asks for the top 14 % (250 px of 1920) free of text; at the bottom
# the caption, audio line and buttons of an organic Reel take about 20 % (Meta asks 35 %
# for ads, whose call-to-action bar sits higher); the like/comment/share column takes about
# 15 % of the width on the right (creator guides, e.g. adcreate.com's 2026 Reels size
# guide, say the same; TikTok and Shorts are within a few per cent of these).
SAFE_TOP, SAFE_BOTTOM, SAFE_RIGHT = 0.14, 0.20, 0.15


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
        self.limit = 0.0  # the take's set length (0: until stopped), for the time left
        self.ghost: QImage | None = None  # the previous take's last frame, as the preview shows it
        self.show_ghost = False
        self.ghost_mirrored = lambda: False  # the preview is mirrored: so is the ghost
        self.show_grid = False
        self.show_safe_zones = False
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

    def show_recording(self, elapsed: float, limit: float = 0.0) -> None:
        self.countdown, self.recording, self.elapsed, self.limit = 0, True, elapsed, limit
        self._show_or_hide()

    def clear(self) -> None:
        self.countdown, self.recording, self.elapsed, self.limit = 0, False, 0.0, 0.0
        self._show_or_hide()

    def set_guides(self, ghost: bool, grid: bool, safe_zones: bool) -> None:
        self.show_ghost, self.show_grid, self.show_safe_zones = ghost, grid, safe_zones
        self._show_or_hide()

    def set_ghost(self, image: QImage | None) -> None:
        self.ghost = image
        self._show_or_hide()

    @property
    def remaining(self) -> float | None:
        """Seconds left of a take with a set length; None without one."""
        if not self.recording or self.limit <= 0:
            return None
        return max(0.0, self.limit - self.elapsed)

    @property
    def text(self) -> str:
        """What the overlay says: "3" in a countdown, "REC 00:01" in a take (with the time
        left when the take has a set length: "REC 00:01 · 4 s left"), else ""."""
        if self.countdown:
            return str(self.countdown)
        if self.recording:
            left = self.remaining
            if left is not None:
                return f"REC {clock(self.elapsed)} · {math.ceil(left - 1e-6)} s left"
            return f"REC {clock(self.elapsed)}"
        return ""

    @property
    def painting_guides(self) -> bool:
        return (
            self.show_grid or self.show_safe_zones or (self.show_ghost and self.ghost is not None)
        )

    def _show_or_hide(self) -> None:
        wanted = self.view is not None and (bool(self.text) or self.painting_guides)
        if wanted:
            self.raise_()
        self.setVisible(wanted)
        self.update()

    # -- painting -------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        picture = self.picture_rect()
        if self.show_ghost and self.ghost is not None:
            painter.setOpacity(GHOST_OPACITY)
            painter.setRenderHint(QPainter.SmoothPixmapTransform, True)
            painter.save()
            if self.ghost_mirrored():  # the recording is never mirrored; the preview may be
                painter.translate(picture.left() + picture.right(), 0)
                painter.scale(-1, 1)
            painter.drawImage(picture, self.ghost)
            painter.restore()
            painter.setOpacity(1.0)
        if self.show_safe_zones:
            self._paint_safe_zones(painter, picture)
        if self.show_grid:
            self._paint_grid(painter, picture)
        if self.countdown:
            self._paint_countdown(painter)
        elif self.recording:
            self._paint_badge(painter)
        painter.end()

    def picture_rect(self) -> QRectF:
        """Where the preview paints the picture: 9:16, fit or filled as the view is set."""
        w, h = 9.0, 16.0
        if self.ghost is not None and not self.ghost.isNull():
            w, h = float(self.ghost.width()), float(self.ghost.height())
        fill = bool(getattr(self.view, "fill", False))
        scale = (max if fill else min)(self.width() / w, self.height() / h)
        pw, ph = w * scale, h * scale
        return QRectF((self.width() - pw) / 2, (self.height() - ph) / 2, pw, ph)

    def _paint_grid(self, painter: QPainter, r: QRectF) -> None:
        painter.setPen(QPen(QColor(255, 255, 255, 170), 1))
        for k in (1, 2):
            x = r.left() + r.width() * k / 3
            y = r.top() + r.height() * k / 3
            painter.drawLine(round(x), round(r.top()), round(x), round(r.bottom()))
            painter.drawLine(round(r.left()), round(y), round(r.right()), round(y))

    def _paint_safe_zones(self, painter: QPainter, r: QRectF) -> None:
        shade = QColor(255, 64, 64, 70)
        top = r.height() * SAFE_TOP
        bottom = r.height() * SAFE_BOTTOM
        right = r.width() * SAFE_RIGHT
        painter.setPen(Qt.NoPen)
        painter.setBrush(shade)
        painter.drawRect(QRectF(r.left(), r.top(), r.width(), top))
        painter.drawRect(QRectF(r.left(), r.bottom() - bottom, r.width(), bottom))
        painter.drawRect(QRectF(r.right() - right, r.top() + top, right, r.height() - top - bottom))
        painter.setBrush(Qt.NoBrush)
        painter.setPen(QPen(QColor(255, 255, 255, 200), 1, Qt.DashLine))
        painter.drawRect(
            QRectF(r.left(), r.top() + top, r.width() - right, r.height() - top - bottom)
        )

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
        if self.remaining is not None:
            label += f"  ·  {math.ceil(self.remaining - 1e-6)} s left"
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
