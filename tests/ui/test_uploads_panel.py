"""Publishing from the app: export, queue and upload to the reference cloud, with progress."""

import hashlib

import pytest

from reeleditor.cloud.server import serve_in_thread, wait_published
from reeleditor.core.settings import Settings
from reeleditor.storage.paths import AppPaths
from reeleditor.ui.uploads_panel import UploadController, UploadsPanel
from reeleditor.upload.errors import RetryPolicy


@pytest.fixture
def cloud(tmp_path):
    server = serve_in_thread("127.0.0.1", 0, tmp_path / "cloud")
    yield server
    server.shutdown()
    server.server_close()
    server.cloud.processing.shutdown(wait=True)


def test_publish_exports_queues_and_uploads_with_progress(qtbot, recorded_session, runner, cloud):
    host, port = cloud.server_address[:2]
    settings = Settings(
        endpoint=f"http://{host}:{port}/files/", export_preset="small", chunk_size_mib=1
    )
    paths = AppPaths.from_env().ensure()
    controller = UploadController(paths, recorded_session.store, runner, settings)
    panel = UploadsPanel(controller)
    qtbot.addWidget(panel)
    errors = []
    with qtbot.waitSignal(controller.finished, timeout=60000) as done:
        controller.publish(recorded_session.draft, errors.append)
    entry_id, error = done.args
    assert error == "" and errors == []
    entry = controller.queue.get(entry_id)
    assert entry.state == "done" and entry.draft_id == recorded_session.draft.id
    upload_id = entry.upload_url.rstrip("/").rsplit("/", 1)[-1]
    stored = cloud.cloud.uploads.data_path(upload_id).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == entry.sha256
    assert wait_published(cloud, upload_id) == "published"
    assert "recorded" in panel.list.item(0).text() and "done" in panel.list.item(0).text()
    assert "every byte confirmed" in panel.status.text()
    controller.shutdown()


def test_dead_endpoint_keeps_the_entry_and_says_why(qtbot, recorded_session, runner):
    settings = Settings(endpoint="http://127.0.0.1:9/files/", export_preset="small")
    paths = AppPaths.from_env().ensure()
    controller = UploadController(paths, recorded_session.store, runner, settings)
    controller.worker().uploader.policy = RetryPolicy(give_up_after=0.5)
    panel = UploadsPanel(controller)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(controller.finished, timeout=60000) as done:
        controller.publish(recorded_session.draft, lambda m: None)
    entry_id, error = done.args
    assert "127.0.0.1:9" in error
    assert controller.queue.get(entry_id).state in ("queued", "failed")
    controller.shutdown()
