"""Whole uploads against the Node tus server, through a proxy that cuts, stalls and lies."""

from __future__ import annotations

import time

import pytest

from reeleditor.core.errors import Cancelled
from reeleditor.upload.errors import (
    AuthFailed,
    EndpointUnreachable,
    NotTusServer,
    RetryPolicy,
    ServerRejected,
    SourceFileError,
    UploadBusy,
)
from reeleditor.upload.queue import UploadQueue
from reeleditor.upload.transfer import Control, Uploader, UploadProgress
from tests.upload.upload_support import free_port, sha256_file

CHUNK = 64 * 1024
SIZE = 640 * 1024 + 123  # eleven chunks, the last one short
FAST = RetryPolicy(base=0.02, cap=0.1, give_up_after=15)


@pytest.fixture
def queue(tmp_path):
    return UploadQueue(tmp_path / "uploads")


def add(queue, path, endpoint):
    return queue.add(
        path, path.stat().st_size, sha256_file(path), endpoint, title="My reel", draft_id="d1"
    )


def uploader(queue, **kw):
    kw.setdefault("chunk_size", CHUNK)
    kw.setdefault("policy", FAST)
    kw.setdefault("timeout", (2.0, 2.0))
    return Uploader(queue, **kw)


def run(work):
    """Drive a Progress generator to its end; returns (result, progress list)."""
    seen = []
    while True:
        try:
            seen.append(next(work))
        except StopIteration as stop:
            return stop.value, seen


def run_until(work, offset):
    """Drive until the upload passed `offset`, then close it like Ctrl-C would."""
    for progress in work:
        if isinstance(progress, UploadProgress) and progress.done >= offset:
            break
    work.close()


def test_upload_stores_the_same_bytes_with_metadata(peer, make_file, queue):
    path = make_file(SIZE)
    entry = add(queue, path, peer.url)
    done, seen = run(uploader(queue).run(entry.id))
    assert done.state == "done" and done.offset == SIZE and done.attempts == 1
    assert peer.stored_sha256(done.upload_url) == entry.sha256
    meta = peer.stored_metadata(done.upload_url)
    assert meta == {
        "filename": "reel.mp4",
        "filetype": "video/mp4",
        "title": "My reel",
        "draft_id": "d1",
        "sha256": entry.sha256,
    }
    ups = [p for p in seen if isinstance(p, UploadProgress)]
    assert ups[-1].done == SIZE and ups[-1].total == SIZE and ups[-1].rate > 0
    assert "MiB/s" in ups[-1].describe() and "left" in ups[-1].describe()
    assert queue.get(entry.id).state == "done"
    # checked once before sending (the caller had not hashed it), never read a second time
    assert [p.stage for p in seen if p.stage != "upload"][-1] == "verifying"
    assert sum(p.stage == "verifying" for p in seen) == 1


def test_an_empty_file_uploads(peer, make_file, queue):
    path = make_file(0, name="empty.mp4")
    done, _ = run(uploader(queue).run(add(queue, path, peer.url).id))
    assert done.state == "done" and peer.stored(done.upload_url).read_bytes() == b""


def test_checksummed_chunks_damaged_on_the_way_are_resent(start_peer, make_proxy, make_file, queue):
    peer = start_peer(checksum=True)
    proxy = make_proxy(peer)
    proxy.corrupt_next(2)
    path = make_file(SIZE)
    done, _ = run(uploader(queue).run(add(queue, path, proxy.url()).id))
    assert proxy.faults_fired == 2
    assert peer.stored_sha256(done.upload_url) == sha256_file(path)
    # each damaged chunk was sent twice, nothing else
    assert proxy.body_bytes == SIZE + 2 * CHUNK


