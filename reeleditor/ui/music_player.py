"""Plays the draft's music in step with the preview (media/sound_out), from any point of the cue."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject

from reeleditor.core.draft import Draft

log = logging.getLogger(__name__)


class MusicPlayer(QObject):
    """Starts the song where the reel is (cue start + reel time), at the cue's volume.

    The file is opened, decoded and the sound device opened on the SoundOut's own thread:
    `play` and `stop` return at once. A failure there (a damaged song) is logged, and
    `playing` turns False, which is what the voice mix looks at before starting again.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sound = None  # the SoundOut playing now (media/sound_out.py)

    @property
    def playing(self) -> bool:
        return self.sound is not None and not self.sound.done.is_set()

    def play(self, draft: Draft, track: Path, reel_time: float) -> None:
        from reeleditor.media.sound_out import SoundOut  # av loads when music first plays

        cue = draft.music
        if cue is None:
            return
        self.stop()
        self.sound = SoundOut(track, cue.start + reel_time, min(1.0, cue.volume))
        self.sound.start()

    def stop(self) -> None:
        sound, self.sound = self.sound, None
        if sound is not None:
            sound.stop()  # its thread closes the device and the file
