"""The open draft and its one writer: edits with undo/redo, autosave within 2 s on the storage lane.

Everything that changes the open draft goes through the session, a finished take included
(`add_segments`), so there is one writer of draft.json and nothing has to be merged back
from disk.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from reeleditor.core import edits
from reeleditor.core.draft import Draft, Segment
from reeleditor.storage.drafts import DraftStore
from reeleditor.ui.workers import TaskRunner

AUTOSAVE_DELAY_MS = 800  # edits settle this long before a save starts (well within 2 s)
RETRY_MS = 5000  # after a failed save; the edit stays in memory meanwhile
UNDO_LIMIT = 200

log = logging.getLogger(__name__)


class SaveState(enum.Enum):
    """Where the open draft stands against draft.json."""

    SAVED = "saved"  # what is on disk is what is on screen
    SAVING = "saving"
    UNSAVED = "unsaved"  # an edit waits for its autosave
    FAILED = "failed"  # the last save failed (why: `save_failed`); retried on a timer


class DraftSession(QObject):
    """Holds the draft being edited. Panels call `apply`; they listen to `changed`.

    Signals: `changed(Draft | None)`, `save_state(SaveState)`, `save_failed(str)` with the
    reason just before the state turns FAILED, `undo_available(bool)`, `redo_available(bool)`.
    """

    changed = Signal(object)  # the new Draft (or None when closed)
    save_state = Signal(object)  # a SaveState
    save_failed = Signal(str)  # one line: why the last save failed
    undo_available = Signal(bool)
    redo_available = Signal(bool)

    def __init__(
        self, store: DraftStore, runner: TaskRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.runner = runner
        self.draft: Draft | None = None
        self.state = SaveState.SAVED
        self.save_error = ""  # the reason of the last failed save ("" once one succeeds)
        self._undo: list[Draft] = []
        self._redo: list[Draft] = []
        self._saved: Draft | None = None
        self._saving: Draft | None = None
        self._seq = 0
        self._on_disk: list[Callable[[], None]] = []  # run once disk matches the session
        self._timer = QTimer(self, singleShot=True, interval=AUTOSAVE_DELAY_MS)
        self._timer.timeout.connect(self._save_now)

    # -- opening --------------------------------------------------------------------------
    def open(self, draft_id: str) -> Draft:
        """Load and lock a draft (a second app instance is refused with a clear error)."""
        self.close()
        self.store.lock(draft_id)
        try:
            draft = self.store.load(draft_id)
        except Exception:
            log.warning("draft %s could not be opened", draft_id, exc_info=True)
            self.store.release(draft_id)
            raise
        self.draft = self._saved = draft
        self._undo.clear()
        self._redo.clear()
        self._emit_history()
        self.changed.emit(draft)
        self._set_state(SaveState.SAVED)
        return draft

    def close(self) -> None:
        """Save what is pending (waiting for it) and release the draft."""
        if self.draft is None:
            return
        self.flush()
        self.store.release(self.draft.id)
        self.draft = self._saved = None
        self._undo.clear()
        self._redo.clear()
        self._emit_history()
        self.changed.emit(None)

    # -- editing --------------------------------------------------------------------------
    def apply(self, edit: Callable[[Draft, float], Draft]) -> Draft | None:
        """Run a pure edit `edit(draft, now)`; it becomes undoable and is autosaved."""
        if self.draft is None:
            return None
        new = edit(self.draft, time.time())
        if new == self.draft:
            return self.draft
        self._undo.append(self.draft)
        del self._undo[:-UNDO_LIMIT]
        self._redo.clear()
        self._set(new)
        return new

    def add_segments(
        self,
        draft_id: str,
        segments: Sequence[Segment],
        on_saved: Callable[[], None] | None = None,
    ) -> bool:
        """Append a take's segment(s) to the open draft as one undoable edit (autosaved).

        `on_saved` runs once draft.json matches the session again (the segments saved, or
        undone before a save): until then the take keeps its own crash journal. False when
        `draft_id` is not the open draft; the caller then stores the take itself.
        """
        if self.draft is None or self.draft.id != draft_id:
            return False
        known = {s.id for s in self.draft.segments}
        fresh = [s for s in segments if s.id not in known]

        def append(draft: Draft, now: float) -> Draft:
            for segment in fresh:
                draft = edits.add_segment(draft, segment, now)
            return draft

        if on_saved is not None:
            self._on_disk.append(on_saved)
        if fresh:
            self.apply(append)
        self._settle_if_clean()
        return True

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @Slot()
    def undo(self) -> None:
        if self._undo and self.draft is not None:
            self._redo.append(self.draft)
            self._set(self._undo.pop())

    @Slot()
    def redo(self) -> None:
        if self._redo and self.draft is not None:
            self._undo.append(self.draft)
            self._set(self._redo.pop())

    def _set(self, draft: Draft) -> None:
        self.draft = draft
        self._emit_history()
        self.changed.emit(draft)
        self._set_state(SaveState.UNSAVED if self.dirty else SaveState.SAVED)
        self._timer.start()
        self._settle_if_clean()  # an undo back to what is on disk

    def _emit_history(self) -> None:
        self.undo_available.emit(bool(self._undo))
        self.redo_available.emit(bool(self._redo))

    # -- saving ---------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return self.draft is not None and self.draft != self._saved

    def _set_state(self, state: SaveState) -> None:
        self.state = state
        self.save_state.emit(state)

    @Slot()
    def _save_now(self) -> None:
        if not self.dirty or self._saving is not None:
            if self.dirty:
                self._timer.start()  # a save is running: save again when it is done
            self._settle_if_clean()
            return
        draft = self._saving = self.draft
        self._seq += 1
        seq = self._seq
        self._set_state(SaveState.SAVING)

        def save() -> Draft | None:
            # checked under the draft's lock, which flush()'s save takes too: an older
            # version can never land after a newer one
            with self.store.locked(draft.id):
                if seq != self._seq:
                    return None  # superseded: disk holds something newer than `draft`
                self.store.save(draft)
            return draft

        self.runner.start(
            "save", save, storage=True, on_finished=self._on_saved, on_failed=self._on_save_failed
        )

    @Slot(object)
    def _on_saved(self, draft: Draft | None) -> None:
        self._saving = None
        if draft is None:  # skipped: a flush wrote a newer version, which `_saved` holds
            if self.dirty:
                self._timer.start()
            return
        if self.draft is None or draft.id != self.draft.id:
            return  # saved for a draft closed since (close() flushed it already)
        self._saved = draft
        self.save_error = ""
        self._set_state(SaveState.UNSAVED if self.dirty else SaveState.SAVED)
        if self.dirty:
            self._timer.start()
        self._settle_if_clean()

    @Slot(str)
    def _on_save_failed(self, message: str) -> None:
        self._saving = None
        self.save_error = message
        self.save_failed.emit(message)
        self._set_state(SaveState.FAILED)
        self._timer.start(RETRY_MS)  # keep trying; the edit stays in memory meanwhile

    def flush(self) -> None:
        """Save now (closing, exporting, publishing): a queued older save is superseded."""
        self._timer.stop()
        self._seq += 1  # any save still queued on the storage lane becomes a no-op
        if self.dirty:
            self.store.save(self.draft)  # a small JSON write; store.save is thread-safe
            self._saved = self.draft
            self.save_error = ""
            self._set_state(SaveState.SAVED)
        self._settle_if_clean()

    def _settle_if_clean(self) -> None:
        """Disk holds what the session holds: tell whoever waited for that (takes)."""
        if self.dirty or not self._on_disk:
            return
        waiting, self._on_disk = self._on_disk, []
        for callback in waiting:
            try:
                callback()
            except Exception:  # one waiter's failure must not keep the others waiting
                log.exception("after-save callback %r failed", callback)
