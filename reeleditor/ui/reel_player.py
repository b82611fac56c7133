"""Inline playback of a published reel: a download bar, then the local copy plays (PyAV)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, Qt, QTimer, Slot
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from reeleditor.core.progress import Progress
from reeleditor.ui.preview import centred_rect

TICK_MS = 15  # the picture due is looked for twice per frame at 30 fps


class FrameView(QWidget):
    """Paints the newest picture on black, its aspect kept (as the draft preview does)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._array: np.ndarray | None = None
        self.setMinimumHeight(240)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setAttribute(Qt.WA_OpaquePaintEvent)

    def show_frame(self, rgb: np.ndarray) -> None:
        h, w = rgb.shape[:2]
        self._array = rgb  # the QImage paints from this memory: kept until the next one
        self._image = QImage(rgb.data, w, h, rgb.strides[0], QImage.Format_RGB888)
        self.update()

    def clear(self) -> None:
        self._image = self._array = None
        self.update()

    def image_rect(self) -> QRectF:
        """Where the picture is painted, in widget pixels."""
        size = (self._image.width(), self._image.height()) if self._image else (9, 16)
        return centred_rect(self.width(), self.height(), size)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0))
        if self._image is not None:
            painter.setRenderHint(QPainter.SmoothPixmapTransform, True)
            painter.drawImage(self.image_rect(), self._image)
        painter.end()


class ReelPlayerWidget(QWidget):
    """A video surface, a progress bar while the file downloads, and Stop.

    It plays only local files (the media cache's copy), so what was watched once plays
    again offline, and a slow network shows as a bar filling, not a frozen frame. Hidden
    (another tab), it lets go of the file and the sound device and remembers where it was;
    shown again, it goes on from there.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.video = FrameView()
        self.playback = None  # the VideoPlayback playing now (media/video_out.py)
        self.source: Path | None = None  # the file it plays, or last played
        self.title = ""
        self.frames_shown = 0
        self._resume_at: float | None = None  # hidden while playing: where it goes on
        self._timer = QTimer(self, interval=TICK_MS, timerType=Qt.PreciseTimer)
        self._timer.timeout.connect(self._on_timer_tick)
        self.bar = QProgressBar()
        self.bar.setObjectName("downloadBar")
        self.bar.setTextVisible(True)
        self.bar.hide()
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.caption, 1)
        row.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.video, 1)
        layout.addWidget(self.bar)
        layout.addLayout(row)

    @property
    def playing(self) -> bool:
        return self.playback is not None

    @property
    def paused(self) -> bool:
        return self._resume_at is not None

    @property
    def position(self) -> float:
        """Seconds into the reel (where it stands while paused)."""
        if self.playback is not None:
            return self.playback.clock
        return self._resume_at or 0.0

    def downloading(self, title: str) -> None:
        """A download starts: an empty busy bar until the size is known."""
        self.stop()
        self.bar.setRange(0, 0)  # busy until the first Progress with a total
        self.bar.show()
        self.caption.setText(f"Downloading {title}…")

    @Slot(object)
    def show_progress(self, progress: Progress) -> None:
        if progress.total:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int((progress.fraction or 0.0) * 1000))
            if progress.unit == "files":  # an HLS stream: playlists and segments
                self.bar.setFormat(f"{progress.done:g} / {progress.total:g} files")
            else:
                self.bar.setFormat(f"{progress.done / 1e6:.1f} / {progress.total / 1e6:.1f} MB")

    def play_file(self, path: Path, title: str) -> None:
        """A local MP4, or a local HLS playlist whose relative URIs name files beside it
        (FFmpeg's hls demuxer reads .m3u8, init.mp4 and .m4s from disk)."""
        self.video.clear()
        self.frames_shown = 0
        self._play(Path(path), title, 0.0)

    def _play(self, path: Path, title: str, start: float) -> None:
        from reeleditor.media.video_out import VideoPlayback

        self._release()
        self.bar.hide()
        self.source, self.title, self._resume_at = path, title, None
        self.caption.setText(f"Playing {title}")
        self.playback = VideoPlayback(path, start)
        self.playback.start()  # opens, decodes and opens the device on its own threads
        self._timer.start()
        self.stop_button.setEnabled(True)

    def download_failed(self, message: str) -> None:
        self.bar.hide()
        self.caption.setText(message)

    def hideEvent(self, event) -> None:
        """Another tab is shown: the reel pauses instead of playing unseen."""
        if self.playback is not None:
            self._resume_at = self.playback.clock
            self._release()
            self.caption.setText(f"Paused {self.title}")
        super().hideEvent(event)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._resume_at is not None and self.source is not None:
            self._play(self.source, self.title, self._resume_at)

    @Slot()
    def stop(self) -> None:
        self._release()  # lets go of the file: the cache may evict or drop it
        self._resume_at = None
        self.video.clear()
        self.stop_button.setEnabled(False)
        self.caption.setText("")

    def _release(self) -> None:
        playback, self.playback = self.playback, None
        self._timer.stop()
        if playback is not None:
            playback.stop()  # returns at once; its threads close the file and the device

    @Slot()
    def _on_timer_tick(self) -> None:
        playback = self.playback
        if playback is None:
            return
        if playback.error:
            self._release()
            self.stop_button.setEnabled(False)
            self.caption.setText(f"Cannot play this reel: {playback.error}")
            return
        due = playback.frame_due()
        if due is not None:
            self.video.show_frame(due[1])
            self.frames_shown += 1
            if playback.notice and self.caption.text() == f"Playing {self.title}":
                self.caption.setText(f"Playing {self.title} ({playback.notice})")
        if playback.ended:
            self._release()
            self.stop_button.setEnabled(False)
            self.caption.setText(f"Played {self.title} to the end")
