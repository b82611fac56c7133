"""What the drafts gallery's buttons do: rename, duplicate, delete, bundle out and in."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from reeleditor.core import edits
from reeleditor.core.errors import ReelEditorError
from reeleditor.storage.drafts import DraftStore
from reeleditor.ui.session import DraftSession
from reeleditor.ui.workers import TaskRunner


class GalleryActions(QObject):
    """Acts on a draft by id; the open draft goes through the session (so it is undoable)."""

    def __init__(
        self,
        store: DraftStore,
        session: DraftSession,
        runner: TaskRunner,
        window: QWidget,
        refresh: Callable[[], None],
        open_draft: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self.store, self.session, self.runner, self.window = store, session, runner, window
        self.refresh, self.open_draft = refresh, open_draft

    # -- the dialogs, each in one small method that tests can replace -------------------------
    def ask_title(self, current: str) -> str | None:
        title, ok = QInputDialog.getText(self.window, "Rename draft", "Title:", text=current)
        return title.strip() if ok and title.strip() else None

    def confirm_delete(self, title: str) -> bool:
        answer = QMessageBox.question(
            self.window,
            "Delete draft",
            f"Delete “{title}” and its recordings? This cannot be undone.",
        )
        return answer == QMessageBox.Yes

    def ask_bundle_path(self, save: bool, suggestion: str) -> str | None:
        if save:
            path, _ = QFileDialog.getSaveFileName(
                self.window, "Export draft bundle", suggestion, "Draft bundle (*.reeldraft)"
            )
        else:
            path, _ = QFileDialog.getOpenFileName(
                self.window, "Import draft bundle", suggestion, "Draft bundle (*.reeldraft)"
            )
        return path or None

    # -- actions ---------------------------------------------------------------------------
    def _is_open(self, draft_id: str) -> bool:
        return self.session.draft is not None and self.session.draft.id == draft_id

    def rename(self, draft_id: str) -> None:
        try:
            draft = self.session.draft if self._is_open(draft_id) else self.store.load(draft_id)
            title = self.ask_title(draft.title)
            if title is None:
                return
            if self._is_open(draft_id):
                self.session.apply(lambda d, now: edits.set_title(d, title, now))
            else:
                with self.store.locked(draft_id):
                    draft = self.store.load(draft_id)
                    self.store.save(edits.set_title(draft, title, time.time()))
        except ReelEditorError as exc:  # locked elsewhere, damaged since the last scan
            self.window.show_error(str(exc))
        self.refresh()

    def duplicate(self, draft_id: str) -> None:
        self.session.flush()
        self.runner.start(
            "duplicate",
            lambda: self.store.duplicate(draft_id),
            storage=True,
            on_finished=lambda _d: self.refresh(),
        )

    def delete(self, draft_id: str) -> None:
        try:
            title = self.store.load(draft_id).title
        except ReelEditorError:
            title = draft_id  # a damaged draft can still be deleted, by its id
        if not self.confirm_delete(title):
            return
        if self._is_open(draft_id):
            self.session.close()
        self.runner.start(
            "delete",
            lambda: self.store.delete(draft_id),
            storage=True,
            on_finished=lambda _r: self.refresh(),
        )

    def export_bundle(self, draft_id: str) -> None:
        from reeleditor.storage.bundle import export_bundle

        path = self.ask_bundle_path(True, str(Path.home() / f"{draft_id}.reeldraft"))
        if path:
            self.session.flush()
            self.runner.start(
                "bundle",
                lambda: export_bundle(self.store, draft_id, Path(path)),
                on_finished=lambda p: self.window.statusBar().showMessage(f"Saved {p}", 8000),
            )

    def import_bundle(self) -> None:
        from reeleditor.storage.bundle import import_bundle

        path = self.ask_bundle_path(False, str(Path.home()))
        if path:
            self.runner.start(
                "import",
                lambda: import_bundle(self.store, Path(path)),
                on_finished=lambda r: (self.refresh(), self.open_draft(r[0])),
            )
