"""The open draft: edits with undo/redo, and autosave within 2 s on the storage lane."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from reeleditor.core.draft import Draft
from reeleditor.storage.drafts import DraftStore
from reeleditor.ui.workers import TaskRunner

AUTOSAVE_DELAY_MS = 800  # edits settle this long before a save starts (well within 2 s)
UNDO_LIMIT = 200


class DraftSession(QObject):
    """Holds the draft being edited. Panels call `apply`; they listen to `changed`."""

    changed = Signal(object)  # the new Draft (or None when closed)
    save_state = Signal(str)  # "saved", "saving", "unsaved", "error: ..."
    undo_available = Signal(bool)
    redo_available = Signal(bool)

    def __init__(
        self, store: DraftStore, runner: TaskRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.runner = runner
        self.draft: Draft | None = None
        self._undo: list[Draft] = []
        self._redo: list[Draft] = []
        self._saved: Draft | None = None
        self._saving: Draft | None = None
        self._paused = False
        self._seq = 0
        self._ids_at_pause: set[str] = set()
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
            self.store.release(draft_id)
            raise
        self.draft = self._saved = draft
        self._undo.clear()
        self._redo.clear()
        self._emit_history()
        self.changed.emit(draft)
        self.save_state.emit("saved")
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

    def replace_from_disk(self) -> None:
        """Reload after a service changed the draft on disk (a take was added)."""
        if self.draft is None:
            return
        fresh = self.store.load(self.draft.id)
        if fresh != self.draft:
            self._undo.append(self.draft)
            self._redo.clear()
            self.draft = self._saved = fresh
            self._emit_history()
            self.changed.emit(fresh)
            self.save_state.emit("saved")

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> None:
        if self._undo and self.draft is not None:
            self._redo.append(self.draft)
            self._set(self._undo.pop())

    def redo(self) -> None:
        if self._redo and self.draft is not None:
            self._undo.append(self.draft)
            self._set(self._redo.pop())

    def _set(self, draft: Draft) -> None:
        self.draft = draft
        self._emit_history()
        self.changed.emit(draft)
        self.save_state.emit("unsaved")
        self._timer.start()

    def _emit_history(self) -> None:
        self.undo_available.emit(bool(self._undo))
        self.redo_available.emit(bool(self._redo))

    # -- saving ---------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return self.draft is not None and self.draft != self._saved

    def pause_autosave(self) -> None:
        """While a take writes the draft on disk, edits wait in memory."""
        self.flush()
        self._paused = True
        self._ids_at_pause = {s.id for s in self.draft.segments} if self.draft else set()

    def resume_autosave(self) -> None:
        self._paused = False
        if self.dirty:
            self._timer.start()

    def adopt_new_segments(self) -> list:
        """Append the segments a take added on disk (kept across edits made meanwhile).

        Only segments that were not in the draft when the take began count: one the user
        deleted during the take stays deleted.
        """
        if self.draft is None:
            return []
        on_disk = self.store.load(self.draft.id)
        known = {s.id for s in self.draft.segments} | self._ids_at_pause
        new = [s for s in on_disk.segments if s.id not in known]
        if new:
            if self._saved is not None and self.draft == self._saved:
                self._saved = on_disk  # nothing else changed: what is on disk is current
            self.apply(lambda d, now: d.with_changes(segments=(*d.segments, *new), updated=now))
        return new

    def _save_now(self) -> None:
        if self._paused:
            return
        if not self.dirty or self._saving is not None:
            if self.dirty:
                self._timer.start()  # a save is running: save again when it is done
            return
        draft = self._saving = self.draft
        self._seq += 1
        seq = self._seq
        self.save_state.emit("saving")

        def save():
            # checked under the draft's lock, which flush()'s save takes too: an older
            # version can never land after a newer one
            with self.store.locked(draft.id):
                if seq == self._seq:
                    self.store.save(draft)

        self.runner.start(
            "save",
            save,
            storage=True,
            on_finished=lambda _r, d=draft: self._on_saved(d),
            on_failed=self._on_save_failed,
        )

    def _on_saved(self, draft: Draft) -> None:
        self._saving = None
        self._saved = draft
        self.save_state.emit("unsaved" if self.dirty else "saved")
        if self.dirty:
            self._timer.start()

    def _on_save_failed(self, message: str) -> None:
        self._saving = None
        self.save_state.emit(f"error: {message}")
        self._timer.start(5000)  # keep trying; the edit stays in memory meanwhile

    def flush(self) -> None:
        """Save now (closing, exporting, publishing): a queued older save is superseded."""
        self._timer.stop()
        if self._paused:
            return  # a take is writing the draft; its segment is merged when it ends
        self._seq += 1  # any save still queued on the storage lane becomes a no-op
        if self.dirty:
            self.store.save(self.draft)  # a small JSON write; store.save is thread-safe
            self._saved = self.draft
            self.save_state.emit("saved")
