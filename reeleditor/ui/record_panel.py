"""Recording controls: button (click or hold), countdown, take length, guides, meter, devices.

The countdown, the take's elapsed and remaining time, the Align ghost and the guides show
over the preview, on the panel's `overlay` (a RecordOverlayWidget the main window lays over
its preview with `attach`). What the guides, pickers and meter do is `RecordScreen`'s work.
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from reeleditor.ui.level_meter import LevelMeterWidget
from reeleditor.ui.record_overlay import RecordOverlayWidget

HOLD_MS = 400  # pressed longer than this: recording stops on release (hold to record)
TAKE_LENGTHS = (0, 5, 10, 15, 30, 60)  # seconds a take records by itself; 0: until stopped


def _length_text(seconds: float) -> str:
    return "Until stopped" if seconds <= 0 else f"Record {seconds:g} s"


class SegmentBarWidget(QWidget):
    """The reel's length so far as coloured segments, up to the maximum length."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lengths: list[float] = []
        self.recording = 0.0
        self.maximum = 90.0
        self.setMinimumHeight(10)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)

    def set_state(self, lengths: list[float], recording: float, maximum: float) -> None:
        self.lengths, self.recording, self.maximum = lengths, recording, max(maximum, 1.0)
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(60, 60, 66))
        painter.drawRoundedRect(rect, 4, 4)
        x = rect.left()
        per_second = rect.width() / self.maximum
        for n, length in enumerate(self.lengths):
            w = max(1.0, length * per_second - 2)
            painter.setBrush(QColor(255, 92, 92) if n % 2 == 0 else QColor(255, 140, 110))
            painter.drawRoundedRect(QRectF(x, rect.top(), w, rect.height()), 3, 3)
            x += length * per_second
        if self.recording > 0:
            painter.setBrush(QColor(255, 214, 10))
            painter.drawRoundedRect(
                QRectF(x, rect.top(), max(1.0, self.recording * per_second), rect.height()), 3, 3
            )
        painter.end()


