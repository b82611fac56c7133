"""Upload errors and the retry policy: which failures are retried, how long to wait."""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass
from enum import Enum

from reeleditor.core.errors import UploadError

# The tree, like httpx documents its own:
#
#   UploadError (core)                 fails the upload; str() is one line for a user
#   +-- InvalidEndpoint                the endpoint URL is not an http(s) URL
#   +-- EndpointUnreachable            retried transient failures until the time ran out
#   +-- NotTusServer                   the endpoint answers, but not as a tus 1.0.0 server
#   +-- AuthFailed                     401 / 403: the token is missing or wrong
#   +-- VerificationFailed             the finished upload on the server is not the file
#   +-- ServerRejected                 another 4xx; carries the server's own message
#   +-- SourceFileError                the local file is gone or changed since queueing
#   +-- UploadBusy                     another process is uploading this entry
#   +-- EntryNotFound                  no queue entry with that id
#
#   Transient (not a user error)       one failed request worth retrying after a delay
#   +-- Unreachable                    no answer at all: refused, unknown host, connect timeout
#   +-- UploadGone                     404 / 410 / expired: the server forgot the upload
#   +-- OffsetConflict                 409: our offset is not the server's; HEAD and resync
#   +-- ChecksumMismatch               460: the chunk arrived damaged; send it again
#
#   Interrupted (not a user error)     a stop or cancel was asked mid-chunk: request abandoned
#
# The window shows an error's `Problem` (plain words, see `plain()`); str() of an error is
# for the command line and the log, with ids, paths and the command to run.


class Problem(Enum):
    """What went wrong, in the words the window shows: no ids, paths or commands (those go
    to the log, and the command line adds its own hint)."""

    FILE_GONE = "The exported file is gone: publish again"
    FILE_CHANGED = "The exported file changed after it was queued: publish again"
    FILE_UNREADABLE = "The exported file cannot be read: publish again"
    NOT_WHOLE = "The server does not hold the whole reel: resume to send the rest"
    DIFFERS = "The server's copy did not match the reel and was discarded: resume to send it again"
    FORGOTTEN = "The server lost the upload before it could be checked: resume to send it again"
    OFFLINE = "The server did not answer; the upload stays queued"
    TOKEN = "The server refused the token: check it in Settings"
    TOO_BIG = "The reel is larger than the server accepts"


class _Described(UploadError):
    """An UploadError that may say what went wrong as a `Problem` for the window."""

    problem: Problem | None = None

    def __init__(self, message: str, hint: str = "", problem: Problem | None = None) -> None:
        super().__init__(message, hint)
        if problem is not None:
            self.problem = problem


def plain(exc: BaseException) -> str:
    """The window's words for an error: its Problem, else its message without the CLI hint."""
    problem = getattr(exc, "problem", None)
    if isinstance(problem, Problem):
        return problem.value
    return getattr(exc, "message", None) or str(exc)


class InvalidEndpoint(UploadError):
    """The endpoint is not an http(s) URL."""


class EndpointUnreachable(_Described):
    """The endpoint could not be reached (or kept failing) for the whole retry window."""

    problem = Problem.OFFLINE


class NotTusServer(UploadError):
    """The endpoint answers, but not as a tus 1.0.0 server."""


class AuthFailed(UploadError):
    """The server refused the token (401 or 403)."""

    problem = Problem.TOKEN


class VerificationFailed(_Described):
    """After the last byte the server reports another length, offset or sha256 than the file's."""


class ServerRejected(_Described):
    """The server refused the upload with a 4xx that a retry will not fix."""

    def __init__(
        self, message: str, hint: str = "", status: int = 0, problem: Problem | None = None
    ) -> None:
        super().__init__(message, hint, problem)
        self.status = status


class SourceFileError(_Described):
    """The file to upload is missing, unreadable or no longer the queued one."""


class UploadBusy(UploadError):
    """Another process is already uploading this entry."""


class EntryNotFound(UploadError):
    """No upload queue entry with that id."""


class Transient(Exception):
    """One request failed in a way a later attempt may not; `retry_after` is the server's hint."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Unreachable(Transient):
    """No HTTP answer at all (refused, unknown host, connect timeout): maybe offline."""


class Interrupted(Exception):
    """A stop or cancel was asked while a chunk was being sent; the request was abandoned."""


class UploadGone(Transient):
    """The server no longer knows the upload (404, 410 or expired): create a new one."""


class OffsetConflict(Transient):
    """409: the offset we sent is not the server's; ask with HEAD and continue from there."""


class ChecksumMismatch(Transient):
    """460: the chunk's checksum did not match on the server; resend the same chunk."""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with jitter, bounded by a total time without progress."""

    base: float = 0.5  # first delay, seconds
    cap: float = 30.0  # no single delay is longer, unless the server's Retry-After says so
    max_retry_after: float = 300.0  # a Retry-After beyond this is clipped
    give_up_after: float = 120.0  # seconds of failures in a row before the upload stops
    # An endpoint that never answered in this run (nothing listens, no network) is given
    # up on sooner: `reeleditor upload` must fail fast there, and the upload stays queued.
    offline_give_up_after: float = 10.0
    fast_retries: int = 3  # 460 / 409 / 404 resyncs allowed in a row before backing off

    def delay(self, failures: int, retry_after: float | None = None, rng=random) -> float:
        """The wait before attempt number `failures` + 1 (failures >= 1)."""
        ceiling = min(self.cap, self.base * (2 ** max(0, failures - 1)))
        wait = ceiling / 2 + rng.uniform(0, ceiling / 2)  # "equal jitter": never zero
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_retry_after))
        return wait
