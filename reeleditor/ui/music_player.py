"""Plays the draft's music in step with the preview (QtMultimedia), from any point of the cue."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

from reeleditor.core.draft import Draft


class MusicPlayer(QObject):
    """Starts the song where the reel is (cue start + reel time), at the cue's volume."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._player: QMediaPlayer | None = None
        self._output: QAudioOutput | None = None
        self._pending = 0

    def _ensure(self) -> QMediaPlayer:
        if self._player is None:  # made on first use: start-up stays fast
            self._player = QMediaPlayer(self)
            self._output = QAudioOutput(self)
            self._player.setAudioOutput(self._output)
            self._player.mediaStatusChanged.connect(self._on_player_status)
        return self._player

    @property
    def playing(self) -> bool:
        return self._player is not None and (
            self._player.playbackState() == QMediaPlayer.PlayingState
        )

    def play(self, draft: Draft, track: Path, reel_time: float) -> None:
        cue = draft.music
        if cue is None:
            return
        player = self._ensure()
        self._output.setVolume(min(1.0, cue.volume))
        self._pending = int((cue.start + reel_time) * 1000)
        url = QUrl.fromLocalFile(str(track))
        if player.source() != url:
            player.setSource(url)
        else:
            player.setPosition(self._pending)
        player.play()

    @Slot(QMediaPlayer.MediaStatus)
    def _on_player_status(self, status) -> None:
        if status == QMediaPlayer.LoadedMedia and self._player is not None:
            self._player.setPosition(self._pending)

    def stop(self) -> None:
        if self._player is not None:
            self._player.stop()
