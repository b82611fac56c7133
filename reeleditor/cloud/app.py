"""Builds the cloud's aiohttp Application from storage, catalog and queue URLs.

Embedded (the default, what the app starts): a folder, SQLite and the in-process job
runner, all under one data folder. Scale-out: `s3://BUCKET?endpoint=URL`,
`postgresql://...`, `redis://HOST:PORT/N`; the same handlers either way (contracts.py).
Expired uploads are removed (bytes and rows) on a timer in every node; the queue's own
sweeper (cloud/queue.py) re-sends jobs the catalog says are due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from reeleditor.cloud.api import Api
from reeleditor.cloud.auth import Auth
from reeleditor.cloud.contracts import Catalog, JobQueue, ObjectStore
from reeleditor.cloud.ingest import EXPIRE_SECONDS, MAX_SIZE, READ_TIMEOUT, Ingest
from reeleditor.cloud.web import player_routes

log = logging.getLogger("reeleditor.cloud")
SWEEP_EVERY = 60.0  # seconds between chores
IDLE_TIMEOUT = 15.0  # seconds an idle (keep-alive or silent) connection is kept
# bytes of a body buffered per connection before aiohttp stops reading its socket (2x
# this at most); the default 64 KiB pauses and resumes the socket every 128 KiB
READ_BUFSIZE = 512 << 10
CLOUD_KEY = web.AppKey("cloud", object)


def embedded_urls(data: Path) -> tuple[str, str, str]:
    """storage, catalog and queue URLs of the embedded shape under `data`."""
    data = Path(data).resolve()
    return f"file://{data / 'objects'}", f"sqlite:///{data / 'catalog.sqlite3'}", "local"


@dataclass
class Options:
    token: str | None = None  # the one token of --token-env (accounts work alongside)
    workers: int = 1  # in-process job runners; 0 with Redis: none (`reeleditor worker`s)
    job_lease: float | None = None  # seconds (None: JobSettings' default)
    sweep_jobs_every: float = 10.0
    max_size: int = MAX_SIZE
    expire_seconds: float = EXPIRE_SECONDS
    read_timeout: float = READ_TIMEOUT
    sweep_every: float = SWEEP_EVERY
    edges: tuple[str, ...] = ()  # edge caches to purge after a delete (cloud/purge.py)


@dataclass
class Cloud:
    """What one node holds: its engines and handlers."""

    catalog: Catalog
    store: ObjectStore
    queue: JobQueue
    auth: Auth
    ingest: Ingest
    api: Api

    def close(self) -> None:
        self.queue.close()
        for part in (self.store, self.catalog):
            close = getattr(part, "close", None)
            if close is not None:
                close()


def open_cloud(
    data: Path | None,
    storage: str | None = None,
    catalog: str | None = None,
    queue: str | None = None,
    options: Options | None = None,
) -> Cloud:
    """Open the engines the URLs name (embedded defaults under `data` for the rest)."""
    from reeleditor.cloud.urls import open_catalog, open_queue, open_store

    options = options or Options()
    if data is not None:
        defaults = embedded_urls(data)
        storage, catalog, queue = (
            storage or defaults[0],
            catalog or defaults[1],
            queue or defaults[2],
        )
    if not (storage and catalog and queue):
        raise ValueError("--storage, --catalog and --queue are needed without --data")
    the_store = open_store(storage)
    the_catalog = open_catalog(catalog)
    legacy_jobs = []
    if data is not None and storage.startswith("file:"):
        from reeleditor.cloud.legacy import import_legacy_media

        legacy_jobs = import_legacy_media(data, the_catalog, the_store)  # before any worker
    from reeleditor.cloud.jobs import JobSettings

    settings = JobSettings() if options.job_lease is None else JobSettings(lease=options.job_lease)
    the_queue = open_queue(
        queue,
        catalog=the_catalog,
        store=the_store,
        consume=options.workers > 0,
        concurrency=max(1, options.workers),
        settings=settings,
        sweep_interval=options.sweep_jobs_every,
        sweep_grace=min(5.0, options.sweep_jobs_every),
    )
    for job in legacy_jobs:
        the_queue.send(job.id)
    return assemble(the_catalog, the_store, the_queue, options)


def assemble(catalog: Catalog, store: ObjectStore, queue: JobQueue, options: Options) -> Cloud:
    auth = Auth(catalog, options.token)
    ingest = Ingest(
        catalog,
        store,
        queue,
        auth,
        max_size=options.max_size,
        expire_seconds=options.expire_seconds,
        read_timeout=options.read_timeout,
    )
    return Cloud(
        catalog, store, queue, auth, ingest, Api(catalog, store, auth, edges=options.edges)
    )


async def _sweep_uploads(cloud: Cloud, every: float) -> None:
    while True:
        try:
            if gone := await cloud.ingest.sweep():
                log.info("removed %d expired uploads", gone)
        except Exception:  # a database hiccup: try again next round
            log.warning("sweeping expired uploads failed", exc_info=True)
        await asyncio.sleep(every)


async def _not_found(request: web.Request) -> web.Response:
    return web.Response(status=404, text="not found")


def make_app(cloud: Cloud, sweep_every: float = SWEEP_EVERY) -> web.Application:
    app = web.Application(client_max_size=1 << 20)  # bodies are streamed, never read whole
    app[CLOUD_KEY] = cloud
    app.add_routes(cloud.ingest.routes())
    app.add_routes(cloud.api.routes())
    app.add_routes(player_routes())  # the web player at /, its files under /player/
    app.router.add_route("*", "/status/{tail:.*}", _not_found)  # gone: see /api/reels

    async def chores(app: web.Application):
        task = asyncio.create_task(_sweep_uploads(cloud, sweep_every))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(chores)
    return app


def runner_for(app: web.Application, idle_timeout: float = IDLE_TIMEOUT) -> web.AppRunner:
    """The runner with our socket policy: idle connections end after `idle_timeout`; a
    refused request's body is never read (lingering_time=0 closes the connection)."""
    return web.AppRunner(
        app,
        keepalive_timeout=idle_timeout,
        lingering_time=0,
        read_bufsize=READ_BUFSIZE,
        access_log=None,
        shutdown_timeout=2,
    )
