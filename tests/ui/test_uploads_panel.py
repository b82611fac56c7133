"""Publishing from the app: export, queue and upload to the reference cloud, with progress;
pause, resume and stop as their own outcomes; offline retries; tokens kept once accepted."""

import dataclasses
import hashlib
import os
import re
import socket
import threading

import pytest
from PySide6.QtCore import Qt

from reeleditor.cloud.server import serve_in_thread, wait_published
from reeleditor.core.settings import Settings
from reeleditor.storage.paths import AppPaths
from reeleditor.ui.uploads_panel import UploadController, UploadsPanel
from reeleditor.upload.errors import RetryPolicy
from reeleditor.upload.worker import UploadOutcome
from tests.upload.upload_fault_proxy import FaultProxy

WAIT = 30000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(path, port=0, token=None):
    return serve_in_thread("127.0.0.1", port, path, token)


def _close(server) -> None:
    server.close()


@pytest.fixture
def cloud(tmp_path):
    server = _serve(tmp_path / "cloud")
    yield server
    _close(server)


@pytest.fixture(autouse=True)
def _no_os_keyring(monkeypatch):
    monkeypatch.setattr("reeleditor.upload.credentials._usable_keyring", lambda: None)


@pytest.fixture
def make_controller(qtbot, runner):
    made = []

    def make(endpoint, store=None, **kw):
        paths = AppPaths.from_env().ensure()
        settings = Settings(endpoint=endpoint, export_preset="small", chunk_size_mib=1)
        controller = UploadController(paths, store, runner, settings, **kw)
        panel = UploadsPanel(controller)
        qtbot.addWidget(panel)
        made.append(controller)
        return controller, panel

    yield make
    for controller in made:
        assert controller.shutdown()


def queue_file(controller, tmp_path, size, name="clip.mp4"):
    path = tmp_path / name
    data = os.urandom(size)
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    return controller.queue.add(path, size, digest, controller.settings.endpoint, title=name)


def select(panel, entry_id):
    for i in range(panel.list.count()):
        if panel.list.item(i).data(Qt.UserRole) == entry_id:
            panel.list.setCurrentRow(i)
            return panel.list.item(i)
    raise AssertionError(f"{entry_id} is not listed")


def enabled(panel):
    return {name for name, button in panel.buttons.items() if button.isEnabled()}


def test_publish_exports_queues_and_uploads_with_progress(
    qtbot, recorded_session, make_controller, cloud
):
    host, port = cloud.server_address[:2]
    controller, panel = make_controller(f"http://{host}:{port}/files/", recorded_session.store)
    errors = []
    with qtbot.waitSignal(controller.ended, timeout=60000) as ended:
        controller.publish(recorded_session.draft, errors.append)
    result = ended.args[0]
    assert result.outcome is UploadOutcome.DONE and errors == []
    entry = controller.queue.get(result.entry_id)
    assert entry.state == "done" and entry.draft_id == recorded_session.draft.id
    upload_id = entry.upload_url.rstrip("/").rsplit("/", 1)[-1]
    assert cloud.stored_sha256(upload_id) == entry.sha256
    assert wait_published(cloud, upload_id) == "published"
    # what was checked, in words, in the entry, the list and the status line
    assert re.fullmatch(r"server holds (\S+ \S+) of \1; sha256 confirmed by server", entry.verified)
    item = select(panel, entry.id)
    assert "recorded" in item.text() and f"done · {entry.verified}" in item.text()
    assert panel.status.text() == f"Uploaded recorded: {entry.verified}"
    assert enabled(panel) == set()  # nothing to pause, resume or cancel once done


