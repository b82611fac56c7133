"""Jobs: claimed with a lease, published once under a content-addressed prefix, retried
with backoff, failed at once for a bad input, and finished by another worker after kill -9."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from pathlib import Path

import av
import numpy as np
import pytest

from reeleditor.cloud import jobs
from reeleditor.cloud.contracts import JobState, ReelState, Upload
from reeleditor.cloud.jobs import JobSettings, Outcome, run_job
from reeleditor.cloud.urls import open_catalog, open_queue, open_store
from reeleditor.core.errors import MediaError
from tests.cloud.services import (  # noqa: F401 (fixtures)
    catalog_url,
    postgres_url,
    s3_endpoint,
    storage_url,
)

FAST = JobSettings(lease=5, max_attempts=3, backoff=0.05, max_runtime=60)


def tiny_video(path: Path, frames: int = 30) -> Path:
    """1 s of 180x320 H.264: enough to probe, poster and publish in a blink."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 180, 320, "yuv420p"
        for i in range(frames):
            picture = np.full((320, 180, 3), (i * 8) % 256, np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        out.mux(stream.encode(None))
    return path


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> bytes:
    return tiny_video(tmp_path_factory.mktemp("media") / "tiny.mp4").read_bytes()


@pytest.fixture
def cloud(catalog_url, storage_url):  # noqa: F811
    catalog = open_catalog(catalog_url)
    yield catalog, open_store(storage_url)
    catalog.close()


def uploaded(catalog, store, data: bytes, sha256: str | None = None):
    """An upload stored and finished as ingest leaves it: its reel queued, its job due."""
    reel_id = uuid.uuid4().hex
    key = f"uploads/{reel_id}"
    state = store.begin_upload(key)
    now = time.time()
    meta = {"filename": "tiny.mp4", "sha256": sha256 or hashlib.sha256(data).hexdigest()}
    catalog.create_upload(Upload(reel_id, "acct", len(data), 0, meta, key, state, now, now + 60))
    sink = store.open_sink(key, state, 0)
    sink.write(data)
    offset, state = sink.commit()
    catalog.record_offset(reel_id, offset, state)
    store.finish_upload(key, state)
    return reel_id, key, catalog.finish_upload(reel_id, meta["sha256"])


def published_prefixes(store, reel_id: str) -> set[str]:
    names = ("poster.jpg", "poster.webp")  # in every stage's prefix: poster, preview, complete
    if hasattr(store, "root"):
        folder = store.root / "media" / reel_id
        found = (
            {f"media/{reel_id}/{p.name}/" for p in folder.iterdir()} if folder.exists() else set()
        )
    else:
        listed = store.client.list_objects_v2(Bucket=store.bucket, Prefix=f"media/{reel_id}/")
        found = {"/".join(o["Key"].split("/")[:3]) + "/" for o in listed.get("Contents", [])}
    for prefix in found:
        assert all(store.stat(prefix + n) for n in names), prefix
    return found


def test_a_job_publishes_once_under_a_content_addressed_prefix(cloud, video):
    catalog, store = cloud
    reel_id, key, job = uploaded(catalog, store, video)
    result = run_job(job.id, catalog, store, "w1", FAST)
    assert result.outcome is Outcome.DONE
    reel = catalog.get_reel(reel_id)
    assert reel.state is ReelState.READY and reel.prefix == result.prefix
    assert reel.prefix.startswith(f"media/{reel_id}/") and len(reel.prefix.split("/")[2]) == 32
    assert (reel.meta["stage"], reel.meta["width"], reel.meta["height"]) == ("complete", 180, 320)
    assert reel.meta["source"]["sha256"] == hashlib.sha256(video).hexdigest()
    assert {"master.m3u8", "reel.mp4", "poster.jpg", "sprite.vtt"} <= set(reel.meta["files"])
    for name in reel.meta["files"]:
        assert store.stat(reel.prefix + name) is not None, name
    # the poster and the preview went first, each under its own prefix; the complete set
    # is what the reel shows
    assert reel.prefix in published_prefixes(store, reel_id)
    assert len(published_prefixes(store, reel_id)) == 3
    assert store.stat(key) is None  # the upload's bytes go once the reel is published
    assert run_job(job.id, catalog, store, "w2", FAST).outcome is Outcome.SKIPPED
    assert catalog.get_job(job.id).attempts == 1


@pytest.mark.parametrize(
    "data, sha, words",
    [
        (b"this is no video at all" * 100, None, "not a video"),
        (None, "0" * 64, "sha256"),
    ],
)
def test_a_poison_input_fails_at_once_in_a_users_words(cloud, video, data, sha, words):
    catalog, store = cloud
    reel_id, key, job = uploaded(catalog, store, data or video, sha256=sha)
    assert run_job(job.id, catalog, store, "w1", FAST).outcome is Outcome.FAILED
    reel = catalog.get_reel(reel_id)
    assert reel.state is ReelState.FAILED and words in reel.reason
    assert "/" not in reel.reason and reel_id not in reel.reason  # no server paths or ids
    assert catalog.get_job(job.id).attempts == 1
    assert store.stat(key) is None


class Flaky:
    """A store whose reads fail `failures` times (a network that comes and goes)."""

    def __init__(self, store, failures: int) -> None:
        self._store, self.failures = store, failures

    def __getattr__(self, name):
        return getattr(self._store, name)

    def fetch_to_file(self, key, path):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("connection reset by peer")
        return self._store.fetch_to_file(key, path)


def test_transient_errors_retry_with_backoff_then_fail(cloud, video):
    catalog, store = cloud
    reel_id, _key, job = uploaded(catalog, store, video)
    flaky = Flaky(store, failures=10)
    delays = []
    for _ in range(FAST.max_attempts - 1):
        result = run_job(job.id, catalog, flaky, "w1", FAST)
        assert result.outcome is Outcome.RETRY
        assert run_job(job.id, catalog, flaky, "w1", FAST).outcome is Outcome.SKIPPED  # not due
        delays.append(result.retry_in)
        time.sleep(result.retry_in)
    assert delays == [FAST.backoff, FAST.backoff * 2]
    assert "ConnectionError" in catalog.get_job(job.id).last_error
    assert run_job(job.id, catalog, flaky, "w1", FAST).outcome is Outcome.FAILED
    reel = catalog.get_reel(reel_id)
    assert reel.state is ReelState.FAILED and "try again later" in reel.reason
    assert catalog.get_job(job.id).attempts == FAST.max_attempts


def test_the_local_queue_runs_retries_until_done(tmp_path, video):
    catalog = open_catalog(f"sqlite:///{tmp_path}/c.db")
    store = Flaky(open_store(f"file://{tmp_path}/objects"), failures=2)
    runtime = open_queue("local", catalog=catalog, store=store, concurrency=2, settings=FAST,
                         sweep_interval=0.2, sweep_grace=0.1)  # fmt: skip
    try:
        reel_id, _key, job = uploaded(catalog, store, video)
        runtime.send(job.id)
        wait_for(lambda: catalog.get_reel(reel_id).state is ReelState.READY)
        assert catalog.get_job(job.id).attempts == 3
    finally:
        runtime.close()
        catalog.close()


def test_a_lost_message_is_sent_again_by_the_sweeper(tmp_path, video):
    catalog = open_catalog(f"sqlite:///{tmp_path}/c.db")
    store = open_store(f"file://{tmp_path}/objects")
    reel_id, _key, _job = uploaded(catalog, store, video)  # finished, never sent
    runtime = open_queue("local", catalog=catalog, store=store, settings=FAST,
                         sweep_interval=0.2, sweep_grace=0.0)  # fmt: skip
    try:
        wait_for(lambda: catalog.get_reel(reel_id).state is ReelState.READY)
    finally:
        runtime.close()
        catalog.close()


def test_a_slow_worker_that_lost_its_lease_does_not_publish(cloud, video, monkeypatch):
    catalog, store = cloud
    reel_id, _key, job = uploaded(catalog, store, video)
    slow = JobSettings(lease=0.3, max_attempts=3, backoff=0.05, max_runtime=0.2)
    entered, release = threading.Event(), threading.Event()
    real = jobs.process_upload

    def stalled(*args):
        if threading.current_thread().name == "stuck":
            entered.set()
            release.wait(30)
        return real(*args)

    monkeypatch.setattr(jobs, "process_upload", stalled)
    results = {}
    stuck = threading.Thread(
        target=lambda: results.update(a=run_job(job.id, catalog, store, "A", slow)), name="stuck"
    )
    stuck.start()
    try:
        assert entered.wait(30)
        # A's heartbeat stops after max_runtime; once the lease lapses, B takes over
        tries = []
        wait_for(lambda: tries.append(run_job(job.id, catalog, store, "B", FAST))
                 or tries[-1].outcome is not Outcome.SKIPPED)  # fmt: skip
        b = tries[-1]
    finally:
        release.set()
        stuck.join()
    assert b.outcome is Outcome.DONE
    assert results["a"].outcome is Outcome.LOST
    reel = catalog.get_reel(reel_id)
    assert reel.state is ReelState.READY and reel.prefix in published_prefixes(store, reel_id)


def test_a_job_claimed_too_often_times_out(cloud, video):
    catalog, store = cloud
    reel_id, _key, job = uploaded(catalog, store, video)
    for n in range(FAST.max_attempts):  # each claimant vanished (its lease lapsed)
        assert catalog.claim_job(job.id, f"gone{n}", lease=0) is not None
        time.sleep(0.01)
    assert run_job(job.id, catalog, store, "w", FAST).outcome is Outcome.FAILED
    reel = catalog.get_reel(reel_id)
    assert reel.state is ReelState.FAILED and "did not finish in time" in reel.reason
    assert catalog.get_job(job.id).state is JobState.FAILED


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_a_restarted_server_takes_back_the_jobs_of_its_previous_life(tmp_path, video):
    catalog = open_catalog(f"sqlite:///{tmp_path}/c.db")
    store = open_store(f"file://{tmp_path}/objects")
    reel_id, _key, job = uploaded(catalog, store, video)
    # the last run claimed it with an hour's lease, then was killed with -9
    assert catalog.claim_job(job.id, "embedded/0a1b2c3d", lease=3600)
    runtime = open_queue("local", catalog=catalog, store=store, worker_name="embedded",
                         settings=FAST, sweep_interval=0.2, sweep_grace=0.0)  # fmt: skip
    try:
        wait_for(lambda: catalog.get_reel(reel_id).state is ReelState.READY, timeout=30)
        assert catalog.get_job(job.id).attempts == 2
    finally:
        runtime.close()
        catalog.close()


def test_the_sweeper_does_not_multiply_a_backlog(tmp_path, video):
    from reeleditor.cloud.queue import Sweeper

    catalog = open_catalog(f"sqlite:///{tmp_path}/c.db")
    store = open_store(f"file://{tmp_path}/objects")
    sent = []

    class Recorder:
        def send(self, job_id, delay=0.0):
            sent.append(job_id)

    try:
        ids = {uploaded(catalog, store, video)[2].id for _ in range(3)}
        sweeper = Sweeper(catalog, Recorder(), grace=0.0, resend_after=0.3)
        assert sweeper.sweep() == 3 and set(sent) == ids
        assert sweeper.sweep() == 0  # still waiting in the queue: not sent again yet
        time.sleep(0.35)
        assert sweeper.sweep() == 3
    finally:
        catalog.close()


class Recording:
    """The catalog, noting each stage a job publishes."""

    def __init__(self, catalog) -> None:
        self._catalog, self.stages = catalog, []

    def __getattr__(self, name):
        return getattr(self._catalog, name)

    def publish_preview(self, job_id, worker, prefix, meta):
        won = self._catalog.publish_preview(job_id, worker, prefix, meta)
        self.stages.append((meta["stage"], prefix))
        return won

    def publish(self, job_id, worker, prefix, meta):
        self.stages.append((meta["stage"], prefix))
        return self._catalog.publish(job_id, worker, prefix, meta)


def test_the_poster_then_the_preview_then_the_whole_reel(cloud, video):
    from reeleditor.cloud.api import playable, reel_json

    catalog, store = cloud
    reel_id, _key, job = uploaded(catalog, store, video)
    recording = Recording(catalog)
    shown = []
    real = recording.publish_preview

    def publish_preview(job_id, worker, prefix, meta):
        won = real(job_id, worker, prefix, meta)
        shown.append(catalog.get_reel(reel_id))
        return won

    recording.publish_preview = publish_preview
    assert run_job(job.id, recording, store, "w1", FAST).outcome is Outcome.DONE
    assert [s[0] for s in recording.stages] == ["poster", "preview", "complete"]
    poster, preview = shown
    # the poster: for its owner only, not playable, its files already stored
    assert poster.state is ReelState.PROCESSING and not playable(poster)
    owner_view = reel_json(poster)
    assert owner_view["poster_url"].endswith("/poster.jpg") and owner_view["hls_url"] is None
    key = owner_view["poster_url"].lstrip("/")
    assert store.stat(key) is not None and store.stat(key.replace(".jpg", ".webp")) is not None
    # the preview: public and playable, the smallest rung only
    assert playable(preview) and reel_json(preview)["mp4_url"] is None
    assert [r["name"] for r in preview.meta["renditions"]] == ["180p"]
    assert catalog.get_reel(reel_id).state is ReelState.READY


def test_a_reel_deleted_while_its_job_runs_leaves_no_files(cloud, video):
    catalog, store = cloud
    reel_id, _key, job = uploaded(catalog, store, video)
    recording = Recording(catalog)
    real = recording.publish_preview

    def deleted_meanwhile(job_id, worker, prefix, meta):
        if meta["stage"] == "preview":  # the owner's DELETE lands between put and publish
            catalog.delete_reel(reel_id)
            store.delete_prefix(f"media/{reel_id}/")
        return real(job_id, worker, prefix, meta)

    recording.publish_preview = deleted_meanwhile
    assert run_job(job.id, recording, store, "w1", FAST).outcome is Outcome.LOST
    assert catalog.get_reel(reel_id) is None
    assert published_prefixes(store, reel_id) == set()  # the files put after it went too


def test_a_reel_that_fails_after_its_preview_keeps_no_files(cloud, video, monkeypatch):
    catalog, store = cloud
    reel_id, _key, job = uploaded(catalog, store, video)
    real = jobs.process_upload

    def damaged_further_in(source, metadata, out, on_preview, should_cancel, on_poster):
        def preview_then_fail(folder, manifest):
            on_preview(folder, manifest)
            raise MediaError("the video could not be processed (it may be damaged)")

        return real(source, metadata, out, preview_then_fail, should_cancel, on_poster)

    monkeypatch.setattr(jobs, "process_upload", damaged_further_in)
    assert run_job(job.id, catalog, store, "w1", FAST).outcome is Outcome.FAILED
    assert catalog.get_reel(reel_id).state is ReelState.FAILED
    assert published_prefixes(store, reel_id) == set()
