"""The catalog on PostgreSQL (psycopg 3): the scale-out shape, shared by every node and worker.

Queries are SqlCatalog's; this adds a small connection pool and the per-upload lock.

The upload lock is a session advisory lock (`pg_try_advisory_lock`) taken on a connection
held for the whole PATCH and used for nothing else: a node killed mid-PATCH drops its
connection and the server releases the lock with it, so the client's resume through
another node gets in. One connection per PATCH in flight (idle ones are kept for reuse).
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
from collections.abc import Iterator

from reeleditor.cloud.catalog import SqlCatalog
from reeleditor.cloud.contracts import Locked

SCHEMA_LOCK = (0x7265656C, 1)  # ("reel", 1): the two-int key space, apart from uploads'
KEEP_IDLE = 16


def lock_key(upload_id: str) -> int:
    """A signed 64-bit key for the upload (advisory locks take a bigint)."""
    return int.from_bytes(hashlib.sha256(upload_id.encode()).digest()[:8], "big", signed=True)


class PostgresCatalog(SqlCatalog):
    _skip_locked = " FOR UPDATE SKIP LOCKED"
    _for_update = " FOR UPDATE"

    def __init__(self, url: str, pool_size: int = 8) -> None:
        import psycopg

        self._psycopg = psycopg
        self._url = url
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(pool_size)
        self._lock_idle: queue.LifoQueue = queue.LifoQueue()
        self._closed = False
        try:
            self._create_schema()
        except psycopg.OperationalError as exc:
            from reeleditor.cloud.urls import CloudConfigError, redact

            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0].strip()
            raise CloudConfigError(f"cannot reach the catalog {redact(url)}: {reason}") from exc

    def __repr__(self) -> str:
        return "PostgresCatalog()"

    def _connect(self):
        return self._psycopg.connect(
            self._url,
            autocommit=True,  # transactions are explicit (conn.transaction())
            connect_timeout=10,
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
        )

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def _schema_guard(self, cur) -> None:
        # two nodes starting at once would race on CREATE TABLE IF NOT EXISTS
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", SCHEMA_LOCK)

    @contextlib.contextmanager
    def _borrow(self, idle: queue.LifoQueue) -> Iterator:
        try:
            conn = idle.get_nowait()
        except queue.Empty:
            conn = self._connect()
        try:
            yield conn
        finally:
            idle_now = self._psycopg.pq.TransactionStatus.IDLE
            if (
                not conn.closed
                and conn.info.transaction_status == idle_now
                and not self._closed
                and idle.qsize() < KEEP_IDLE
            ):
                idle.put(conn)
            else:
                conn.close()  # broken, mid-transaction, or surplus: never reused

    @contextlib.contextmanager
    def _tx(self) -> Iterator:
        with (
            self._slots,
            self._borrow(self._idle) as conn,
            conn.transaction(),
            conn.cursor() as cur,
        ):
            yield cur

    @contextlib.contextmanager
    def upload_lock(self, upload_id: str) -> Iterator[None]:
        key = lock_key(upload_id)
        with self._borrow(self._lock_idle) as conn:
            held = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
            if held:
                try:
                    yield
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
        if not held:
            raise Locked(upload_id)

    def close(self) -> None:
        self._closed = True
        for idle in (self._idle, self._lock_idle):
            while True:
                try:
                    idle.get_nowait().close()
                except queue.Empty:
                    break
