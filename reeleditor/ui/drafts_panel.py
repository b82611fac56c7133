"""The drafts gallery: thumbnail, title, length and last edit; open, rename, copy, delete."""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from reeleditor.core.draft import Draft
from reeleditor.storage.drafts import DraftProblem, DraftStore
from reeleditor.ui.theme import BORDER, RAISED, icon_path

THUMB = QSize(90, 160)


def dropped_files(mime) -> list[str]:
    """The local files of a drag (URLs of other kinds are not ours to fetch)."""
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]


def thumb_icon(image: QImage | None, ratio: float = 1.0) -> QIcon:
    """A THUMB-sized icon: the picture fitted and centred, or a placeholder when there is
    none yet (an empty draft), so every cell of the gallery is the same size."""
    canvas = QPixmap(round(THUMB.width() * ratio), round(THUMB.height() * ratio))
    canvas.setDevicePixelRatio(ratio)
    canvas.fill(Qt.transparent)
    painter = QPainter(canvas)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setRenderHint(QPainter.SmoothPixmapTransform)
    box = QRectF(0, 0, THUMB.width(), THUMB.height())
    if image is not None and not image.isNull():
        size = image.size().scaled(THUMB, Qt.KeepAspectRatio)
        target = QRectF(
            (THUMB.width() - size.width()) / 2,
            (THUMB.height() - size.height()) / 2,
            size.width(),
            size.height(),
        )
        painter.drawImage(target, image)
    else:
        painter.setPen(QColor(BORDER))
        painter.setBrush(QColor(RAISED))
        painter.drawRoundedRect(box.adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        mark = THUMB.width() * 0.4
        QIcon(str(icon_path("camera"))).paint(
            painter,
            round((THUMB.width() - mark) / 2),
            round((THUMB.height() - mark) / 2),
            round(mark),
            round(mark),
        )
    painter.end()
    return QIcon(canvas)


class DraftsPanel(QWidget):
    """Lists what the store holds; asks the main window to act on the chosen draft."""

    open_requested = Signal(str)
    rename_requested = Signal(str)
    duplicate_requested = Signal(str)
    delete_requested = Signal(str)
    export_bundle_requested = Signal(str)
    import_bundle_requested = Signal()
    problems_found = Signal(list)  # DraftProblem, for the status bar
    files_dropped = Signal(list)  # local paths (str) of clips dropped on the gallery

    def __init__(self, store: DraftStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.list = QListWidget()
        self.list.setObjectName("draftsList")
        self.list.setViewMode(QListView.IconMode)
        self.list.setIconSize(THUMB)
        self.list.setGridSize(QSize(THUMB.width() + 40, THUMB.height() + 58))
        self.list.setResizeMode(QListView.Adjust)
        self.list.setMovement(QListView.Static)
        self.list.setWordWrap(True)
        self.list.itemDoubleClicked.connect(self._on_list_double_clicked)
        self.list.currentItemChanged.connect(self._on_list_current_changed)
        self.empty = QLabel("No drafts yet.\nPress Record: your reel is saved as you go.")
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.list)

        self.buttons = {}
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        for key, text, row in (
            ("open", "Open", row1),
            ("rename", "Rename", row1),
            ("duplicate", "Duplicate", row1),
            ("delete", "Delete", row2),
            ("export", "Export bundle", row2),
            ("import", "Import", row2),
        ):
            button = QPushButton(text)
            self.buttons[key] = button
            row.addWidget(button)
        self.buttons["open"].clicked.connect(lambda: self._emit(self.open_requested))
        self.buttons["rename"].clicked.connect(lambda: self._emit(self.rename_requested))
        self.buttons["duplicate"].clicked.connect(lambda: self._emit(self.duplicate_requested))
        self.buttons["delete"].clicked.connect(lambda: self._emit(self.delete_requested))
        self.buttons["export"].clicked.connect(lambda: self._emit(self.export_bundle_requested))
        self.buttons["import"].clicked.connect(self.import_bundle_requested)
        title = QLabel("Drafts")
        title.setObjectName("panelTitle")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.stack, 1)
        layout.addLayout(row1)
        layout.addLayout(row2)
        self._update_buttons()
        self.setAcceptDrops(True)
        self.list.setAcceptDrops(False)  # the drop reaches the panel, not the icon view

    def dragEnterEvent(self, event) -> None:
        if dropped_files(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = dropped_files(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.files_dropped.emit(paths)

    def selected_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.UserRole) if item else None

    def _emit(self, signal) -> None:
        draft_id = self.selected_id()
        if draft_id:
            signal.emit(draft_id)

    def _on_list_double_clicked(self, item: QListWidgetItem) -> None:
        self.open_requested.emit(item.data(Qt.UserRole))

    def _on_list_current_changed(self, *_args) -> None:
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self.selected_id() is not None
        for key, button in self.buttons.items():
            if key != "import":
                button.setEnabled(chosen)

    def refresh(
        self, drafts: list[Draft], problems: list[DraftProblem], current_id: str | None = None
    ) -> None:
        """Show `drafts` (scanned off the GUI thread by the caller)."""
        keep = current_id or self.selected_id()
        ratio = self.devicePixelRatioF()
        self.list.clear()
        for draft in drafts:
            when = time.strftime("%d %b %H:%M", time.localtime(draft.updated))
            item = QListWidgetItem(f"{draft.title}\n{draft.duration:.1f} s · {when}")
            item.setData(Qt.UserRole, draft.id)
            item.setToolTip(f"{draft.title} ({draft.id}), {len(draft.segments)} segment(s)")
            thumb = self.store.thumb_path(draft.id)
            image = QImage(str(thumb)) if thumb.is_file() else None
            item.setIcon(thumb_icon(image, ratio))
            self.list.addItem(item)
            if draft.id == keep:
                self.list.setCurrentItem(item)
        self.stack.setCurrentWidget(self.list if drafts else self.empty)
        self._update_buttons()
        if problems:
            self.problems_found.emit(problems)