class RecordPanel(QWidget):
    """Asks for recording to start and stop; the main window does the work."""

    start_requested = Signal()
    stop_requested = Signal()
    delete_last_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.recording = False
        self.counting = 0
        self.record_button = QPushButton("Record")
        self.record_button.setObjectName("recordButton")
        self.record_button.setCheckable(False)
        self.record_button.setToolTip("Click to start and stop, or hold to record (Space)")
        self.record_button.pressed.connect(self._on_record_pressed)
        self.record_button.released.connect(self._on_record_released)
        self.countdown = QComboBox()
        self.countdown.addItems(["No countdown", "3 s countdown", "10 s countdown"])
        self.length = QComboBox()
        self.length.setToolTip("How long a take records before it stops by itself")
        for seconds in TAKE_LENGTHS:
            self.length.addItem(_length_text(seconds), seconds)
        self._limit = 0.0  # the running take's set length
        self.align_button = self._toggle("Align", "Show the last take's last frame over the camera")
        self.grid_button = self._toggle("Grid", "Rule-of-thirds lines")
        self.safe_button = self._toggle("Safe zones", "Where a platform's buttons cover the reel")
        self.camera_combo = QComboBox()
        self.camera_combo.setToolTip("Camera")
        self.microphone_combo = QComboBox()
        self.microphone_combo.setToolTip("Microphone")
        self.meter = LevelMeterWidget()
        self.delete_button = QPushButton("Delete last")
        self.delete_button.setToolTip("Delete the last segment (Backspace)")
        self.delete_button.clicked.connect(self.delete_last_requested)
        self.elapsed_label = QLabel("0.0 s")
        self.elapsed_label.setObjectName("elapsedLabel")
        self.bar = SegmentBarWidget()
        self.overlay = RecordOverlayWidget(self)  # hidden until attached and needed
        self._hold = QElapsedTimer()
        self._count_timer = QTimer(self, interval=1000)
        self._count_timer.timeout.connect(self._on_count_timer_timeout)

        row = QHBoxLayout()
        row.addWidget(self.countdown)
        row.addWidget(self.length)
        row.addStretch(1)
        row.addWidget(self.record_button)
        row.addStretch(1)
        for button in (self.align_button, self.grid_button, self.safe_button):
            row.addWidget(button)
        row.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        top = QHBoxLayout()
        top.addWidget(self.camera_combo)
        top.addWidget(self.microphone_combo)
        top.addWidget(self.meter, 1)
        top.addWidget(self.elapsed_label)
        layout.addLayout(top)
        layout.addLayout(row)

    @staticmethod
    def _toggle(text: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setCheckable(True)
        button.setToolTip(tip)
        return button

    # -- the take's length ----------------------------------------------------------------
    @property
    def take_seconds(self) -> float:
        """The set length of the next take; 0 records until stopped."""
        return float(self.length.currentData() or 0)

    def set_take_seconds(self, seconds: float) -> None:
        """Choose a length (one not offered, e.g. from the settings file, is added)."""
        index = self.length.findData(seconds)
        if index < 0:
            self.length.addItem(_length_text(seconds), seconds)
            index = self.length.count() - 1
        self.length.setCurrentIndex(index)

    # -- the button -----------------------------------------------------------------------
    def toggle(self) -> None:
        """Space: start (with the countdown) or stop."""
        if self.recording:
            self.stop_requested.emit()
        elif self.counting:
            self._cancel_countdown()
        else:
            self._begin()

    def _on_record_pressed(self) -> None:
        self._hold.start()
        if not self.recording and not self.counting:
            self._begin()
        elif self.counting:
            self._cancel_countdown()
        else:
            self.stop_requested.emit()
            self._hold.invalidate()

    def _on_record_released(self) -> None:
        if self.recording and self._hold.isValid() and self._hold.elapsed() > HOLD_MS:
            self.stop_requested.emit()  # hold-to-record: letting go stops
        self._hold.invalidate()

    def _begin(self) -> None:
        seconds = (0, 3, 10)[self.countdown.currentIndex()]
        if seconds:
            self.counting = seconds
            self.record_button.setText(f"{seconds}…")
            self.overlay.show_countdown(seconds)
            self._count_timer.start()
        else:
            self.start_requested.emit()

    def _on_count_timer_timeout(self) -> None:
        self.counting -= 1
        if self.counting <= 0:
            self._count_timer.stop()
            self.counting = 0
            self.overlay.clear()
            self.start_requested.emit()
        else:
            self.record_button.setText(f"{self.counting}…")
            self.overlay.show_countdown(self.counting)

    def _cancel_countdown(self) -> None:
        self._count_timer.stop()
        self.counting = 0
        self.record_button.setText("Record")
        self.overlay.clear()

    # -- state from the main window -------------------------------------------------------
    def set_recording(self, recording: bool) -> None:
        self.recording = recording
        self.record_button.setText("Stop" if recording else "Record")
        self.record_button.setProperty("recording", recording)
        self.record_button.style().unpolish(self.record_button)
        self.record_button.style().polish(self.record_button)
        self.delete_button.setEnabled(not recording)
        # devices and the length are what the take runs with: they change between takes
        for widget in (self.length, self.camera_combo, self.microphone_combo):
            widget.setEnabled(not recording)
        if recording:
            self._limit = self.take_seconds
            self.overlay.show_recording(0.0, self._limit)
        else:
            self._limit = 0.0
            self.overlay.clear()

    def show_progress(self, lengths: list[float], recording: float, maximum: float) -> None:
        self.bar.set_state(lengths, recording, maximum)
        total = sum(lengths) + recording
        self.elapsed_label.setText(f"{total:.1f} s of {maximum:.0f} s")
        if self.recording:
            self.overlay.show_recording(recording, self._limit)
