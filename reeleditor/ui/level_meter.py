"""The microphone's level as a bar: RMS filled, the peak as a tick, both in dBFS."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from reeleditor.media.levels import FLOOR_DB

METER_FLOOR_DB = -60.0  # the bar's left end: quieter than this is room noise
HOT_DB = -6.0  # peaks past this are close to clipping: the bar turns red
FALL_DB = 1.5  # per update: the peak tick falls slowly, so short peaks are seen


class LevelMeterWidget(QWidget):
    """Shows `set_level(peak, rms)`; `set_unavailable(text)` says why there is no level."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.peak = self.rms = FLOOR_DB
        self.held_peak = FLOOR_DB
        self.message = ""  # shown instead of a level ("No microphone")
        self.setMinimumSize(120, 14)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setToolTip("Microphone level (dBFS)")

    @property
    def text(self) -> str:
        """What the meter reads: the message, or "-12 dBFS" (the peak)."""
        return self.message or f"{self.peak:.0f} dBFS"

    def set_level(self, peak: float, rms: float) -> None:
        self.message = ""
        self.peak, self.rms = peak, rms
        self.held_peak = max(peak, self.held_peak - FALL_DB)
        self.update()

    def set_unavailable(self, message: str) -> None:
        self.message = message
        self.peak = self.rms = self.held_peak = FLOOR_DB
        self.update()

    @staticmethod
    def fraction(db: float) -> float:
        """Where `db` sits along the bar, 0 to 1."""
        return min(1.0, max(0.0, (db - METER_FLOOR_DB) / -METER_FLOOR_DB))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(40, 40, 46))
        painter.drawRoundedRect(rect, 3, 3)
        if self.message:
            painter.setPen(QColor(200, 200, 205))
            painter.drawText(rect, Qt.AlignCenter, self.message)
        else:
            hot = self.peak > HOT_DB
            painter.setBrush(QColor(229, 72, 77) if hot else QColor(70, 200, 110))
            painter.drawRect(
                QRectF(
                    rect.left(), rect.top(), rect.width() * self.fraction(self.rms), rect.height()
                )
            )
            x = rect.left() + rect.width() * self.fraction(self.held_peak)
            painter.setBrush(QColor(255, 214, 10))
            painter.drawRect(QRectF(max(rect.left(), x - 2), rect.top(), 2, rect.height()))
        painter.end()