def test_pause_is_paused_and_resume_finishes(qtbot, make_controller, cloud, tmp_path):
    proxy = FaultProxy(cloud.server_address[1])
    proxy.rate = 512 * 1024  # two seconds for the file
    try:
        controller, panel = make_controller(proxy.url())
        controller.scheduler.uploader.chunk_size = 64 * 1024
        entry = queue_file(controller, tmp_path, 1024 * 1024)
        assert enabled(panel) == set()  # nothing selected
        with qtbot.waitSignal(controller.progress, timeout=WAIT):
            controller.resume_unfinished()
        select(panel, entry.id)
        assert enabled(panel) == {"pause", "cancel"}
        with qtbot.waitSignal(controller.ended, timeout=WAIT) as ended:
            qtbot.mouseClick(panel.buttons["pause"], Qt.LeftButton)
        assert ended.args[0].outcome is UploadOutcome.PAUSED
        assert panel.status.text().startswith("Paused clip.mp4 at ")
        assert "complete" not in panel.status.text()
        assert controller.queue.get(entry.id).state == "paused"
        assert enabled(panel) == {"resume", "cancel"}
        proxy.rate = None
        with qtbot.waitSignal(controller.ended, timeout=WAIT) as ended:
            qtbot.mouseClick(panel.buttons["resume"], Qt.LeftButton)
        assert ended.args[0].outcome is UploadOutcome.DONE
        assert panel.status.text().endswith("sha256 confirmed by server")
        assert enabled(panel) == set()
    finally:
        proxy.close()


def test_stop_drains_and_never_two_uploads_at_once(qtbot, make_controller, cloud, tmp_path):
    proxy = FaultProxy(cloud.server_address[1])
    proxy.rate = 512 * 1024
    try:
        controller, _panel = make_controller(proxy.url())
        uploader = controller.scheduler.uploader
        uploader.chunk_size = 64 * 1024
        live, most = [0], [0]
        real_run = uploader.run

        def counted(*args, **kwargs):  # how many uploads run at the same moment
            live[0] += 1
            most[0] = max(most[0], live[0])
            try:
                return (yield from real_run(*args, **kwargs))
            finally:
                live[0] -= 1

        uploader.run = counted
        first = queue_file(controller, tmp_path, 1024 * 1024, "a.mp4")
        second = queue_file(controller, tmp_path, 200_000, "b.mp4")
        with qtbot.waitSignal(controller.progress, timeout=WAIT):
            controller.resume_unfinished()
        controller.reconfigure(controller.settings)  # settings saved mid-upload
        controller.resume_unfinished()  # and asked again: still one at a time
        with qtbot.waitSignal(controller.ended, timeout=WAIT) as ended:
            assert controller.shutdown()  # returns once the running upload has ended
        assert ended.args[0].outcome is UploadOutcome.STOPPED
        assert controller.scheduler.pending == []  # drained
        assert {e.id: e.state for e in controller.queue.list()} == {
            first.id: "queued",
            second.id: "queued",
        }
        proxy.rate = None
        outcomes = []
        controller.ended.connect(lambda result: outcomes.append(result.outcome))
        controller.resume_unfinished()
        qtbot.waitUntil(lambda: len(outcomes) == 2, timeout=WAIT)
        assert outcomes == [UploadOutcome.DONE, UploadOutcome.DONE]
        assert most[0] == 1
    finally:
        proxy.close()


def test_offline_retries_in_the_background_with_a_countdown(
    qtbot, make_controller, runner, tmp_path
):
    port = _free_port()
    controller, panel = make_controller(
        f"http://127.0.0.1:{port}/files/",
        policy=RetryPolicy(base=0.02, cap=0.1, offline_give_up_after=0.2),
        offline_delays=(1.0, 3.0),  # the app's are 2, 4, 8, 16, 32, 60
    )
    entry = queue_file(controller, tmp_path, 100_000)
    dialogs, offline = [], []
    runner.error.connect(lambda *a: dialogs.append(a))
    controller.offline.connect(lambda *a: offline.append(a))
    controller.resume_unfinished()
    item_text = lambda: select(panel, entry.id).text()  # noqa: E731
    qtbot.waitUntil(lambda: "offline, retrying in 1 s" in item_text(), timeout=WAIT)
    qtbot.waitUntil(lambda: "offline, retrying in 3 s" in item_text(), timeout=WAIT)
    assert panel.status.text() == "offline, retrying in 3 s"
    assert [delay for _id, delay in offline] == [1.0, 3.0]  # backing off
    qtbot.waitUntil(lambda: "offline, retrying in 2 s" in item_text(), timeout=WAIT)
    qtbot.waitUntil(lambda: "offline, retrying in 1 s" in item_text(), timeout=WAIT)
    assert controller.queue.get(entry.id).state == "queued"
    assert enabled(panel) == {"pause", "resume", "cancel"}  # Resume: try now
    server = _serve(tmp_path / "cloud", port)  # the endpoint comes back
    try:
        with qtbot.waitSignal(controller.ended, timeout=WAIT) as ended:
            pass
        assert ended.args[0].outcome is UploadOutcome.DONE
        assert len(offline) >= 1 and dialogs == []  # retried quietly, never a dialog
        assert "done · server holds" in item_text()
        assert controller.offline_entry == "" and controller.retry_in() is None
        assert enabled(panel) == set()
    finally:
        assert controller.shutdown()
        _close(server)


