"""Inline playback of a published reel: a download bar, then QtMultimedia plays the local copy."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl, Slot
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from reeleditor.core.progress import Progress


class ReelPlayerWidget(QWidget):
    """A video surface, a progress bar while the file downloads, and Stop.

    It plays only local files (the media cache's copy), so what was watched once plays
    again offline, and a slow network shows as a bar filling, not a frozen frame.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.video = QVideoWidget()
        self.video.setMinimumHeight(240)
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.player.setAudioOutput(self.audio)
        self.player.setVideoOutput(self.video)
        self.player.errorOccurred.connect(self._on_player_error_occurred)
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
        (Qt's FFmpeg backend reads .m3u8, init.mp4 and .m4s from disk)."""
        self._play(QUrl.fromLocalFile(str(path)), title)

    def _play(self, source: QUrl, title: str) -> None:
        self.bar.hide()
        self.caption.setText(f"Playing {title}")
        self.player.setSource(source)
        self.player.play()
        self.stop_button.setEnabled(True)

    def download_failed(self, message: str) -> None:
        self.bar.hide()
        self.caption.setText(message)

    def hideEvent(self, event) -> None:
        """Another tab is shown: the reel pauses instead of playing unseen."""
        if self.player.playbackState() == QMediaPlayer.PlayingState:
            self.player.pause()
        super().hideEvent(event)

    @Slot()
    def stop(self) -> None:
        self.player.stop()
        self.player.setSource(QUrl())  # let go of the file: the cache may evict or drop it
        self.stop_button.setEnabled(False)
        self.caption.setText("")

    @Slot(QMediaPlayer.Error, str)
    def _on_player_error_occurred(self, _error, message: str) -> None:
        self.caption.setText(f"Cannot play this reel: {message}")
