"""Plays the draft's music in step with the preview (media/sound_out), from any point of the cue."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from reeleditor.core.draft import Draft

log = logging.getLogger(__name__)


class MusicPlayer(QObject):
    """Starts the song where the reel is (cue start + reel time), at the cue's volume.

    The file is opened, decoded and the sound device opened on the SoundOut's own thread:
    `play` and `stop` return at once. A failure there (a damaged song) comes out as
    `failed` (one line naming the file, on the GUI thread), since `play` cannot raise it,
    and `playing` turns False, which is what the voice mix looks at before starting again.
    """

    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sound = None  # the SoundOut playing now (media/sound_out.py)

    @property
    def playing(self) -> bool:
        return self.sound is not None and not self.sound.done.is_set()

    def play(self, draft: Draft, track: Path, reel_time: float, loop: bool | None = None) -> None:
        """`loop` (by default: when the draft has takes) repeats a song shorter than the
        reel, as the export does; a bare cue (the voice mix's soundtrack, already as long
        as the reel) must play once, or its start would be heard again after its end."""
        from reeleditor.media.sound_out import SoundOut  # av loads when music first plays

        cue = draft.music
        if cue is None:
            return
        self.stop()
        if loop is None:
            loop = bool(draft.segments)
        # the cue's 0..2: SoundOut limits what goes over 1 as the export does
        self.sound = SoundOut(
            track, cue.start + reel_time, cue.volume, self._on_sound_done, loop=loop
        )
        self.sound.start()

    def stop(self) -> None:
        sound, self.sound = self.sound, None
        if sound is not None:
            sound.stop()  # its thread closes the device and the file

    def _on_sound_done(self, sound) -> None:
        # on the sound's thread: the signal is queued to the GUI thread by Qt
        if sound.error and sound is self.sound:  # a song already replaced is nobody's concern
            try:
                self.failed.emit(sound.error)
            except RuntimeError:  # the player was deleted with its window meanwhile
                log.info("music failed after its player was closed: %s", sound.error)
