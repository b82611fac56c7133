"""The preview's sound when the reel has a voice-over: the whole mix, rendered and played.

Why a rendered mix and not live mixing: the ducked music, the voice-overs and the takes'
own sound are exactly the export's (media/soundtrack.py makes both), and the MusicPlayer
(PyAV and sounddevice, media/sound_out.py) plays one file in step with the pictures as it
does for the song. The mix is rendered on the runner once per version of the sound (a
cached WAV named by its key), shortly after each edit, so Play usually finds it ready;
when not, the pictures play and the sound joins where the reel then is.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Slot

from reeleditor.core.draft import Draft, MusicCue
from reeleditor.ui.music_player import MusicPlayer
from reeleditor.ui.workers import TaskRunner

PREPARE_AFTER_MS = 700  # after the last edit: a slider's run of commits renders once

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
        self.ready: Path | None = None  # the last mix rendered or found
        self._player = None  # the ReelPlayer waiting for a mix ...
        self._wanted: Path | None = None  # ... and the mix it waits for
        self._rendering: dict[Path, object] = {}  # mixes tasks are making now: their signals
        self._draft: Draft | None = None
        self._prepare_timer = QTimer(self, singleShot=True, interval=PREPARE_AFTER_MS)
        self._prepare_timer.timeout.connect(self._on_prepare_timer_timeout)
        controller.playback_position.connect(self._on_controller_position)

    def play(self, draft: Draft, start: float) -> None:
        self.position, self._player = start, self.controller.player
        path = self._wanted = self._path(draft)
        if path.is_file():
            self._start(path)
        else:
            self._render(draft, path)

    def prepare(self, draft: Draft | None) -> None:
        """Render the mix of `draft` soon (debounced), if it has a voice-over to mix."""
        self._draft = draft
        if draft is not None and draft.voiceovers and draft.segments:
            self._prepare_timer.start()
        else:
            self._prepare_timer.stop()

    @Slot()
    def _on_prepare_timer_timeout(self) -> None:
        draft = self._draft
        if draft is not None and not self.runner.closed:
            path = self._path(draft)
            if not path.is_file():
                self._render(draft, path)

    def _path(self, draft: Draft) -> Path:
        from reeleditor.media.voiceover import mix_path

        return mix_path(self.store, draft, self.folder)

    def _render(self, draft: Draft, path: Path) -> None:
        if path in self._rendering:
            return  # the same mix is under way (two would write one temp file): its end plays it
        store, folder = self.store, self.folder

        def work():
            from reeleditor.media.voiceover import render_mix

            return render_mix(store, draft, folder)

        task = self.runner.start(
            "preview mix", work, on_finished=self._on_mix_finished, on_failed=self._on_mix_failed
        )
        self._rendering[path] = task.signals

    def _start(self, path: Path) -> None:
        self.ready = path
        # the MusicPlayer plays a cue; the mix is a "song" that starts with the reel, at 1
        draft = Draft("mix", "mix", 0.0, 0.0, music=MusicCue(str(path)))
        self.music.play(draft, path, self.position)

    @Slot(float)
    def _on_controller_position(self, seconds: float) -> None:
        self.position = seconds

    def _waiting(self) -> bool:
        return self._player is not None and self.controller.player is self._player

    @Slot(object)
    def _on_mix_finished(self, path: Path) -> None:
        self._rendering.pop(path, None)
        self.ready = path
        if self._waiting() and path == self._wanted and not self.music.playing:
            self._start(path)

    @Slot(str)
    def _on_mix_failed(self, message: str) -> None:
        log.warning("the preview's mix failed: %s", message)
        self._rendering = {p: s for p, s in self._rendering.items() if s is not self.sender()}
        if self._waiting():
            self.controller.notice.emit(f"sound not playing: {message}")
