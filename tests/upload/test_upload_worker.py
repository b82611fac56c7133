"""The background upload worker: its own thread, pause, resume, cancel, stop and restart."""

from __future__ import annotations

import threading

import pytest

from reeleditor.core.errors import Cancelled
from reeleditor.upload.errors import RetryPolicy
from reeleditor.upload.queue import UploadQueue
from reeleditor.upload.transfer import Uploader, UploadProgress
from reeleditor.upload.worker import UploadWorker
from tests.upload.upload_support import sha256_file

CHUNK = 32 * 1024
SIZE = 512 * 1024
WAIT = 20


class Recorder:
    """Collects the worker's callbacks and lets the test wait for them (no sleeps)."""

    def __init__(self) -> None:
        self.threads: set[int] = set()
        self.finished: list[tuple] = []
        self.passed = threading.Event()
        self.ended = threading.Event()
        self.mark = 0

    def on_progress(self, entry_id, progress) -> None:
        self.threads.add(threading.get_ident())
        if isinstance(progress, UploadProgress) and progress.done >= self.mark:
            self.passed.set()

    def on_finished(self, entry_id, entry, error) -> None:
        self.finished.append((entry_id, entry, error))
        self.ended.set()

    def wait_end(self):
        assert self.ended.wait(WAIT), "the worker did not finish"
        self.ended.clear()
        return self.finished[-1]


@pytest.fixture
def setup(peer, make_proxy, make_file, tmp_path):
    proxy = make_proxy(peer)
    proxy.rate = 1024 * 1024  # about half a second for the file: time to pause it
    queue = UploadQueue(tmp_path / "uploads")
    path = make_file(SIZE)
    entry = queue.add(path, SIZE, sha256_file(path), proxy.url())
    uploader = Uploader(queue, chunk_size=CHUNK, policy=RetryPolicy(base=0.02, cap=0.1))
    return peer, queue, entry, uploader


def start(uploader, rec, resume=True):
    return UploadWorker(uploader, rec.on_progress, rec.on_finished).start(resume)


def test_pause_then_resume_on_the_worker_thread(setup):
    peer, _, entry, uploader = setup
    rec = Recorder()
    rec.mark = 2 * CHUNK
    worker = start(uploader, rec, resume=False)
    try:
        worker.submit(entry.id)
        assert rec.passed.wait(WAIT)
        worker.pause(entry.id)
        _, paused, error = rec.wait_end()
        assert error is None and paused.state == "paused" and paused.offset < SIZE
        worker.resume(entry.id)
        _, done, error = rec.wait_end()
        assert error is None and done.state == "done"
        assert peer.stored_sha256(done.upload_url) == entry.sha256
        assert threading.get_ident() not in rec.threads  # never the caller's thread
    finally:
        worker.stop()
    assert not worker.alive


def test_stop_leaves_it_queued_and_the_next_start_finishes_it(setup):
    peer, queue, entry, uploader = setup
    rec = Recorder()
    rec.mark = CHUNK
    worker = start(uploader, rec, resume=False)
    worker.submit(entry.id)
    assert rec.passed.wait(WAIT)
    worker.stop()
    assert queue.get(entry.id).state == "queued"
    rec2 = Recorder()
    worker2 = start(Uploader(UploadQueue(queue.folder), chunk_size=CHUNK), rec2)  # restart
    try:
        _, done, error = rec2.wait_end()
        assert error is None and done.state == "done"
        assert peer.stored_sha256(done.upload_url) == entry.sha256
    finally:
        worker2.stop()


def test_cancel_a_running_upload(setup):
    peer, queue, entry, uploader = setup
    rec = Recorder()
    rec.mark = CHUNK
    worker = start(uploader, rec, resume=False)
    try:
        worker.submit(entry.id)
        assert rec.passed.wait(WAIT)
        url = queue.get(entry.id).upload_url
        worker.cancel(entry.id)
        _, _, error = rec.wait_end()
        assert isinstance(error, Cancelled)
        assert queue.list() == [] and not peer.stored(url).exists()
    finally:
        worker.stop()


def test_errors_reach_on_finished(setup):
    uploader = setup[3]
    rec = Recorder()
    worker = start(uploader, rec, resume=False)
    try:
        worker.submit("0000beef")  # no such entry
        entry_id, _, error = rec.wait_end()
        assert entry_id == "0000beef" and "no upload" in str(error)
    finally:
        worker.stop()
