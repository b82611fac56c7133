"""Published reels in the app: the bundled cloud starts itself, the feed shows, cache works."""

import socket

from reeleditor.cloud.client import cached_download
from reeleditor.core.settings import Settings
from reeleditor.storage.media_cache import MediaCache
from reeleditor.storage.paths import AppPaths
from reeleditor.ui.feed_panel import FeedPanel
from reeleditor.ui.uploads_panel import UploadController


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_publish_to_the_bundled_cloud_then_see_it_published(
    qtbot, recorded_session, runner, monkeypatch
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
    finally:
        controller.close()
    # the server is gone: the cached poster is still there to show
    assert cached_download(poster_url, cache).read_bytes()[:2] == b"\xff\xd8"
    panel.refresh()
    qtbot.waitUntil(lambda: "cannot reach" in panel.status.text(), timeout=10000)
