"""`--storage`, `--catalog` and `--queue` URLs: parsed, checked, and opened.

    --storage file:///DIR | s3://BUCKET?endpoint=URL&region=R   (AWS_* env vars: credentials)
    --catalog sqlite:///PATH | postgresql://USER:PASS@HOST:PORT/DB
    --queue   local | redis://HOST:PORT/N

A bad URL is a one-line `CloudConfigError` naming it (a password shown as ***).
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from reeleditor.core.errors import ReelEditorError


class CloudConfigError(ReelEditorError):
    """A --storage, --catalog or --queue URL that cannot be used."""


def redact(url: str) -> str:
    return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", url)


def _bad(option: str, url: str, expected: str) -> CloudConfigError:
    return CloudConfigError(f"bad --{option} URL {redact(url)!r}", f"expected {expected}")


@dataclass(frozen=True)
class StorageURL:
    kind: str  # "file" or "s3"
    path: str = ""  # file: the folder
    bucket: str = ""  # s3
    endpoint: str | None = None
    region: str | None = None


STORAGE_FORMS = "file:///DIR or s3://BUCKET?endpoint=URL&region=R"
CATALOG_FORMS = "sqlite:///PATH or postgresql://USER:PASS@HOST:PORT/DB"
QUEUE_FORMS = "local or redis://HOST:PORT/N"


def parse_storage(url: str) -> StorageURL:
    parts = urlsplit(url)
    if parts.scheme == "file" and parts.netloc in ("", "localhost") and parts.path.startswith("/"):
        return StorageURL("file", path=unquote(parts.path))
    if parts.scheme == "s3" and re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", parts.netloc):
        query = parse_qs(parts.query)
        unknown = set(query) - {"endpoint", "region"}
        endpoint = query.get("endpoint", [None])[0]
        if (
            not unknown
            and parts.path in ("", "/")
            and (endpoint is None or urlsplit(endpoint).scheme in ("http", "https"))
        ):
            return StorageURL(
                "s3", bucket=parts.netloc, endpoint=endpoint, region=query.get("region", [None])[0]
            )
    raise _bad("storage", url, STORAGE_FORMS)


def parse_catalog(url: str) -> tuple[str, str]:
    """('sqlite', path) or ('postgresql', the URL as libpq takes it)."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite" and parts.netloc == "" and len(parts.path) > 1:
        return "sqlite", unquote(parts.path)
    if parts.scheme in ("postgresql", "postgres") and (parts.netloc or parts.query):
        return "postgresql", url
    raise _bad("catalog", url, CATALOG_FORMS)


def parse_queue(url: str) -> tuple[str, str]:
    """('local', '') or ('redis', url)."""
    if url == "local":
        return "local", ""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        raise _bad("queue", url, QUEUE_FORMS) from None
    db = parts.path.strip("/")
    if parts.scheme in ("redis", "rediss") and parts.hostname and (db == "" or db.isdigit()):
        return "redis", url
    raise _bad("queue", url, QUEUE_FORMS)


def open_store(url: str):
    """The ObjectStore a --storage URL names (the folder or bucket is made if missing)."""
    spec = parse_storage(url)
    if spec.kind == "file":
        from reeleditor.cloud.objects import FolderStore

        return FolderStore(spec.path)
    from reeleditor.cloud.objects_s3 import S3Store

    return _scale_out(
        "S3 storage", lambda: S3Store(spec.bucket, endpoint=spec.endpoint, region=spec.region)
    )


def _scale_out(what: str, build):
    """Build a scale-out engine's client; the desktop installer leaves their libraries out
    (packaging/reeleditor.spec), so a missing one is a clear ValueError, not a crash."""
    try:
        return build()
    except ModuleNotFoundError as exc:
        raise ValueError(
            f"{what} needs the Python package {exc.name!r}, which this build leaves out; "
            "the scale-out cloud installs from pip (deploy/README.md)"
        ) from exc


def open_catalog(url: str):
    """The Catalog a --catalog URL names (schema created if missing)."""
    kind, where = parse_catalog(url)
    if kind == "sqlite":
        from reeleditor.cloud.catalog import SqliteCatalog

        return SqliteCatalog(where)
    from reeleditor.cloud.catalog_pg import PostgresCatalog

    return _scale_out("the PostgreSQL catalog", lambda: PostgresCatalog(where))


def default_worker_name() -> str:
    """Unique per process; a server should pass a stable name (e.g. "embedded") instead, so
    that after a crash and restart it takes its jobs back at once (see open_queue)."""
    return f"{socket.gethostname()}-{os.getpid()}"


def open_queue(
    url: str,
    *,
    catalog,
    store,
    consume: bool = True,
    concurrency: int = 1,
    worker_name: str | None = None,
    settings=None,
    sweep_interval: float = 10.0,
    sweep_grace: float = 5.0,
):
    """A running JobQueue: `send(job_id)` wakes a worker; `close()` stops everything it
    started. With `consume`, this process also runs jobs (`concurrency` at a time): always
    for `local`; for Redis it is what `reeleditor worker` does, while an ingest node only
    sends. Either way a sweeper here re-sends due jobs from the catalog."""
    from reeleditor.cloud.jobs import JobSettings
    from reeleditor.cloud.queue import LocalQueue, Runtime, Sweeper, job_handler

    kind, where = parse_queue(url)
    settings = settings or JobSettings()
    # the embedded shape is one process per catalog: a stable name lets a restart take its
    # crashed predecessor's jobs back at once (release_jobs below)
    name = worker_name or ("embedded" if kind == "local" else default_worker_name())
    if consume:
        # a process that takes the name of a dead one gives back the jobs it held (the
        # embedded server restarted after a crash), instead of waiting for their leases
        catalog.release_jobs(name)
    if kind == "local":
        queue = LocalQueue(concurrency)
        queue.start(job_handler(catalog, store, name, settings, queue))
    else:
        from reeleditor.cloud.queue_redis import DramatiqQueue

        queue = _scale_out("the Redis queue", lambda: DramatiqQueue(where))
        if consume:
            queue.start(job_handler(catalog, store, name, settings, queue), concurrency)
    sweeper = Sweeper(
        catalog,
        queue,
        interval=sweep_interval,
        grace=sweep_grace,
        resend_after=max(sweep_interval, settings.lease),
    ).start()
    return Runtime(queue, sweeper)
