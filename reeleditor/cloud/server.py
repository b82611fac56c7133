"""The reference cloud as a running server: on aiohttp, in the foreground or on a thread.

Why aiohttp rather than Starlette on uvicorn: one mature package gives both the server and
an HTTP client; a request body is a stream read at our pace (`request.content`), so a 4 GiB
PATCH goes to storage in bounded memory with a timeout on each read; connections have an
idle (keep-alive) timeout that also covers a socket that never sends a request; and a
handler can answer early (401, 404, ...) and close the connection without reading the body
(`lingering_time=0`), which the tus ingest needs before it reads one byte. Starlette would
add uvicorn (and h11/httptools) for the same, with the body-reading policy split between
two projects.

`serve_in_thread` runs one node on its own event loop on a daemon thread (the app's
bundled cloud, tests); `serve_forever` runs it in the foreground (`reeleditor serve`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiohttp import web

from reeleditor.cloud.app import IDLE_TIMEOUT, Cloud, Options, make_app, open_cloud, runner_for
from reeleditor.cloud.contracts import ReelState

THREADS = 64  # blocking engine calls in flight at once, per node


class CloudServer:
    """One running node: `.url`, `.server_address`, `.cloud` (its engines), `.close()`."""

    def __init__(self, cloud: Cloud, *, sweep_every: float, idle_timeout: float) -> None:
        self.cloud = cloud
        self.app = make_app(cloud, sweep_every)
        self.runner = runner_for(self.app, idle_timeout)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.server_address: tuple[str, int] = ("", 0)
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    async def start(self, host: str, port: int) -> None:
        # every catalog, store and sink call runs on a thread (contracts.py); the default
        # pool (cores + 4) would let six slow S3 calls hold up every other upload
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="cloud-io")
        )
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await self.runner.cleanup()
            raise
        self.server_address = site._server.sockets[0].getsockname()[:2]  # port 0: the real one

    async def stop(self) -> None:
        await self.runner.cleanup()

    def close(self) -> None:
        """Stop serving, end the in-process jobs, close the engines (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None and self.loop is not None:
            asyncio.run_coroutine_threadsafe(self.stop(), self.loop).result(timeout=30)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=30)
        self.cloud.close()

    def stored_sha256(self, upload_id: str) -> str:
        """The sha256 of the bytes the server holds of a finished upload (tests): hashed
        from the upload's object, or once published (and those bytes deleted), as the
        processing recorded it for the reel's source."""
        catalog, store = self.cloud.catalog, self.cloud.store
        for _ in range(2):  # publishing may remove the upload's object between the looks
            upload = catalog.get_upload(upload_id)
            if upload is not None and store.stat(upload.key) is not None:
                digest = hashlib.sha256()
                for block in store.read(upload.key):
                    digest.update(block)
                return digest.hexdigest()
            reel = catalog.get_reel(upload_id)
            if reel is not None and reel.meta.get("source"):
                return reel.meta["source"]["sha256"]
        raise KeyError(f"the server holds no bytes of upload {upload_id}")


def make_server(
    host: str,
    port: int,
    data: Path | None,
    token: str | None = None,
    *,
    storage: str | None = None,
    catalog: str | None = None,
    queue: str | None = None,
    options: Options | None = None,
    idle_timeout: float = IDLE_TIMEOUT,
) -> CloudServer:
    options = options or Options(token=token)
    if token and not options.token:
        options.token = token
    cloud = open_cloud(data, storage, catalog, queue, options)
    return CloudServer(cloud, sweep_every=options.sweep_every, idle_timeout=idle_timeout)


def serve_in_thread(
    host: str, port: int, data: Path | None, token: str | None = None, **kw
) -> CloudServer:
    """Start a node on a daemon thread with its own loop (tests, the app's bundled cloud).

    Raises OSError here when the port cannot be had; call `.close()` to stop it.
    """
    server = make_server(host, port, data, token, **kw)
    started = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        loop = asyncio.new_event_loop()
        server.loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start(host, port))
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)
            started.set()
            loop.close()
            return
        started.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    server._thread = threading.Thread(target=run, name="cloud", daemon=True)
    server._thread.start()
    started.wait()
    if failure:
        server._thread = None
        server._closed = True
        server.cloud.close()
        raise failure[0]
    return server


async def serve_forever(server: CloudServer, host: str, port: int, on_ready) -> None:
    """Run in the foreground until SIGTERM or Ctrl+C; `on_ready(server)` once listening."""
    await server.start(host, port)
    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        on_ready(server)
        await stop.wait()
    finally:
        await server.stop()


def wait_published(server: CloudServer, upload_id: str, timeout: float = 60.0) -> str:
    """'published', 'failed: <reason>' or 'timeout' (tests, and the app's own checks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reel = server.cloud.catalog.get_reel(upload_id)
        if reel is not None and reel.state is ReelState.READY:
            return "published"
        if reel is not None and reel.state is ReelState.FAILED:
            return f"failed: {reel.reason}"
        time.sleep(0.05)
    return "timeout"
