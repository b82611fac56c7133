"""The main window: for now the drafts gallery shell the other panels will join."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from reeleditor.storage.drafts import DraftStore


class MainWindow(QMainWindow):
    """Shows the drafts; takes its store in the constructor and never reaches for globals."""

    def __init__(self, store: DraftStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("reeleditor")
        self.resize(1100, 760)
        self.empty_label = QLabel(
            "No drafts yet.\nRecord your first reel: it is saved as you go.",
            alignment=Qt.AlignCenter,
        )
        self.empty_label.setObjectName("emptyState")
        self.drafts_list = QListWidget()
        self.drafts_list.setObjectName("draftsList")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.drafts_list)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.stack)
        self.setCentralWidget(central)
        self.refresh_drafts()

    def refresh_drafts(self) -> None:
        drafts, problems = self.store.scan()
        self.drafts_list.clear()
        for draft in drafts:
            when = time.strftime("%d %b %H:%M", time.localtime(draft.updated))
            item = QListWidgetItem(f"{draft.title}  ·  {draft.duration:.1f}s  ·  {when}")
            item.setData(Qt.UserRole, draft.id)
            self.drafts_list.addItem(item)
        self.stack.setCurrentWidget(self.drafts_list if drafts else self.empty_label)
        if problems:
            self.statusBar().showMessage(problems[0].describe())
