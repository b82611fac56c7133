"""Runs takes from the GUI: the session waits, the take records on a worker, music plays."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from reeleditor.core.progress import Progress
from reeleditor.ui.music_player import MusicPlayer
from reeleditor.ui.session import DraftSession
from reeleditor.ui.workers import TaskRunner


class RecordingController(QObject):
    """One take at a time into the session's draft; stopping keeps what was recorded."""

    recording_changed = Signal(bool)
    elapsed = Signal(float)  # seconds of the take so far
    take_added = Signal(list)  # the new Segment(s)
    failed = Signal(str)

    def __init__(
        self,
        session: DraftSession,
        runner: TaskRunner,
        music: MusicPlayer,
        sentinel=None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.runner, self.music, self.sentinel = session, runner, music, sentinel
        self.task = None

    @property
    def recording(self) -> bool:
        return self.task is not None

    def start(self, source, audio) -> bool:
        from reeleditor.media.music import resolve_track
        from reeleditor.media.take import record_take

        draft = self.session.draft
        if self.task is not None or draft is None or source is None:
            return False
        self.session.pause_autosave()
        store = self.session.store
        if self.sentinel is not None:
            self.sentinel.update(draft_id=draft.id, recording=True)
        self.task = self.runner.start(
            "record",
            lambda: record_take(store, draft.id, source, audio, None),
            on_progress=self._on_task_progress,
            on_finished=self._on_task_ended,
            on_cancelled=lambda: self._on_task_ended(None),
            on_failed=self._on_task_failed,
        )
        if draft.music is not None:
            try:
                self.music.play(draft, resolve_track(draft.music.track), draft.duration)
            except Exception as exc:  # music is a nicety while recording; say why it's quiet
                self.failed.emit(f"music not playing: {exc}")
        self.recording_changed.emit(True)
        return True

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def stop_and_wait(self, timeout: float = 15.0) -> None:
        """Stop and finish now (closing the window): the take is in the draft on return."""
        task = self.task
        if task is None:
            return
        task.cancel()
        task.wait(timeout)
        if self.task is task:  # its queued "done" signals will find nothing left to do
            self._finish()

    def _on_task_progress(self, progress: Progress) -> None:
        if progress.stage == "record":
            self.elapsed.emit(float(progress.done))

    def _on_task_ended(self, _result) -> None:
        if self.task is not None:
            self._finish()

    def _on_task_failed(self, message: str) -> None:
        if self.task is not None:
            self._finish()
        self.failed.emit(message)

    def _finish(self) -> None:
        self.task = None
        self.music.stop()
        if self.sentinel is not None:
            self.sentinel.update(recording=None)
        new = self.session.adopt_new_segments()
        self.session.resume_autosave()
        self.recording_changed.emit(False)
        self.elapsed.emit(0.0)
        if new:
            self.take_added.emit(new)
