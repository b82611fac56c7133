"""Published reels: the endpoint's feed with posters from the local cache; open to watch."""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

from PySide6.QtCore import QSize, Qt, QUrl, Signal, Slot
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

log = logging.getLogger(__name__)
POSTER = QSize(90, 160)
PREFERRED = "720p"  # the progressive rendition to play; any other, then the original


def play_url(entry: dict) -> str:
    """The progressive MP4 to play for a feed entry: 720p, else the largest other, else the
    original."""
    urls = entry.get("urls", {})
    if PREFERRED in urls:
        return urls[PREFERRED]
    renditions = sorted(
        (k for k in urls if k.endswith("p") and k[:-1].isdigit()), key=lambda k: -int(k[:-1])
    )
    return urls[renditions[0]] if renditions else urls.get("original", "")


def _origin(url: str) -> tuple[str, str, int] | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return parts.scheme, parts.hostname.lower(), port


def safe_play_url(entry: dict, endpoint: str) -> str:
    """`play_url(entry)` resolved against the endpoint, only if it is http(s) on the
    endpoint's own origin; else "". The feed is the server's word, and the desktop would
    open whatever it names (file:, smb:, a custom scheme's handler) on a double-click.
    """
    url = play_url(entry)
    if not url or not isinstance(url, str):
        return ""
    url = urljoin(endpoint, url)
    home = _origin(endpoint)
    return url if home is not None and _origin(url) == home else ""


class FeedPanel(QWidget):
    """Fetches the feed and posters on the runner; the cache keeps them for offline use.

    Double-clicking a reel plays it: its progressive MP4 URL goes to the desktop's handler
    (a browser or a video player), which streams it with Range requests, as a viewer of
    the published reel would, without waiting for a download; a copy already in the media
    cache is played from disk instead.
    """

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
                    log.warning("no poster from %s", entry["poster_url"], exc_info=True)
                    entry["poster_file"] = ""
            return entries

        self.status.setText("Loading the feed…")
        self.runner.start(
            "feed", work, on_finished=self._on_feed_loaded, on_failed=self._on_feed_failed
        )

    @Slot(object)
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

    @Slot(str)
    def _on_feed_failed(self, message: str) -> None:
        self.status.setText(message)
        self.error.emit(message)

    @Slot(QListWidgetItem)
    def _on_list_double_clicked(self, item: QListWidgetItem) -> None:
        entry = next((e for e in self.entries if e["id"] == item.data(Qt.UserRole)), None)
        url = safe_play_url(entry, self.endpoint()) if entry else ""
        if not url:
            if entry and play_url(entry):
                log.warning("not opening %r: not a video on the endpoint", play_url(entry))
            self.status.setText("This reel has no playable file.")
            return
        cached = self.cache.get(url)  # watched before: play it from disk, online or not
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(cached)) if cached else QUrl(url)):
            self.status.setText(f"Playing {entry['title']} in your video player or browser.")
        else:
            self.status.setText(f"No application here plays {url}; open it in a browser.")
