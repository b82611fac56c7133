"""History: the draft's saved versions, newest first; restoring one is an undoable edit."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reeleditor.core.errors import ReelEditorError
from reeleditor.ui.session import DraftSession


class HistoryDialog(QDialog):
    """Lists versions with what each held; Restore makes the chosen one current."""

    def __init__(self, session: DraftSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Version history")
        self.list = QListWidget()
        self.list.setObjectName("historyList")
        self.list.setSpacing(3)  # two-line entries apart from each other
        self.note = QLabel("Every save is kept (the last 20). Restoring one can be undone.")
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.restore_button = buttons.addButton("Restore", QDialogButtonBox.AcceptRole)
        self.restore_button.clicked.connect(self._on_restore_clicked)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self._load()

    def _load(self) -> None:
        draft = self.session.draft
        if draft is None:
            return
        store = self.session.store
        for n, entry in enumerate(store.history(draft.id)):
            try:
                version = store.load_version(draft.id, entry.version)
                what = (
                    f"{version.title} · {len(version.segments)} segment(s), "
                    f"{version.duration:.1f} s · look {version.look.name}"
                    + (" · music" if version.music else "")
                )
            except ReelEditorError as exc:
                what = f"cannot be read ({exc.message})"
            when = time.strftime("%d %b %H:%M:%S", time.localtime(entry.saved_at))
            item = QListWidgetItem(f"{when}{'  (saved now)' if n == 0 else ''}\n{what}")
            item.setData(Qt.UserRole, entry.version)
            self.list.addItem(item)
        self.list.setCurrentRow(min(1, self.list.count() - 1))
        self._fit_width()

    def _fit_width(self) -> None:
        """Wide enough for the longest entry (up to most of the screen): nothing cut."""
        metrics = self.list.fontMetrics()
        lines = [
            line for n in range(self.list.count()) for line in self.list.item(n).text().splitlines()
        ]
        text = max((metrics.horizontalAdvance(line) for line in lines), default=0)
        chrome = (
            2 * self.list.frameWidth()
            + self.list.verticalScrollBar().sizeHint().width()
            + 4 * self.list.spacing()
            + metrics.averageCharWidth() * 4  # the item's own padding and the focus frame
        )
        screen = self.screen() or QGuiApplication.primaryScreen()
        limit = screen.availableGeometry().width() * 0.9 if screen is not None else 1600
        self.list.setMinimumWidth(int(min(text + chrome, limit)))
        rows = min(max(self.list.count(), 3), 8)
        self.list.setMinimumHeight(rows * (2 * metrics.lineSpacing() + 8))

    def _on_restore_clicked(self) -> None:
        item = self.list.currentItem()
        draft = self.session.draft
        if item is None or draft is None:
            return
        try:
            old = self.session.store.load_version(draft.id, item.data(Qt.UserRole))
        except ReelEditorError as exc:
            self.note.setText(f"That version cannot be restored: {exc}")
            return
        self.session.apply(lambda d, now: old.with_changes(id=d.id, updated=now))
        self.accept()
