"""Object stores, in a folder and on S3 (moto's server): the same tests, the same bytes."""

from __future__ import annotations

import os
import tracemalloc

import pytest

from reeleditor.cloud.objects import FolderStore, check_key
from reeleditor.cloud.urls import open_store
from tests.cloud.services import s3_endpoint, storage_url  # noqa: F401 (fixtures)

MiB = 1 << 20


@pytest.fixture
def objects(storage_url):  # noqa: F811
    return open_store(storage_url)


def patch(objects, key, state, offset, data: bytes, chunk=64 * 1024, commit=True):
    sink = objects.open_sink(key, state, offset)
    for i in range(0, len(data), chunk):
        sink.write(data[i : i + chunk])
    if not commit:
        sink.discard()
        return offset, state
    return sink.commit()


def whole(objects, key, start=0, end=None) -> bytes:
    return b"".join(objects.read(key, start, end))


def tails(objects, key) -> list[str]:
    if isinstance(objects, FolderStore):
        return []
    answer = objects.client.list_objects_v2(Bucket=objects.bucket, Prefix=f"{key}.tail")
    return [o["Key"] for o in answer.get("Contents", [])]


def test_an_upload_in_small_patches_with_a_discard_is_byte_identical(objects):
    data = os.urandom(12 * MiB + 12345)
    key = "uploads/u1"
    state = objects.begin_upload(key)
    offset = 0
    # small PATCHes: below S3's 5 MiB part minimum, kept as a tail object meanwhile
    for size in (1 * MiB, 3 * MiB):
        offset, state = patch(objects, key, state, offset, data[offset : offset + size])
    assert offset == 4 * MiB
    if "parts" in state:
        assert state["parts"] == [] and state["tail"] == 4 * MiB
        assert tails(objects, key) == [f"{key}.tail.0"]
    # a PATCH that sends a part and then breaks: nothing of it counts
    same_offset, same_state = patch(objects, key, state, offset, data[offset : offset + 6 * MiB],
                                    commit=False)  # fmt: skip
    assert (same_offset, same_state) == (offset, state)
    # the same bytes again: the part number is used again
    offset, state = patch(objects, key, state, offset, data[offset : offset + 6 * MiB])
    assert offset == 10 * MiB
    if "parts" in state:
        assert [p[0] for p in state["parts"]] == [1]
        assert state["tail"] == 10 * MiB - state["parts"][0][2]
    offset, state = patch(objects, key, state, offset, data[offset:])
    assert offset == len(data)
    objects.finish_upload(key, state)
    assert whole(objects, key) == data
    assert objects.stat(key).size == len(data)
    assert tails(objects, key) == []


def test_a_sink_left_by_a_killed_node_does_not_count(objects):
    """Bytes written past the recorded offset (no commit) are dropped by the next sink."""
    key = "uploads/u2"
    state = objects.begin_upload(key)
    offset, state = patch(objects, key, state, 0, b"a" * 1000)
    sink = objects.open_sink(key, state, offset)
    sink.write(b"junk" * 100)  # never committed nor discarded: the node died
    offset, state = patch(objects, key, state, offset, b"b" * 10)
    objects.finish_upload(key, state)
    assert whole(objects, key) == b"a" * 1000 + b"b" * 10


def test_an_empty_upload_finishes_as_an_empty_object(objects):
    state = objects.begin_upload("uploads/empty")
    objects.finish_upload("uploads/empty", state)
    assert objects.stat("uploads/empty").size == 0
    assert whole(objects, "uploads/empty") == b""


def test_sinks_keep_memory_bounded(objects):
    key = "uploads/big"
    state = objects.begin_upload(key)
    block = os.urandom(64 * 1024)
    tracemalloc.start()
    try:
        sink = objects.open_sink(key, state, 0)
        for _ in range(24 * MiB // len(block)):
            sink.write(block)
        offset, state = sink.commit()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert offset == 24 * MiB
    assert peak < 4 * MiB, f"peak {peak / MiB:.1f} MiB for a 24 MiB body"
    objects.abort_upload(key, state)


def test_abort_removes_every_stored_byte(objects):
    key = "uploads/gone"
    state = objects.begin_upload(key)
    _, state = patch(objects, key, state, 0, os.urandom(9 * MiB))
    objects.abort_upload(key, state)
    assert objects.stat(key) is None
    assert tails(objects, key) == []
    if not isinstance(objects, FolderStore):
        listed = objects.client.list_multipart_uploads(Bucket=objects.bucket)
        assert listed.get("Uploads", []) == []


def test_objects_ranges_stat_and_prefixes(objects, tmp_path):
    data = os.urandom(3 * MiB + 7)
    objects.put_bytes("media/r1/abc/original.mp4", data, "video/mp4")
    src = tmp_path / "poster.jpg"
    src.write_bytes(b"\xff\xd8jpeg")
    objects.put_file("media/r1/abc/poster.jpg", str(src), "image/jpeg")
    info = objects.stat("media/r1/abc/original.mp4")
    assert info.size == len(data) and info.etag.startswith('"') and info.etag.endswith('"')
    assert info.content_type == "video/mp4"
    assert objects.stat("media/r1/abc/poster.jpg").content_type == "image/jpeg"
    assert whole(objects, "media/r1/abc/original.mp4", 5, 100) == data[5:100]
    assert whole(objects, "media/r1/abc/original.mp4", len(data) - 3) == data[-3:]
    assert whole(objects, "media/r1/abc/original.mp4", 10, 10) == b""
    assert all(len(b) <= MiB for b in objects.read("media/r1/abc/original.mp4"))
    objects.fetch_to_file("media/r1/abc/original.mp4", str(tmp_path / "copy"))
    assert (tmp_path / "copy").read_bytes() == data
    objects.put_bytes("media/r10/x", b"not under r1/", "text/plain")
    objects.put_bytes("media/r1/abc/360p/seg_00000.m4s", b"seg", "video/iso.segment")
    assert objects.list_keys("media/r1/") == [
        "media/r1/abc/360p/seg_00000.m4s",
        "media/r1/abc/original.mp4",
        "media/r1/abc/poster.jpg",
    ]
    assert objects.list_keys("media/none/") == []
    objects.delete_prefix("media/r1/")
    assert objects.list_keys("media/r1/") == []
    assert objects.stat("media/r1/abc/original.mp4") is None
    assert objects.stat("media/r10/x") is not None
    assert objects.stat("nothing/here") is None
    with pytest.raises(FileNotFoundError):
        whole(objects, "nothing/here")
    objects.delete("nothing/here")  # deleting what is gone is fine


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "../x", "a/./b"])
def test_keys_cannot_leave_the_store(key):
    with pytest.raises(ValueError):
        check_key(key)


@pytest.mark.parametrize(
    "url",
    ["file://relative/dir", "s3://", "s3://Bad_Bucket", "s3://bucket?endpoint=ftp://x",
     "s3://bucket?color=red", "gs://bucket", "/just/a/path"],
)  # fmt: skip
def test_bad_storage_urls_are_one_line_errors(url):
    from reeleditor.cloud.urls import CloudConfigError

    with pytest.raises(CloudConfigError) as info:
        open_store(url)
    assert "\n" not in str(info.value) and "--storage" in str(info.value)


def test_a_sink_refuses_an_offset_the_stored_bytes_do_not_reach(objects):
    key = "uploads/short"
    state = objects.begin_upload(key)
    offset, state = patch(objects, key, state, 0, b"x" * 100)
    with pytest.raises(OSError):
        objects.open_sink(key, state, offset + 50)
    assert objects.stat("../outside") is None
