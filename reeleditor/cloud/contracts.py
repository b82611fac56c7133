"""The seams of the cloud: catalog, object storage and job queue, as the handlers see them.

One code base, two shapes (DESIGN.md): the embedded shape plugs SQLite, a folder and an
in-process runner into these; the scale-out shape plugs PostgreSQL, S3 and Redis (Dramatiq).
Ingest and API handlers (cloud/ingest.py, cloud/api.py) and workers (cloud/jobs.py) speak
only these interfaces, so every test of the protocol runs against both shapes.

Everything here is synchronous (boto3, psycopg and sqlite3 are): aiohttp handlers call it
through `asyncio.to_thread`, never on the event loop.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol


class ReelState(str, enum.Enum):
    """What `GET /api/reels/{id}` says; a reel only moves forward (ready/failed are final)."""

    UPLOADING = "uploading"
    QUEUED = "queued"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class JobState(str, enum.Enum):
    QUEUED = "queued"  # waiting; `not_before` delays a retry
    RUNNING = "running"  # claimed by a worker whose lease runs until `lease_until`
    DONE = "done"
    FAILED = "failed"  # gave up: bad input, or out of attempts


@dataclass(frozen=True)
class Account:
    id: str
    name: str


@dataclass(frozen=True)
class Upload:
    """One tus upload. `storage_state` is the object store's own resumable state (JSON)."""

    id: str  # 32 hex chars, unguessable; also the reel's id
    owner: str  # account id ("" on a server without accounts)
    length: int | None  # None while deferred (Upload-Defer-Length)
    offset: int
    metadata: dict[str, str]
    key: str  # where the bytes go in the object store
    storage_state: dict
    created: float
    expires: float
    finished: bool = False  # offset reached length and a job was queued (exactly once)
    sha256: str = ""  # of the stored bytes, once finished


@dataclass(frozen=True)
class Reel:
    id: str
    owner: str
    state: ReelState
    title: str = ""
    reason: str = ""  # failed: what went wrong, in a user's words, no server paths
    prefix: str = ""  # ready: content-addressed folder of the published files
    meta: dict = field(default_factory=dict)  # ready: duration, size, files, poster, ...
    created: float = 0.0
    updated: float = 0.0


@dataclass(frozen=True)
class Job:
    id: str
    reel_id: str
    state: JobState
    attempts: int = 0
    not_before: float = 0.0
    lease_until: float = 0.0
    worker: str = ""
    last_error: str = ""


class Locked(Exception):
    """Another request (on this node or another) holds the upload: answer 423."""


