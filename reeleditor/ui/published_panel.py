"""The Published tab: the creator's reels with their state; play inline, copy the link, delete.

Everything that touches the network or the disk runs on the TaskRunner: the listing
(`GET /api/reels?mine=1` with the owner's token), posters and videos through the media
cache, deletes. A reel just published shows at once, processing, with the draft's own
thumbnail (the tus upload id is the reel id), and turns ready when the server says so:
while any reel is on its way the listing is polled, every 2 s and backing off, and the
polling stops when none is. Offline, the last listing and the cached posters are shown
and the status says so.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reeleditor.core.errors import ReelEditorError
from reeleditor.storage.media_cache import MediaCache
from reeleditor.ui.reel_player import ReelPlayerWidget
from reeleditor.ui.workers import TaskRunner

log = logging.getLogger(__name__)
POSTER = QSize(72, 128)
ON_ITS_WAY = ("uploading", "queued", "processing")
JUST_PUBLISHED = 600.0  # seconds an upload counts as just published (shown before listed)
MAX_IMAGES = 200  # decoded posters kept between listings
POLL_FIRST, POLL_MAX, POLL_GROWTH = 2000, 15000, 1.5  # ms between listings while processing
STATE_TEXT = {
    "uploading": "uploading…",
    "queued": "waiting to be processed…",
    "processing": "processing…",
    "ready": "ready",
    "failed": "failed",
}


@dataclass(frozen=True)
class LocalReel:
    """What this computer knows of a published reel before the server does."""

    title: str
    poster: Path | None
    finished: float = 0.0  # when its upload last changed (time.time())


def local_reels(queue, store) -> dict[str, LocalReel]:
    """Reels uploaded from here, by reel id (the tus upload's id), with the draft's thumbnail.

    `queue` is the UploadQueue, `store` the DraftStore; reads files: call it on a worker."""
    found: dict[str, LocalReel] = {}
    for entry in queue.list():
        if not entry.upload_url:
            continue
        reel_id = entry.upload_url.rstrip("/").rsplit("/", 1)[-1]
        poster = None
        if entry.draft_id:
            try:
                thumb = store.thumb_path(entry.draft_id)
                poster = thumb if thumb.is_file() else None
            except ReelEditorError:
                poster = None  # a draft id the store does not take: no poster
        found[reel_id] = LocalReel(entry.title or entry.name, poster, entry.updated)
    return found


def _snapshot_key(endpoint: str) -> str:
    from reeleditor.cloud.client import origin_of

    return f"reeleditor:reels:{origin_of(endpoint)}"  # the last listing, for offline starts


def _poster_image(path: Path | str | None) -> QImage | None:
    """Decoded and scaled on the worker (QImage, unlike QPixmap, may be made off the GUI
    thread): a 1080x1920 JPEG never costs the GUI thread a decode."""
    if not path:
        return None
    image = QImage(str(path))
    if image.isNull():
        return None
    return image.scaled(POSTER, Qt.KeepAspectRatio, Qt.SmoothTransformation)


def load_reels(
    endpoint: str, token_for, cache: MediaCache, local: Callable[[], dict], images: dict
):
    """The work of one listing (on a worker): yields the local reels first (shown at once),
    returns (reels, offline). Offline, the last listing held stands in (none: empty), and
    posters come only from the cache. `images` keeps decoded posters by URL between polls
    (a poster URL never changes content)."""
    from reeleditor.cloud.client import Offline, fetch_cached, list_reels

    mine = local()

    def own_poster(own: LocalReel | None) -> QImage | None:
        if own is None or own.poster is None:
            return None
        try:
            name = f"{own.poster}@{own.poster.stat().st_mtime_ns}"  # new thumbnail, new name
        except OSError:
            return None
        if name not in images:
            images[name] = _poster_image(own.poster)
        return images[name]

    yield {"local": {rid: (r, own_poster(r)) for rid, r in mine.items()}}
    key, offline = _snapshot_key(endpoint), False
    try:
        reels = list_reels(endpoint, token_for(endpoint))
        cache.put(key, json.dumps(reels).encode())
    except Offline:
        held = cache.get(key)
        reels, offline = (json.loads(held.read_bytes()) if held else []), True
        listed = {r["id"] for r in reels}
        recent = time.time() - JUST_PUBLISHED
        reels[:0] = [  # offline, what was just published here still shows, on its way
            {"id": rid, "state": "processing", "title": own.title, "local": True}
            for rid, own in mine.items()
            if rid not in listed and own.finished >= recent
        ]
    for reel in reels:
        reel["poster_image"] = None
        own = mine.get(reel["id"])
        if reel.get("state") != "ready" and (image := own_poster(own)) is not None:
            reel["poster_image"] = image  # the creator's own, at once
            continue
        url = reel.get("poster_url")
        if url and url in images:
            reel["poster_image"] = images[url]
        elif url:
            try:  # offline: only what the cache holds (no connection attempt per poster)
                path = cache.get(url) if offline else fetch_cached(url, cache).path
                reel["poster_image"] = images[url] = _poster_image(path)
            except ReelEditorError as exc:  # a missing poster leaves a blank tile
                log.info("no poster for %s: %s", reel["id"], exc)
        if reel["poster_image"] is None:
            reel["poster_image"] = own_poster(own)
    while len(images) > MAX_IMAGES:
        images.pop(next(iter(images)))
    return reels, offline


class PublishedPanel(QWidget):
    """The owner's reels, newest first, each with its state and poster."""

    message = Signal(str)  # one line for the status bar

    def __init__(
        self,
        runner: TaskRunner,
        cache: MediaCache,
        endpoint_getter: Callable[[], str],
        token_for: Callable[[str], str | None] = lambda _endpoint: None,
        local: Callable[[], dict[str, LocalReel]] = dict,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner, self.cache, self.endpoint = runner, cache, endpoint_getter
        self.token_for, self.local = token_for, local
        self.reels: list[dict] = []
        self.offline = False
        self.loading = False
        self.confirm_box: QMessageBox | None = None
        self._poll_ms = POLL_FIRST
        self._poll = QTimer(self, singleShot=True)
        self._poll.timeout.connect(self._on_poll_timeout)
        self._download = None
        self.hls = None  # the last HLS stream laid out for the player (a LocalHls)
        self._playing: tuple[str, str] = ("", "")  # reel id, title: downloading or playing
        self._deleted: set[str] = set()
        self._images: dict = {}  # poster URL -> scaled QImage, filled on the worker
        self._icons: dict = {}  # reel id -> the QImage its row's icon was made from
        self.list = QListWidget()
        self.list.setObjectName("publishedList")
        self.list.setViewMode(QListView.ListMode)
        self.list.setIconSize(POSTER)
        self.list.setSpacing(2)
        self.list.currentItemChanged.connect(self._on_list_current_item_changed)
        self.list.itemDoubleClicked.connect(self._on_list_item_double_clicked)
        self.player = ReelPlayerWidget()
        self.status = QLabel("Reels you publish appear here.")
        self.status.setWordWrap(True)
        self.buttons = {
            "play": QPushButton("Play"),
            "copy": QPushButton("Copy link"),
            "delete": QPushButton("Delete…"),
            "refresh": QPushButton("Refresh"),
        }
        self.buttons["play"].clicked.connect(self.play_selected)
        self.buttons["copy"].clicked.connect(self.copy_link)
        self.buttons["delete"].clicked.connect(self.delete_selected)
        self.buttons["refresh"].clicked.connect(self.refresh)
        row = QHBoxLayout()
        for button in self.buttons.values():
            row.addWidget(button)
        title = QLabel("Published")
        title.setObjectName("panelTitle")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.list, 2)
        layout.addWidget(self.player, 3)
        layout.addWidget(self.status)
        layout.addLayout(row)
        self._update_buttons()

    # -- listing and polling -------------------------------------------------------------------
    def refresh(self) -> None:
        """List the reels again (on the runner); a listing already under way is enough."""
        if self.loading or self.runner.closed:
            return
        self._poll.stop()
        self.loading = True
        if not self.reels:
            self.status.setText("Loading your reels…")
        endpoint, cache, token_for, local = self.endpoint(), self.cache, self.token_for, self.local
        images = self._images
        self.runner.start(
            "published",
            lambda: load_reels(endpoint, token_for, cache, local, images),
            on_progress=self._on_load_progress,
            on_finished=self._on_load_finished,
            on_failed=self._on_load_failed,
            on_done=self._on_load_done,
        )

    @Slot(object)
    def _on_load_progress(self, first: dict) -> None:
        """The reels this computer uploaded, before the server answers: a reel not listed
        yet shows at once, processing, with its own poster."""
        from reeleditor.cloud.client import on_endpoint

        listed = {r["id"] for r in self.reels} | self._deleted
        recent, endpoint = time.time() - JUST_PUBLISHED, self.endpoint()
        for reel_id, (own, image) in first.get("local", {}).items():
            if reel_id not in listed and own.finished >= recent:
                reel = {"id": reel_id, "state": "processing", "title": own.title}
                link = on_endpoint(f"/#{reel_id}", endpoint)  # the link works once it is ready
                self.reels.insert(
                    0, {**reel, "poster_image": image, "local": True, "web_url": link}
                )
        self._show()

    @Slot(object)
    def _on_load_finished(self, result) -> None:
        reels, offline = result
        before = {r["id"]: r.get("state") for r in self.reels if not r.get("local")}
        self.reels, self.offline = reels, offline
        self._show()
        if offline:
            self.status.setText(
                f"Offline: showing the {len(reels)} reel(s) this computer holds; "
                "they update when the server answers."
                if reels
                else "Offline: the server does not answer, and no list of your reels is held."
            )
        elif reels:
            waiting = sum(r.get("state") in ON_ITS_WAY for r in reels)
            self.status.setText(
                f"{len(reels)} published reel(s)" + (f", {waiting} on the way" if waiting else "")
            )
        else:
            self.status.setText("Nothing published yet: press Publish on a draft.")
        now = {r["id"]: r.get("state") for r in reels}
        self._poll_ms = (
            POLL_FIRST if now != before else min(POLL_MAX, int(self._poll_ms * POLL_GROWTH))
        )

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        self._poll_ms = min(POLL_MAX, int(self._poll_ms * POLL_GROWTH))
        self.status.setText(message)  # a refused token, a server error: one line

    @Slot()
    def _on_load_done(self) -> None:
        self.loading = False
        if not self.runner.closed and any(r.get("state") in ON_ITS_WAY for r in self.reels):
            self._poll.start(self._poll_ms)  # polled while any is on its way, then not

    @Slot()
    def _on_poll_timeout(self) -> None:
        self.refresh()

    @property
    def polling(self) -> bool:
        return self._poll.isActive() or self.loading

    def reel_published(self) -> None:
        """An upload just finished: show it now, and follow it until it is ready."""
        self._poll_ms = POLL_FIRST
        self.refresh()

    # -- the list ------------------------------------------------------------------------------
    def _show(self) -> None:
        """The rows for `self.reels`: updated in place when the same reels are listed (a
        poll every 2 s must not reset the scroll or the selection), else rebuilt."""
        ids = [r["id"] for r in self.reels]
        if ids != [self.list.item(i).data(Qt.UserRole) for i in range(self.list.count())]:
            current = self.selected_id()
            self.list.blockSignals(True)
            self.list.clear()
            self._icons = {}
            for reel_id in ids:
                item = QListWidgetItem()
                item.setData(Qt.UserRole, reel_id)
                self.list.addItem(item)
                if reel_id == current:
                    self.list.setCurrentItem(item)
            self.list.blockSignals(False)
        for i, reel in enumerate(self.reels):
            item = self.list.item(i)
            text = f"{reel.get('title') or reel['id'][:8]}\n{self._line(reel)}"
            if item.text() != text:
                item.setText(text)
            image = reel.get("poster_image")
            if image is not None and self._icons.get(reel["id"]) is not image:
                self._icons[reel["id"]] = image  # the same QImage is kept between polls
                item.setIcon(QIcon(QPixmap.fromImage(image)))
        self._update_buttons()

    @staticmethod
    def _line(reel: dict) -> str:
        state = reel.get("state", "")
        text = STATE_TEXT.get(state, state)
        if state == "failed" and reel.get("reason"):
            text = f"failed: {reel['reason']}"
        elif state == "ready" and isinstance(reel.get("duration"), int | float):
            text = f"ready · {reel['duration']:.1f} s"
        return text

    def selected_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.UserRole) if item is not None else None

    def selected(self) -> dict | None:
        rid = self.selected_id()
        return next((r for r in self.reels if r["id"] == rid), None)

    def _update_buttons(self) -> None:
        reel = self.selected()
        on_server = reel is not None and not reel.get("local")
        self.buttons["play"].setEnabled(bool(reel and (reel.get("mp4_url") or reel.get("hls_url"))))
        self.buttons["copy"].setEnabled(bool(reel and reel.get("web_url")))
        self.buttons["delete"].setEnabled(on_server and not self.offline)

    @Slot(object, object)
    def _on_list_current_item_changed(self, _current, _previous) -> None:
        self._update_buttons()

    @Slot(QListWidgetItem)
    def _on_list_item_double_clicked(self, _item) -> None:
        self.play_selected()

    # -- play ----------------------------------------------------------------------------------
    def play_selected(self) -> None:
        """Download the progressive MP4 into the cache (a bar shows it), then play the copy.
        A reel still processing has only its first rung, as HLS: its playlists, init
        segment and segments come through the cache too, laid out as local files."""
        from reeleditor.cloud.client import download
        from reeleditor.cloud.hls_fetch import fetch_hls

        reel = self.selected()
        if reel is None or not (reel.get("mp4_url") or reel.get("hls_url")):
            self.status.setText("This reel is not ready to play yet.")
            return
        if self._download is not None:
            self._download.cancel()
            self._download = None
        title = reel.get("title") or reel["id"][:8]
        self.player.downloading(title)
        cache = self.cache
        if reel.get("mp4_url"):
            url = reel["mp4_url"]
            self._playing = (reel["id"], title)
            work, done = (lambda: download(url, cache)), self._on_download_finished
        else:
            url = reel["hls_url"]
            self._playing = (reel["id"], f"{title} (preview)")
            work, done = (lambda: fetch_hls(url, cache)), self._on_hls_finished
        self._download = self.runner.start(
            "play",
            work,
            on_progress=self.player.show_progress,
            on_finished=done,
            on_failed=self._on_download_failed,
        )

    @Slot(object)
    def _on_download_finished(self, fetched) -> None:
        self._download = None
        title = self._playing[1]
        if fetched.path is None:
            self.player.download_failed(
                "This reel may not be kept on disk, so it cannot play here."
            )
            return
        if fetched.offline:
            self.message.emit("Offline: playing the copy this computer holds.")
        self.player.play_file(fetched.path, title)

    @Slot(object)
    def _on_hls_finished(self, local) -> None:
        """The stream is on disk: the player opens the local master playlist."""
        self._download = None
        self.hls = local
        if local.offline:
            self.message.emit("Offline: playing the copy this computer holds.")
        self.player.play_file(local.master, self._playing[1])

    @Slot(str)
    def _on_download_failed(self, message: str) -> None:
        self._download = None
        self.player.download_failed(message)

    # -- copy link -----------------------------------------------------------------------------
    def copy_link(self) -> None:
        reel = self.selected()
        if reel is None or not reel.get("web_url"):
            return
        QGuiApplication.clipboard().setText(reel["web_url"])
        self.message.emit(f"Link copied: {reel['web_url']}")

    # -- delete --------------------------------------------------------------------------------
    def delete_selected(self) -> None:
        """Ask first (a box that does not block the event loop), then delete on the runner."""
        reel = self.selected()
        if reel is None or reel.get("local"):
            return
        title = reel.get("title") or reel["id"][:8]
        box = QMessageBox(
            QMessageBox.Question,
            "Delete reel",
            f"Delete “{title}” from the server? Its link stops working for everyone.",
            QMessageBox.Yes | QMessageBox.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.Cancel)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.finished.connect(lambda answer, r=reel: self._on_confirm_finished(answer, r))
        self.confirm_box = box
        box.open()

    def _on_confirm_finished(self, answer: int, reel: dict) -> None:
        from reeleditor.cloud.client import delete_reel

        self.confirm_box = None
        if answer != QMessageBox.Yes:
            return
        endpoint, token_for, cache, reel_id = (
            self.endpoint(),
            self.token_for,
            self.cache,
            reel["id"],
        )
        urls = {u for k, u in reel.items() if k.endswith("_url") and isinstance(u, str)}

        def work():
            from reeleditor.cloud.hls_fetch import forget

            delete_reel(endpoint, token_for(endpoint), reel_id)
            cache.drop_where(lambda u: u in urls or f"/media/{reel_id}/" in u)
            if reel.get("hls_url"):
                forget(cache, reel["hls_url"])
            return reel_id

        self.status.setText(f"Deleting {reel.get('title') or reel_id[:8]}…")
        self.runner.start(
            "delete", work, on_finished=self._on_delete_finished, on_failed=self._on_delete_failed
        )

    @Slot(object)
    def _on_delete_finished(self, reel_id: str) -> None:
        self._deleted.add(reel_id)
        if self._playing[0] == reel_id:
            self.player.stop()  # let go of the file before the cache forgets it
        self.reels = [r for r in self.reels if r["id"] != reel_id]
        self._show()
        self.status.setText("Deleted.")
        self.message.emit("The reel was deleted from the server.")

    @Slot(str)
    def _on_delete_failed(self, message: str) -> None:
        self.status.setText(f"Not deleted: {message}")