def test_a_new_token_is_stored_only_once_the_server_accepted_it(qtbot, make_controller, tmp_path):
    server = _serve(tmp_path / "cloud", token="right-token")
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/files/"
        controller, panel = make_controller(url)
        entry = queue_file(controller, tmp_path, 100_000)
        with qtbot.waitSignal(controller.ended, timeout=WAIT) as ended:
            controller.offer_token(url, "wrong-token")
            controller.resume_unfinished()
        result = ended.args[0]
        assert result.outcome is UploadOutcome.FAILED
        assert "The server refused the new token; it was not saved." in result.message
        assert panel.status.text() == result.message
        assert controller.tokens.get(url) is None and not controller.token_offered
        with qtbot.waitSignal(controller.ended, timeout=WAIT) as ended:
            controller.offer_token(url, "right-token")
            controller.resume(entry.id)
        assert ended.args[0].outcome is UploadOutcome.DONE
        assert "The server accepted the new token; it is saved." in ended.args[0].message
        assert controller.tokens.get(url) == "right-token"
    finally:
        assert controller.shutdown()
        _close(server)


def test_an_upload_left_for_the_bundled_cloud_starts_it_at_launch(qtbot, make_controller, tmp_path):
    endpoint = f"http://127.0.0.1:{_free_port()}/files/"
    controller, _panel = make_controller(endpoint, bundled_endpoint=endpoint)
    queue_file(controller, tmp_path, 50_000)
    try:
        with qtbot.waitSignal(controller.ended, timeout=WAIT) as ended:
            controller.resume_unfinished()  # what the window does when it opens
        assert ended.args[0].outcome is UploadOutcome.DONE
        assert controller.local_cloud is not None
    finally:
        controller.close()


class InlineLane:
    """A work lane that runs each task to its end before `start` returns: the harshest
    timing for whoever connects to a task after starting it."""

    def start(self, fn) -> None:
        thread = threading.Thread(target=fn)
        thread.start()
        thread.join()

    def waitForDone(self, _ms: int = 0) -> bool:  # QThreadPool's name
        return True


def test_runs_that_end_at_once_leave_the_controller_ready(
    qtbot, make_controller, runner, cloud, tmp_path
):
    host, port = cloud.server_address[:2]
    controller, panel = make_controller(f"http://{host}:{port}/files/")
    runner.work_lane = InlineLane()
    gone = queue_file(controller, tmp_path, 10_000, "gone.mp4")
    os.remove(gone.file)
    with qtbot.waitSignal(controller.ended, timeout=WAIT) as ended:
        controller.resume_unfinished()  # the file is missing: the run ends at once
    assert ended.args[0].outcome is UploadOutcome.FAILED
    qtbot.waitUntil(lambda: not controller.busy, timeout=WAIT)
    # the window says why in plain words; the id, the path and commands go to the log
    row = select(panel, gone.id).text()
    for text in (panel.status.text(), row):
        assert "The exported file is gone: publish again" in text
        assert gone.id not in text and str(tmp_path) not in text and "reeleditor" not in text
    stored = controller.queue.get(gone.id)
    assert gone.id in stored.last_error  # the command line's words are kept for it
    with qtbot.waitSignal(controller.ended, timeout=WAIT) as ended:
        controller.cancel(gone.id)  # a cancel of an entry that never started: at once too
    assert ended.args[0].outcome is UploadOutcome.CANCELLED
    assert gone.id not in panel.status.text()
    qtbot.waitUntil(lambda: not controller.busy, timeout=WAIT)
    entry = queue_file(controller, tmp_path, 50_000)
    with qtbot.waitSignal(controller.ended, timeout=WAIT) as ended:
        controller.resume_unfinished()  # the next upload still starts
    assert ended.args[0].outcome is UploadOutcome.DONE
    assert ended.args[0].entry_id == entry.id


