"""The upload scheduler: one run at a time, its own outcome for each ending, stop drains."""

from __future__ import annotations

import threading
import time

import pytest

from reeleditor.upload.errors import RetryPolicy
from reeleditor.upload.queue import UploadQueue
from reeleditor.upload.transfer import Uploader, UploadProgress
from reeleditor.upload.worker import UploadOutcome, UploadScheduler, describe
from tests.upload.upload_support import free_port, sha256_file

CHUNK = 32 * 1024
SIZE = 512 * 1024
WAIT = 20


class Run:
    """Drives one `work()` on its own thread, as the app's task runner does."""

    def __init__(self, scheduler: UploadScheduler, mark: int = 0) -> None:
        taken = scheduler.take_next()
        assert taken is not None, "nothing to run"
        self.entry_id, self.control = taken
        self.passed = threading.Event()  # progress went past `mark`
        self.sending = threading.Event()  # a request body is being read
        self.mark = mark
        self.result = None
        self.threads: set[int] = set()
        self.control.link(self._sending)
        self._work = scheduler.work(self.entry_id, self.control)
        self._thread = threading.Thread(target=self._drive, daemon=True)
        self._thread.start()

    def _sending(self) -> bool:
        self.sending.set()
        return False  # never asks for a stop itself

    def _drive(self) -> None:
        while True:
            try:
                progress = next(self._work)
            except StopIteration as stop:
                self.result = stop.value
                return
            self.threads.add(threading.get_ident())
            if isinstance(progress, UploadProgress) and progress.done >= self.mark:
                self.passed.set()

    def end(self, timeout: float = WAIT):
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the upload did not end"
        return self.result


@pytest.fixture
def setup(peer, make_proxy, make_file, tmp_path):
    proxy = make_proxy(peer)
    proxy.rate = 1024 * 1024  # about half a second for the file: time to pause it
    queue = UploadQueue(tmp_path / "uploads")
    path = make_file(SIZE)
    entry = queue.add(path, SIZE, sha256_file(path), proxy.url())
    uploader = Uploader(queue, chunk_size=CHUNK, policy=RetryPolicy(base=0.02, cap=0.1))
    return peer, proxy, queue, entry, uploader


def test_pause_is_paused_and_resume_is_done_checked_on_the_server(setup):
    peer, _, _, entry, uploader = setup
    scheduler = UploadScheduler(uploader)
    scheduler.submit(entry.id)
    run = Run(scheduler, mark=2 * CHUNK)
    assert run.passed.wait(WAIT)
    scheduler.pause(entry.id)
    paused = run.end()
    assert paused.outcome is UploadOutcome.PAUSED  # never "complete"
    assert paused.entry.state == "paused" and paused.entry.offset < SIZE
    assert describe(paused).startswith("Paused reel.mp4 at ")
    assert threading.get_ident() not in run.threads

    scheduler.resume(entry.id)
    done = Run(scheduler).end()
    assert done.outcome is UploadOutcome.DONE
    assert peer.stored_sha256(done.entry.upload_url) == entry.sha256
    # the Node server holds every byte but reports no sha256: the entry says so
    assert done.entry.verified == (
        "server holds 512.0 KiB of 512.0 KiB; server did not report a sha256: offset checked only"
    )
    assert done.message == f"Uploaded reel.mp4: {done.entry.verified}"


def test_one_run_at_a_time(setup, make_file):
    _, _, queue, entry, uploader = setup
    other = make_file(1000, name="b.mp4")
    second = queue.add(other, 1000, sha256_file(other), entry.endpoint)
    scheduler = UploadScheduler(uploader)
    scheduler.submit(entry.id)
    scheduler.submit(second.id)
    scheduler.submit(entry.id)  # twice: still once
    assert scheduler.pending == [entry.id, second.id]
    run = Run(scheduler)
    assert scheduler.running == entry.id
    assert scheduler.take_next() is None  # the second waits for the first to end
    assert run.end().outcome is UploadOutcome.DONE
    assert scheduler.running is None
    assert Run(scheduler).end().outcome is UploadOutcome.DONE
    assert scheduler.take_next() is None and scheduler.pending == []


