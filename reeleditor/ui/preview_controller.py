"""The picture in the middle of the window: the camera (with its fallback), the reel player,
and the pipeline that grades whichever of the two is showing.

Everything slow runs as a task on the runner: opening a camera (probing takes seconds) and
playing the reel, whose task ends when the reel does, so the end arrives as the task's
result. The controller never polls.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtCore import QObject, Signal, Slot

from reeleditor.core.draft import Draft, Look
from reeleditor.core.progress import Progress
from reeleditor.core.settings import Settings
from reeleditor.media.preview import PreviewPipeline
from reeleditor.storage.drafts import DraftStore
from reeleditor.ui.music_player import MusicPlayer
from reeleditor.ui.workers import Task, TaskRunner

FALLBACK_CAMERA = "testpattern"

log = logging.getLogger(__name__)


class PreviewController(QObject):
    """Owns the preview pipeline and what feeds it; the window shows what it says.

    Signals: `camera_opened(object)` with the capture source now showing, `notice(str)` a
    status line, `failed(str)` a message worth a dialog, `playback_started()`,
    `playback_position(float)` seconds into the reel, `playback_ended()` however it ended.
    """

    camera_opened = Signal(object)
    notice = Signal(str)
    failed = Signal(str)
    playback_started = Signal()
    playback_position = Signal(float)
    playback_ended = Signal()

    def __init__(
        self,
        store: DraftStore,
        runner: TaskRunner,
        music: MusicPlayer,
        settings: Settings,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store, self.runner, self.music, self.settings = store, runner, music, settings
        self.pipeline = PreviewPipeline()
        self.mirror = settings.mirror_preview  # the creator's choice, for the camera only
        self.pipeline.mirror = self.mirror
        self.source = None  # the open capture source
        self.player = None  # the ReelPlayer while the reel plays
        self.scrub = None  # the ScrubService once the timeline asked for a frame
        self._scrub_draft: Draft | None = None
        self._play_task: Task | None = None
        self._camera_task: Task | None = None
        self._closed = False
        self.mixed = None  # ui/voice_mix.MixedSound: the whole mix, for a reel with a voice-over
        # a song that cannot play fails on the sound's own thread, after play() returned
        music.failed.connect(self._on_music_failed)

    @Slot(str)
    def _on_music_failed(self, message: str) -> None:
        self.notice.emit(f"music not playing: {message}")

    def start(self) -> None:
        self.pipeline.start()
        self.open_camera(self.settings)

    # -- camera ---------------------------------------------------------------------------
    def open_camera(self, settings: Settings) -> None:
        """Open `settings.camera` off the GUI thread; a failure falls back to the test pattern."""
        from reeleditor.media.sources import open_source

        self.settings = settings
        spec, width, height, fps = settings.camera, settings.width, settings.height, settings.fps

        def work():
            source = open_source(spec, width, height, fps)
            source.open()
            return source

        self._camera_task = self.runner.start(
            f"camera {spec}",
            work,
            on_finished=self._on_camera_task_finished,
            on_failed=self._on_camera_task_failed,
            on_cancelled=self._on_camera_task_cancelled,
        )

    @Slot(object)
    def _on_camera_task_finished(self, source) -> None:
        if self._closed or self.sender() is not self._task_signals(self._camera_task):
            source.close()  # closed meanwhile, or a newer camera was asked for
            return
        self._camera_task = None
        old, self.source = self.source, source
        if old is not None:
            self.runner.start("camera close", old.close)
        if self.player is None and not self.scrubbing:
            self.pipeline.set_source(source)
        if source.notice:
            self.notice.emit(source.notice)
        self.camera_opened.emit(source)

    @Slot()
    def _on_camera_task_cancelled(self) -> None:
        # the runner shut down while the camera opened: nobody will show this source
        task = getattr(self.sender(), "parent_task", None)
        if task is self._camera_task:
            self._camera_task = None
        self._close_unshown(task)

    def _close_unshown(self, task: Task | None) -> None:
        """Close the source a camera task opened, unless it is the one showing."""
        source = task.result if task is not None else None
        if source is not None and source is not self.source:
            task.result = None  # closed once, whichever of close() and the signal comes first
            source.close()

    @Slot(str)
    def _on_camera_task_failed(self, message: str) -> None:
        if self._closed or self.sender() is not self._task_signals(self._camera_task):
            return
        self._camera_task = None
        if self.settings.camera != FALLBACK_CAMERA:
            self.failed.emit(f"{message}. The test pattern stands in.")
            self.open_camera(replace(self.settings, camera=FALLBACK_CAMERA))
        else:
            self.failed.emit(message)

    # -- look and mirror ------------------------------------------------------------------
    def set_look(self, look: Look) -> None:
        problem = self.pipeline.set_look(look)
        if problem:
            self.notice.emit(f"{problem}: the preview shows the picture without it")

    def set_mirror(self, mirror: bool) -> None:
        self.mirror = mirror
        if self.player is None and not self.scrubbing:
            self.pipeline.mirror = mirror

    @property
    def look_problem(self) -> str:
        return self.pipeline.look_problem

    # -- the reel -------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self.player is not None

    def play(self, draft: Draft, start: float = 0.0) -> bool:
        """Play the reel from `start` s in the preview, with its music; False if empty."""
        from reeleditor.media.music import resolve_track
        from reeleditor.media.playback import ReelPlayer

        if self._closed or not draft.segments:
            return False
        self.stop_playback(quiet=True)
        self.player = ReelPlayer(self.store, draft, start)
        self.pipeline.mirror = False  # the reel plays as it will be seen
        self.pipeline.set_source(self.player)
        self._play_task = self.runner.start(
            "play",
            self.player.run,
            on_progress=self._on_play_task_progress,
            on_finished=self._on_play_task_finished,
            on_cancelled=self._on_play_task_cancelled,
            on_failed=self._on_play_task_failed,
        )
        if draft.voiceovers and self.mixed is not None:
            self.mixed.play(draft, start)  # music ducked under the voice: the export's mix
        elif draft.music is not None:
            try:
                self.music.play(draft, resolve_track(draft.music.track), start)
            except Exception as exc:  # the picture still plays; say why it is quiet
                log.warning("music not playing with the reel", exc_info=True)
                self.notice.emit(f"music not playing: {exc}")
        self.playback_started.emit()
        return True

    def stop_playback(self, quiet: bool = False) -> None:
        """Back to the camera; the player closes on its own task."""
        player, task = self.player, self._play_task
        self.player = self._play_task = None
        if player is not None:
            player.stop()
            if task is not None:
                task.cancel()
            self.music.stop()
        self.pipeline.mirror = self.mirror
        self.pipeline.set_source(self.source)
        if not quiet:
            self.playback_ended.emit()

    @Slot(object)
    def _on_play_task_progress(self, progress: Progress) -> None:
        if self._is_current_play():
            self.playback_position.emit(float(progress.done))

    @Slot(object)
    def _on_play_task_finished(self, _position: float) -> None:
        if self._is_current_play():  # the reel played to its end
            self.stop_playback()

    @Slot()
    def _on_play_task_cancelled(self) -> None:
        if self._is_current_play():
            self.stop_playback()

    @Slot(str)
    def _on_play_task_failed(self, message: str) -> None:
        if self._is_current_play():
            self.stop_playback()
            self.failed.emit(message)

    def _is_current_play(self) -> bool:
        return self._play_task is not None and self.sender() is self._play_task.signals

    @staticmethod
    def _task_signals(task: Task | None):
        return task.signals if task is not None else None

    # -- a still from the timeline -------------------------------------------------------
    @property
    def scrubbing(self) -> bool:
        """The preview shows a still the timeline asked for (not the camera, not playback)."""
        return self.scrub is not None and self.pipeline.source is self.scrub

    def show_frame(self, draft: Draft, seconds: float) -> int:
        """Show the reel's frame at `seconds`, graded as playback is; stops playback.

        The picture is made on the scrub thread (the newest request wins) and graded by
        the pipeline, so the look is applied by the same code as the export's. Returns
        the reel frame's index (-1 when there is nothing to show).
        """
        from reeleditor.media.scrub import ScrubService

        if self._closed or not draft.segments:
            return -1
        if self.player is not None:
            self.stop_playback()
        if self.scrub is None:
            # a signal emitted on the scrub thread reaches the window queued, on its thread
            self.scrub = ScrubService(
                self.store, on_problem=lambda text: self.notice.emit(f"No frame to show: {text}")
            )
        if draft is not self._scrub_draft:
            self.scrub.set_draft(draft)
            self._scrub_draft = draft
        self.pipeline.mirror = False  # the reel is shown as it will be seen
        if self.pipeline.source is not self.scrub:
            self.pipeline.set_source(self.scrub)
        return self.scrub.request(seconds)

    def show_camera(self) -> None:
        """Back from a still to the camera (recording, or leaving the editor)."""
        if self.scrubbing:
            self.pipeline.mirror = self.mirror
            self.pipeline.set_source(self.source)

    # -- closing --------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the picture; call after the runner has shut down (tasks are finished)."""
        self._closed = True
        self.stop_playback(quiet=True)
        self.pipeline.stop()
        if self.scrub is not None:
            self.scrub.close()
        task, self._camera_task = self._camera_task, None
        if task is not None and task.wait(0):  # its `cancelled` may never be delivered now
            self._close_unshown(task)
        if self.source is not None:
            self.source.close()
            self.source = None
