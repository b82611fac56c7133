"""Which queued upload runs next, how the running one is paused, stopped or cancelled, and
how each run ended (an `UploadOutcome`, never a guess from the entry's state).

No thread lives here. The app runs `UploadScheduler.work()` as a task of its task runner
(`ui/workers.py`), one at a time, so upload results reach the window by the same path as
every other background result; a test or a script can drive `work()` on any thread. The
command line does not need this: `reeleditor upload` drives `Uploader.run` itself.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from enum import Enum

from reeleditor.core.errors import Cancelled, UploadError
from reeleditor.core.progress import Progress
from reeleditor.upload.errors import AuthFailed, EndpointUnreachable, plain
from reeleditor.upload.queue import UploadEntry, UploadQueue
from reeleditor.upload.transfer import Control, Uploader

log = logging.getLogger(__name__)
RESUMABLE = ("queued", "uploading", "verifying")
OLD_CHECK = "the server's offset confirmed every byte"  # done before entries said more


class UploadOutcome(Enum):
    """How one run of an upload ended."""

    DONE = "done"  # every byte on the server, and checked (see UploadEntry.verified)
    PAUSED = "paused"  # by the user; resumes on request
    STOPPED = "stopped"  # by the app (closing, settings): still queued, resumes next start
    CANCELLED = "cancelled"  # deleted here and, when it could be told, on the server
    FAILED = "failed"  # needs the user: token refused, file changed, server says no
    OFFLINE = "offline"  # the endpoint did not answer: still queued, worth retrying later


@dataclass(frozen=True)
class UploadResult:
    entry_id: str
    outcome: UploadOutcome
    entry: UploadEntry | None = None  # as stored after the run (None once cancelled)
    message: str = ""  # one line for the user, in plain words (no ids, paths or commands)
    auth_failed: bool = False  # the server refused the token


def describe_done(entry: UploadEntry) -> str:
    return f"Uploaded {entry.title or entry.name}: {entry.verified or OLD_CHECK}"


def describe(result: UploadResult) -> str:
    """One line a user reads, for each outcome."""
    entry = result.entry
    name = (entry.title or entry.name) if entry else "the upload"
    if result.outcome is UploadOutcome.DONE and entry is not None:
        return describe_done(entry)
    if result.outcome is UploadOutcome.PAUSED:
        done = entry.offset / entry.size * 100 if entry and entry.size else 0
        return f"Paused {name} at {done:.0f}%"
    if result.outcome is UploadOutcome.STOPPED:
        return f"Stopped {name}: it continues when uploads start again"
    if result.outcome is UploadOutcome.CANCELLED:
        return f"Cancelled {name}"
    return result.message


class UploadScheduler:
    """A FIFO of entry ids to upload and the one run in progress (never two).

    `take_next()` hands out the next entry with its `Control` only when no run is in
    progress; `work()` is that run. Control methods may be called from any thread.
    """

    def __init__(self, uploader: Uploader) -> None:
        self.uploader = uploader
        self.queue: UploadQueue = uploader.queue
        self._pending: deque[str] = deque()
        self._lock = threading.Lock()
        self._current: tuple[str, Control] | None = None

    # -- what runs next ----------------------------------------------------------------------
    def submit(self, entry_id: str, first: bool = False) -> None:
        """Queue an entry for upload (once; `first` puts it ahead of the others)."""
        with self._lock:
            if self._current and self._current[0] == entry_id:
                return
            if first:
                if entry_id in self._pending:
                    self._pending.remove(entry_id)
                self._pending.appendleft(entry_id)
            elif entry_id not in self._pending:
                self._pending.append(entry_id)

    def submit_unfinished(self) -> None:
        """Queue what a previous run left unfinished (not the paused ones)."""
        for entry in self.queue.list():
            if entry.state in RESUMABLE and not entry.cancel_requested:
                self.submit(entry.id)

    @property
    def pending(self) -> list[str]:
        with self._lock:
            return list(self._pending)

    @property
    def running(self) -> str | None:
        """The id of the entry being uploaded, if any."""
        with self._lock:
            return self._current[0] if self._current else None

    def take_next(self, skip: Callable[[str], bool] | None = None) -> tuple[str, Control] | None:
        """The next entry to run (the first one `skip` does not refuse) and its control;
        None while a run is in progress."""
        with self._lock:
            if self._current is not None:
                return None
            entry_id = next((e for e in self._pending if not (skip and skip(e))), None)
            if entry_id is None:
                return None
            self._pending.remove(entry_id)
            self._current = (entry_id, Control())
            return self._current

    def release(self, entry_id: str) -> None:
        """The run of `entry_id` is over (also when it was closed before it ever started)."""
        with self._lock:
            if self._current and self._current[0] == entry_id:
                self._current = None

    # -- control -----------------------------------------------------------------------------
    def resume(self, entry_id: str) -> None:
        entry = self.queue.get(entry_id)
        if entry.state in ("paused", "failed"):
            self.queue.update(entry_id, state="queued")
        self.submit(entry_id, first=True)

    def pause(self, entry_id: str) -> None:
        with self._lock:
            if self._current and self._current[0] == entry_id:
                self._current[1].request("pause")
                return
            if entry_id in self._pending:
                self._pending.remove(entry_id)
        entry = self.queue.get(entry_id)
        if entry.state in RESUMABLE:
            self.queue.update(entry_id, state="paused", last_error="")

    def cancel(self, entry_id: str) -> None:
        """Cancel: the run deletes the server's upload, then the entry (network: not here)."""
        with self._lock:
            if self._current and self._current[0] == entry_id:
                self._current[1].request("cancel")
                return
        self.queue.update(entry_id, cancel_requested=True)
        self.submit(entry_id, first=True)

    def stop(self) -> list[str]:
        """Drain the pending entries and ask the running one to stop; returns the drained ids.

        Everything stays queued on disk and resumes at the next `submit_unfinished()`.
        Whoever runs `work()` learns the end from its return (UploadOutcome.STOPPED).
        """
        with self._lock:
            drained = list(self._pending)
            self._pending.clear()
            if self._current:
                self._current[1].request("stop")
        return drained

    def discard(self, entry_id: str) -> None:
        """Take an entry off the pending ones (it ended otherwise than it was queued for)."""
        with self._lock:
            if entry_id in self._pending:
                self._pending.remove(entry_id)

    def restart(self) -> str | None:
        """Stop the running upload so that it runs again (first) with new settings; its id."""
        with self._lock:
            if self._current is None:
                return None
            entry_id, control = self._current
            if control.action:  # a pause, stop or cancel asked already wins
                return None
            control.request("stop")
            self._pending.appendleft(entry_id)
            return entry_id

    # -- the run -----------------------------------------------------------------------------
    def work(self, entry_id: str, control: Control) -> Generator[Progress, None, UploadResult]:
        """Upload one entry (on any thread but the GUI's); every ending is an UploadResult."""
        try:
            entry = self.queue.get(entry_id)
            if entry.state == "done" and not entry.cancel_requested:
                return UploadResult(entry_id, UploadOutcome.DONE, entry, describe_done(entry))
            if entry.state == "paused" and not entry.cancel_requested:
                return UploadResult(entry_id, UploadOutcome.PAUSED, entry)
            entry = yield from self.uploader.run(entry_id, control, interrupted="queued")
        except Cancelled:
            return UploadResult(entry_id, UploadOutcome.CANCELLED)
        except EndpointUnreachable as exc:
            log.info("upload %s offline: %s", entry_id, exc)
            return UploadResult(entry_id, UploadOutcome.OFFLINE, self._get(entry_id), plain(exc))
        except AuthFailed as exc:
            log.warning("upload %s: %s", entry_id, exc)
            entry = self._get(entry_id)
            return UploadResult(entry_id, UploadOutcome.FAILED, entry, plain(exc), auth_failed=True)
        except UploadError as exc:
            log.warning("upload %s failed: %s", entry_id, exc)
            return UploadResult(entry_id, UploadOutcome.FAILED, self._get(entry_id), plain(exc))
        except Exception as exc:  # a bug or a broken disk: logged in full, shown in one line
            log.exception("upload %s failed unexpectedly", entry_id)
            message = f"upload {entry_id} failed: {type(exc).__name__}: {exc}"
            reason = f"The upload failed unexpectedly ({type(exc).__name__}); see the log"
            try:
                self.queue.update(entry_id, state="failed", last_error=message, reason=reason)
            except Exception:
                log.warning("could not mark upload %s failed", entry_id, exc_info=True)
            return UploadResult(entry_id, UploadOutcome.FAILED, self._get(entry_id), reason)
        finally:
            self.release(entry_id)
        if entry.state == "done":
            return UploadResult(entry_id, UploadOutcome.DONE, entry, describe_done(entry))
        if entry.state == "paused":
            return UploadResult(entry_id, UploadOutcome.PAUSED, entry)
        return UploadResult(entry_id, UploadOutcome.STOPPED, entry)

    def _get(self, entry_id: str) -> UploadEntry | None:
        try:
            return self.queue.get(entry_id)
        except UploadError:
            return None
        except Exception:
            log.warning("could not read upload %s", entry_id, exc_info=True)
            return None
