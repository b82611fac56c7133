"""Published reels in the app: the bundled cloud starts itself, the feed shows, cache works."""

import socket

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from reeleditor.cloud.client import cached_download
from reeleditor.core.settings import Settings
from reeleditor.storage.media_cache import MediaCache
from reeleditor.storage.paths import AppPaths
from reeleditor.ui.feed_panel import FeedPanel, play_url
from reeleditor.ui.uploads_panel import UploadController


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Opened(QObject):
    """Stands in for the desktop's browser or video player (QDesktopServices.setUrlHandler)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def opened():
    handler = Opened()
    for scheme in ("http", "file"):
        QDesktopServices.setUrlHandler(scheme, handler, "open")
    yield handler
    for scheme in ("http", "file"):
        QDesktopServices.unsetUrlHandler(scheme)


def double_click(qtbot, widget, item) -> None:
    pos = widget.visualItemRect(item).center()
    qtbot.mouseClick(widget.viewport(), Qt.LeftButton, pos=pos)
    qtbot.mouseDClick(widget.viewport(), Qt.LeftButton, pos=pos)


def test_the_progressive_rendition_to_play():
    urls = {"original": "o", "360p": "a", "720p": "b"}
    assert play_url({"urls": urls}) == "b"
    assert play_url({"urls": {"original": "o", "360p": "a", "540p": "c"}}) == "c"
    assert play_url({"urls": {"original": "o"}}) == "o"
    assert play_url({"urls": {}}) == ""


def test_publish_to_the_bundled_cloud_then_see_it_published(
    qtbot, recorded_session, runner, opened
):
    paths = AppPaths.from_env().ensure()
    settings = Settings(endpoint=f"http://127.0.0.1:{_free_port()}/files/", export_preset="small")
    controller = UploadController(
        paths, recorded_session.store, runner, settings, bundled_endpoint=settings.endpoint
    )
    cache = MediaCache(paths.media_cache)
    panel = FeedPanel(runner, cache, lambda: settings.endpoint)
    qtbot.addWidget(panel)
    try:
        with qtbot.waitSignal(controller.finished, timeout=60000) as done:
            controller.publish(recorded_session.draft, lambda m: None)
        assert done.args[1] == ""
        assert controller.local_cloud is not None  # nothing listened: the app served it
        upload_id = controller.queue.get(done.args[0]).upload_url.rsplit("/", 1)[-1]
        from reeleditor.cloud.server import wait_published

        assert wait_published(controller.local_cloud, upload_id) == "published"
        panel.refresh()
        qtbot.waitUntil(lambda: panel.list.count() == 1, timeout=10000)
        assert "recorded" in panel.list.item(0).text()
        poster_url = panel.entries[0]["poster_url"]
        assert cache.get(poster_url) is not None
        # double-click plays: the reel's MP4 URL goes to the desktop's player
        double_click(qtbot, panel.list, panel.list.item(0))
        video = panel.entries[0]["urls"]["original"]  # 180x320: no smaller rendition
        assert opened.urls == [video]
        assert panel.status.text() == "Playing recorded in your video player or browser."
        # a copy already in the cache plays from disk
        copy = cached_download(video, cache)
        double_click(qtbot, panel.list, panel.list.item(0))
        assert opened.urls[-1] == QUrl.fromLocalFile(str(copy)).toString()
    finally:
        controller.close()
    # the server is gone: the cached poster is still there to show
    assert cached_download(poster_url, cache).read_bytes()[:2] == b"\xff\xd8"
    panel.refresh()
    qtbot.waitUntil(lambda: "cannot reach" in panel.status.text(), timeout=10000)


HOSTILE = ("file:///etc/passwd", "smb://evil/share/x.mp4", "reelx:run", "http://evil.test/x.mp4")


@pytest.fixture
def opened_any():
    """The desktop's handler for every scheme a hostile feed might name."""
    handler = Opened()
    schemes = ("http", "https", "file", "smb", "reelx")
    for scheme in schemes:
        QDesktopServices.setUrlHandler(scheme, handler, "open")
    yield handler
    for scheme in schemes:
        QDesktopServices.unsetUrlHandler(scheme)


def test_double_click_opens_only_the_endpoints_own_videos(qtbot, runner, opened_any, tmp_path):
    endpoint = "http://127.0.0.1:8765/files/"
    panel = FeedPanel(runner, MediaCache(tmp_path / "cache"), lambda: endpoint)
    qtbot.addWidget(panel)
    entries = [
        {"id": str(i), "title": f"bad{i}", "duration": 1.0, "urls": {"720p": url}}
        for i, url in enumerate(HOSTILE)
    ]
    entries.append({"id": "ok", "title": "ok", "duration": 1.0, "urls": {"720p": "/m/ok.mp4"}})
    panel._on_feed_loaded(entries)
    for i in range(len(HOSTILE)):
        double_click(qtbot, panel.list, panel.list.item(i))
        assert panel.status.text() == "This reel has no playable file."
    assert opened_any.urls == []
    double_click(qtbot, panel.list, panel.list.item(len(HOSTILE)))
    assert opened_any.urls == ["http://127.0.0.1:8765/m/ok.mp4"]  # resolved on the endpoint
