"""The catalog in SQL: accounts, uploads, reels and the job journal (SQLite or PostgreSQL).

`SqlCatalog` holds every query; a dialect subclass supplies connections, the placeholder
style and the per-upload lock. The SQL is the portable subset both engines run: TEXT,
BIGINT, DOUBLE PRECISION, integer flags, JSON kept as TEXT.

Every state change that must be exactly-once is a conditional UPDATE (`... WHERE finished =
0`, `... WHERE worker = ? AND state = 'running'`) whose row count says who won, so two nodes
or two workers racing on the same row cannot both win, on either engine.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from reeleditor.cloud.contracts import Account, Job, JobState, Locked, Reel, ReelState, Upload

SCHEMA_VERSION = 1

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS accounts (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, token_sha256 TEXT NOT NULL UNIQUE,
        created DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS uploads (
        id TEXT PRIMARY KEY, owner TEXT NOT NULL, length BIGINT, upload_offset BIGINT NOT NULL,
        metadata TEXT NOT NULL, object_key TEXT NOT NULL, storage_state TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL, expires DOUBLE PRECISION NOT NULL,
        finished INTEGER NOT NULL DEFAULT 0, sha256 TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX IF NOT EXISTS uploads_expires ON uploads (finished, expires)",
    """CREATE TABLE IF NOT EXISTS reels (
        id TEXT PRIMARY KEY, owner TEXT NOT NULL, state TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',
        prefix TEXT NOT NULL DEFAULT '', meta TEXT NOT NULL DEFAULT '{}',
        created DOUBLE PRECISION NOT NULL, updated DOUBLE PRECISION NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS reels_owner ON reels (owner, created)",
    "CREATE INDEX IF NOT EXISTS reels_state ON reels (state, created)",
    """CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY, reel_id TEXT NOT NULL, state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, not_before DOUBLE PRECISION NOT NULL DEFAULT 0,
        lease_until DOUBLE PRECISION NOT NULL DEFAULT 0, worker TEXT NOT NULL DEFAULT '',
        last_error TEXT NOT NULL DEFAULT '', created DOUBLE PRECISION NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS jobs_due ON jobs (state, not_before)",
    "CREATE INDEX IF NOT EXISTS jobs_reel ON jobs (reel_id)",
)

_UPLOAD_COLS = (
    "id, owner, length, upload_offset, metadata, object_key, storage_state, created, expires, "
    "finished, sha256"
)
_REEL_COLS = "id, owner, state, title, reason, prefix, meta, created, updated"
_JOB_COLS = "id, reel_id, state, attempts, not_before, lease_until, worker, last_error"
# runnable: queued and due, or running with a lapsed lease (its worker died or hung)
_RUNNABLE = "((state = 'queued' AND not_before <= ?) OR (state = 'running' AND lease_until < ?))"


class SchemaError(Exception):
    """The catalog was written by a newer reeleditor (its schema version is higher)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _upload(row) -> Upload:
    return Upload(
        id=row[0],
        owner=row[1],
        length=row[2],
        offset=row[3],
        metadata=json.loads(row[4]),
        key=row[5],
        storage_state=json.loads(row[6]),
        created=row[7],
        expires=row[8],
        finished=bool(row[9]),
        sha256=row[10],
    )


def _reel(row) -> Reel:
    return Reel(
        id=row[0],
        owner=row[1],
        state=ReelState(row[2]),
        title=row[3],
        reason=row[4],
        prefix=row[5],
        meta=json.loads(row[6]),
        created=row[7],
        updated=row[8],
    )


def _job(row) -> Job:
    return Job(
        id=row[0],
        reel_id=row[1],
        state=JobState(row[2]),
        attempts=row[3],
        not_before=row[4],
        lease_until=row[5],
        worker=row[6],
        last_error=row[7],
    )


class SqlCatalog:
    """The Catalog protocol on a DB-API connection; subclasses say how to get one."""

    _for_update = ""  # PostgreSQL: " FOR UPDATE" (SQLite transactions lock the file)
    _skip_locked = ""  # PostgreSQL: claimers racing for "any job" pass over each other's

    def _tx(self) -> contextlib.AbstractContextManager:
        """A cursor inside one transaction: committed on exit, rolled back on error."""
        raise NotImplementedError

    def upload_lock(self, upload_id: str) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql

    def _run(self, cur, sql: str, params: tuple = ()):
        cur.execute(self._sql(sql), params)
        return cur

    def _schema_guard(self, cur) -> None:
        """PostgreSQL serialises schema creation between nodes starting at once."""

    def _create_schema(self) -> None:
        with self._tx() as cur:
            self._schema_guard(cur)
            for statement in SCHEMA:
                self._run(cur, statement)
            row = self._run(cur, "SELECT version FROM schema_version").fetchone()
            if row is None:
                self._run(cur, "INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            elif row[0] > SCHEMA_VERSION:
                raise SchemaError(
                    f"the catalog has schema version {row[0]}; this reeleditor knows "
                    f"{SCHEMA_VERSION} (upgrade reeleditor)"
                )

    # accounts

    def add_account(self, name: str) -> tuple[Account, str]:
        account = Account(uuid.uuid4().hex, name)
        token = secrets.token_urlsafe(32)
        with self._tx() as cur:
            self._run(
                cur,
                "INSERT INTO accounts (id, name, token_sha256, created) VALUES (?, ?, ?, ?)",
                (account.id, name, token_hash(token), time.time()),
            )
        return account, token

    def account_for_token(self, token: str) -> Account | None:
        with self._tx() as cur:
            row = self._run(
                cur, "SELECT id, name FROM accounts WHERE token_sha256 = ?", (token_hash(token),)
            ).fetchone()
        return Account(row[0], row[1]) if row else None

    def has_accounts(self) -> bool:
        with self._tx() as cur:
            return self._run(cur, "SELECT 1 FROM accounts LIMIT 1").fetchone() is not None

    # uploads

    def create_upload(self, upload: Upload) -> None:
        meta = upload.metadata
        title = meta.get("title") or meta.get("filename") or ""
        with self._tx() as cur:
            self._run(
                cur,
                f"INSERT INTO uploads ({_UPLOAD_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    upload.id,
                    upload.owner,
                    upload.length,
                    upload.offset,
                    json.dumps(meta),
                    upload.key,
                    json.dumps(upload.storage_state),
                    upload.created,
                    upload.expires,
                    int(upload.finished),
                    upload.sha256,
                ),
            )
            self._run(
                cur,
                f"INSERT INTO reels ({_REEL_COLS}) VALUES (?, ?, ?, ?, '', '', '{{}}', ?, ?)",
                (upload.id, upload.owner, ReelState.UPLOADING.value, title, upload.created,
                 upload.created),
            )  # fmt: skip

    def get_upload(self, upload_id: str) -> Upload | None:
        with self._tx() as cur:
            row = self._run(
                cur, f"SELECT {_UPLOAD_COLS} FROM uploads WHERE id = ?", (upload_id,)
            ).fetchone()
        return _upload(row) if row else None

    def record_offset(self, upload_id: str, offset: int, storage_state: dict) -> None:
        with self._tx() as cur:
            self._run(
                cur,
                "UPDATE uploads SET upload_offset = ?, storage_state = ? WHERE id = ?",
                (offset, json.dumps(storage_state), upload_id),
            )

    def set_length(self, upload_id: str, length: int) -> None:
        """Upload-Defer-Length: the length, once the client knows it."""
        with self._tx() as cur:
            self._run(
                cur,
                "UPDATE uploads SET length = ? WHERE id = ? AND length IS NULL",
                (length, upload_id),
            )

    def finish_upload(self, upload_id: str, sha256: str) -> Job | None:
        now = time.time()
        job = Job(uuid.uuid4().hex, upload_id, JobState.QUEUED, not_before=now)
        with self._tx() as cur:
            won = self._run(
                cur,
                "UPDATE uploads SET finished = 1, sha256 = ? WHERE id = ? AND finished = 0",
                (sha256, upload_id),
            ).rowcount
            if won != 1:
                return None
            self._run(
                cur,
                "UPDATE reels SET state = ?, updated = ? WHERE id = ? AND state = ?",
                (ReelState.QUEUED.value, now, upload_id, ReelState.UPLOADING.value),
            )
            self._run(
                cur,
                "INSERT INTO jobs (id, reel_id, state, attempts, not_before, created) "
                "VALUES (?, ?, ?, 0, ?, ?)",
                (job.id, upload_id, job.state.value, now, now),
            )
        return job

    def delete_upload(self, upload_id: str) -> None:
        """The upload row goes; so does its reel while nothing was published from it."""
        with self._tx() as cur:
            self._run(cur, "DELETE FROM uploads WHERE id = ?", (upload_id,))
            self._run(
                cur,
                "DELETE FROM reels WHERE id = ? AND state = ?",
                (upload_id, ReelState.UPLOADING.value),
            )

    def expired_uploads(self, now: float) -> list[Upload]:
        """Unfinished uploads past their expiry (finished ones belong to their reel)."""
        with self._tx() as cur:
            rows = self._run(
                cur,
                f"SELECT {_UPLOAD_COLS} FROM uploads WHERE finished = 0 AND expires < ?",
                (now,),
            ).fetchall()
        return [_upload(r) for r in rows]

    # reels

    def get_reel(self, reel_id: str) -> Reel | None:
        with self._tx() as cur:
            row = self._run(
                cur, f"SELECT {_REEL_COLS} FROM reels WHERE id = ?", (reel_id,)
            ).fetchone()
        return _reel(row) if row else None

    def list_reels(
        self,
        owner: str | None = None,
        state: ReelState | None = None,
        *,
        playable: bool = False,
        limit: int | None = None,
        before: tuple[float, str] | None = None,
    ) -> list[Reel]:
        where, params = [], []
        if owner is not None:
            where.append("owner = ?")
            params.append(owner)
        if state is not None:
            where.append("state = ?")
            params.append(ReelState(state).value)
        if playable:  # ready, or processing with its preview published
            where.append("(state = ? OR (state = ? AND prefix != ''))")
            params += [ReelState.READY.value, ReelState.PROCESSING.value]
        if before is not None:  # the page after (created, id), in (created DESC, id) order
            where.append("(created < ? OR (created = ? AND id > ?))")
            params += [before[0], before[0], before[1]]
        sql = f"SELECT {_REEL_COLS} FROM reels"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created DESC, id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._tx() as cur:
            rows = self._run(cur, sql, tuple(params)).fetchall()
        return [_reel(r) for r in rows]

    def delete_reel(self, reel_id: str) -> None:
        """The reel, its jobs and its upload row; the caller removes the stored objects."""
        with self._tx() as cur:
            for table, column in (("jobs", "reel_id"), ("uploads", "id"), ("reels", "id")):
                self._run(cur, f"DELETE FROM {table} WHERE {column} = ?", (reel_id,))

    # jobs

    def get_job(self, job_id: str) -> Job | None:
        with self._tx() as cur:
            row = self._run(cur, f"SELECT {_JOB_COLS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def jobs_for_reel(self, reel_id: str) -> list[Job]:
        with self._tx() as cur:
            rows = self._run(
                cur, f"SELECT {_JOB_COLS} FROM jobs WHERE reel_id = ? ORDER BY created", (reel_id,)
            ).fetchall()
        return [_job(r) for r in rows]

    def claim_job(self, job_id: str | None, worker: str, lease: float) -> Job | None:
        for _ in range(5):  # another worker may take the candidate between SELECT and UPDATE
            now = time.time()
            with self._tx() as cur:
                if job_id is None:
                    row = self._run(
                        cur,
                        f"SELECT id FROM jobs WHERE {_RUNNABLE} ORDER BY not_before LIMIT 1"
                        + self._skip_locked,
                        (now, now),
                    ).fetchone()
                    if row is None:
                        return None
                    candidate = row[0]
                else:
                    candidate = job_id
                won = self._run(
                    cur,
                    "UPDATE jobs SET state = 'running', worker = ?, lease_until = ?, "
                    f"attempts = attempts + 1 WHERE id = ? AND {_RUNNABLE}",
                    (worker, now + lease, candidate, now, now),
                ).rowcount
                if won == 1:
                    row = self._run(
                        cur, f"SELECT {_JOB_COLS} FROM jobs WHERE id = ?", (candidate,)
                    ).fetchone()
                    return _job(row)
            if job_id is not None:
                return None
        return None

    def renew_lease(self, job_id: str, worker: str, lease: float) -> bool:
        with self._tx() as cur:
            return (
                self._run(
                    cur,
                    "UPDATE jobs SET lease_until = ? "
                    "WHERE id = ? AND worker = ? AND state = 'running'",
                    (time.time() + lease, job_id, worker),
                ).rowcount
                == 1
            )

    def release_jobs(self, worker: str) -> int:
        """Lapse the leases of jobs claimed under `worker` (a name, as run_job prefixes its
        claims): that process is gone, its successor starts now. How many were released."""
        prefix = f"{worker}/"
        with self._tx() as cur:
            return self._run(
                cur,
                "UPDATE jobs SET lease_until = 0 "
                "WHERE state = 'running' AND substr(worker, 1, ?) = ?",
                (len(prefix), prefix),
            ).rowcount

    def set_reel_processing(self, reel_id: str) -> None:
        with self._tx() as cur:
            self._run(
                cur,
                "UPDATE reels SET state = ?, updated = ? WHERE id = ? AND state = ?",
                (ReelState.PROCESSING.value, time.time(), reel_id, ReelState.QUEUED.value),
            )

    def _end_job(self, cur, job_id: str, worker: str, state: JobState, error: str) -> str | None:
        """Our running job moves to `state`; its reel id, or None when it was not ours."""
        won = self._run(
            cur,
            "UPDATE jobs SET state = ?, last_error = ?, lease_until = 0 "
            "WHERE id = ? AND worker = ? AND state = 'running'",
            (state.value, error, job_id, worker),
        ).rowcount
        if won != 1:
            return None
        return self._run(cur, "SELECT reel_id FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]

    def publish(self, job_id: str, worker: str, prefix: str, meta: dict) -> bool:
        with self._tx() as cur:
            reel_id = self._end_job(cur, job_id, worker, JobState.DONE, "")
            if reel_id is None:
                return False
            self._run(
                cur,
                "UPDATE reels SET state = ?, prefix = ?, meta = ?, reason = '', updated = ? "
                "WHERE id = ?",
                (ReelState.READY.value, prefix, json.dumps(meta), time.time(), reel_id),
            )
        return True

    def publish_preview(self, job_id: str, worker: str, prefix: str, meta: dict) -> bool:
        """A first stage: prefix and meta set, the reel still processing. An empty prefix
        (the poster alone, not playable) never replaces a playable preview of an earlier run."""
        with self._tx() as cur:
            reel_id = self._running_job_reel(cur, job_id, worker)
            if reel_id is None:
                return False
            self._run(
                cur,
                "UPDATE reels SET prefix = ?, meta = ?, updated = ? "
                "WHERE id = ? AND state = ? AND (? != '' OR prefix = '')",
                (prefix, json.dumps(meta), time.time(), reel_id, ReelState.PROCESSING.value,
                 prefix),
            )  # fmt: skip
        return True

    def _running_job_reel(self, cur, job_id: str, worker: str) -> str | None:
        """The reel of our running job, its row locked; None when the job is not ours."""
        row = self._run(
            cur,
            "SELECT reel_id FROM jobs WHERE id = ? AND worker = ? AND state = 'running'"
            + self._for_update,
            (job_id, worker),
        ).fetchone()
        return row[0] if row else None

    def retry_later(self, job_id: str, worker: str, error: str, not_before: float) -> None:
        with self._tx() as cur:
            self._run(
                cur,
                "UPDATE jobs SET state = 'queued', not_before = ?, last_error = ?, worker = '', "
                "lease_until = 0 WHERE id = ? AND worker = ? AND state = 'running'",
                (not_before, error, job_id, worker),
            )

    def fail(self, job_id: str, worker: str, reason: str) -> None:
        with self._tx() as cur:
            reel_id = self._end_job(cur, job_id, worker, JobState.FAILED, reason)
            if reel_id is not None:
                self._run(
                    cur,
                    "UPDATE reels SET state = ?, reason = ?, updated = ? "
                    "WHERE id = ? AND state != ?",
                    (ReelState.FAILED.value, reason, time.time(), reel_id, ReelState.READY.value),
                )

    def due_jobs(self, now: float) -> list[Job]:
        with self._tx() as cur:
            rows = self._run(
                cur,
                f"SELECT {_JOB_COLS} FROM jobs WHERE {_RUNNABLE} ORDER BY not_before",
                (now, now),
            ).fetchall()
        return [_job(r) for r in rows]


class SqliteCatalog(SqlCatalog):
    """The embedded catalog: one file, WAL, one connection shared under a lock.

    One process owns it (the embedded server and its in-process workers), so the
    per-upload lock is an in-process lock. `synchronous=NORMAL` in WAL mode survives a
    killed process (only a power cut can lose the last commits, and then the folder store
    truncates back to the older offset it is told)."""

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=30
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._guard = threading.RLock()
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._create_schema()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Cursor]:
        with self._guard:
            cur = self._conn.cursor()
            # IMMEDIATE takes the write lock up front: a worker process sharing the file
            # waits (busy_timeout) instead of failing half-way through a transaction
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
            finally:
                cur.close()

    @contextlib.contextmanager
    def upload_lock(self, upload_id: str) -> Iterator[None]:
        with self._locks_guard:  # acquire and forget under one guard: no orphaned lock
            lock = self._locks.setdefault(upload_id, threading.Lock())
            if not lock.acquire(blocking=False):
                raise Locked(upload_id)
        try:
            yield
        finally:
            with self._locks_guard:
                lock.release()
                del self._locks[upload_id]

    def close(self) -> None:
        with self._guard:
            self._conn.close()