def test_stop_drains_the_pending_and_the_running_one_ends_stopped(setup, make_file):
    peer, _, queue, entry, uploader = setup
    other = make_file(1000, name="b.mp4")
    second = queue.add(other, 1000, sha256_file(other), entry.endpoint)
    scheduler = UploadScheduler(uploader)
    scheduler.submit(entry.id)
    scheduler.submit(second.id)
    run = Run(scheduler, mark=CHUNK)
    assert run.passed.wait(WAIT)
    assert scheduler.stop() == [second.id]
    stopped = run.end()
    assert stopped.outcome is UploadOutcome.STOPPED and stopped.entry.state == "queued"
    assert scheduler.pending == [] and scheduler.take_next() is None
    assert [e.state for e in queue.list()] == ["queued", "queued"]  # both resume next start

    again = UploadScheduler(Uploader(UploadQueue(queue.folder), chunk_size=CHUNK))
    again.submit_unfinished()
    results = [Run(again).end(), Run(again).end()]
    assert [r.outcome for r in results] == [UploadOutcome.DONE, UploadOutcome.DONE]
    assert peer.stored_sha256(results[0].entry.upload_url) == entry.sha256


def test_a_stop_abandons_a_slow_chunk_at_once(peer, make_proxy, make_file, tmp_path):
    proxy = make_proxy(peer)
    proxy.rate = 128 * 1024  # one 4 MiB chunk takes half a minute: more than socket buffers
    size = 8 * SIZE
    queue = UploadQueue(tmp_path / "uploads")
    path = make_file(size)
    entry = queue.add(path, size, sha256_file(path), proxy.url())
    scheduler = UploadScheduler(Uploader(queue, chunk_size=size))
    scheduler.submit(entry.id)
    run = Run(scheduler)
    assert run.sending.wait(WAIT)
    asked = time.monotonic()
    scheduler.stop()
    result = run.end()
    assert time.monotonic() - asked < 2.0  # not the rest of the chunk
    assert result.outcome is UploadOutcome.STOPPED and result.entry.state == "queued"
    proxy.rate = None
    scheduler.submit_unfinished()
    done = Run(scheduler).end()
    assert done.outcome is UploadOutcome.DONE
    assert peer.stored_sha256(done.entry.upload_url) == entry.sha256


def test_cancel_a_running_upload(setup):
    peer, _, queue, entry, uploader = setup
    scheduler = UploadScheduler(uploader)
    scheduler.submit(entry.id)
    run = Run(scheduler, mark=CHUNK)
    assert run.passed.wait(WAIT)
    url = queue.get(entry.id).upload_url
    scheduler.cancel(entry.id)
    result = run.end()
    # no id in the window's words
    assert result.outcome is UploadOutcome.CANCELLED and describe(result) == "Cancelled the upload"
    assert queue.list() == [] and not peer.stored(url).exists()


def test_cancel_of_a_waiting_upload_runs_first_and_deletes_it(setup):
    _, _, queue, entry, uploader = setup
    scheduler = UploadScheduler(uploader)
    scheduler.cancel(entry.id)
    assert scheduler.pending == [entry.id]
    assert Run(scheduler).end().outcome is UploadOutcome.CANCELLED
    assert queue.list() == []


def test_errors_are_failed_results(setup):
    uploader = setup[4]
    scheduler = UploadScheduler(uploader)
    scheduler.submit("0000beef")  # no such entry
    result = Run(scheduler).end()
    assert result.outcome is UploadOutcome.FAILED and "no upload 0000beef" in result.message


def test_an_endpoint_nobody_listens_on_is_offline_and_stays_queued(make_file, tmp_path):
    queue = UploadQueue(tmp_path / "uploads")
    path = make_file(1000)
    entry = queue.add(path, 1000, sha256_file(path), f"http://127.0.0.1:{free_port()}/files/")
    policy = RetryPolicy(base=0.02, cap=0.1, offline_give_up_after=0.3)
    scheduler = UploadScheduler(Uploader(queue, policy=policy))
    scheduler.submit(entry.id)
    result = Run(scheduler).end()
    assert result.outcome is UploadOutcome.OFFLINE
    assert result.message == "The server did not answer; the upload stays queued"
    left = queue.get(entry.id)
    assert left.state == "queued" and "connection refused" in left.last_error  # for the CLI


def test_restart_asks_the_running_one_to_stop_and_run_first_unless_asked_already(tmp_path):
    scheduler = UploadScheduler(Uploader(UploadQueue(tmp_path / "uploads")))
    for entry_id in ("0000aaaa", "0000bbbb", "0000cccc"):
        scheduler.submit(entry_id)
    entry_id, control = scheduler.take_next()
    assert scheduler.restart() == entry_id and control.action == "stop"
    assert scheduler.pending == ["0000aaaa", "0000bbbb", "0000cccc"]
    scheduler.release(entry_id)
    entry_id, control = scheduler.take_next()
    control.request("pause")  # the user's pause is not turned into a restart
    assert scheduler.restart() is None and control.action == "pause"
    assert scheduler.pending == ["0000bbbb", "0000cccc"]
