"""Runs one queue entry to the end: check the file, resync with the server, PATCH each chunk."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Generator
from pathlib import Path

from reeleditor.core.errors import Cancelled
from reeleditor.core.progress import Progress
from reeleditor.upload.chunks import ChunkBody, chunk_digest, file_sha256
from reeleditor.upload.control import Control, RateMeter, UploadProgress, fmt_time
from reeleditor.upload.errors import (
    AuthFailed,
    ChecksumMismatch,
    EndpointUnreachable,
    Interrupted,
    OffsetConflict,
    Problem,
    RetryPolicy,
    ServerRejected,
    SourceFileError,
    Transient,
    Unreachable,
    UploadError,
    UploadGone,
    VerificationFailed,
    plain,
)
from reeleditor.upload.queue import UploadEntry, UploadQueue
from reeleditor.upload.tus import DEFAULT_TIMEOUT, ServerInfo, TusClient, UploadInfo

log = logging.getLogger(__name__)
MiB = 1024 * 1024
DEFAULT_CHUNK = 8 * MiB


def human_size(n: float) -> str:
    if n >= MiB:
        return f"{n / MiB:.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{int(n)} bytes"


def file_changed(entry: UploadEntry) -> SourceFileError:
    return SourceFileError(
        f"{entry.file} changed since upload {entry.id} was queued (its sha256 differs); "
        "refusing to upload it under that entry",
        f"queue it again with 'reeleditor upload {entry.file}'",
        Problem.FILE_CHANGED,
    )


def file_missing(entry: UploadEntry) -> SourceFileError:
    return SourceFileError(
        f"{entry.file} no longer exists (upload {entry.id})",
        f"restore it and run 'reeleditor uploads resume {entry.id}', or cancel the upload",
        Problem.FILE_GONE,
    )


def retry_words(exc: Exception) -> str:
    """Why a request is tried again, in words for a progress line: no upload URL (it
    holds the server's upload id); the short cause ('connection refused', '503 ...')."""
    if isinstance(exc, Unreachable):
        words = "the server does not answer"
    elif isinstance(exc, UploadGone):
        words = "the server lost the upload; starting it again"
    elif isinstance(exc, OffsetConflict):
        words = "catching up with the server"
    elif isinstance(exc, ChecksumMismatch):
        words = "a piece arrived damaged; sending it again"
    elif "timed out" in str(exc):
        words = "the server is slow to answer"
    else:
        words = "the connection failed"
    cause = str(exc).rsplit(": ", 1)[-1]
    return f"{words} ({cause})" if ": " in str(exc) and "/" not in cause else words


TokenSource = str | Callable[[str], "str | None"] | None


class Uploader:
    """Uploads queue entries; one instance per worker. `run()` is a Progress generator.

    `token` is one token, or a function of the entry's endpoint (so a token is only ever
    sent to the server it belongs to). `on_token_accepted(endpoint, token)` is called, on
    the uploading thread, once per run when the server has taken a POST or PATCH carrying
    `token` (the one this run uses; OPTIONS and HEAD prove nothing, many servers answer them
    to anyone): a new token is kept only from then on. `on_token_refused(endpoint, token)`
    is called when the server refused the token this run used (401 / 403).
    """

    def __init__(
        self,
        queue: UploadQueue,
        token: TokenSource = None,
        *,
        chunk_size: int = DEFAULT_CHUNK,
        policy: RetryPolicy | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        client_factory: Callable[..., TusClient] = TusClient,
        on_token_accepted: Callable[[str, str], None] | None = None,
        on_token_refused: Callable[[str, str], None] | None = None,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk size must be positive")
        self.queue = queue
        self.token = token
        self.chunk_size = chunk_size
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self.client_factory = client_factory
        self.on_token_accepted = on_token_accepted
        self.on_token_refused = on_token_refused

    def token_for(self, endpoint: str) -> str | None:
        return self.token(endpoint) if callable(self.token) else self.token

    def run(
        self,
        entry_id: str,
        control: Control | None = None,
        trusted_sha256: str = "",
        interrupted: str = "paused",
    ) -> Generator[Progress, None, UploadEntry]:
        """Upload one entry to the end (or until paused / stopped / cancelled); returns it.

        The file's sha256 is checked against the entry before any byte is sent, unless the
        caller has just computed it (`trusted_sha256`). A run closed from outside (Ctrl-C,
        the generator closed) leaves the entry in state `interrupted`: 'paused' for the
        command line (resumed on request), 'queued' for the app (resumed at next start).
        """
        control = control or Control()
        lock = self.queue.claim(entry_id)
        client = None
        fileobj = None
        finished = False
        token = None
        try:
            entry = self.queue.get(entry_id)
            if entry.state == "done":
                finished = True
                return entry
            if entry.cancel_requested:
                raise Cancelled(f"upload {entry_id} cancelled")
            stat = yield from self._verify_source(entry, trusted_sha256)
            entry = self.queue.update(
                entry_id, state="uploading", attempts=entry.attempts + 1, last_error="", reason=""
            )
            fileobj = open(entry.file, "rb")  # noqa: SIM115 - closed in finally
            token = self.token_for(entry.endpoint)
            client = self.client_factory(entry.endpoint, token, timeout=self.timeout)
            # the token to report accepted, once, with the token this run's requests carry
            pending = [token] if token and self.on_token_accepted else []
            entry, last = yield from self._transfer(entry, client, fileobj, stat, control, pending)
            if entry.state in ("paused", "queued"):  # paused, or stopped to resume later
                finished = True
                return entry
            entry = self.queue.update(entry_id, state="verifying")
            yield Progress("verifying", entry.size, entry.size, entry.name)
            # The file is as it was when its sha256 matched the entry (same size and mtime
            # before that check and now), so the bytes sent are the queued file; not
            # re-reading 200 MiB here keeps the upload near curl's speed. What the server
            # holds is asked (HEAD), and its sha256 compared when the server reports one.
            self._check_unchanged(entry, stat)
            checked = yield from self._verify(entry, client, control, last)
            if isinstance(checked, UploadEntry):  # paused or stopped while verifying
                finished = True
                return checked
            entry = self.queue.update(
                entry_id,
                state="done",
                offset=entry.size,
                last_error="",
                reason="",
                verified=checked,
            )
            finished = True
            return entry
        except Cancelled:
            self._cancel(entry_id, client)
            finished = True
            raise
        except SourceFileError as exc:
            self._fail(entry_id, "failed", exc)
            finished = True
            raise
        except EndpointUnreachable as exc:
            self._fail(entry_id, "queued", exc)  # nothing is wrong with the upload itself
            finished = True
            raise
        except AuthFailed as exc:
            self._fail(entry_id, "failed", exc)
            finished = True
            if token and self.on_token_refused:
                self.on_token_refused(entry.endpoint, token)
            raise
        except UploadError as exc:
            self._fail(entry_id, "failed", exc)
            finished = True
            raise
        finally:
            if not finished:  # interrupted (Ctrl-C, generator closed, crash): resumable
                try:
                    current = self.queue.get(entry_id)
                    if current.state in ("uploading", "verifying"):
                        self.queue.update(entry_id, state=interrupted, last_error="interrupted")
                except Exception:  # the queue itself failing must not hide the first error
                    log.warning("could not mark upload %s %s", entry_id, interrupted, exc_info=True)
            if fileobj is not None:
                fileobj.close()
            if client is not None:
                client.close()
            lock.release()

    # -- steps ---------------------------------------------------------------------------
    def _verify_source(
        self, entry: UploadEntry, trusted_sha256: str = ""
    ) -> Generator[Progress, None, os.stat_result]:
        """Refuse a missing or changed file; returns its stat from before the sha256 check."""
        path = Path(entry.file)
        try:
            stat = path.stat()
            size = stat.st_size
        except FileNotFoundError:
            raise file_missing(entry) from None
        except OSError as exc:
            raise SourceFileError(
                f"cannot read {entry.file}: {exc.strerror}", problem=Problem.FILE_UNREADABLE
            ) from exc
        if size != entry.size:
            raise file_changed(entry)
        digest = trusted_sha256 or (yield from file_sha256(path, "checking"))
        if digest != entry.sha256:
            raise file_changed(entry)
        return stat

    def _transfer(
        self,
        entry: UploadEntry,
        client: TusClient,
        fileobj,
        stat,
        control: Control,
        pending: list[str],
    ) -> Generator[Progress, None, tuple[UploadEntry, UploadInfo | None]]:
        """PATCH chunk after chunk; returns the entry and the server's last answer."""
        policy = self.policy
        info: ServerInfo | None = None
        url = entry.upload_url
        if url and entry.expires and entry.expires < time.time():
            url = ""  # expired on the server: start a new upload, do not ask for the old one
        offset: int | None = None  # unknown until the server tells us
        failures = 0  # failed attempts in a row
        quick = 0  # 409 / 460 / 404 resyncs in a row
        last_ok = time.monotonic()
        reached = False  # has the server answered anything in this run?
        last: UploadInfo | None = None
        meter = RateMeter()
        meter.add(0)
        sent = 0

        while True:
            entry = self._check_control(entry, control)
            if entry.state in ("paused", "queued"):
                return entry, None
            try:
                if info is None:
                    info = client.options()
                    if info.max_size is not None and entry.size > info.max_size:
                        raise ServerRejected(
                            f"{entry.name} is {entry.size / MiB:.1f} MiB; {entry.endpoint} "
                            f"takes at most {info.max_size / MiB:.1f} MiB",
                            problem=Problem.TOO_BIG,
                        )
                algo = info.checksum()
                if not url:
                    body = None
                    checksum = None
                    if "creation-with-upload" in info.extensions and entry.size:
                        length = min(self.chunk_size, entry.size)
                        body = ChunkBody(fileobj, 0, length, control.aborting)
                        if algo:
                            checksum = (algo, chunk_digest(fileobj, 0, length, algo))
                    created = client.create(entry.size, self._metadata(entry), body, checksum)
                    self._accepted(entry, pending)
                    last = created
                    url, offset = created.url, created.offset
                    sent += offset
                    entry = self.queue.update(
                        entry.id, upload_url=url, offset=offset, expires=created.expires
                    )
                elif offset is None:
                    head = client.head(url)
                    last = head
                    if head.length not in (None, entry.size) or head.offset > entry.size:
                        raise UploadGone(f"{url} is a different upload")
                    offset = head.offset
                    self.queue.record_progress(entry.id, url, offset, head.expires)
                if offset >= entry.size:
                    return entry, last
                self._check_unchanged(entry, stat)
                length = min(self.chunk_size, entry.size - offset)
                body = ChunkBody(fileobj, offset, length, control.aborting)
                checksum = (algo, chunk_digest(fileobj, offset, length, algo)) if algo else None
                result = client.patch(url, offset, body, checksum)
                self._accepted(entry, pending)
                last = result
                if result.offset <= offset or result.offset > entry.size:
                    offset = None  # the server took nothing (or too much?): ask again
                    raise Transient(f"PATCH {url}: the server's offset did not advance")
                sent += result.offset - offset
                offset = result.offset
                self.queue.record_progress(entry.id, url, offset, result.expires)
                if failures or quick:
                    entry = self.queue.update(entry.id, last_error="")
                failures = quick = 0
                last_ok = time.monotonic()
            except Interrupted:
                offset = None  # the server kept some of the chunk, or none: HEAD will say
                continue  # the stop or cancel is honoured at the top of the loop
            except UploadGone as exc:
                url, offset = "", None
                entry = self.queue.update(entry.id, upload_url="", offset=0, last_error=str(exc))
                quick += 1
                if quick > policy.fast_retries:
                    failures += 1
                    yield from self._wait(entry, control, policy.delay(failures), exc, last_ok)
                continue
            except (OffsetConflict, ChecksumMismatch) as exc:
                if isinstance(exc, OffsetConflict):
                    offset = None
                quick += 1
                if quick > policy.fast_retries:
                    failures += 1
                    yield from self._wait(entry, control, policy.delay(failures), exc, last_ok)
                continue
            except Transient as exc:
                offset = None  # what reached the server is unknown: HEAD before the next PATCH
                failures += 1
                reached = reached or not isinstance(exc, Unreachable)
                delay = policy.delay(failures, exc.retry_after)
                window = policy.give_up_after if reached else policy.offline_give_up_after
                yield from self._wait(entry, control, delay, exc, last_ok, window)
                continue
            reached = True
            rate = meter.add(sent)
            left = (entry.size - offset) / rate if rate > 0 else None
            yield UploadProgress(
                "upload",
                offset,
                entry.size,
                f"{entry.name} {offset / MiB:.1f}/{entry.size / MiB:.1f} MiB, "
                f"{rate / MiB:.1f} MiB/s, {fmt_time(left)} left",
                entry_id=entry.id,
                rate=rate,
                eta=left,
            )

    def _wait(
        self,
        entry: UploadEntry,
        control: Control,
        delay: float,
        exc: Exception,
        last_ok: float,
        window: float | None = None,
    ) -> Generator[Progress, None, None]:
        """Back off before the next attempt, or give up when failing for longer than `window`."""
        reason = getattr(exc, "reason", str(exc))
        window = self.policy.give_up_after if window is None else window
        self.queue.update(entry.id, last_error=reason)
        if time.monotonic() + delay - last_ok > window:  # the next try would be too late
            raise EndpointUnreachable(
                f"upload {entry.id} stopped after {time.monotonic() - last_ok:.0f} s of "
                f"failures: {reason}",
                f"it stays queued: 'reeleditor uploads resume {entry.id}'",
            )
        end = time.monotonic() + delay
        while (left := end - time.monotonic()) > 0:
            yield UploadProgress(
                "upload",
                entry.offset,
                entry.size,
                f"{entry.name}: {retry_words(exc)}; retrying in {left:.1f}s",
                entry_id=entry.id,
            )
            if control.event.wait(min(left, 0.5)):
                return  # pause / cancel: handled at the top of the loop
            current = self.queue.get(entry.id)
            if current.state == "paused" or current.cancel_requested:
                return  # asked by another process: handled at the top of the loop

    def _check_control(self, entry: UploadEntry, control: Control) -> UploadEntry:
        """Honour a pause or cancel asked by this process (control) or another (the entry)."""
        current = self.queue.get(entry.id)
        action = control.current
        if action == "cancel" or current.cancel_requested:
            raise Cancelled(f"upload {entry.id} cancelled")
        if action == "pause" and current.state != "paused":
            current = self.queue.update(entry.id, state="paused", last_error="")
        elif action == "stop":
            current = self.queue.update(entry.id, state="queued", last_error="")
        return current

    def _accepted(self, entry: UploadEntry, pending: list[str]) -> None:
        """The server took a POST or PATCH with this run's token: report that token, once."""
        if pending:
            self.on_token_accepted(entry.endpoint, pending.pop())

    def _verify(
        self, entry: UploadEntry, client: TusClient, control: Control, last: UploadInfo | None
    ) -> Generator[Progress, None, str | UploadEntry]:
        """Ask the server what it holds now (HEAD after the last PATCH); say what was checked.

        Returns the words for the entry's `verified`, or the entry when paused or stopped
        meanwhile. VerificationFailed when the server holds other bytes than the file's.
        """
        failures = 0
        last_ok = time.monotonic()
        while True:
            try:
                head = client.head(entry.upload_url)
                break
            except UploadGone:
                # Some servers hand a finished upload on and forget it: the last answer is
                # all there is to go by.
                if last is None or last.offset != entry.size:
                    self._forget_upload(entry, None)
                    raise VerificationFailed(
                        f"the server forgot upload {entry.id} before it could be checked",
                        f"send it again: 'reeleditor uploads resume {entry.id}'",
                        Problem.FORGOTTEN,
                    ) from None
                head = UploadInfo(entry.upload_url, last.offset, entry.size, None, last.sha256)
                break
            except Transient as exc:
                failures += 1
                delay = self.policy.delay(failures, exc.retry_after)
                yield from self._wait(entry, control, delay, exc, last_ok)
                current = self._check_control(entry, control)
                if current.state in ("paused", "queued"):
                    return current
        if head.offset != entry.size or head.length not in (None, entry.size):
            expects = f", of an upload of {head.length}" if head.length != entry.size else ""
            raise VerificationFailed(
                f"upload {entry.id} is not whole on the server: it holds {head.offset} "
                f"bytes of {entry.size}{expects}",
                f"resume it: 'reeleditor uploads resume {entry.id}'",
                Problem.NOT_WHOLE,
            )
        held = f"server holds {human_size(head.offset)} of {human_size(entry.size)}"
        sha256 = head.sha256 or (last.sha256 if last else "")
        if not sha256:
            return f"{held}; server did not report a sha256: offset checked only"
        if sha256 != entry.sha256:
            # Resuming that upload would only find it complete and fail the same way again:
            # delete it on the server and forget it, so the next run starts a fresh one.
            self._forget_upload(entry, client)
            raise VerificationFailed(
                f"the server's copy of {entry.name} differs from the file: its sha256 is "
                f"{sha256[:12]}…, the file's is {entry.sha256[:12]}…; it was discarded",
                f"send it again: 'reeleditor uploads resume {entry.id}'",
                Problem.DIFFERS,
            )
        return f"{held}; sha256 confirmed by server"

    def _forget_upload(self, entry: UploadEntry, client: TusClient | None) -> None:
        """Delete the server's copy when it answers, and clear it from the entry."""
        if client is not None:
            try:
                client.terminate(entry.upload_url)
            except (UploadError, Transient) as exc:  # its expiry cleans up later
                log.warning("could not delete %s on the server: %s", entry.upload_url, exc)
        self.queue.update(entry.id, upload_url="", offset=0, expires=None)

    def _check_unchanged(self, entry: UploadEntry, stat: os.stat_result) -> None:
        try:
            now = os.stat(entry.file)
        except FileNotFoundError:
            raise file_missing(entry) from None
        if (now.st_size, now.st_mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            raise file_changed(entry)

    @staticmethod
    def _metadata(entry: UploadEntry) -> dict[str, str]:
        meta = {
            "filename": entry.name,
            "filetype": entry.filetype,
            "title": entry.title,
            "draft_id": entry.draft_id,
            "sha256": entry.sha256,
        }
        if entry.cover is not None:
            meta["cover"] = f"{entry.cover:.3f}"  # the poster's time; the server checks it
        if entry.captions:
            meta["captions"] = entry.captions  # WebVTT; the cloud serves it as subtitles
            if entry.captions_burned:  # also in the picture: the cloud offers them off
                meta["captions_burned"] = "1"
        return meta

    def _fail(self, entry_id: str, state: str, exc: Exception) -> None:
        try:
            log.info("upload %s %s: %s", entry_id, state, exc)
            self.queue.update(entry_id, state=state, last_error=str(exc), reason=plain(exc))
        except Exception:  # the upload's own error is what the caller reports
            log.warning("could not mark upload %s %s", entry_id, state, exc_info=True)

    def cancel(self, entry_id: str) -> str | None:
        """Cancel an entry no worker holds: delete the server's upload, then the entry.

        Returns a warning when the server could not be told (its expiry cleans up later).
        """
        lock = self.queue.claim(entry_id)
        try:
            return self._cancel(entry_id, None)
        finally:
            lock.release()

    def _cancel(self, entry_id: str, client: TusClient | None) -> str | None:
        """Delete the server's upload (termination) and the queue entry."""
        warning = None
        try:
            entry = self.queue.get(entry_id)
            if entry.upload_url and entry.state != "done":
                own = client is None
                token = self.token_for(entry.endpoint)
                client = client or self.client_factory(entry.endpoint, token, timeout=(5, 10))
                try:
                    client.terminate(entry.upload_url)
                finally:
                    if own:
                        client.close()
        except (UploadError, Transient) as exc:
            reason = getattr(exc, "reason", None) or str(exc)
            warning = f"could not delete the partial upload on the server ({reason})"
        self.queue.remove(entry_id)
        return warning
