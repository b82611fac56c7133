"""The durable queue's files, and the retry policy's arithmetic."""

from __future__ import annotations

import json
import random
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reeleditor.upload.errors import EntryNotFound, RetryPolicy, UploadBusy, parse_retry_after
from reeleditor.upload.queue import UploadEntry, UploadQueue


@pytest.fixture
def queue(tmp_path):
    return UploadQueue(tmp_path / "uploads")


def test_entries_persist_and_reload_in_a_new_queue(queue, tmp_path):
    f = tmp_path / "a.mp4"
    f.write_bytes(b"x" * 10)
    entry = queue.add(f, 10, "ab" * 32, "http://h/files/", title="T", draft_id="d")
    queue.update(entry.id, upload_url="http://h/files/1", offset=4, state="uploading")
    again = UploadQueue(queue.folder).get(entry.id)
    assert (again.file, again.size, again.sha256, again.endpoint) == (
        str(f.absolute()),
        10,
        "ab" * 32,
        "http://h/files/",
    )
    assert (again.upload_url, again.offset, again.state, again.attempts) == (
        "http://h/files/1",
        4,
        "uploading",
        0,
    )
    raw = json.loads(queue.path(entry.id).read_text())
    assert raw["schema_version"] == 1
    assert queue.find_unfinished(f, "http://h/files/").id == entry.id
    assert queue.find_unfinished(f, "http://other/files/") is None


def test_damaged_entries_are_set_aside_and_the_rest_still_load(queue, tmp_path):
    good = queue.add(tmp_path / "a.mp4", 1, "00", "http://h/")
    (queue.folder / "deadbeef.json").write_text("{not json")
    (queue.folder / "cafebabe.json").write_text(json.dumps({"id": "cafebabe", "state": "odd"}))
    entries = queue.list()
    assert [e.id for e in entries] == [good.id]
    assert len(queue.problems) == 2
    assert (queue.folder / "deadbeef.json.damaged").exists()


def test_newer_schema_is_refused_not_misread():
    data = UploadEntry("0123abcd", "f", 1, "00", "http://h/", 0.0, 0.0).to_dict()
    data["schema_version"] = 99
    with pytest.raises(ValueError):
        UploadEntry.from_dict(data)


def test_unknown_ids_are_clear_errors(queue):
    for bad in ("nope", "../etc", "0123abcd"):
        with pytest.raises(EntryNotFound) as err:
            queue.get(bad)
        assert "uploads list" in str(err.value)


def test_claim_is_exclusive_and_released(queue, tmp_path):
    entry = queue.add(tmp_path / "a.mp4", 1, "00", "http://h/")
    lock = queue.claim(entry.id)
    assert queue.is_running(entry.id)
    with pytest.raises(UploadBusy):
        UploadQueue(queue.folder).claim(entry.id)
    lock.release()
    assert not queue.is_running(entry.id)


def test_update_changes_only_what_it_names(queue, tmp_path):
    entry = queue.add(tmp_path / "a.mp4", 1, "00", "http://h/")
    UploadQueue(queue.folder).update(entry.id, state="paused")  # another process
    after = queue.update(entry.id, offset=1)
    assert after.state == "paused" and after.offset == 1
    queue.remove(entry.id)
    assert queue.list() == []


@given(st.integers(min_value=1, max_value=40), st.floats(0.01, 5), st.floats(0.05, 100))
def test_backoff_grows_is_capped_and_jittered(failures, base, cap):
    policy = RetryPolicy(base=base, cap=cap)
    ceiling = min(cap, base * 2 ** (failures - 1))
    delay = policy.delay(failures, rng=random.Random(failures))
    assert ceiling / 2 <= delay <= ceiling


def test_retry_after_is_honoured_but_clipped():
    policy = RetryPolicy(base=0.1, cap=1.0, max_retry_after=60)
    assert policy.delay(1, retry_after=7) == 7
    assert policy.delay(1, retry_after=10_000) == 60


def test_parse_retry_after_seconds_dates_and_junk():
    assert parse_retry_after("3") == 3.0
    now = time.time()
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now + 30))
    assert 28 <= parse_retry_after(date, now=now) <= 31
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_find_or_add_from_two_threads_makes_one_entry(tmp_path):
    queue = UploadQueue(tmp_path / "uploads")
    path = tmp_path / "reel.mp4"
    path.write_bytes(b"x" * 100)
    barrier = threading.Barrier(8)
    found = []

    def publish():
        barrier.wait()
        found.append(queue.find_or_add(path, 100, "ab" * 32, "http://127.0.0.1:1/files/"))

    threads = [threading.Thread(target=publish) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(queue.list()) == 1
    assert len({entry.id for entry, _new in found}) == 1
    assert sorted(new for _entry, new in found) == [False] * 7 + [True]
    # another content of the same file is another upload
    other, new = queue.find_or_add(path, 100, "cd" * 32, "http://127.0.0.1:1/files/")
    assert new and other.id != found[0][0].id