def test_two_quick_publishes_make_one_entry_and_one_upload(
    qtbot, recorded_session, make_controller, runner, cloud
):
    host, port = cloud.server_address[:2]
    controller, _panel = make_controller(f"http://{host}:{port}/files/", recorded_session.store)
    outcomes = []
    controller.ended.connect(lambda result: outcomes.append(result.outcome))
    errors = []
    assert controller.publish(recorded_session.draft, errors.append)
    assert not controller.publish(recorded_session.draft, errors.append)  # one at a time
    qtbot.waitUntil(lambda: outcomes == [UploadOutcome.DONE], timeout=60000)
    qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT)
    assert outcomes == [UploadOutcome.DONE] and errors == []
    assert len(controller.queue.list()) == 1
    assert len(cloud.cloud.catalog.list_reels()) == 1  # one upload (one reel) on the server


def _token_cloud(tmp_path, token):
    server = _serve(tmp_path / "cloud", token=token)
    proxy = FaultProxy(server.server_address[1])
    proxy.rate = 128 * 1024  # two seconds for the first request's 256 KiB
    return server, proxy


def test_a_run_begun_with_the_old_token_does_not_save_a_token_offered_meanwhile(
    qtbot, make_controller, tmp_path
):
    server, proxy = _token_cloud(tmp_path, "old")
    try:
        controller, _panel = make_controller(proxy.url())
        controller.scheduler.uploader.chunk_size = 256 * 1024
        controller.tokens.set(proxy.url(), "old")
        queue_file(controller, tmp_path, 512 * 1024)
        with qtbot.waitSignal(controller.ended, timeout=WAIT) as ended:
            controller.resume_unfinished()
            qtbot.waitUntil(lambda: proxy.body_bytes > 0, timeout=WAIT)
            controller.offer_token(proxy.url(), "new")  # mid-run: the run still sends "old"
        assert ended.args[0].outcome is UploadOutcome.DONE
        assert "new token" not in ended.args[0].message
        assert controller.tokens.get(proxy.url()) == "old"  # "new" was never accepted
        assert controller.token_offered  # it is tried by the next run
    finally:
        assert controller.shutdown()
        proxy.close()
        _close(server)


def test_a_refused_old_token_does_not_discard_the_token_offered_meanwhile(
    qtbot, make_controller, tmp_path
):
    server, proxy = _token_cloud(tmp_path, "new")
    try:
        controller, _panel = make_controller(proxy.url())
        controller.scheduler.uploader.chunk_size = 256 * 1024
        controller.tokens.set(proxy.url(), "old")
        entry = queue_file(controller, tmp_path, 512 * 1024)
        with qtbot.waitSignal(controller.ended, timeout=WAIT) as ended:
            controller.resume_unfinished()
            qtbot.waitUntil(lambda: proxy.body_bytes > 0, timeout=WAIT)
            controller.offer_token(proxy.url(), "new")  # the run's "old" is refused after
        assert ended.args[0].outcome is UploadOutcome.FAILED and ended.args[0].auth_failed
        assert "new token" not in ended.args[0].message
        assert controller.token_offered  # not discarded by the old token's refusal
        proxy.rate = None
        with qtbot.waitSignal(controller.ended, timeout=WAIT) as ended:
            controller.resume(entry.id)
        assert ended.args[0].outcome is UploadOutcome.DONE
        assert "The server accepted the new token; it is saved." in ended.args[0].message
        assert controller.tokens.get(proxy.url()) == "new"
    finally:
        assert controller.shutdown()
        proxy.close()
        _close(server)


