"""Published reels: the endpoint's feed with posters from the local cache; open to watch."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIcon, QPixmap
from PySide6.QtWidgets import (
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reeleditor.storage.media_cache import MediaCache
from reeleditor.ui.workers import TaskRunner

POSTER = QSize(90, 160)


class FeedPanel(QWidget):
    """Fetches the feed and posters on the runner; the cache keeps them for offline use."""

    error = Signal(str)

    def __init__(
        self, runner: TaskRunner, cache: MediaCache, endpoint_getter, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runner, self.cache, self.endpoint = runner, cache, endpoint_getter
        self.entries: list[dict] = []
        self.list = QListWidget()
        self.list.setObjectName("feedList")
        self.list.setViewMode(QListView.IconMode)
        self.list.setIconSize(POSTER)
        self.list.setGridSize(QSize(POSTER.width() + 40, POSTER.height() + 48))
        self.list.setResizeMode(QListView.Adjust)
        self.list.setMovement(QListView.Static)
        self.list.itemDoubleClicked.connect(self._on_list_double_clicked)
        self.status = QLabel("Reels you publish appear here.")
        self.status.setWordWrap(True)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        title = QLabel("Published")
        title.setObjectName("panelTitle")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.refresh_button)

    def refresh(self) -> None:
        from reeleditor.cloud.client import cached_download, fetch_feed

        endpoint, cache = self.endpoint(), self.cache

        def work():
            entries = fetch_feed(endpoint)
            for entry in entries:
                try:
                    entry["poster_file"] = str(cached_download(entry["poster_url"], cache))
                except Exception:  # a missing poster leaves a blank tile, not an error
                    entry["poster_file"] = ""
            return entries

        self.status.setText("Loading the feed…")
        self.runner.start(
            "feed", work, on_finished=self._on_feed_loaded, on_failed=self._on_feed_failed
        )

    def _on_feed_loaded(self, entries: list[dict]) -> None:
        self.entries = entries
        self.list.clear()
        for entry in entries:
            item = QListWidgetItem(f"{entry['title']}\n{entry['duration']:.1f} s")
            item.setData(Qt.UserRole, entry["id"])
            if entry.get("poster_file"):
                item.setIcon(
                    QIcon(
                        QPixmap(entry["poster_file"]).scaled(
                            POSTER, Qt.KeepAspectRatio, Qt.SmoothTransformation
                        )
                    )
                )
            self.list.addItem(item)
        self.status.setText(
            f"{len(entries)} published reel(s)"
            if entries
            else "Nothing published yet: press Publish on a draft."
        )

    def _on_feed_failed(self, message: str) -> None:
        self.status.setText(message)
        self.error.emit(message)

    def _on_list_double_clicked(self, item: QListWidgetItem) -> None:
        from reeleditor.cloud.client import cached_download

        entry = next(e for e in self.entries if e["id"] == item.data(Qt.UserRole))
        url = entry["urls"].get("720p") or entry["urls"]["original"]
        self.runner.start(
            "download",
            lambda: cached_download(url, self.cache),
            on_finished=lambda path: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))),
            on_failed=self._on_feed_failed,
        )
