"""The Published tab on the real window against a real cloud: state, play, copy, delete, offline."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from reeleditor.app import create_main_window
from reeleditor.core.settings import Settings
from reeleditor.storage.paths import AppPaths
from reeleditor.storage.settings import save_settings
from reeleditor.ui.published_panel import PublishedPanel
from tests.media.playback_media import BLUE, GREEN, RED, colour_near, open_by_us
from tests.ui.published_support import Reels, make_jpg, start_cloud


@pytest.fixture
def cloud(tmp_path):
    server = start_cloud(tmp_path / "cloud")
    yield server
    server.close()


@pytest.fixture
def reels(cloud, tmp_path):
    return Reels(cloud, tmp_path)


@pytest.fixture
def window(qtbot, cloud, reels):
    """The app's window, its endpoint the test cloud, the creator's token stored."""
    paths = AppPaths.from_env().ensure()
    endpoint = cloud.url + "/files/"
    settings = Settings(camera="testpattern", width=180, height=320, endpoint=endpoint)
    save_settings(paths.settings_file, settings)
    win, sentinel = create_main_window()
    qtbot.addWidget(win)
    win.uploads.tokens.set(endpoint, reels.token)
    win.show()
    yield win
    win.close()
    sentinel.stop()


def rows(panel: PublishedPanel) -> list[str]:
    return [panel.list.item(i).text() for i in range(panel.list.count())]


def row_of(panel: PublishedPanel, reel_id: str):
    for i in range(panel.list.count()):
        if panel.list.item(i).data(0x0100) == reel_id:
            return panel.list.item(i)
    return None


def open_tab(qtbot, window) -> PublishedPanel:
    panel = window.feed_panel
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: not panel.loading, timeout=10000)
    return panel


def just_published(window, reels, tmp_path, reel_id: str = "") -> str:
    """What an upload that just ended leaves: a queue entry (upload URL = reel id) of a
    draft with a thumbnail, and the reel processing on the server (unless given)."""
    reel_id = reel_id or reels.processing("my new reel")
    draft = window.store.create("my new reel")
    make_jpg(window.store.thumb_path(draft.id), "green")
    export = tmp_path / "export.mp4"
    export.write_bytes(b"x" * 10)
    queue = window.uploads.queue
    entry = queue.add(export, 10, "ab" * 32, window.settings.endpoint, title="my new reel")
    queue.update(
        entry.id,
        draft_id=draft.id,
        upload_url=f"{window.settings.endpoint}{reel_id}",
        offset=10,
        state="done",
    )
    window.uploads.finished.emit(entry.id, "")  # as the controller says when one ends
    return reel_id


def test_a_just_published_reel_shows_at_once_with_its_local_poster_then_turns_ready(
    qtbot, window, reels, tmp_path
):
    older = reels.ready("an older reel", created=time.time() - 100)
    failed = reels.failed("a broken one", "the uploaded file is not a video")
    reel_id = just_published(window, reels, tmp_path)
    panel = window.feed_panel
    qtbot.waitUntil(lambda: row_of(panel, reel_id) is not None, timeout=5000)
    item = row_of(panel, reel_id)
    assert "processing" in item.text() and not item.icon().isNull()  # the draft's thumbnail
    panel.list.setCurrentItem(item)
    assert panel.buttons["copy"].isEnabled() and not panel.buttons["play"].isEnabled()
    qtbot.waitUntil(lambda: len(rows(panel)) == 3 and not panel.loading, timeout=10000)
    assert "failed: the uploaded file is not a video" in row_of(panel, failed).text()
    assert "ready · 2.0 s" in row_of(panel, older).text()
    assert not row_of(panel, older).icon().isNull()  # the server's poster, through the cache
    assert panel.polling  # one reel is processing: the listing is asked again
    panel.list.setCurrentItem(row_of(panel, older))
    reels.make_ready(reel_id)
    qtbot.waitUntil(lambda: "ready" in row_of(panel, reel_id).text(), timeout=10000)
    assert panel.selected_id() == older  # the polls kept the selection
    qtbot.waitUntil(lambda: not panel.polling, timeout=10000)  # none on its way: it stops


def shows(panel: PublishedPanel, colour) -> bool:
    """Whether the player's picture, at its centre, is `colour` (as painted on screen)."""
    image = panel.player.video.grab().toImage()
    pixel = image.pixelColor(image.width() // 2, image.height() // 2)
    return colour_near((pixel.red(), pixel.green(), pixel.blue()), colour)


def test_a_ready_reel_plays_inline_from_the_cache_online_or_not(qtbot, window, reels, cloud):
    reel_id = reels.ready("to watch")
    panel = open_tab(qtbot, window)
    panel.list.setCurrentItem(row_of(panel, reel_id))
    assert panel.buttons["play"].isEnabled()
    progress = []
    panel.player.bar.valueChanged.connect(progress.append)
    panel.buttons["play"].click()
    assert panel.player.bar.isVisibleTo(panel)  # the bar shows while it downloads
    player = panel.player
    qtbot.waitUntil(lambda: player.playing and shows(panel, RED), timeout=15000)
    assert progress and progress[-1] == 1000 and not panel.player.bar.isVisibleTo(panel)
    mp4 = panel.selected()["mp4_url"]
    assert panel.cache.lookup(mp4) is not None
    assert player.source == panel.cache.get(mp4)
    window.tabs.setCurrentWidget(window.uploads_panel)  # out of sight: it pauses
    assert player.paused and not player.playing and player.caption.text() == "Paused to watch"
    qtbot.waitUntil(lambda: not open_by_us(player.source), timeout=5000)  # and holds nothing
    window.tabs.setCurrentWidget(panel)  # back in sight: it goes on, to the blue half
    assert player.playing and not player.paused
    qtbot.waitUntil(lambda: shows(panel, BLUE), timeout=15000)
    qtbot.waitUntil(lambda: not player.playing, timeout=15000)
    assert player.caption.text() == "Played to watch to the end"
    assert not player.stop_button.isEnabled() and shows(panel, BLUE)  # the last picture stays
    cloud.close()  # offline: the copy held plays again
    panel.buttons["play"].click()
    qtbot.waitUntil(lambda: player.frames_shown > 2 and shows(panel, RED), timeout=15000)
    panel.player.stop()


def test_stop_lets_go_of_the_cached_file(qtbot, window, reels):
    reel_id = reels.ready("to stop")
    panel = open_tab(qtbot, window)
    panel.list.setCurrentItem(row_of(panel, reel_id))
    panel.buttons["play"].click()
    player = panel.player
    qtbot.waitUntil(lambda: player.frames_shown > 2, timeout=15000)
    path = player.source
    assert open_by_us(path)
    player.stop_button.click()
    assert not player.playing and player.caption.text() == "" and not shows(panel, RED)
    qtbot.waitUntil(lambda: not open_by_us(path), timeout=5000)
    path.rename(path.with_name("evicted"))  # what the cache does to make room
    players = ("reel-video", "sound-out")
    qtbot.waitUntil(lambda: not [t for t in threading.enumerate() if t.name in players])


def test_a_damaged_reel_says_it_cannot_play(qtbot, window, reels, tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    reel_id = reels.ready("damaged", mp4=junk)
    panel = open_tab(qtbot, window)
    panel.list.setCurrentItem(row_of(panel, reel_id))
    panel.buttons["play"].click()
    player = panel.player
    qtbot.waitUntil(lambda: player.caption.text().startswith("Cannot play this reel: "))
    text = player.caption.text()
    assert "\n" not in text and str(player.source) in text
    assert not player.playing and not player.stop_button.isEnabled()


def counting_media(monkeypatch, store) -> list[str]:
    """The keys of every /media/ request the origin answers (a 200 or a 304 alike)."""
    asked: list[str] = []
    stat = store.stat

    def counted(key):
        if key.startswith("media/"):
            asked.append(key)
        return stat(key)

    monkeypatch.setattr(store, "stat", counted)
    return asked


def play_and_watch(qtbot, panel):
    panel.player.stop()
    panel.buttons["play"].click()
    player = panel.player
    qtbot.waitUntil(lambda: player.playing and player.frames_shown > 2, timeout=15000)
    return player


def age_entries(cache, seconds: float) -> None:
    """As if every response in the cache had arrived `seconds` ago."""
    for url in list(cache.urls()):
        _path, stored = cache.lookup(url)
        old = replace(
            stored,
            date="",
            request_time=stored.request_time - seconds,
            response_time=stored.response_time - seconds,
        )
        cache.refresh(url, old)


def test_a_processing_reels_hls_preview_plays_from_local_files_the_cache_holds(
    qtbot, window, reels, cloud, monkeypatch
):
    reel_id = reels.processing("half way")
    prefix = reels.preview(reel_id)
    asked = counting_media(monkeypatch, cloud.cloud.store)
    panel = open_tab(qtbot, window)
    item = row_of(panel, reel_id)
    assert "processing" in item.text() and not item.icon().isNull()  # the preview's poster
    panel.list.setCurrentItem(item)
    reel = panel.selected()
    assert reel["mp4_url"] is None and reel["hls_url"]
    progress = []
    panel.player.bar.valueChanged.connect(progress.append)
    player = play_and_watch(qtbot, panel)
    assert progress and progress[-1] == 1000 and "files" in panel.player.bar.format()
    # (a) the player opened the local master playlist, beside the cache's files
    assert shows(panel, GREEN)  # the stream's first second
    local = player.source
    assert local == panel.hls.master
    assert panel.cache.root in local.parents
    hls = reel["hls_url"].rsplit("/", 1)[0]
    names = ["master.m3u8", "360p/index.m3u8", "360p/init.mp4"]
    names += [f"360p/seg_{i:05d}.m4s" for i in range(3)]
    for name in names:
        assert panel.cache.lookup(f"{hls}/{name}") is not None, name
        assert (local.parent / name).is_file(), name
    assert {k.removeprefix(prefix + "/") for k in asked} >= set(names)
    assert panel.polling  # still processing: followed until ready
    # (c) a replay within the minute asks the origin for nothing
    before = len(asked)
    play_and_watch(qtbot, panel)
    assert asked[before:] == [] and panel.hls.how == {"fresh": len(names)}
    # after the minute, the playlists are revalidated (304), the segments not
    age_entries(panel.cache, 61)
    play_and_watch(qtbot, panel)
    assert sorted(asked[before:]) == [f"{prefix}/360p/index.m3u8", f"{prefix}/master.m3u8"]
    assert panel.hls.how == {"revalidated": 2, "fresh": len(names) - 2}
    # (b) the server goes away: the same reel plays again from what is held
    cloud.close()
    age_entries(panel.cache, 3600)  # stale too: a request is tried, and refused
    play_and_watch(qtbot, panel)
    assert panel.hls.offline and player.source == panel.hls.master
    assert window.statusBar().currentMessage().startswith("Offline")


def test_copy_link_puts_the_web_link_on_the_clipboard(qtbot, window, reels, cloud):
    reel_id = reels.ready("to share")
    panel = open_tab(qtbot, window)
    panel.list.setCurrentItem(row_of(panel, reel_id))
    panel.buttons["copy"].click()
    assert QGuiApplication.clipboard().text() == f"{cloud.url}/#{reel_id}"
    assert window.statusBar().currentMessage() == f"Link copied: {cloud.url}/#{reel_id}"


def test_delete_asks_then_removes_it_from_the_list_the_server_and_the_cache(
    qtbot, window, reels, cloud
):
    keep = reels.ready("to keep", created=time.time() - 50)
    gone = reels.ready("to delete")
    panel = open_tab(qtbot, window)
    qtbot.waitUntil(lambda: len(rows(panel)) == 2, timeout=5000)
    panel.list.setCurrentItem(row_of(panel, gone))
    poster = panel.selected()["poster_url"]
    assert panel.cache.lookup(poster) is not None
    panel.buttons["delete"].click()
    box = panel.confirm_box
    assert box is not None and "to delete" in box.text()
    box.button(QMessageBox.Cancel).click()  # no: nothing happens
    assert row_of(panel, gone) is not None and cloud.cloud.catalog.get_reel(gone) is not None
    panel.buttons["delete"].click()
    panel.confirm_box.button(QMessageBox.Yes).click()
    qtbot.waitUntil(lambda: row_of(panel, gone) is None, timeout=10000)
    assert cloud.cloud.catalog.get_reel(gone) is None
    assert panel.cache.lookup(poster) is None
    assert row_of(panel, keep) is not None and panel.status.text() == "Deleted."


def test_a_refused_delete_says_why_in_one_line(qtbot, window, reels):
    reel_id = reels.ready("not mine to delete")
    panel = open_tab(qtbot, window)
    panel.list.setCurrentItem(row_of(panel, reel_id))
    panel.token_for = lambda _endpoint: "not-a-known-token"
    panel.buttons["delete"].click()
    panel.confirm_box.button(QMessageBox.Yes).click()
    qtbot.waitUntil(lambda: panel.status.text().startswith("Not deleted:"), timeout=10000)
    assert "\n" not in panel.status.text() and "token" in panel.status.text()
    assert row_of(panel, reel_id) is not None


def test_offline_the_cached_reels_and_posters_are_still_shown(
    qtbot, window, reels, cloud, tmp_path
):
    reel_id = reels.ready("seen before")
    panel = open_tab(qtbot, window)
    assert not row_of(panel, reel_id).icon().isNull()
    cloud.close()  # the endpoint goes away, just as an upload from here ends
    fresh = just_published(window, reels, tmp_path, reel_id="f" * 32)
    panel.reels = []
    panel._show()
    panel.refresh()
    qtbot.waitUntil(lambda: panel.offline and not panel.loading, timeout=15000)
    assert panel.status.text().startswith("Offline")
    item = row_of(panel, reel_id)
    assert item is not None and not item.icon().isNull() and "ready" in item.text()
    mine = row_of(panel, fresh)  # just published here: shown, on its way, its own poster
    assert "processing" in mine.text() and not mine.icon().isNull()
    assert not panel.buttons["delete"].isEnabled()


def test_publish_to_the_bundled_cloud_then_watch_it(qtbot, recorded_session, runner):
    """The whole path with the real upload and processing: the app serves its bundled
    cloud, the reel shows at once, turns ready, and plays from the cache."""
    import socket

    from reeleditor.storage.media_cache import MediaCache
    from reeleditor.ui.published_panel import local_reels
    from reeleditor.ui.uploads_panel import UploadController

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    paths = AppPaths.from_env().ensure()
    settings = Settings(endpoint=f"http://127.0.0.1:{port}/files/", export_preset="small")
    controller = UploadController(
        paths, recorded_session.store, runner, settings, bundled_endpoint=settings.endpoint
    )
    panel = PublishedPanel(
        runner,
        MediaCache(paths.media_cache),
        lambda: settings.endpoint,
        local=lambda: local_reels(controller.queue, recorded_session.store),
    )
    qtbot.addWidget(panel)
    try:
        with qtbot.waitSignal(controller.finished, timeout=60000) as done:
            controller.publish(recorded_session.draft, lambda m: None)
        assert done.args[1] == ""
        reel_id = controller.queue.get(done.args[0]).upload_url.rsplit("/", 1)[-1]
        panel.reel_published()
        qtbot.waitUntil(lambda: row_of(panel, reel_id) is not None, timeout=5000)
        qtbot.waitUntil(lambda: "ready" in row_of(panel, reel_id).text(), timeout=90000)
        panel.list.setCurrentItem(row_of(panel, reel_id))
        panel.play_selected()
        qtbot.waitUntil(lambda: panel.player.frames_shown > 2, timeout=20000)
        panel.player.stop()
    finally:
        qtbot.waitUntil(lambda: not panel.loading, timeout=10000)
        panel._poll.stop()
        controller.close()


def test_a_refused_token_and_an_endpoint_never_reached_are_said_plainly(qtbot, window, cloud):
    panel = window.feed_panel
    panel.token_for = lambda _endpoint: "not-a-known-token"
    panel.refresh()
    qtbot.waitUntil(lambda: "no valid token" in panel.status.text(), timeout=10000)
    assert not panel.offline and "\n" not in panel.status.text()
    cloud.close()
    qtbot.waitUntil(lambda: not panel.loading, timeout=10000)
    panel.refresh()
    qtbot.waitUntil(lambda: panel.offline and not panel.loading, timeout=15000)
    assert panel.status.text() == (
        "Offline: the server does not answer, and no list of your reels is held."
    )