def test_new_settings_restart_the_running_upload_from_the_servers_offset(
    qtbot, make_controller, cloud, tmp_path
):
    proxy = FaultProxy(cloud.server_address[1])
    proxy.rate = 256 * 1024
    try:
        controller, _panel = make_controller(proxy.url())
        uploader = controller.scheduler.uploader
        uploader.chunk_size = 64 * 1024
        runs = []
        real_run = uploader.run

        def counted(*args, **kwargs):
            runs.append(uploader.chunk_size)
            return (yield from real_run(*args, **kwargs))

        uploader.run = counted
        outcomes = []
        controller.ended.connect(lambda result: outcomes.append(result.outcome))
        entry = queue_file(controller, tmp_path, 768 * 1024)
        with qtbot.waitSignal(controller.progress, timeout=WAIT):
            controller.resume_unfinished()
        settings = dataclasses.replace(controller.settings, chunk_size_mib=2)
        controller.reconfigure(settings)
        proxy.rate = None
        qtbot.waitUntil(lambda: outcomes != [], timeout=WAIT)
        assert outcomes == [UploadOutcome.DONE]  # the restart is not an ending
        assert runs == [64 * 1024, 2 * 1024 * 1024]  # stopped, and run again with them
        assert "HEAD forwarded" in proxy.requests  # resumed from the server's offset
        assert controller.queue.get(entry.id).state == "done"
    finally:
        proxy.close()


def test_an_offline_endpoint_does_not_hold_back_uploads_to_others(
    qtbot, make_controller, cloud, tmp_path
):
    dead = f"http://127.0.0.1:{_free_port()}/files/"
    host, port = cloud.server_address[:2]
    live = f"http://{host}:{port}/files/"
    controller, _panel = make_controller(
        dead,
        policy=RetryPolicy(base=0.02, cap=0.1, offline_give_up_after=0.2),
        offline_delays=(600.0,),
    )
    waiting = queue_file(controller, tmp_path, 10_000, "a.mp4")
    path = tmp_path / "b.mp4"
    path.write_bytes(os.urandom(10_000))
    other = controller.queue.add(path, 10_000, hashlib.sha256(path.read_bytes()).hexdigest(), live)
    outcomes = {}
    controller.ended.connect(lambda r: outcomes.setdefault(r.entry_id, r.outcome))
    controller.resume_unfinished()
    qtbot.waitUntil(lambda: other.id in outcomes, timeout=WAIT)
    assert outcomes == {waiting.id: UploadOutcome.OFFLINE, other.id: UploadOutcome.DONE}
    assert controller.offline_entry == waiting.id and controller.retry_in() > 500


def test_captions_too_long_to_send_are_said_in_the_panel_not_only_logged(
    qtbot, recorded_session, make_controller, cloud, monkeypatch
):
    why = "the captions (6,000 bytes) are over the 5,000 bytes an upload carries; sent without"
    monkeypatch.setattr("reeleditor.ui.uploads_panel.captions_beside", lambda _out: ("", why))
    host, port = cloud.server_address[:2]
    controller, panel = make_controller(f"http://{host}:{port}/files/", recorded_session.store)
    notices = []
    controller.notice.connect(lambda _entry_id, text: notices.append(panel.status.text()))
    with qtbot.waitSignal(controller.ended, timeout=60000) as ended:
        controller.publish(recorded_session.draft, pytest.fail)
    result = ended.args[0]
    assert result.outcome is UploadOutcome.DONE
    said = "The captions (6,000 bytes) are over the 5,000 bytes an upload carries; sent without."
    assert notices == [said]  # the status line said it as the reel was queued
    assert panel.status.text().endswith(said)  # and still does once it is uploaded
    item = select(panel, result.entry_id)
    assert "done" in item.text() and "without captions" in item.text()
    assert item.toolTip() == said
