"""The reference cloud: tus ingest, verification, processing, delivery and the feed."""

import base64
import hashlib

import av
import pytest
import requests

from reeleditor.cloud.server import serve_in_thread, wait_published
from reeleditor.media.sources.testpattern import TestPatternSource
from reeleditor.media.take import record_take
from reeleditor.upload.queue import UploadQueue
from reeleditor.upload.transfer import Uploader
from tests.conftest import run_cli


@pytest.fixture
def cloud(tmp_path):
    server = serve_in_thread("127.0.0.1", 0, tmp_path / "cloud")
    host, port = server.server_address[:2]
    yield server, f"http://{host}:{port}"
    server.close()


@pytest.fixture
def reel(store, tmp_path):
    draft = store.create("Cloud reel", width=720, height=1280)
    source = TestPatternSource(720, 1280, 30).open()
    try:
        for _ in record_take(store, draft.id, source, source.audio, 1.0):
            pass
    finally:
        source.close()
    draft = store.load(draft.id)
    return store.media_path(draft, draft.segments[0])


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_upload_with_our_client_is_verified_processed_and_served(cloud, reel, reel_home):
    server, base = cloud
    data = reel.read_bytes()
    queue = UploadQueue(reel_home / "uploads")
    entry = queue.add(reel, len(data), _sha256(data), f"{base}/files/", title="Cloud reel")
    uploader = Uploader(queue, chunk_size=64 * 1024)
    for _ in uploader.run(entry.id):
        pass
    done = queue.get(entry.id)
    assert done.verified.endswith("; sha256 confirmed by server")
    upload_id = done.upload_url.rstrip("/").rsplit("/", 1)[-1]
    assert wait_published(server, upload_id) == "published"
    assert server.stored_sha256(upload_id) == _sha256(data)

    feed = requests.get(f"{base}/feed.json", timeout=5)
    assert feed.status_code == 200 and "max-age" in feed.headers["Cache-Control"]
    [item] = feed.json()
    assert item["title"] == "Cloud reel" and item["duration"] == pytest.approx(1.0, abs=0.05)
    again = requests.get(
        f"{base}/feed.json", headers={"If-None-Match": feed.headers["ETag"]}, timeout=5
    )
    assert again.status_code == 304

    mp4 = requests.get(base + item["mp4_url"], timeout=5)
    assert mp4.status_code == 200 and "immutable" in mp4.headers["Cache-Control"]
    assert mp4.headers["Content-Type"] == "video/mp4"
    part = requests.get(base + item["mp4_url"], headers={"Range": "bytes=10-19"}, timeout=5)
    assert part.status_code == 206 and part.content == mp4.content[10:20]
    cached = requests.get(
        base + item["mp4_url"], headers={"If-None-Match": mp4.headers["ETag"]}, timeout=5
    )
    assert cached.status_code == 304 and cached.content == b""
    master = requests.get(base + item["hls_url"], timeout=5)
    assert (
        "mpegurl" in master.headers["Content-Type"]
        and "must-revalidate" in (master.headers["Cache-Control"])
    )
    rungs = [line for line in master.text.splitlines() if line.endswith("index.m3u8")]
    assert rungs[0] == "360p/index.m3u8"  # smallest first
    path = reel.parent / "rendition.mp4"
    path.write_bytes(mp4.content)
    with av.open(str(path)) as container:
        ctx = container.streams.video[0].codec_context
        assert (ctx.width, ctx.height) == (item["width"], item["height"])
        assert sum(1 for _ in container.decode(video=0)) == 30
    assert requests.get(base + item["poster_url"], timeout=5).content[:2] == b"\xff\xd8"

    listed = run_cli("feed", "--endpoint", f"{base}/files/", "--json")
    assert listed.returncode == 0 and listed.stdout.count(upload_id) >= 1


def _create(base, length, meta=""):
    return requests.post(
        f"{base}/files/",
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(length), "Upload-Metadata": meta},
        timeout=5,
    )


