"""Publishing from the app: export, queue and upload to the reference cloud, with progress;
pause, resume and stop as their own outcomes; offline retries; tokens kept once accepted."""

import hashlib
import os
import re
import socket

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
    stored = cloud.stored(upload_id)
    assert hashlib.sha256(stored).hexdigest() == entry.sha256
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
