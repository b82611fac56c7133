"""Runs one journaled job: claim, process, publish under a content-addressed prefix.

The catalog is the journal and the queue only a wake-up call, so the work is written to
be run twice: a job is claimed with a lease (renewed by a heartbeat while it runs), its
outputs go under `media/<reel_id>/<hash of the outputs>/` (a second run writes the same
bytes or a prefix nobody points at), and `Catalog.publish` switches the reel only while
the lease is still ours.

Outcomes of one run:
  DONE     published; the upload's bytes are deleted (the original is among the
           published files, so nothing is kept twice)
  RETRY    a storage, network or database error: queued again after a backoff
           (`backoff * 2**(attempts-1)`), failed after `max_attempts` claims
  FAILED   the input is not a video or not the file that was sent (MediaError): failed at
           once, with a reason in a user's words, and its bytes deleted. Failed for a server
           problem (out of attempts, or timed out): the bytes are kept for an operator to
           look at or re-queue, until the reel is deleted.
  LOST     the lease was lost (we were too slow, or the job ran past `max_runtime`):
           another claim publishes, not us
  SKIPPED  nothing to claim (done already, running elsewhere, or not due yet)

A stuck job times out: the heartbeat stops renewing after `max_runtime`, the lease lapses,
the sweeper re-sends the job, and a claim past `max_attempts` fails it.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from reeleditor.cloud.contracts import Catalog, ObjectStore, ReelState
from reeleditor.cloud.objects import content_type_for
from reeleditor.core.errors import Cancelled, MediaError

log = logging.getLogger(__name__)
UPLOAD_THREADS = 4  # segments are small: a few in flight hide the store's latency


class _LeaseLost(Exception):
    """Another worker owns the job now: stop, publish nothing."""


class Outcome(str, enum.Enum):
    DONE = "done"
    RETRY = "retry"
    FAILED = "failed"
    LOST = "lost"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class JobSettings:
    lease: float = 60.0  # seconds a claim lasts without a heartbeat
    max_attempts: int = 5  # claims before a job fails for good
    backoff: float = 5.0  # first retry after this, doubling
    max_runtime: float = 1800.0  # a run past this stops renewing its lease


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    retry_in: float = 0.0  # RETRY: when to send the job again
    prefix: str = ""  # DONE: where the reel was published


def user_reason(exc: MediaError) -> str:
    """What the owner reads: no server paths, no codec internals."""
    text = str(exc)
    if "sha256" in text:
        return (
            "the uploaded file is not the file that was sent (its sha256 differs); upload it again"
        )
    reason = getattr(exc, "reason", "")  # the pipeline's refusal, already in a user's words
    if reason:
        return reason
    return "the uploaded file is not a video that can be played; export it again and re-upload"


def process_upload(
    source: Path,
    metadata: dict,
    out: Path,
    on_preview: Callable[[Path, dict], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    on_poster: Callable[[Path, dict], None] | None = None,
) -> dict:
    """The processing pipeline (media/publishing.py) run to its end: the complete manifest."""
    from reeleditor.media.publishing import process_reel

    steps = process_reel(
        source,
        out,
        metadata,
        on_preview=on_preview,
        should_cancel=should_cancel,
        on_poster=on_poster,
    )
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def outputs_digest(folder: Path, names: list[str]) -> str:
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0")
        with open(folder / name, "rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def put_folder(store: ObjectStore, folder: Path, names: list[str], reel_id: str) -> str:
    """Every file under a prefix named by their digest, a few at a time; the prefix."""
    prefix = f"media/{reel_id}/{outputs_digest(folder, names)}/"
    with ThreadPoolExecutor(UPLOAD_THREADS, thread_name_prefix="cloud-put") as pool:
        for done in [
            pool.submit(store.put_file, prefix + n, str(folder / n), content_type_for(n))
            for n in names
        ]:
            done.result()  # the first error, after the others have finished
    return prefix


class Heartbeat:
    """Renews the lease every third of it; `lost` is set once the job is not ours."""

    def __init__(self, catalog: Catalog, job_id: str, owner: str, settings: JobSettings):
        self.catalog, self.job_id, self.owner, self.settings = catalog, job_id, owner, settings
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(
            target=self._run, name=f"cloud-lease-{job_id[:8]}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        every = max(0.05, self.settings.lease / 3)
        while not self._stop.wait(every):
            if time.monotonic() - self._started > self.settings.max_runtime:
                log.warning("job %s ran past %.0f s: its lease lapses", self.job_id,
                            self.settings.max_runtime)  # fmt: skip
                self.lost.set()
                return
            try:
                if not self.catalog.renew_lease(self.job_id, self.owner, self.settings.lease):
                    self.lost.set()
                    return
            except Exception:  # the catalog is down: keep trying until the lease is gone
                log.warning("job %s: lease not renewed", self.job_id, exc_info=True)


def run_job(
    job_id: str | None,
    catalog: Catalog,
    store: ObjectStore,
    worker_name: str,
    settings: JobSettings = JobSettings(),
) -> RunResult:
    """Claim `job_id` (or any due job when None) and run it to one of the outcomes."""
    owner = f"{worker_name}/{uuid.uuid4().hex[:8]}"  # one claim, even if names repeat
    job = catalog.claim_job(job_id, owner, settings.lease)
    if job is None:
        return RunResult(Outcome.SKIPPED)
    upload = catalog.get_upload(job.reel_id)
    if upload is None:
        catalog.fail(job.id, owner, "the upload is gone; upload the video again")
        return RunResult(Outcome.FAILED)
    if job.attempts > settings.max_attempts:
        catalog.fail(job.id, owner, "processing did not finish in time; upload the video again")
        log.warning("job %s failed: %d attempts (%s)", job.id, job.attempts, job.last_error)
        return RunResult(Outcome.FAILED)
    work = Path(tempfile.mkdtemp(prefix="reeleditor-job-"))
    written: list[str] = []  # the prefixes this run stored, to take back if it is not ours

    def put(folder: Path, names: list[str]) -> str:
        prefix = put_folder(store, folder, names, job.reel_id)
        written.append(prefix)
        return prefix

    try:
        with Heartbeat(catalog, job.id, owner, settings) as beat:
            catalog.set_reel_processing(job.reel_id)
            source = work / "upload"
            store.fetch_to_file(upload.key, str(source))

            def poster(folder: Path, manifest: dict) -> None:
                # the owner sees the poster first; the reel is not playable yet (no prefix)
                meta = {**manifest, "poster_prefix": put(folder, manifest["files"])}
                if beat.lost.is_set() or not catalog.publish_preview(job.id, owner, "", meta):
                    raise _LeaseLost

            def preview(folder: Path, manifest: dict) -> None:
                # the smallest rung and the poster play while the rest is encoded
                prefix = put(folder, manifest["files"])
                if beat.lost.is_set() or not catalog.publish_preview(
                    job.id, owner, prefix, manifest
                ):
                    raise _LeaseLost

            entry = process_upload(
                source, upload.metadata, work / "out", preview, beat.lost.is_set, poster
            )
            if beat.lost.is_set():
                raise _LeaseLost
            prefix = put(work / "out", entry["files"])
            if beat.lost.is_set() or not catalog.publish(job.id, owner, prefix, entry):
                raise _LeaseLost
        log.info("job %s: reel %s ready at %s", job.id, job.reel_id, prefix)  # as it happened
        _delete_quietly(store, upload.key)
        return RunResult(Outcome.DONE, prefix=prefix)
    except (_LeaseLost, Cancelled):
        _forget_prefixes(catalog, store, job.reel_id, written)
        return RunResult(Outcome.LOST)
    except MediaError as exc:
        log.warning("job %s: reel %s failed: %s", job.id, job.reel_id, exc)
        catalog.fail(job.id, owner, user_reason(exc))
        _delete_quietly(store, upload.key)
        if written:  # a poster or preview of a reel that will never play
            store.delete_prefix(f"media/{job.reel_id}/")
        return RunResult(Outcome.FAILED)
    except Exception as exc:  # storage, network, database: worth another try
        error = f"{type(exc).__name__}: {exc}"[:500]
        if job.attempts >= settings.max_attempts:
            log.error("job %s failed after %d attempts: %s", job.id, job.attempts, error)
            catalog.fail(
                job.id,
                owner,
                "the video could not be processed (a server problem); try again later",
            )
            return RunResult(Outcome.FAILED)
        delay = settings.backoff * 2 ** (job.attempts - 1)
        log.warning("job %s attempt %d: %s; again in %.1f s", job.id, job.attempts, error, delay)
        catalog.retry_later(job.id, owner, error, time.time() + delay)
        return RunResult(Outcome.RETRY, retry_in=delay)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _delete_quietly(store: ObjectStore, key: str) -> None:
    try:
        store.delete(key)
    except Exception:  # a leftover upload costs disk, not correctness
        log.warning("could not delete %s", key, exc_info=True)


def _forget_prefixes(
    catalog: Catalog, store: ObjectStore, reel_id: str, written: list[str]
) -> None:
    """Not ours after all: take back what this run stored that the reel does not show.

    Only once the reel is settled: while it is processing, another worker may be about to
    publish these very bytes (the same digest). A deleted reel (its row gone while we
    worked) loses its whole folder, since our uploads may have landed after the delete.
    """
    reel = catalog.get_reel(reel_id)
    if reel is None:
        store.delete_prefix(f"media/{reel_id}/")
        return
    if reel.state is not ReelState.READY:
        return
    for prefix in written:
        if prefix != reel.prefix:
            store.delete_prefix(prefix)
