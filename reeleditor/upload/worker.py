"""A background thread that works through the upload queue, one entry at a time."""

from __future__ import annotations

import contextlib
import queue as stdqueue
import threading
from collections.abc import Callable

from reeleditor.core.progress import Progress
from reeleditor.upload.queue import UploadEntry, UploadQueue
from reeleditor.upload.transfer import Control, Uploader

ProgressCallback = Callable[[str, Progress], None]
# (entry id, the entry when it stopped cleanly or None, the error or None)
FinishedCallback = Callable[[str, "UploadEntry | None", "BaseException | None"], None]
RESUMABLE = ("queued", "uploading", "verifying")


class UploadWorker:
    """Runs `Uploader.run` for submitted entries on its own thread, never the caller's.

    Callbacks are called on the worker thread: a Qt wrapper turns them into queued signals.
    Every error of an upload reaches `on_finished`; none is swallowed.
    """

    def __init__(
        self,
        uploader: Uploader,
        on_progress: ProgressCallback | None = None,
        on_finished: FinishedCallback | None = None,
    ) -> None:
        self.uploader = uploader
        self.queue: UploadQueue = uploader.queue
        self.on_progress = on_progress or (lambda entry_id, progress: None)
        self.on_finished = on_finished or (lambda entry_id, entry, error: None)
        self._pending: stdqueue.Queue[str | None] = stdqueue.Queue()
        self._lock = threading.Lock()
        self._current: tuple[str, Control] | None = None
        self._thread = threading.Thread(target=self._loop, name="upload-worker", daemon=True)

    # -- control, from any thread ----------------------------------------------------------
    def start(self, resume_unfinished: bool = True) -> UploadWorker:
        """Start the thread; by default pick up what a previous run left unfinished."""
        if resume_unfinished:
            for entry in self.queue.list():
                if entry.state in RESUMABLE and not entry.cancel_requested:
                    self.submit(entry.id)
        self._thread.start()
        return self

    def submit(self, entry_id: str) -> None:
        """Queue an entry for upload (a paused one is resumed)."""
        self._pending.put(entry_id)

    def resume(self, entry_id: str) -> None:
        entry = self.queue.get(entry_id)
        if entry.state in ("paused", "failed"):
            self.queue.update(entry_id, state="queued")
        self.submit(entry_id)

    def pause(self, entry_id: str) -> None:
        with self._lock:
            if self._current and self._current[0] == entry_id:
                self._current[1].request("pause")
                return
        entry = self.queue.get(entry_id)
        if entry.state in RESUMABLE:
            self.queue.update(entry_id, state="paused")

    def cancel(self, entry_id: str) -> None:
        with self._lock:
            if self._current and self._current[0] == entry_id:
                self._current[1].request("cancel")
                return
        self.queue.update(entry_id, cancel_requested=True)
        self.submit(entry_id)  # the loop deletes the server's upload and the entry

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop the running upload (it stays queued and resumes next start); end the thread."""
        with self._lock:
            if self._current:
                self._current[1].request("stop")
        self._pending.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # -- the thread --------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            entry_id = self._pending.get()
            if entry_id is None:
                return
            try:
                entry = self.queue.get(entry_id)
            except Exception as exc:
                self.on_finished(entry_id, None, exc)
                continue
            if entry.state == "done" or (entry.state == "paused" and not entry.cancel_requested):
                continue
            self._run(entry_id)

    def _run(self, entry_id: str) -> None:
        control = Control()
        with self._lock:
            self._current = (entry_id, control)
        work = self.uploader.run(entry_id, control)
        try:
            for progress in work:
                self.on_progress(entry_id, progress)
        except Exception as exc:  # Cancelled included: every error reaches one place
            self.on_finished(entry_id, None, exc)
        else:
            entry = None
            with contextlib.suppress(Exception):
                entry = self.queue.get(entry_id)
            self.on_finished(entry_id, entry, None)
        finally:
            work.close()
            with self._lock:
                self._current = None
