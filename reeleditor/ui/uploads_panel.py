"""Publishing from the app: export if needed, queue, upload; list, pause, resume, cancel.

Uploads run as tasks of the app's TaskRunner (one generator per entry, on the work lane),
not on a thread of their own: their progress and their `UploadResult` reach the window
by the one path every background result takes, a cancelled task closes the upload at its
next yield, and the controller starts the next upload only when the runner says the last
one is done, so two uploads never run at once. `UploadScheduler` (upload/, no Qt) decides
what runs next; the command line uses the same Uploader without any of this.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
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
from reeleditor.ui.workers import Task, TaskRunner
from reeleditor.upload.chunks import file_sha256
from reeleditor.upload.credentials import TokenStore, origin, resolve_token
from reeleditor.upload.errors import RetryPolicy
from reeleditor.upload.queue import UploadEntry, UploadQueue, captions_beside
from reeleditor.upload.transfer import MiB, Uploader
from reeleditor.upload.worker import UploadOutcome, UploadResult, UploadScheduler, describe

log = logging.getLogger(__name__)
OFFLINE_DELAYS = (2.0, 4.0, 8.0, 16.0, 32.0, 60.0)  # seconds between tries while offline
# In the app an endpoint that does not answer is handed to the controller's slow backoff
# after a few seconds, instead of the command line's quick retries.
APP_POLICY = RetryPolicy(offline_give_up_after=4.0)


class UploadController(QObject):
    """Runs queued uploads one at a time on the TaskRunner; retries offline ones with backoff.

    A token typed in Settings is offered (`offer_token`): kept in memory and used, stored
    only once the server has accepted an authenticated request with it.
    """

    progress = Signal(str, object)  # entry id, Progress
    finished = Signal(str, str)  # entry id, "" when done and checked, else why it ended
    ended = Signal(object)  # UploadResult of each run
    changed = Signal()  # the queue changed: refresh lists
    preparing = Signal(object)  # Progress of export + hashing before the upload
    offline = Signal(str, float)  # entry id, seconds until the next try
    notice = Signal(str, str)  # entry id, what the user should know (captions left out)

    def __init__(
        self,
        paths,
        store,
        runner: TaskRunner,
        settings,
        parent: QObject | None = None,
        bundled_endpoint: str = DEFAULT_ENDPOINT,
        *,
        policy: RetryPolicy = APP_POLICY,
        offline_delays: tuple[float, ...] = OFFLINE_DELAYS,
    ) -> None:
        super().__init__(parent)
        self.store, self.runner, self.settings = store, runner, settings
        self.paths = paths
        self.queue = UploadQueue(paths.uploads)
        self.tokens = TokenStore(paths.config)
        self._token_lock = threading.Lock()
        self._offered: tuple[str, str] | None = None  # (origin, token) not yet accepted
        self._token_news = ""  # set on the upload thread, shown with the run's result
        self._publishing: set[str] = set()  # drafts being exported and queued now
        self.notices: dict[str, str] = {}  # entry id -> notice, shown with its line
        self._restarting = ""  # the entry stopped by reconfigure, to run again at once
        self.scheduler = UploadScheduler(
            Uploader(
                self.queue,
                self._token_for,
                chunk_size=settings.chunk_size_mib * MiB,
                policy=policy,
                on_token_accepted=self._on_token_accepted,
                on_token_refused=self._on_token_refused,
            )
        )
        self._task: Task | None = None
        self._running = ""  # the entry the task uploads
        self._closing = False
        self.offline_delays = offline_delays
        self._offline_step = 0
        self.offline_entry = ""  # the entry waiting for the endpoint to come back
        self.offline_endpoint = ""  # its endpoint: other endpoints' uploads go on meanwhile
        self.retry_at: float | None = None  # monotonic time of the next try
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._on_retry_timeout)
        self.local_cloud = None  # the bundled reference cloud, when the endpoint is it
        self.bundled_endpoint = bundled_endpoint

    # -- tokens ------------------------------------------------------------------------------
    def offer_token(self, endpoint: str, token: str) -> None:
        """Use `token` for `endpoint` from now on; store it once the server accepts it."""
        with self._token_lock:
            self._offered = (origin(endpoint), token)
        self.retry_now()

    @property
    def token_offered(self) -> bool:
        with self._token_lock:
            return self._offered is not None

    def _token_for(self, endpoint: str) -> str | None:
        with self._token_lock:
            offered = self._offered
        if offered and offered[0] == origin(endpoint):
            return offered[1]
        return resolve_token(self.tokens, endpoint)

    def _on_token_accepted(self, endpoint: str, token: str) -> None:
        """On the upload thread: the server took a POST or PATCH carrying `token`; keep it
        if it is the one offered (a run started before the offer carries the old one)."""
        with self._token_lock:
            if self._offered != (origin(endpoint), token):
                return
            self._offered = None
        try:
            self.tokens.set(endpoint, token)
            news = "The server accepted the new token; it is saved."
        except Exception:  # the upload goes on; the user learns it was not saved
            log.warning("could not store the token for %s", origin(endpoint), exc_info=True)
            news = "The server accepted the new token, but saving it failed (see the log)."
        with self._token_lock:
            self._token_news = news

    def _on_token_refused(self, endpoint: str, token: str) -> None:
        """On the upload thread: the server refused `token`; drop it if it is the offered one."""
        with self._token_lock:
            if self._offered != (origin(endpoint), token):
                return  # an older token was refused: the offered one is still to be tried
            self._offered = None
            self._token_news = "The server refused the new token; it was not saved."

    # -- the queue ---------------------------------------------------------------------------
    def resume_unfinished(self) -> None:
        """Start what a previous run left queued (paused uploads wait for Resume)."""
        self._closing = False
        self.scheduler.submit_unfinished()
        if self.scheduler.pending:
            self.ensure_local_cloud()  # queued for the bundled cloud: it must be up to take it
        self._pump()

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
                log.warning("could not serve the bundled cloud on port %s", port, exc_info=True)
                self.local_cloud = None  # the upload will then say the endpoint is down

    def publish(self, draft: Draft, on_failed) -> bool:
        """Export (unless one of this recipe and preset exists), hash, queue, then upload.

        One publish per draft at a time: False (nothing started) while one is preparing.
        """
        if draft.id in self._publishing:
            log.info("draft %s is already being published", draft.id)
            return False
        store, settings, queue = self.store, self.settings, self.queue
        self.ensure_local_cloud()

        def work():
            from reeleditor.media.render import ensure_export

            out = yield from ensure_export(store, draft, settings.export_preset)
            digest = yield from file_sha256(out)
            captions, notice = captions_beside(out)  # the export's WebVTT, if any
            if notice:  # also shown in the panel: a log line alone went unseen
                log.warning("%s", notice)
            entry, _new = queue.find_or_add(
                out,
                out.stat().st_size,
                digest,
                settings.endpoint,
                title=draft.title,
                draft_id=draft.id,
                cover=draft.cover_time,  # the server's poster is the creator's chosen frame
                captions=captions,
            )
            return entry.id, notice

        self._publishing.add(draft.id)
        self.runner.start(
            "publish",
            work,
            on_progress=self.preparing.emit,
            on_finished=self._on_publish_queued,
            on_failed=on_failed,
            on_done=functools.partial(self._publishing.discard, draft.id),
        )
        return True

    @Slot(object)
    def _on_publish_queued(self, queued: tuple[str, str]) -> None:
        entry_id, notice = queued
        if notice:
            self.notices[entry_id] = notice[:1].upper() + notice[1:] + "."
            self.notice.emit(entry_id, self.notices[entry_id])
        self._closing = False
        self.scheduler.submit(entry_id)
        self.changed.emit()
        self._pump()

    def pause(self, entry_id: str) -> None:
        self.scheduler.pause(entry_id)
        if entry_id == self.offline_entry:
            self._end_offline_wait()
        self.changed.emit()
        self._pump()

    def resume(self, entry_id: str) -> None:
        """Resume a paused or failed upload; for one waiting to retry, try it now."""
        self._closing = False
        self.scheduler.resume(entry_id)
        self.retry_now()
        self.changed.emit()

    def cancel(self, entry_id: str) -> None:
        self.scheduler.cancel(entry_id)
        self.retry_now()  # the cancel is a run too (it tells the server); do it now
        self.changed.emit()

    def retry_now(self) -> None:
        """End an offline wait: try the next upload now."""
        if self._retry.isActive():
            self._end_offline_wait()
        self._pump()

    def retry_in(self) -> float | None:
        """Seconds until the next try of an offline upload, or None when not waiting."""
        if self.retry_at is None:
            return None
        return max(0.0, self.retry_at - time.monotonic())

    def reconfigure(self, settings) -> None:
        """New settings: the running upload is stopped and runs again with them at once
        (from the server's offset); a token change goes by offer_token."""
        self.settings = settings
        self.scheduler.uploader.chunk_size = settings.chunk_size_mib * MiB
        if not self._closing and (restarting := self.scheduler.restart()):
            self._restarting = restarting
        self.retry_now()  # the endpoint or the network may be fixed: do not wait

    @property
    def busy(self) -> bool:
        return self._task is not None

    def shutdown(self, timeout: float = 15.0) -> bool:
        """Stop the running upload and drain the pending ones (all stay queued on disk).

        Waits up to `timeout` for the running upload to end; True when none runs anymore.
        """
        self._closing = True
        self._end_offline_wait()
        self.scheduler.stop()
        task = self._task
        if task is None:
            return True
        if task.wait(timeout):  # a stop abandons the chunk in flight, so this is short
            return True
        log.warning("upload %s did not stop within %.0f s", self._running, timeout)
        return False

    def close(self) -> None:
        self.shutdown()
        if self.local_cloud is not None:
            self.local_cloud.close()
            self.local_cloud = None

    # -- running one upload at a time ----------------------------------------------------------
    def _pump(self) -> None:
        """Start the next upload, unless one runs or the app closes; while an endpoint is
        offline, its uploads wait and the other endpoints' go on."""
        if self._task is not None or self._closing or self.runner.closed:
            return
        nxt = self.scheduler.take_next(self._waiting_offline)
        if nxt is None:
            return
        entry_id, control = nxt
        self._running = entry_id
        started: list = []  # the task, once start() returns; the run may already be going
        control.link(lambda: bool(started) and started[0].cancelling)  # runner shutdown
        task = self.runner.start(
            "upload",
            functools.partial(self.scheduler.work, entry_id, control),
            on_progress=self._on_task_progress,
            on_finished=self._on_task_finished,
            on_failed=self._on_task_failed,
            on_done=self._on_task_done,  # connected before the pool can end the run
        )
        started.append(task)
        self._task = task
        self.changed.emit()

    def _waiting_offline(self, entry_id: str) -> bool:
        """True for an entry whose endpoint is in an offline wait (it runs when it ends)."""
        if not self._retry.isActive():
            return False
        try:
            return self.queue.get(entry_id).endpoint == self.offline_endpoint
        except Exception:  # gone or damaged: let the run say so
            log.warning("could not read upload %s", entry_id, exc_info=True)
            return False

    def _end_offline_wait(self) -> None:
        self._retry.stop()
        self.retry_at = None
        self.offline_entry = ""
        self.offline_endpoint = ""

    @Slot()
    def _on_retry_timeout(self) -> None:
        self.retry_at = None  # offline_entry stays until the try's result says otherwise
        self._pump()

    @Slot(object)
    def _on_task_progress(self, progress: Progress) -> None:
        self.progress.emit(self._running, progress)

    @Slot(object)
    def _on_task_finished(self, result: UploadResult) -> None:
        with self._token_lock:
            news, self._token_news = self._token_news, ""
        if result.entry_id == self._restarting:
            self._restarting = ""
            if result.outcome is UploadOutcome.STOPPED and not self._closing:
                self._token_news = news  # for the run that goes on with the new settings
                self.changed.emit()
                return  # stopped for new settings: it runs again next, nothing ended
            self.scheduler.discard(result.entry_id)  # it ended otherwise: not again
        message = describe(result)
        endpoint = result.entry.endpoint if result.entry is not None else ""
        if result.outcome is UploadOutcome.OFFLINE and not self._closing:
            delay = self.offline_delays[min(self._offline_step, len(self.offline_delays) - 1)]
            self._offline_step += 1
            self.scheduler.submit(result.entry_id, first=True)
            self.offline_entry = result.entry_id
            self.offline_endpoint = endpoint
            self.retry_at = time.monotonic() + delay
            self._retry.start(int(delay * 1000))
            self.offline.emit(result.entry_id, delay)
        elif result.outcome is not UploadOutcome.OFFLINE and (
            result.entry_id == self.offline_entry or endpoint == self.offline_endpoint
        ):
            self._offline_step = 0  # it answered: the next offline spell starts short again
            self._end_offline_wait()
        if news:
            message = f"{message} {news}"
        self.ended.emit(replace(result, message=message))
        self.finished.emit(result.entry_id, "" if result.outcome is UploadOutcome.DONE else message)
        self.changed.emit()

    @Slot(str)
    def _on_task_failed(self, message: str) -> None:
        # work() turns every error into a result; this is a failure of the runner's own
        log.error("upload task %s failed: %s", self._running, message)
        plain = "The upload stopped unexpectedly; see the log"
        self._on_task_finished(UploadResult(self._running, UploadOutcome.FAILED, None, plain))

    @Slot()
    def _on_task_done(self) -> None:
        self.scheduler.release(self._running)  # also when the task was closed unstarted
        self._task = None
        self._running = ""
        self.changed.emit()
        self._pump()


class UploadsPanel(QWidget):
    """Every queued reel with its state, bytes, rate and time left; pause, resume, cancel.

    The buttons act on the selected upload and are enabled only when they can do something
    for it: nothing to pause or resume once an upload is done.
    """

    def __init__(self, controller: UploadController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.list = QListWidget()
        self.list.setObjectName("uploadsList")
        self.list.currentItemChanged.connect(self._on_list_current_item_changed)
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
        self._entries: dict[str, UploadEntry] = {}
        self._countdown = QTimer(self)  # redraws "retrying in N s" while offline
        self._countdown.setInterval(250)
        self._countdown.timeout.connect(self._on_countdown_timeout)
        controller.progress.connect(self._on_controller_progress)
        controller.ended.connect(self._on_controller_ended)
        controller.changed.connect(self.refresh)
        controller.preparing.connect(self._on_controller_preparing)
        controller.offline.connect(self._on_controller_offline)
        controller.notice.connect(lambda _entry_id, text: self.status.setText(text))
        self.refresh()

    # -- what each row says --------------------------------------------------------------------
    def _line(self, entry: UploadEntry) -> str:
        line = self._state_line(entry)
        # progress soon replaces the status line: the entry's own line keeps the notice
        return f"{line} · without captions" if entry.id in self.controller.notices else line

    def _state_line(self, entry: UploadEntry) -> str:
        if entry.id == self.controller.offline_entry and (left := self.controller.retry_in()):
            return f"offline, retrying in {math.ceil(left)} s"
        if entry.id in self._live and entry.id == self.controller.scheduler.running:
            return self._live[entry.id]
        done = entry.offset / entry.size * 100 if entry.size else 100
        if entry.state == "done":
            return f"done · {entry.verified}" if entry.verified else "done"
        if entry.state == "failed":  # the plain reason; ids, paths and commands are logged
            return f"failed: {entry.reason}" if entry.reason else "failed"
        return f"{entry.state} · {done:.0f}%"

    def refresh(self) -> None:
        current = self.selected_id()
        self.list.blockSignals(True)
        self.list.clear()
        self._entries = {}
        for entry in sorted(self.controller.queue.list(), key=lambda e: e.created, reverse=True):
            self._entries[entry.id] = entry
            item = QListWidgetItem(f"{entry.title or Path(entry.file).name}\n{self._line(entry)}")
            item.setData(Qt.UserRole, entry.id)
            item.setToolTip(self.controller.notices.get(entry.id, ""))
            self.list.addItem(item)
            if entry.id == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._update_buttons()

    def selected_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.UserRole) if item is not None else None

    def _set_line(self, entry_id: str, line: str) -> None:
        if entry_id in self.controller.notices:
            line = f"{line} · without captions"
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.UserRole) == entry_id:
                item.setText(f"{item.text().split(chr(10))[0]}\n{line}")
                return
        self.refresh()

    def _update_buttons(self) -> None:
        entry = self._entries.get(self.selected_id() or "")
        running = entry is not None and entry.id == self.controller.scheduler.running
        waiting = entry is not None and entry.id == self.controller.offline_entry
        state = entry.state if entry is not None else ""
        self.buttons["pause"].setEnabled(running or state in ("queued", "uploading", "verifying"))
        self.buttons["resume"].setEnabled(
            not running and (state in ("paused", "failed") or waiting)
        )
        self.buttons["cancel"].setEnabled(entry is not None and state != "done")

    # -- slots ---------------------------------------------------------------------------------
    @Slot(object, object)
    def _on_list_current_item_changed(self, _current, _previous) -> None:
        self._update_buttons()

    @Slot(object)
    def _on_controller_preparing(self, progress: Progress) -> None:
        self.status.setText(f"Preparing: {progress.describe()}")

    @Slot(str, object)
    def _on_controller_progress(self, entry_id: str, progress: Progress) -> None:
        self._live[entry_id] = progress.describe()
        self.status.setText(progress.describe())
        self._set_line(entry_id, progress.describe())

    @Slot(object)
    def _on_controller_ended(self, result: UploadResult) -> None:
        self._live.pop(result.entry_id, None)
        if result.outcome is not UploadOutcome.OFFLINE:
            notice = self.controller.notices.get(result.entry_id, "")
            self.status.setText(f"{result.message} {notice}".strip())
        self.refresh()

    @Slot(str, float)
    def _on_controller_offline(self, entry_id: str, _delay: float) -> None:
        self._countdown.start()
        self._on_countdown_timeout()

    @Slot()
    def _on_countdown_timeout(self) -> None:
        entry_id, left = self.controller.offline_entry, self.controller.retry_in()
        if not entry_id or left is None:
            self._countdown.stop()
            return
        line = f"offline, retrying in {math.ceil(left)} s"
        self.status.setText(line)
        self._set_line(entry_id, line)

    def _on_button_clicked(self, name: str) -> None:
        entry_id = self.selected_id()
        if entry_id is not None:
            getattr(self.controller, name)(entry_id)
