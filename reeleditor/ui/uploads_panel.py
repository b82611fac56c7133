"""Publishing from the app: export if needed, queue, upload on the worker; list and control."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reeleditor.core.draft import Draft
from reeleditor.core.progress import Progress
from reeleditor.core.settings import DEFAULT_ENDPOINT
from reeleditor.ui.workers import TaskRunner
from reeleditor.upload.chunks import file_sha256
from reeleditor.upload.credentials import TokenStore, resolve_token
from reeleditor.upload.queue import UploadQueue
from reeleditor.upload.transfer import Uploader
from reeleditor.upload.worker import UploadWorker


class UploadController(QObject):
    """Owns the upload worker thread; its callbacks become queued signals here."""

    progress = Signal(str, object)  # entry id, Progress
    finished = Signal(str, str)  # entry id, "" or the error
    changed = Signal()  # the queue changed: refresh lists
    preparing = Signal(object)  # Progress of export + hashing before the upload

    def __init__(
        self,
        paths,
        store,
        runner: TaskRunner,
        settings,
        parent: QObject | None = None,
        bundled_endpoint: str = DEFAULT_ENDPOINT,
    ) -> None:
        super().__init__(parent)
        self.store, self.runner, self.settings = store, runner, settings
        self.paths = paths
        self.queue = UploadQueue(paths.uploads)
        self.tokens = TokenStore(paths.config)
        self._worker: UploadWorker | None = None
        self.local_cloud = None  # the bundled reference cloud, when the endpoint is it
        self.bundled_endpoint = bundled_endpoint

    def worker(self) -> UploadWorker:
        if self._worker is None:
            token = resolve_token(self.tokens, self.settings.endpoint)
            uploader = Uploader(
                self.queue, token, chunk_size=self.settings.chunk_size_mib * 1024 * 1024
            )
            self._worker = UploadWorker(
                uploader,
                on_progress=lambda eid, p: self.progress.emit(eid, p),
                on_finished=lambda eid, _e, err: self.finished.emit(eid, str(err or "")),
            ).start(resume_unfinished=True)  # what a previous run left continues
        return self._worker

    def resume_unfinished(self) -> None:
        if any(e.state in ("queued", "uploading", "verifying") for e in self.queue.list()):
            self.worker()

    def ensure_local_cloud(self) -> None:
        """The default endpoint is the bundled cloud on loopback: serve it if nobody does."""
        from reeleditor.cloud.client import local_endpoint_port
        from reeleditor.cloud.server import serve_in_thread

        if self.settings.endpoint.rstrip("/") != self.bundled_endpoint.rstrip("/"):
            return  # a real endpoint: never stand in for it
        port = local_endpoint_port(self.settings.endpoint)
        if port is not None and self.local_cloud is None:
            try:
                self.local_cloud = serve_in_thread("127.0.0.1", port, self.paths.data / "cloud")
            except OSError:
                self.local_cloud = None  # the upload will then say the endpoint is down

    def publish(self, draft: Draft, on_failed) -> None:
        """Export (when the export is older than the draft), hash, queue, then upload."""
        store, settings, queue = self.store, self.settings, self.queue
        self.ensure_local_cloud()

        def work():
            from reeleditor.media.render import ensure_export

            out = yield from ensure_export(store, draft, settings.export_preset)
            digest = yield from file_sha256(out)
            entry = queue.find_unfinished(out, settings.endpoint)
            if entry is None or entry.sha256 != digest:
                entry = queue.add(
                    out,
                    out.stat().st_size,
                    digest,
                    settings.endpoint,
                    title=draft.title,
                    draft_id=draft.id,
                )
            return entry.id

        self.runner.start(
            "publish",
            work,
            on_progress=self.preparing.emit,
            on_finished=self._on_queued,
            on_failed=on_failed,
        )

    def _on_queued(self, entry_id: str) -> None:
        self.worker().submit(entry_id)
        self.changed.emit()

    def pause(self, entry_id: str) -> None:
        self.worker().pause(entry_id)
        self.changed.emit()

    def resume(self, entry_id: str) -> None:
        self.worker().resume(entry_id)
        self.changed.emit()

    def cancel(self, entry_id: str) -> None:
        self.worker().cancel(entry_id)
        self.changed.emit()

    def reconfigure(self, settings) -> None:
        self.settings = settings
        self.shutdown()  # the next upload starts a worker with the new endpoint and token
        self.resume_unfinished()

    def shutdown(self) -> None:
        if self._worker is not None:
            self._worker.stop(timeout=10)  # unfinished uploads resume next start
            self._worker = None

    def close(self) -> None:
        self.shutdown()
        if self.local_cloud is not None:
            self.local_cloud.shutdown()
            self.local_cloud.server_close()
            self.local_cloud.cloud.processing.shutdown(wait=True)
            self.local_cloud = None


class UploadsPanel(QWidget):
    """Every queued reel with its state, bytes, rate and time left; pause, resume, cancel."""

    def __init__(self, controller: UploadController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.list = QListWidget()
        self.list.setObjectName("uploadsList")
        self.status = QLabel("Published reels upload here, and resume if the connection drops.")
        self.status.setWordWrap(True)
        self.buttons = {name: QPushButton(name.title()) for name in ("pause", "resume", "cancel")}
        row = QHBoxLayout()
        for name, button in self.buttons.items():
            button.clicked.connect(lambda _c=False, n=name: self._on_button_clicked(n))
            row.addWidget(button)
        title = QLabel("Uploads")
        title.setObjectName("panelTitle")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        layout.addLayout(row)
        self._live: dict[str, str] = {}
        controller.progress.connect(self._on_controller_progress)
        controller.finished.connect(self._on_controller_finished)
        controller.changed.connect(self.refresh)
        controller.preparing.connect(self._on_controller_preparing)
        self.refresh()

    def refresh(self) -> None:
        current = self.list.currentItem().data(Qt.UserRole) if self.list.currentItem() else None
        self.list.clear()
        for entry in sorted(self.controller.queue.list(), key=lambda e: e.created, reverse=True):
            done = entry.offset / entry.size * 100 if entry.size else 100
            text = self._live.get(entry.id) or f"{entry.state} · {done:.0f}%"
            if entry.state == "failed" and entry.last_error:
                text = f"failed: {entry.last_error}"
            item = QListWidgetItem(f"{entry.title or Path(entry.file).name}\n{text}")
            item.setData(Qt.UserRole, entry.id)
            self.list.addItem(item)
            if entry.id == current:
                self.list.setCurrentItem(item)

    def _on_controller_preparing(self, progress: Progress) -> None:
        self.status.setText(f"Preparing: {progress.describe()}")

    def _on_controller_progress(self, entry_id: str, progress: Progress) -> None:
        self._live[entry_id] = progress.describe()
        self.status.setText(progress.describe())
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.UserRole) == entry_id:
                title = item.text().split("\n")[0]
                item.setText(f"{title}\n{progress.describe()}")
                return
        self.refresh()

    def _on_controller_finished(self, entry_id: str, error: str) -> None:
        self._live.pop(entry_id, None)
        self.status.setText(error or "Upload complete: every byte confirmed by the server.")
        self.refresh()

    def _on_button_clicked(self, name: str) -> None:
        item = self.list.currentItem()
        if item is not None:
            getattr(self.controller, name)(item.data(Qt.UserRole))
