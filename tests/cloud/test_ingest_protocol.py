"""tus ingest on both shapes: what a server must refuse, and what it must never do twice."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import threading
import time

import requests

from reeleditor.cloud.contracts import ReelState
from tests.cloud.ingest_support import (
    PATCH,
    TUS,
    b64,
    create,
    head,
    patch,
    raw_request,
    sha256,
)


def _new(server, length=10, headers=None):
    created = create(server.url, length, headers)
    assert created.status_code == 201, created.text
    return server.url + created.headers["Location"], created.headers["Location"].rsplit("/", 1)[1]


def test_options_needs_no_version_and_says_what_is_supported(shape):
    server = shape.start()
    options = requests.options(f"{server.url}/files/", timeout=5)
    assert options.status_code == 204
    assert set(options.headers["Tus-Extension"].split(",")) == {
        "creation",
        "creation-with-upload",
        "creation-defer-length",
        "termination",
        "checksum",
        "expiration",
    }


def test_a_deferred_length_is_learnt_from_a_patch(shape):
    server = shape.start()
    both = {"Upload-Defer-Length": "1", "Upload-Length": "3"}
    assert create(server.url, 3, both).status_code == 400
    created = requests.post(
        f"{server.url}/files/", headers={**TUS, "Upload-Defer-Length": "1"}, timeout=5
    )
    assert created.status_code == 201
    url = server.url + created.headers["Location"]
    assert head(url).headers["Upload-Defer-Length"] == "1"
    assert patch(url, b"abc", 0).headers["Upload-Offset"] == "3"  # length still unknown
    assert "Upload-Length" not in head(url).headers
    assert patch(url, b"d", 3, {"Upload-Length": "2"}).status_code == 413  # below the offset
    last = patch(url, b"def", 3, {"Upload-Length": "6"})
    assert last.status_code == 204 and last.headers["Upload-Sha256-Verified"] == sha256(b"abcdef")
    assert head(url).headers["Upload-Length"] == "6"
    assert patch(url, b"", 6, {"Upload-Length": "7"}).status_code == 400  # set once


def test_412_400_409_415_and_413(shape):
    server = shape.start(max_size=1000)
    url, upload_id = _new(server)
    no_version = {"Content-Type": PATCH["Content-Type"], "Upload-Offset": "0"}
    assert requests.patch(url, data=b"abc", headers=no_version, timeout=5).status_code == 412
    wrong = {**no_version, "Tus-Resumable": "0.2.2"}
    assert requests.patch(url, data=b"abc", headers=wrong, timeout=5).status_code == 412
    assert requests.post(f"{server.url}/files/", timeout=5).status_code == 412
    assert requests.head(url, timeout=5).status_code == 412
    no_offset = requests.patch(url, data=b"abc", headers=PATCH, timeout=5)
    assert no_offset.status_code == 400
    assert patch(url, b"abc", 5).status_code == 409
    text = patch(url, b"abc", 0, {"Content-Type": "text/plain"})
    assert text.status_code == 415
    assert patch(url, b"x" * 11, 0).status_code == 413  # past Upload-Length
    assert create(server.url, 1001).status_code == 413  # past Tus-Max-Size
    assert head(url).headers["Upload-Offset"] == "0"  # none of these wrote a byte
    assert server.cloud.catalog.get_upload(upload_id).offset == 0


def test_460_discards_the_chunk_and_the_right_one_is_taken(shape):
    server = shape.start()
    url, _ = _new(server, 6)
    bad = patch(url, b"abc", 0, {"Upload-Checksum": "sha256 " + b64("x" * 32)})
    assert bad.status_code == 460
    assert head(url).headers["Upload-Offset"] == "0"
    digest = base64.b64encode(hashlib.md5(b"abc").digest()).decode()
    good = patch(url, b"abc", 0, {"Upload-Checksum": f"md5 {digest}"})
    assert good.status_code == 204 and good.headers["Upload-Offset"] == "3"
    sha1 = base64.b64encode(hashlib.sha1(b"def").digest()).decode()
    last = patch(url, b"def", 3, {"Upload-Checksum": f"sha1 {sha1}"})
    assert last.headers["Upload-Sha256-Verified"] == sha256(b"abcdef")
    other, _ = _new(server, 3)
    assert patch(other, b"abc", 0, {"Upload-Checksum": "crc32 AAAA"}).status_code == 400


def test_401_writes_nothing_and_closes_without_reading_the_body(shape):
    server = shape.start(token="s3cret")
    assert create(server.url, 3).status_code == 401
    assert server.cloud.catalog.list_reels() == []
    auth = {"Authorization": "Bearer s3cret"}
    url, upload_id = _new(server, 3, auth)
    for bad in ("Bearer wrong", "Basic czNjcmV0", "Bearer", "Bearer s3cr\u00e9t"):
        headers = {"Authorization": bad.encode("utf-8")}
        answer = patch(url, b"abc", 0, headers)
        assert answer.status_code == 401, bad
    assert server.cloud.catalog.get_upload(upload_id).offset == 0
    # a 10 MiB body announced and never sent: the 401 comes at once, the socket is closed
    port = server.server_address[1]
    got, closed = raw_request(
        port,
        f"PATCH /files/{upload_id} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n"
        "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
        f"Content-Length: {10 << 20}\r\nAuthorization: Bearer \xff\xfe\r\n\r\n",
        b"a" * 1000,
    )
    assert got.startswith(b"HTTP/1.1 401") and closed
    # Expect: 100-continue is refused before the body too
    got, closed = raw_request(
        port,
        "POST /files/ HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 5\r\n"
        "Content-Type: application/offset+octet-stream\r\nContent-Length: 5\r\n"
        "Expect: 100-continue\r\n\r\n",
    )
    assert got.startswith(b"HTTP/1.1 401") and b"100 Continue" not in got and closed
    assert len(server.cloud.catalog.list_reels()) == 1  # only the authorised one
    assert patch(url, b"abc", 0, auth).status_code == 204


def test_404_for_unknown_and_for_another_accounts_upload(shape):
    server = shape.start()
    alice, alice_token = server.cloud.catalog.add_account("alice")
    _bob, bob_token = server.cloud.catalog.add_account("bob")
    assert (
        head(
            f"{server.url}/files/{'0' * 32}", {"Authorization": f"Bearer {alice_token}"}
        ).status_code
        == 404
    )
    assert (
        head(f"{server.url}/files/nope", {"Authorization": f"Bearer {alice_token}"}).status_code
        == 404
    )
    url, upload_id = _new(server, 3, {"Authorization": f"Bearer {alice_token}"})
    assert server.cloud.catalog.get_upload(upload_id).owner == alice.id
    bob = {"Authorization": f"Bearer {bob_token}"}
    assert patch(url, b"abc", 0, bob).status_code == 404
    assert head(url, bob).status_code == 404
    assert requests.delete(url, headers={**TUS, **bob}, timeout=5).status_code == 404
    got, closed = raw_request(
        server.server_address[1],
        f"PATCH /files/{'1' * 32} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n"
        f"Authorization: Bearer {alice_token}\r\nUpload-Offset: 0\r\n"
        f"Content-Type: application/offset+octet-stream\r\nContent-Length: {1 << 30}\r\n\r\n",
    )
    assert got.startswith(b"HTTP/1.1 404") and closed


def test_termination_removes_the_bytes(shape):
    server = shape.start()
    url, upload_id = _new(server, 10)
    assert patch(url, b"abcde", 0).status_code == 204
    key = server.cloud.catalog.get_upload(upload_id).key
    assert requests.delete(url, headers=TUS, timeout=5).status_code == 204
    assert head(url).status_code in (404, 410)
    assert patch(url, b"fghij", 5).status_code in (404, 410)
    assert server.cloud.store.stat(key) is None
    assert server.cloud.catalog.get_upload(upload_id) is None


def test_expiry_410_then_swept_away(shape):
    server = shape.start(expire_seconds=1.0, sweep_every=3600)
    url, upload_id = _new(server, 10)
    assert patch(url, b"abc", 0).status_code == 204
    key = server.cloud.catalog.get_upload(upload_id).key
    time.sleep(1.2)
    assert head(url).status_code == 410
    assert head(url).status_code == 404  # the 410 removed it
    assert server.cloud.store.stat(key) is None
    other, other_id = _new(server, 10)
    assert patch(other, b"abc", 0).status_code == 204
    other_key = server.cloud.catalog.get_upload(other_id).key
    time.sleep(1.2)
    import asyncio

    assert asyncio.run_coroutine_threadsafe(server.cloud.ingest.sweep(), server.loop).result() == 1
    assert server.cloud.store.stat(other_key) is None and head(other).status_code == 404


def test_a_finished_upload_is_queued_once_whatever_comes_after(shape):
    server = shape.start()
    url, upload_id = _new(server, 6)
    assert patch(url, b"abcdef", 0).headers["Upload-Sha256-Verified"] == sha256(b"abcdef")
    for _ in range(3):
        again = patch(url, b"", 6)
        assert again.status_code == 204 and again.headers["Upload-Sha256-Verified"] == sha256(
            b"abcdef"
        )
        assert head(url).headers["Upload-Sha256-Verified"] == sha256(b"abcdef")
    assert patch(url, b"x", 6).status_code == 413
    assert len(server.cloud.catalog.jobs_for_reel(upload_id)) == 1
    assert server.cloud.catalog.get_reel(upload_id).state is not ReelState.UPLOADING
    whole = create(server.url, 3, PATCH, data=b"xyz")  # creation-with-upload
    assert whole.status_code == 201 and whole.headers["Upload-Sha256-Verified"] == sha256(b"xyz")


def test_423_while_another_request_holds_the_upload(shape):
    server = shape.start()
    url, upload_id = _new(server, 6)
    held, release = threading.Event(), threading.Event()

    def hold():
        with server.cloud.catalog.upload_lock(upload_id):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        held.wait(5)
        assert patch(url, b"abc", 0).status_code == 423
    finally:
        release.set()
        thread.join()
    assert patch(url, b"abc", 0).status_code == 204


def test_a_chunked_body_is_streamed(shape):
    server = shape.start()
    data = os.urandom(3 << 20)
    url, _ = _new(server, len(data))

    def pieces():
        for i in range(0, len(data), 100_000):
            yield data[i : i + 100_000]

    answer = patch(url, pieces(), 0)  # a generator: Transfer-Encoding: chunked
    assert answer.status_code == 204
    assert answer.headers["Upload-Sha256-Verified"] == sha256(data)


def test_a_stalled_patch_ends_releases_the_lock_and_the_client_resumes(shape):
    server = shape.start(read_timeout=1.0)
    url, upload_id = _new(server, 20)
    started = time.monotonic()
    _, closed = raw_request(
        server.server_address[1],
        f"PATCH /files/{upload_id} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n"
        "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
        "Content-Length: 20\r\n\r\n",
        b"0123456789",  # half, then silence
        wait=10,
    )
    assert closed and time.monotonic() - started < 8
    offset = int(head(url).headers["Upload-Offset"])
    assert offset == 10  # what arrived is kept
    last = patch(url, b"abcdefghij", offset)
    assert last.status_code == 204
    assert last.headers["Upload-Sha256-Verified"] == sha256(b"0123456789abcdefghij")


def test_a_client_gone_mid_body_keeps_what_arrived(shape, caplog):
    server = shape.start()
    url, upload_id = _new(server, 20)
    with socket.create_connection(server.server_address, timeout=5) as sock:
        sock.sendall(
            f"PATCH /files/{upload_id} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n"
            "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
            "Content-Length: 20\r\n\r\n01234".encode()
        )
        time.sleep(0.3)
    deadline = time.monotonic() + 5
    while head(url).headers["Upload-Offset"] != "5" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert head(url).headers["Upload-Offset"] == "5"
    assert patch(url, b"56789" * 3, 5).status_code == 204
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_status_is_gone_and_the_api_answers_the_owner_only(shape):
    server = shape.start()
    catalog = server.cloud.catalog
    _alice, alice_token = catalog.add_account("alice")
    _bob, bob_token = catalog.add_account("bob")
    alice = {"Authorization": f"Bearer {alice_token}"}
    bob = {"Authorization": f"Bearer {bob_token}"}
    url, reel_id = _new(server, 3, alice)
    assert requests.get(f"{server.url}/status/{reel_id}", timeout=5).status_code == 404
    api = f"{server.url}/api/reels"
    assert requests.get(f"{api}/{reel_id}", timeout=5).status_code == 404  # not public yet
    assert requests.get(f"{api}?mine=1", timeout=5).status_code == 401
    assert (
        requests.get(
            f"{api}/{reel_id}", headers={"Authorization": "Bearer \u00e9".encode()}, timeout=5
        ).status_code
        == 401
    )
    assert requests.get(f"{api}/{reel_id}", headers=bob, timeout=5).status_code == 404
    mine = requests.get(f"{api}/{reel_id}", headers=alice, timeout=5)
    assert mine.status_code == 200 and mine.json()["state"] == "uploading"
    assert mine.json()["id"] == reel_id
    patch(url, b"abc", 0, alice)
    listed = requests.get(f"{api}?mine=1", headers=alice, timeout=5).json()["reels"]
    assert [r["id"] for r in listed] == [reel_id]
    assert listed[0]["state"] in ("queued", "processing", "failed")  # 3 bytes are no video
    assert requests.get(f"{api}?mine=1", headers=bob, timeout=5).json()["reels"] == []
    assert requests.get(api, timeout=5).json() == {"reels": [], "next": None}  # none playable
    assert requests.delete(f"{api}/{reel_id}", headers=bob, timeout=5).status_code == 404
    assert requests.delete(f"{api}/{reel_id}", headers=alice, timeout=5).status_code == 204
    assert requests.get(f"{api}/{reel_id}", headers=alice, timeout=5).status_code == 404
    assert catalog.get_reel(reel_id) is None


def test_two_scale_out_nodes_share_uploads_and_the_lock(request, tmp_path):
    """PATCHes of one upload through either node; a PATCH in flight on one node is a 423
    on the other (the lock lives in PostgreSQL), and is released when its body stalls."""
    from tests.cloud.ingest_support import Shape, need_scale_out

    nodes = Shape("scale-out", tmp_path, need_scale_out(request, tmp_path))
    try:
        a, b = nodes.start(read_timeout=1.5), nodes.start(read_timeout=1.5)
        created = create(a.url, 30)
        path = created.headers["Location"]
        assert patch(b.url + path, b"0123456789", 0).status_code == 204
        assert head(a.url + path).headers["Upload-Offset"] == "10"
        upload_id = path.rsplit("/", 1)[1]
        stalled = threading.Thread(
            target=raw_request,
            args=(
                a.server_address[1],
                f"PATCH /files/{upload_id} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n"
                "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 10\r\n"
                "Content-Length: 20\r\n\r\n",
                b"abcde",
                10,
            ),
        )
        stalled.start()
        time.sleep(0.5)
        assert patch(b.url + path, b"x" * 20, 10).status_code == 423
        stalled.join()
        offset = int(head(b.url + path).headers["Upload-Offset"])
        assert offset == 15
        last = patch(b.url + path, b"y" * 15, offset)
        assert last.status_code == 204
        assert last.headers["Upload-Sha256-Verified"] == sha256(b"0123456789abcde" + b"y" * 15)
    finally:
        nodes.close()
