"""Runs takes from the GUI: the take records on a worker, music plays, the session gets the segment.

The take writes nothing into draft.json: its segment comes back as the task's result and
goes to the session (the draft's one writer) as an undoable edit. The take's journal on
disk keeps it safe until the session has saved it.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal, Slot

from reeleditor.core.progress import Progress
from reeleditor.ui.music_player import MusicPlayer
from reeleditor.ui.session import DraftSession
from reeleditor.ui.workers import Task, TaskRunner

log = logging.getLogger(__name__)


class RecordingController(QObject):
    """One take at a time into the session's draft; stopping keeps what was recorded.

    Signals: `recording_changed(bool)`, `elapsed(float)` seconds of the take so far,
    `take_added(list)` with the new Segment(s), `failed(str)` one line for the user.
    """

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
        self.task: Task | None = None
        self._stop: threading.Event | None = None

    @property
    def recording(self) -> bool:
        return self.task is not None

    def start(self, source, audio, seconds: float | None = None) -> bool:
        """Record a take; with `seconds` it stops by itself after that long (the timer)."""
        from reeleditor.media.music import resolve_track
        from reeleditor.media.take import record_take

        draft = self.session.draft
        if self.task is not None or draft is None or source is None:
            return False
        self.session.flush()  # the take sizes itself on the draft on disk: make it current
        store, stop = self.session.store, threading.Event()
        limit = seconds if seconds else None
        if self.sentinel is not None:
            self.sentinel.update(draft_id=draft.id, recording=True)
        self._stop = stop
        self.task = self.runner.start(
            "record",
            lambda: record_take(store, draft.id, source, audio, limit, commit=False, stop=stop),
            on_progress=self._on_task_progress,
            on_finished=self._on_task_finished,
            on_cancelled=self._on_task_cancelled,
            on_failed=self._on_task_failed,
        )
        if draft.music is not None:
            try:
                self.music.play(draft, resolve_track(draft.music.track), draft.duration)
            except Exception as exc:  # music is a nicety while recording; say why it's quiet
                log.warning("music not playing during the take", exc_info=True)
                self.failed.emit(f"music not playing: {exc}")
        self.recording_changed.emit(True)
        return True

    @Slot()
    def stop(self) -> None:
        """End the take; its segment arrives through the runner (`take_added`)."""
        if self._stop is not None:
            self._stop.set()

    def stop_and_wait(self, timeout: float = 15.0) -> None:
        """Stop and finish now (closing the window): the take is in the session on return."""
        task = self.task
        if task is None:
            return
        self.stop()
        if task.wait(timeout):
            self._finish(task.result)  # its queued signals will find nothing left to do
        else:
            task.cancel()  # stuck: the journal stays on disk for the next start
            self._finish(None)

    # A task's queued signals arrive before anything the user does after it ended, so a
    # signal that finds no task belongs to one `stop_and_wait` already finished.
    @Slot(object)
    def _on_task_progress(self, progress: Progress) -> None:
        if progress.stage == "record" and self.task is not None:
            self.elapsed.emit(float(progress.done))

    @Slot(object)
    def _on_task_finished(self, result) -> None:
        if self.task is not None:
            self._finish(result)

    @Slot()
    def _on_task_cancelled(self) -> None:
        if self.task is not None:
            self._finish(None)

    @Slot(str)
    def _on_task_failed(self, message: str) -> None:
        if self.task is not None:
            self._finish(None)
        self.failed.emit(message)

    def _finish(self, result) -> None:
        """Hand the take's segment to the session; the journal ends once it is saved."""
        self.task = self._stop = None
        self.music.stop()
        if self.sentinel is not None:
            self.sentinel.update(recording=None)
        new = []
        if result is not None and result.segment is not None:
            new = [result.segment]
            if not self.session.add_segments(result.draft_id, new, on_saved=result.settle):
                self._store_elsewhere(result)
        self.recording_changed.emit(False)
        self.elapsed.emit(0.0)
        if result is not None and result.record.error is not None:
            self.failed.emit(f"{result.record.error} (what was recorded before it is kept)")
        if new:
            self.take_added.emit(new)

    def _store_elsewhere(self, result) -> None:
        """The session moved on to another draft (it should not): store the take directly."""
        from reeleditor.media.take import commit_segment

        try:
            commit_segment(self.session.store, result.draft_id, result.segment)
        except Exception:
            log.exception("take for draft %s kept only in its journal", result.draft_id)
            if result.journal is not None:
                result.journal.release()  # unlocked, it is an interrupted take: recovered
            return
        result.settle()
