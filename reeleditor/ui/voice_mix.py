"""The preview's sound when the reel has a voice-over: the whole mix, rendered and played.

Why a rendered mix and not live mixing: the ducked music, the voice-overs and the takes'
own sound are exactly the export's (media/soundtrack.py makes both), and QtMultimedia
plays one file in step with the pictures as it already does for the song. The mix is
rendered on the runner once per version of the sound (a cached WAV, named by its key);
until it is ready the pictures play and the sound joins where the reel then is.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Slot

from reeleditor.core.draft import Draft, MusicCue
from reeleditor.ui.music_player import MusicPlayer
from reeleditor.ui.workers import TaskRunner

log = logging.getLogger(__name__)


class MixedSound(QObject):
    """Plays the reel's mix through the window's MusicPlayer; the controller stops it."""

    def __init__(
        self, controller, runner: TaskRunner, music: MusicPlayer, store, folder: Path
    ) -> None:
        super().__init__(controller)
        self.controller, self.runner, self.music, self.store = controller, runner, music, store
        self.folder = Path(folder)
        self.position = 0.0
        self.ready: Path | None = None  # the last mix rendered, for tests and the status
        self._player = None  # the ReelPlayer the pending mix is for
        controller.playback_position.connect(self._on_controller_position)

    def play(self, draft: Draft, start: float) -> None:
        self.position, self._player = start, self.controller.player
        store, folder = self.store, self.folder

        def work():
            from reeleditor.media.voiceover import render_mix

            return render_mix(store, draft, folder)

        self.runner.start(
            "preview mix",
            work,
            on_finished=self._on_mix_finished,
            on_failed=self._on_mix_failed,
        )

    @Slot(float)
    def _on_controller_position(self, seconds: float) -> None:
        self.position = seconds

    @Slot(object)
    def _on_mix_finished(self, path: Path) -> None:
        self.ready = path
        if self._player is None or self.controller.player is not self._player:
            return  # playback stopped (or started again) while the mix was made
        # the MusicPlayer plays a cue; the mix is a "song" that starts with the reel, at 1
        cue = MusicCue(str(path), start=0.0, volume=1.0)
        draft = Draft("mix", "mix", 0.0, 0.0, music=cue)
        self.music.play(draft, path, self.position)

    @Slot(str)
    def _on_mix_failed(self, message: str) -> None:
        log.warning("the preview's mix failed: %s", message)
        if self._player is not None and self.controller.player is self._player:
            self.controller.notice.emit(f"sound not playing: {message}")