FAULTS = {
    "cut": lambda p: p.cut_after(200_000),
    "stall": lambda p: p.stall_after(150_000, 2.0),
    "503": lambda p: p.answer("PATCH", 503, {"Retry-After": "1"}, b"busy", times=2),
    "500": lambda p: p.answer("PATCH", 500, times=3),
    "423": lambda p: p.answer("PATCH", 423, times=2),
    "409": lambda p: p.answer("PATCH", 409, times=2),
    "460": lambda p: p.answer("PATCH", 460, times=2),
    "head-502": lambda p: (p.cut_after(100_000), p.answer("HEAD", 502, times=2)),
    "create-503": lambda p: p.answer("POST", 503, times=2),
    "404": lambda p: p.answer("PATCH", 404, times=1),
    "410": lambda p: p.answer("PATCH", 410, times=1),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_upload_survives(fault, peer, make_proxy, make_file, queue):
    proxy = make_proxy(peer)
    FAULTS[fault](proxy)
    path = make_file(SIZE, seed=hash(fault) & 0xFFFF)
    start = time.monotonic()
    done, _ = run(uploader(queue, timeout=(1.0, 1.0)).run(add(queue, path, proxy.url()).id))
    assert proxy.faults_fired >= 1
    assert done.state == "done"
    assert peer.stored_sha256(done.upload_url) == sha256_file(path)
    if fault == "503":
        assert time.monotonic() - start >= 2.0  # Retry-After: 1, twice, was honoured
    if fault in ("404", "410"):
        assert len(list(peer.data.glob("*.json"))) == 2  # a new upload was created


def test_restart_resumes_from_the_servers_offset_not_a_local_guess(
    peer, make_proxy, make_file, queue
):
    proxy = make_proxy(peer)
    path = make_file(SIZE)
    entry = add(queue, path, proxy.url())
    run_until(uploader(queue).run(entry.id), 300_000)
    stopped = queue.get(entry.id)
    assert stopped.state == "paused" and stopped.upload_url  # interrupted: resumable
    queue.update(entry.id, offset=5)  # a wrong local offset must not matter
    done, _ = run(uploader(UploadQueue(queue.folder)).run(entry.id))  # a new process
    assert done.state == "done" and done.upload_url == stopped.upload_url
    assert peer.stored_sha256(done.upload_url) == entry.sha256
    assert proxy.body_bytes == SIZE  # nothing was sent twice


@pytest.mark.parametrize("how", ["known-expiry", "server-says-410"])
def test_an_expired_upload_is_recreated(how, start_peer, make_file, queue):
    peer = start_peer(expire_ms=800)
    path = make_file(SIZE)
    entry = add(queue, path, peer.url)
    run_until(uploader(queue).run(entry.id), 100_000)
    first = queue.get(entry.id)
    assert first.expires is not None
    time.sleep(1.2)
    if how == "server-says-410":
        queue.update(entry.id, expires=None)  # we forgot; the server's HEAD tells us
    done, _ = run(uploader(queue).run(entry.id))
    assert done.upload_url != first.upload_url
    assert peer.stored_sha256(done.upload_url) == entry.sha256


def test_a_file_changed_after_queueing_is_refused(peer, make_file, queue):
    path = make_file(SIZE)
    entry = add(queue, path, peer.url)
    data = bytearray(path.read_bytes())
    data[1000] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(SourceFileError) as err:
        run(uploader(queue).run(entry.id))
    assert "changed since upload" in str(err.value) and str(path) in str(err.value)
    assert queue.get(entry.id).state == "failed"
    assert not list(peer.data.glob("*.json"))  # nothing went to the server


def test_a_file_changed_during_the_upload_is_refused(peer, make_file, queue):
    path = make_file(SIZE)
    entry = add(queue, path, peer.url)
    work = uploader(queue).run(entry.id)
    for progress in work:
        if isinstance(progress, UploadProgress) and progress.done >= CHUNK:
            with open(path, "r+b") as f:
                f.seek(SIZE - 10)
                f.write(b"0123456789")
            break
    with pytest.raises(SourceFileError):
        run(work)
    assert queue.get(entry.id).state == "failed"


def test_a_deleted_file_fails_clearly_and_keeps_the_entry(peer, make_file, queue):
    path = make_file(SIZE)
    entry = add(queue, path, peer.url)
    path.unlink()
    with pytest.raises(SourceFileError) as err:
        run(uploader(queue).run(entry.id))
    assert "no longer exists" in str(err.value)
    assert queue.get(entry.id).last_error


def test_an_unreachable_endpoint_leaves_the_entry_queued(make_file, queue):
    path = make_file(1000)
    entry = add(queue, path, f"http://127.0.0.1:{free_port()}/files/")
    policy = RetryPolicy(base=0.01, cap=0.02, give_up_after=0.3)
    with pytest.raises(EndpointUnreachable) as err:
        run(uploader(queue, policy=policy).run(entry.id))
    assert "connection refused" in str(err.value) and "\n" not in str(err.value)
    left = queue.get(entry.id)
    assert left.state == "queued" and "connection refused" in left.last_error


def test_a_web_page_endpoint_fails_as_not_tus(html_server, make_file, queue):
    entry = add(queue, make_file(1000), html_server)
    with pytest.raises(NotTusServer):
        run(uploader(queue).run(entry.id))
    assert queue.get(entry.id).state == "failed"


def test_a_refused_token_fails_with_check_your_token(start_peer, make_file, queue):
    peer = start_peer(token="tok-123")
    entry = add(queue, make_file(1000), peer.url)
    with pytest.raises(AuthFailed) as err:
        run(uploader(queue, token="nope").run(entry.id))
    assert "check your token" in str(err.value)
    done, _ = run(uploader(queue, token="tok-123").run(entry.id))
    assert done.state == "done"


def test_pause_from_another_process_then_resume(peer, make_file, queue):
    path = make_file(SIZE)
    entry = add(queue, path, peer.url)
    work = uploader(queue).run(entry.id)
    for progress in work:
        if isinstance(progress, UploadProgress) and progress.done >= CHUNK:
            UploadQueue(queue.folder).update(entry.id, state="paused")  # 'uploads pause ID'
    paused = queue.get(entry.id)
    assert paused.state == "paused" and 0 < paused.offset < SIZE
    done, _ = run(uploader(queue).run(entry.id))
    assert done.state == "done" and peer.stored_sha256(done.upload_url) == entry.sha256


def test_cancel_deletes_the_servers_upload_and_the_entry(peer, make_file, queue):
    entry = add(queue, make_file(SIZE), peer.url)
    control = Control()
    work = uploader(queue).run(entry.id, control)
    url = None
    with pytest.raises(Cancelled):
        for progress in work:
            if isinstance(progress, UploadProgress) and progress.done >= CHUNK:
                url = queue.get(entry.id).upload_url
                control.request("cancel")
    assert url and not peer.stored(url).exists()
    assert queue.list() == []


def test_cancel_of_a_stopped_upload_deletes_it_on_the_server(peer, make_file, queue):
    entry = add(queue, make_file(SIZE), peer.url)
    run_until(uploader(queue).run(entry.id), CHUNK)
    url = queue.get(entry.id).upload_url
    assert peer.stored(url).exists()
    assert uploader(queue).cancel(entry.id) is None
    assert not peer.stored(url).exists() and queue.list() == []


def test_one_entry_is_uploaded_by_one_worker_at_a_time(peer, make_file, queue):
    entry = add(queue, make_file(1000), peer.url)
    lock = queue.claim(entry.id)
    try:
        with pytest.raises(UploadBusy):
            run(uploader(queue).run(entry.id))
    finally:
        lock.release()


def test_a_server_without_options_is_still_used(peer, make_proxy, make_file, queue):
    proxy = make_proxy(peer)
    proxy.answer("OPTIONS", 405, {"Tus-Resumable": None}, b"<html>no</html>")
    path = make_file(SIZE)
    done, _ = run(uploader(queue).run(add(queue, path, proxy.url()).id))
    assert peer.stored_sha256(done.upload_url) == sha256_file(path)


def test_a_file_over_the_servers_max_size_is_refused_before_sending(start_peer, make_file, queue):
    peer = start_peer(max_size=100_000)
    entry = add(queue, make_file(SIZE), peer.url)
    with pytest.raises(ServerRejected) as err:
        run(uploader(queue).run(entry.id))
    assert "takes at most" in str(err.value)
    assert queue.get(entry.id).state == "failed" and not list(peer.data.glob("*.json"))


def test_a_pause_from_another_process_ends_a_long_backoff(peer, make_proxy, make_file, queue):
    proxy = make_proxy(peer)
    proxy.answer("PATCH", 503, {"Retry-After": "60"})
    entry = add(queue, make_file(SIZE), proxy.url())
    start = time.monotonic()
    work = uploader(queue, policy=RetryPolicy(give_up_after=300)).run(entry.id)
    for progress in work:
        if "retrying in" in progress.message:
            UploadQueue(queue.folder).update(entry.id, state="paused")
    assert queue.get(entry.id).state == "paused"
    assert time.monotonic() - start < 5


def test_retry_lines_name_the_cause_without_urls_or_ids(make_file, queue):
    entry = add(queue, make_file(1000), f"http://127.0.0.1:{free_port()}/files/")
    policy = RetryPolicy(base=0.05, cap=0.1, offline_give_up_after=0.4)
    lines = []
    work = uploader(queue, policy=policy).run(entry.id)
    with pytest.raises(EndpointUnreachable):
        for progress in work:
            if "retrying in" in progress.message:
                lines.append(progress.message)
    assert lines and all(
        line.startswith("reel.mp4: the server does not answer (connection refused); retrying in")
        for line in lines
    )