class Catalog(Protocol):
    """Accounts, uploads, reels and the job journal; SQLite or PostgreSQL behind it."""

    # accounts
    def add_account(self, name: str) -> tuple[Account, str]:
        """A new account and its token (shown once; only a hash is stored)."""

    def account_for_token(self, token: str) -> Account | None: ...

    def has_accounts(self) -> bool:
        """Whether any account exists (then uploads and the API need a token)."""

    # uploads
    def create_upload(self, upload: Upload) -> None:
        """Insert the upload and its reel (state uploading) in one transaction."""

    def get_upload(self, upload_id: str) -> Upload | None: ...

    def upload_lock(self, upload_id: str) -> AbstractContextManager[None]:
        """Held for one PATCH/DELETE across every node; raises Locked when taken.

        PostgreSQL: a session advisory lock (released by the server when a killed node's
        connection drops); SQLite (one process): an in-process lock.
        """

    def record_offset(self, upload_id: str, offset: int, storage_state: dict) -> None: ...

    def set_length(self, upload_id: str, length: int) -> None:
        """Upload-Defer-Length: record the length once the client sends it (only if unset)."""

    def finish_upload(self, upload_id: str, sha256: str) -> Job | None:
        """Mark finished, set the reel queued and journal its job, atomically.

        Returns the new job the first time only; None when already finished (a repeated
        PATCH must never queue the work again).
        """

    def delete_upload(self, upload_id: str) -> None: ...

    def expired_uploads(self, now: float) -> list[Upload]: ...

    # reels
    def get_reel(self, reel_id: str) -> Reel | None: ...

    def list_reels(
        self,
        owner: str | None = None,
        state: ReelState | None = None,
        *,
        playable: bool = False,
        limit: int | None = None,
        before: tuple[float, str] | None = None,
    ) -> list[Reel]:
        """Newest first (created DESC, id); owner None means all. `playable`: ready, or
        processing with a preview published; `before` (created, id): the page after it."""

    def delete_reel(self, reel_id: str) -> None: ...

    # jobs (at-least-once; the work itself is idempotent)
    def claim_job(self, job_id: str | None, worker: str, lease: float) -> Job | None:
        """Take a runnable job (that one, or any when None): queued and due, or running
        with an expired lease (its worker died). Increments attempts. None if none."""

    def release_jobs(self, worker: str) -> int:
        """Lapse the leases held under a worker name (its process is gone: a restart)."""

    def renew_lease(self, job_id: str, worker: str, lease: float) -> bool:
        """Extend the lease while working; False when the job is no longer ours."""

    def set_reel_processing(self, reel_id: str) -> None: ...

    def publish(self, job_id: str, worker: str, prefix: str, meta: dict) -> bool:
        """Job done and reel ready with `prefix`, in one transaction; False if the job was
        taken from us meanwhile (another worker publishes, not us)."""

    def publish_preview(self, job_id: str, worker: str, prefix: str, meta: dict) -> bool:
        """A first stage under `prefix` (playable), or with an empty prefix only its meta
        (the poster, for the owner; never over a playable preview); the reel stays processing
        and the job running. False if the job is no longer ours."""

    def retry_later(self, job_id: str, worker: str, error: str, not_before: float) -> None: ...

    def fail(self, job_id: str, worker: str, reason: str) -> None:
        """Job failed for good; the reel failed with `reason` (user's words)."""

    def due_jobs(self, now: float) -> list[Job]:
        """Queued jobs due now and running ones with expired leases (for the sweeper)."""

    def get_job(self, job_id: str) -> Job | None: ...

    def jobs_for_reel(self, reel_id: str) -> list[Job]:
        """Oldest first (one per finished upload; tests and support read them)."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str  # strong validator, quoted
    modified: float
    content_type: str


class UploadSink(Protocol):
    """Appends one PATCH body to a resumable upload; nothing is visible until commit."""

    def write(self, data: bytes) -> None:
        """Accept more bytes (memory stays bounded: S3 parts are spooled, then sent)."""

    def commit(self) -> tuple[int, dict]:
        """Make what was written durable; returns (new offset, new storage state)."""

    def discard(self) -> None:
        """Forget this body (checksum mismatch, client gone): the offset stays as it was."""


class ObjectStore(Protocol):
    """A folder or an S3 bucket. Keys are '/'-separated; never starting with '/'."""

    # resumable uploads (tus)
    def begin_upload(self, key: str) -> dict:
        """Start an upload at `key`; returns its storage state (kept in the catalog)."""

    def open_sink(self, key: str, state: dict, offset: int) -> UploadSink: ...

    def finish_upload(self, key: str, state: dict) -> None:
        """Every byte is in: make `key` one object (S3: complete the multipart upload)."""

    def abort_upload(self, key: str, state: dict) -> None:
        """Termination or expiry: remove every stored byte of the upload."""

    # objects
    def put_file(self, key: str, path: str, content_type: str) -> None: ...

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None: ...

    def fetch_to_file(self, key: str, path: str) -> None: ...

    def stat(self, key: str) -> ObjectInfo | None: ...

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes [start, end) in chunks of at most 1 MiB (end None: to the end)."""

    def delete(self, key: str) -> None: ...

    def list_keys(self, prefix: str) -> list[str]:
        """Every key under `prefix`, sorted (a write in progress is not listed)."""

    def delete_prefix(self, prefix: str) -> None: ...


class JobQueue(Protocol):
    """Wakes a worker for a journaled job. Losing a message loses nothing: the sweeper
    re-sends what the catalog says is due."""

    def send(self, job_id: str, delay: float = 0.0) -> None:
        """Wake a worker for the job, not before `delay` seconds (a retry's backoff)."""

    def close(self) -> None:
        """Stop what this queue started (its sweeper, in-process workers)."""
