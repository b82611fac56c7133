"""tus 1.0.0 ingest on aiohttp: create, HEAD, PATCH (streamed to the object store), DELETE.

Order of checks on every request, before one body byte is read: Tus-Resumable (412), the
token (401), the upload and its owner (404; 410 once expired), the headers (400, 409, 413,
415), the per-upload lock (423). Any error answered before the body closes the connection
without reading it (the runner's `lingering_time=0`), so a refused 4 GiB PATCH costs nothing.

Bodies go to the store's UploadSink in ~1 MiB batches through `asyncio.to_thread`; aiohttp
stops reading the socket while its small buffer is full, so memory stays bounded whatever
the body's size. Each read has its own timeout: a stalled PATCH ends, what arrived is
committed (unless a checksum was sent), and the lock is released for the client's resume.

Extensions: creation, creation-with-upload, creation-defer-length, termination, checksum
(sha1, sha256, md5), expiration. A chunked PATCH (no Content-Length) is streamed like any
other, bounded by Upload-Length (or Tus-Max-Size while the length is deferred). Beyond
tus, a finished upload is answered (last PATCH or POST, and HEAD) with
`Upload-Sha256-Verified: <hex>`, the sha256 of the stored bytes, which the app's client
compares with its file (reeleditor/upload/transfer.py). It is hashed as the bytes are
written when every PATCH of the upload came through this node, else read back once from
the store when the last byte is in (the worker checks it again before publishing).
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import hashlib
import logging
import os
import queue
import re
import threading
import time
import uuid
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import replace

from aiohttp import web

from reeleditor.cloud.auth import Auth, Denied
from reeleditor.cloud.contracts import Catalog, JobQueue, Locked, ObjectStore, Upload
from reeleditor.cloud.objects import FolderStore
from reeleditor.cloud.writeback import start_writeback

log = logging.getLogger("reeleditor.cloud.ingest")

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,creation-defer-length,termination,checksum,expiration"
CHECKSUMS = {"sha256": hashlib.sha256, "sha1": hashlib.sha1, "md5": hashlib.md5}
OCTETS = "application/offset+octet-stream"
SHA256_HEADER = "Upload-Sha256-Verified"
MAX_SIZE = 4 << 30
EXPIRE_SECONDS = 24 * 3600  # an unfinished upload is kept a day, then it is gone (410)
BATCH = 1 << 20  # bytes handed to the writer thread at a time
DEPTH = 3  # batches queued for the writer thread before the reader waits (backpressure)
READ_TIMEOUT = 30.0  # seconds one read of a body may wait for bytes
RUNNING_MAX = 4096  # uploads whose running sha256 a node keeps between PATCHes
_ID_RE = re.compile(r"^[a-f0-9]{32}$")


def parse_metadata(header: str) -> dict[str, str]:
    """Upload-Metadata: 'key base64,key2 base64' -> dict; raises ValueError on bad input."""
    meta = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, value = pair.partition(" ")
        if not key or " " in value or not key.isascii():
            raise ValueError(f"bad metadata pair {pair!r}")
        meta[key] = base64.b64decode(value, validate=True).decode("utf-8") if value else ""
    return meta


_STOP = object()


class _Pipe:
    """One PATCH body on its way to the sink: the reader coroutine hands batches (lists of
    blocks) to one writer thread of its own through a queue of at most DEPTH batches, so the
    socket is read while the previous batch is written and hashed. When the queue is full
    the reader waits, aiohttp stops reading the socket, and memory stays bounded (DEPTH + 1
    batches and aiohttp's read buffer). The thread is the PATCH's own, not the shared
    executor's: a stalled body must not hold a thread other requests wait for."""

    def __init__(self, store: ObjectStore, upload: Upload, offset: int, *digests) -> None:
        self._loop = asyncio.get_running_loop()
        self._slots = asyncio.Semaphore(DEPTH)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._done = self._loop.create_future()
        self._sink = None
        self._open = (store, upload.key, upload.storage_state, offset)
        self._digests = [d for d in digests if d is not None]
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self._thread.start()

    # on the writer thread
    def _run(self) -> None:
        store, key, state, offset = self._open
        fd = -1
        try:
            self._sink = store.open_sink(key, state, offset)
            if isinstance(store, FolderStore):  # its own fd on the file, for writeback only
                fd = os.open(store.path(key), os.O_RDONLY)
            while (item := self._queue.get()) is not _STOP:
                data = item[0] if len(item) == 1 else b"".join(item)
                del item
                self._sink.write(data)
                if fd >= 0:  # to disk now, so the commit's fsync does not wait for all of it
                    start_writeback(fd, offset, len(data))
                offset += len(data)
                for digest in self._digests:
                    digest.update(data)
                del data
                self._call(self._slots.release)
        except BaseException as exc:
            error = exc
        else:
            error = None
        finally:
            if fd >= 0:
                os.close(fd)
        self._call(self._settle, error)

    def _call(self, fn, *args) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closed: the server is going down
            pass

    # on the event loop
    def _settle(self, exc: BaseException | None) -> None:
        if not self._done.done():
            if exc is None:
                self._done.set_result(self._sink)
            else:
                self._done.set_exception(exc)
        self._slots.release()  # a reader waiting for room sees the end

    async def put(self, blocks: list[bytes]) -> None:
        if not self._done.done():
            await self._slots.acquire()
        if self._done.done():
            self._done.result()  # the writer failed: its error
            raise RuntimeError("the writer has ended")
        self._queue.put(blocks)

    async def close(self):
        """Every batch is written (not yet committed): the sink."""
        self._queue.put(_STOP)
        return await asyncio.shield(self._done)

    async def abort(self) -> None:
        """Stop the writer and discard what it wrote (nothing counts until a commit)."""
        self._queue.put(_STOP)
        try:
            await self._done
        except BaseException:
            pass
        if self._sink is not None:
            sink, self._sink = self._sink, None
            await asyncio.to_thread(sink.discard)


class TusError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Ingest:
    """The tus handlers over one catalog, object store and queue."""

    def __init__(
        self,
        catalog: Catalog,
        store: ObjectStore,
        queue: JobQueue,
        auth: Auth,
        *,
        max_size: int = MAX_SIZE,
        expire_seconds: float = EXPIRE_SECONDS,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.catalog, self.store, self.queue, self.auth = catalog, store, queue, auth
        self.max_size = max_size
        self.expire_seconds = expire_seconds
        self.read_timeout = read_timeout
        self._running: OrderedDict[str, tuple[int, object]] = OrderedDict()  # id: (offset, sha256)

    def routes(self, prefix: str = "/files") -> list[web.RouteDef]:
        return [
            web.options(prefix, self.options),
            web.options(prefix + "/", self.options),
            web.options(prefix + "/{id}", self.options),
            web.post(prefix, self.create, expect_handler=self.expect),
            web.post(prefix + "/", self.create, expect_handler=self.expect),
            web.head(prefix + "/{id}", self.head),
            web.patch(prefix + "/{id}", self.patch, expect_handler=self.expect),
            web.delete(prefix + "/{id}", self.delete),
        ]

    # -- answers ------------------------------------------------------------------------------
    @staticmethod
    def reply(status: int, headers: dict | None = None, text: str = "") -> web.Response:
        resp = web.Response(status=status, text=text or None, headers={"Tus-Resumable": "1.0.0"})
        for key, value in (headers or {}).items():
            resp.headers[key] = str(value)
        if status >= 400:
            resp.force_close()  # the unread body, if any, is never read (lingering_time=0)
        return resp

    def _expires(self, upload: Upload) -> str:
        return email.utils.formatdate(upload.expires, usegmt=True)

    # -- checks before any body byte ----------------------------------------------------------
    async def _gate(self, request: web.Request) -> str:
        """Tus-Resumable and the token; returns the owner id the request speaks for."""
        if request.headers.get("Tus-Resumable") != TUS_VERSION:
            raise TusError(412, "Tus-Resumable: 1.0.0 is required")
        try:
            return await self.auth.owner(request)
        except Denied as exc:
            raise TusError(401, str(exc)) from None

    async def _upload(self, request: web.Request, owner: str) -> Upload:
        upload_id = request.match_info["id"]
        upload = None
        if _ID_RE.match(upload_id):
            upload = await asyncio.to_thread(self.catalog.get_upload, upload_id)
        if upload is None or (self.auth.required and upload.owner != owner):
            raise TusError(404, "no such upload")
        if not upload.finished and time.time() > upload.expires:
            await self._drop_expired(upload)
            raise TusError(410, "this upload expired; create a new one")
        return upload

    async def expect(self, request: web.Request) -> None:
        """Expect: 100-continue is only granted once the request may send its body."""
        try:
            owner = await self._gate(request)
            if "id" in request.match_info:
                await self._upload(request, owner)
        except TusError as exc:
            return self.reply(exc.status, text=str(exc))
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0
        return None

    # -- handlers -----------------------------------------------------------------------------
    async def options(self, request: web.Request) -> web.Response:
        return self.reply(
            204,
            {
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": EXTENSIONS,
                "Tus-Checksum-Algorithm": ",".join(CHECKSUMS),
                "Tus-Max-Size": self.max_size,
            },
        )

    async def create(self, request: web.Request) -> web.Response:
        try:
            owner = await self._gate(request)
            deferred = request.headers.get("Upload-Defer-Length")
            try:
                if deferred is not None and (deferred != "1" or "Upload-Length" in request.headers):
                    raise ValueError
                length = None if deferred else int(request.headers["Upload-Length"])
                if length is not None and length < 0:
                    raise ValueError
                metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
            except (KeyError, ValueError, UnicodeError):
                raise TusError(
                    400,
                    "Upload-Length must be a whole number (or Upload-Defer-Length: 1 alone); "
                    "metadata values base64",
                ) from None
            if length is not None and length > self.max_size:
                raise TusError(413, f"uploads are limited to {self.max_size} bytes")
            has_body = request.can_read_body
            if has_body and request.headers.get("Content-Type") != OCTETS:
                raise TusError(415, f"a body needs Content-Type: {OCTETS}")
            upload_id = uuid.uuid4().hex
            key = f"uploads/{upload_id}"
            now = time.time()
            state = await asyncio.to_thread(self.store.begin_upload, key)
            upload = Upload(
                upload_id, owner, length, 0, metadata, key, state, now, now + self.expire_seconds
            )
            await asyncio.to_thread(self.catalog.create_upload, upload)
            headers = {"Location": f"/files/{upload_id}", "Upload-Expires": self._expires(upload)}
            if has_body or length == 0:
                async with self._locked(upload_id):
                    upload = await self._receive(request, upload, 0)
                headers["Upload-Offset"] = upload.offset
                if upload.finished:
                    headers[SHA256_HEADER] = upload.sha256
            return self.reply(201, headers)
        except TusError as exc:
            return self.reply(exc.status, text=str(exc))

    async def head(self, request: web.Request) -> web.Response:
        try:
            owner = await self._gate(request)
            upload = await self._upload(request, owner)
            if not upload.finished and upload.offset == upload.length:
                async with self._locked(upload.id):  # died between last byte and job: finish
                    upload = await self._finish(await self._fresh(upload))
        except TusError as exc:
            return self.reply(exc.status)
        headers = {
            "Upload-Offset": upload.offset,
            "Upload-Expires": self._expires(upload),
            "Cache-Control": "no-store",
        }
        if upload.length is None:
            headers["Upload-Defer-Length"] = 1
        else:
            headers["Upload-Length"] = upload.length
        if upload.finished:
            headers[SHA256_HEADER] = upload.sha256
        return self.reply(200, headers)

    async def patch(self, request: web.Request) -> web.Response:
        try:
            owner = await self._gate(request)
            upload = await self._upload(request, owner)
            if request.headers.get("Content-Type") != OCTETS:
                raise TusError(415, f"PATCH needs Content-Type: {OCTETS}")
            try:
                offset = int(request.headers["Upload-Offset"])
            except (KeyError, ValueError):
                raise TusError(400, "Upload-Offset (a whole number) is required") from None
            async with self._locked(upload.id, lambda: self.catalog.get_upload(upload.id)) as fresh:
                if fresh is None:
                    raise TusError(404, "no such upload")
                upload = await self._learn_length(request, fresh)
                upload = await self._receive(request, upload, offset)
        except TusError as exc:
            return self.reply(exc.status, text=str(exc))
        headers = {"Upload-Offset": upload.offset, "Upload-Expires": self._expires(upload)}
        if upload.finished:
            headers[SHA256_HEADER] = upload.sha256
        return self.reply(204, headers)

    async def delete(self, request: web.Request) -> web.Response:
        try:
            owner = await self._gate(request)
            upload = await self._upload(request, owner)
            if upload.finished:
                raise TusError(409, f"this upload is finished: delete /api/reels/{upload.id}")
            async with self._locked(upload.id):
                await self._drop(upload)
        except TusError as exc:
            return self.reply(exc.status, text=str(exc))
        return self.reply(204)

    # -- the body -------------------------------------------------------------------------------
    async def _fresh(self, upload: Upload) -> Upload:
        fresh = await asyncio.to_thread(self.catalog.get_upload, upload.id)
        if fresh is None:
            raise TusError(404, "no such upload")
        return fresh

    @asynccontextmanager
    async def _locked(self, upload_id: str, then=None):
        """catalog.upload_lock, entered and left on worker threads (it may block on I/O);
        `then()`, if given, runs under the lock in the same thread hop and is yielded."""
        lock = self.catalog.upload_lock(upload_id)

        def enter():
            lock.__enter__()
            if then is None:
                return None
            try:
                return then()
            except BaseException:
                lock.__exit__(None, None, None)
                raise

        try:
            got = await asyncio.to_thread(enter)
        except Locked:
            raise TusError(423, "another request is writing this upload") from None
        try:
            yield got
        finally:
            await asyncio.shield(asyncio.to_thread(lock.__exit__, None, None, None))

    async def _learn_length(self, request: web.Request, upload: Upload) -> Upload:
        """A deferred upload's Upload-Length, when a PATCH brings it (once)."""
        given = request.headers.get("Upload-Length")
        if given is None:
            return upload
        try:
            length = int(given)
        except ValueError:
            raise TusError(400, "Upload-Length must be a whole number") from None
        if upload.length is not None:
            if length != upload.length:
                raise TusError(400, f"Upload-Length is {upload.length} already")
            return upload
        if length < upload.offset or length > self.max_size:
            raise TusError(413, f"Upload-Length must be {upload.offset}-{self.max_size}")
        await asyncio.to_thread(self.catalog.set_length, upload.id, length)
        return replace(upload, length=length)

    async def _receive(self, request: web.Request, upload: Upload, offset: int) -> Upload:
        """Append the body at `offset` under the upload's lock; returns the upload after."""
        if offset != upload.offset:
            raise TusError(409, f"offset {offset} is not the upload's offset {upload.offset}")
        declared = request.content_length
        limit = self.max_size if upload.length is None else upload.length
        if declared is not None and offset + declared > limit:
            raise TusError(413, "the body runs past Upload-Length")
        digest, expected = None, ""
        if "Upload-Checksum" in request.headers:
            algo, _, expected = request.headers["Upload-Checksum"].partition(" ")
            if algo not in CHECKSUMS:
                raise TusError(400, f"checksum algorithm {algo!r} is not supported")
            digest = CHECKSUMS[algo]()
        if upload.finished:
            if declared:
                raise TusError(413, "this upload is complete")
            return upload  # a repeated last PATCH: answered, never queued again
        room = limit - offset
        # the sha256 of the whole upload, carried from this node's previous PATCH of it
        carried = self._running.pop(upload.id, None)
        whole = carried[1] if carried and carried[0] == offset else None
        if whole is None and offset == 0:
            whole = hashlib.sha256()
        pipe = _Pipe(self.store, upload, offset, digest, whole)
        received, complete = 0, False
        blocks: list[bytes] = []
        size = 0
        content, clock = request.content, asyncio.get_running_loop()
        try:
            try:
                # one timer for the whole body, pushed on at each read (wait_for would make
                # a task per read: thousands per GiB); never running while the writer is awaited
                async with asyncio.timeout(None) as timer:
                    while True:
                        timer.reschedule(clock.time() + self.read_timeout)
                        try:
                            block = await content.readany()
                        except Exception as exc:  # the client went away (ContentLengthError, reset)
                            log.info(
                                "upload %s: the body broke off (%s)", upload.id, type(exc).__name__
                            )
                            break
                        if not block:
                            complete = declared is None or received == declared
                            break
                        received += len(block)
                        if received > room:
                            raise TusError(413, "the body runs past Upload-Length")
                        blocks.append(block)
                        size += len(block)
                        if size >= BATCH:
                            timer.reschedule(None)
                            await pipe.put(blocks)
                            blocks, size = [], 0
            except TimeoutError:
                log.info("upload %s: the body stalled for %.0f s", upload.id, self.read_timeout)
            if blocks:
                await pipe.put(blocks)
            sink = await pipe.close()
            if digest is not None and (
                not complete or base64.b64encode(digest.digest()).decode() != expected
            ):
                raise TusError(460, "checksum mismatch: send the chunk again")
        except BaseException:
            await asyncio.shield(pipe.abort())
            raise
        # what arrived is kept, even from a broken-off body: the client resumes from it
        upload = await asyncio.shield(self._commit(upload, sink))
        known = ""
        if whole is not None and upload.offset == offset + received:
            if upload.offset == upload.length:
                known = whole.hexdigest()
            else:
                self._running[upload.id] = (upload.offset, whole)
                while len(self._running) > RUNNING_MAX:
                    self._running.popitem(last=False)
        if not complete:
            raise TusError(400, f"the body ended early; the upload's offset is {upload.offset}")
        if upload.offset == upload.length:
            upload = await self._finish(upload, known)
        return upload

    async def _commit(self, upload: Upload, sink) -> Upload:
        def commit() -> tuple[int, dict]:  # one thread hop: the bytes on disk, then the row
            offset, state = sink.commit()
            self.catalog.record_offset(upload.id, offset, state)
            return offset, state

        offset, state = await asyncio.to_thread(commit)
        return replace(upload, offset=offset, storage_state=state)

    async def _finish(self, upload: Upload, known: str = "") -> Upload:
        """Every byte is in: one object, its sha256, and (the first time only) one job.

        `known`: the sha256 hashed while the bytes were written (every PATCH of the upload
        went through this node); otherwise the stored object is read back to hash it."""
        sha256 = await asyncio.to_thread(self._seal, upload, known)
        job = await asyncio.to_thread(self.catalog.finish_upload, upload.id, sha256)
        if job is not None:
            await asyncio.to_thread(self.queue.send, job.id)
            expected = upload.metadata.get("sha256", "").lower()
            if expected and expected != sha256:
                log.warning("upload %s does not match the sha256 in its metadata", upload.id)
        return replace(upload, finished=True, sha256=sha256)

    def _seal(self, upload: Upload, known: str = "") -> str:
        self.store.finish_upload(upload.key, upload.storage_state)
        if known:
            return known
        digest = hashlib.sha256()
        for block in self.store.read(upload.key):
            digest.update(block)
        return digest.hexdigest()

    async def _drop(self, upload: Upload) -> None:
        self._running.pop(upload.id, None)
        await asyncio.to_thread(self.store.abort_upload, upload.key, upload.storage_state)
        await asyncio.to_thread(self.catalog.delete_upload, upload.id)

    async def _drop_expired(self, upload: Upload) -> bool:
        """Remove an expired upload unless a request holds it right now (next sweep then)."""
        try:
            async with self._locked(upload.id):
                await self._drop(upload)
        except TusError:  # 423: a PATCH past the expiry time is still writing
            return False
        return True

    async def sweep(self) -> int:
        """Remove expired unfinished uploads (bytes and rows); returns how many."""
        gone = 0
        for upload in await asyncio.to_thread(self.catalog.expired_uploads, time.time()):
            try:
                gone += await self._drop_expired(upload)
            except Exception:  # one bad upload must not stop the sweep; it is tried again
                log.warning("could not remove expired upload %s", upload.id, exc_info=True)
        return gone