def test_protocol_answers(cloud):
    _server, base = cloud
    options = requests.options(f"{base}/files/", timeout=5)
    assert "creation" in options.headers["Tus-Extension"]
    assert "sha256" in options.headers["Tus-Checksum-Algorithm"]
    created = _create(base, 10, "filename " + base64.b64encode(b"a.mp4").decode())
    assert created.status_code == 201
    url = base + created.headers["Location"]
    patch = {"Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream"}
    wrong = requests.patch(url, data=b"abc", headers={**patch, "Upload-Offset": "5"}, timeout=5)
    assert wrong.status_code == 409
    bad_sum = requests.patch(
        url,
        data=b"abc",
        timeout=5,
        headers={
            **patch,
            "Upload-Offset": "0",
            "Upload-Checksum": "sha256 " + base64.b64encode(b"x" * 32).decode(),
        },
    )
    assert bad_sum.status_code == 460
    good_sum = requests.patch(
        url,
        data=b"abc",
        timeout=5,
        headers={
            **patch,
            "Upload-Offset": "0",
            "Upload-Checksum": "sha1 " + base64.b64encode(hashlib.sha1(b"abc").digest()).decode(),
        },
    )
    assert good_sum.status_code == 204 and good_sum.headers["Upload-Offset"] == "3"
    head = requests.head(url, headers={"Tus-Resumable": "1.0.0"}, timeout=5)
    assert head.headers["Upload-Offset"] == "3" and head.headers["Upload-Length"] == "10"
    too_long = requests.patch(
        url, data=b"x" * 20, headers={**patch, "Upload-Offset": "3"}, timeout=5
    )
    assert too_long.status_code == 413
    assert requests.delete(url, headers={"Tus-Resumable": "1.0.0"}, timeout=5).status_code == 204
    assert requests.head(url, headers={"Tus-Resumable": "1.0.0"}, timeout=5).status_code == 404


def test_a_finished_upload_tells_its_sha256_on_the_last_patch_and_on_head(cloud):
    _server, base = cloud
    created = _create(base, 6)
    url = base + created.headers["Location"]
    patch = {"Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream"}
    first = requests.patch(url, data=b"abc", headers={**patch, "Upload-Offset": "0"}, timeout=5)
    assert "Upload-Sha256-Verified" not in first.headers  # not finished: nothing to confirm
    assert "Upload-Sha256-Verified" not in requests.head(url, headers=patch, timeout=5).headers
    last = requests.patch(url, data=b"def", headers={**patch, "Upload-Offset": "3"}, timeout=5)
    assert last.headers["Upload-Sha256-Verified"] == _sha256(b"abcdef")
    head = requests.head(url, headers={"Tus-Resumable": "1.0.0"}, timeout=5)
    assert head.headers["Upload-Sha256-Verified"] == _sha256(b"abcdef")
    whole = requests.post(
        f"{base}/files/",
        data=b"xyz",
        timeout=5,
        headers={**patch, "Upload-Length": "3"},
    )
    assert whole.status_code == 201 and whole.headers["Upload-Sha256-Verified"] == _sha256(b"xyz")


def test_tampered_upload_is_not_published(cloud):
    server, base = cloud
    meta = "sha256 " + base64.b64encode(b"0" * 64).decode()
    created = _create(base, 5, meta)
    url = base + created.headers["Location"]
    requests.patch(
        url,
        data=b"hello",
        timeout=5,
        headers={
            "Tus-Resumable": "1.0.0",
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": "0",
        },
    )
    upload_id = created.headers["Location"].rsplit("/", 1)[-1]
    state = wait_published(server, upload_id)
    assert state.startswith("failed") and "sha256" in state
    assert requests.get(f"{base}/feed.json", timeout=5).json() == []


def test_bearer_token_is_required_when_set(tmp_path):
    server = serve_in_thread("127.0.0.1", 0, tmp_path / "c", token="s3cret")
    host, port = server.server_address[:2]
    base = f"http://{host}:{port}"
    try:
        assert _create(base, 3).status_code == 401
        ok = requests.post(
            f"{base}/files/",
            timeout=5,
            headers={
                "Tus-Resumable": "1.0.0",
                "Upload-Length": "3",
                "Authorization": "Bearer s3cret",
            },
        )
        assert ok.status_code == 201
    finally:
        server.close()
