"""The feed API of docs/delivery.md: the public paged list, the owner's list, one reel, and
a delete that removes every stored byte of the reel; /feed.json for old clients."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from reeleditor.cloud.contracts import Upload
from reeleditor.cloud.server import serve_in_thread
from tests.cloud.test_origin import publish_reel

FILES = {
    "poster.jpg": b"\xff\xd8",
    "poster.webp": b"RIFF",
    "master.m3u8": b"#EXTM3U\n",
    "360p/index.m3u8": b"#EXTM3U\n",
    "360p/init.mp4": b"init",
    "360p/seg_00000.m4s": b"seg",
    "reel.mp4": b"mp4",
    "sprite.vtt": b"WEBVTT\n",
}


@pytest.fixture
def cloud(tmp_path):
    server = serve_in_thread("127.0.0.1", 0, tmp_path / "cloud")
    catalog = server.cloud.catalog
    alice, alice_token = catalog.add_account("alice")
    bob, bob_token = catalog.add_account("bob")
    yield (
        server,
        alice.id,
        {"Authorization": f"Bearer {alice_token}"},
        bob.id,
        {"Authorization": f"Bearer {bob_token}"},
    )
    server.close()


def unpublished(server, owner: str, state: str, created=None) -> str:
    """A reel of `owner` that is uploading, queued, processing (no preview) or failed."""
    catalog = server.cloud.catalog
    reel_id, now = uuid.uuid4().hex, time.time() if created is None else created
    up = Upload(reel_id, owner, 10, 0, {"title": state}, f"uploads/{reel_id}", {}, now, now + 99)
    catalog.create_upload(up)
    server.cloud.store.begin_upload(up.key)
    if state == "uploading":
        return reel_id
    job = catalog.finish_upload(reel_id, "ab" * 32)
    if state == "queued":
        return reel_id
    assert catalog.claim_job(job.id, "test", 60.0)
    catalog.set_reel_processing(reel_id)
    if state == "failed":
        catalog.fail(job.id, "test", "this file is not a video")
    return reel_id


def test_the_public_list_is_playable_reels_newest_first_in_pages(cloud):
    server, alice, _alice_auth, bob, _ = cloud
    base = time.time() - 100
    ready = [publish_reel(server, FILES, owner=alice, created=base + i)[0] for i in range(5)]
    preview, prefix = publish_reel(server, FILES, owner=bob, stage="preview", created=base + 10)
    for i, state in enumerate(("uploading", "queued", "processing", "failed")):
        unpublished(server, alice, state, created=base + 20 + i)
    api = f"{server.url}/api/reels"
    first = requests.get(f"{api}?limit=4", timeout=5)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=10, must-revalidate"
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    page = first.json()
    assert [r["id"] for r in page["reels"]] == [preview, *ready[::-1][:3]]
    assert page["next"].startswith("/api/reels?limit=4&cursor=")
    second = requests.get(server.url + page["next"], timeout=5).json()
    assert [r["id"] for r in second["reels"]] == ready[:2][::-1] and second["next"] is None
    assert len(requests.get(api, timeout=5).json()["reels"]) == 6  # default 20

    shown = page["reels"][0]
    assert shown == {
        "id": preview, "state": "processing", "title": "a reel", "duration": 2.0,
        "width": 360, "height": 640, "published": shown["published"],
        "poster_url": f"/{prefix}poster.jpg", "poster_webp_url": f"/{prefix}poster.webp",
        "hls_url": f"/{prefix}master.m3u8", "mp4_url": None, "sprite_url": None,
        "web_url": f"/#{preview}",
    }  # fmt: skip
    complete = page["reels"][1]
    assert complete["mp4_url"].endswith("/reel.mp4")
    assert complete["sprite_url"].endswith("/sprite.vtt")
    for url in (complete["mp4_url"], complete["hls_url"], complete["poster_url"]):
        assert requests.get(server.url + url, timeout=5).status_code == 200

    again = requests.get(f"{api}?limit=4", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=x", "limit=-1", "cursor=zzz", "cursor=e30"]
)
def test_a_bad_limit_or_cursor_is_a_400_with_a_reason(cloud, query):
    server = cloud[0]
    answer = requests.get(f"{server.url}/api/reels?{query}", timeout=5)
    assert answer.status_code == 400
    assert answer.text.count("\n") == 1 and answer.text.split(":")[0] in ("limit", "cursor")


def test_the_owner_lists_every_state_and_sees_a_failed_reason(cloud):
    server, alice, alice_auth, bob, bob_auth = cloud
    mine = {state: unpublished(server, alice, state) for state in ("uploading", "failed")}
    ready, _ = publish_reel(server, FILES, owner=alice)
    unpublished(server, bob, "queued")
    api = f"{server.url}/api/reels?mine=1"
    assert requests.get(api, timeout=5).status_code == 401
    answer = requests.get(f"{api}&limit=2", headers=alice_auth, timeout=5)
    assert answer.headers["Cache-Control"] == "private, no-store"
    listed = answer.json()["reels"]
    assert answer.json()["next"].endswith("&mine=1")
    listed += requests.get(server.url + answer.json()["next"], headers=alice_auth).json()["reels"]
    assert [r["id"] for r in listed] == [ready, mine["failed"], mine["uploading"]]
    failed = listed[1]
    assert failed["state"] == "failed" and failed["reason"] == "this file is not a video"
    assert failed["hls_url"] is None and failed["poster_url"] is None

    one = f"{server.url}/api/reels/{mine['failed']}"
    assert requests.get(one, headers=alice_auth, timeout=5).json()["reason"] == failed["reason"]
    assert requests.get(one, headers=bob_auth, timeout=5).status_code == 404
    assert requests.get(one, timeout=5).status_code == 404
    bad = {"Authorization": "Bearer nope"}
    assert requests.get(one, headers=bad, timeout=5).status_code == 401
    public = requests.get(f"{server.url}/api/reels/{ready}", timeout=5)
    assert public.status_code == 200 and public.json()["state"] == "ready"
    assert "public" in public.headers["Cache-Control"]
    assert requests.get(f"{server.url}/api/reels/{'0' * 32}", timeout=5).status_code == 404
    assert requests.get(f"{server.url}/api/reels/..", timeout=5).status_code == 404


def test_feed_json_keeps_the_old_shape_with_hls_and_mp4(cloud):
    server, alice = cloud[0], cloud[1]
    reel_id, prefix = publish_reel(server, FILES, owner=alice, title="Old shape")
    publish_reel(server, FILES, owner=alice, stage="preview")  # not ready: not in the old feed
    answer = requests.get(f"{server.url}/feed.json", timeout=5)
    [entry] = answer.json()
    assert entry["id"] == reel_id and entry["title"] == "Old shape"
    assert entry["poster_url"] == f"/{prefix}poster.jpg"
    assert entry["urls"] == {"mp4": f"/{prefix}reel.mp4", "hls": f"/{prefix}master.m3u8"}
    assert entry["duration"] == 2.0
    again = requests.get(
        f"{server.url}/feed.json", headers={"If-None-Match": answer.headers["ETag"]}
    )
    assert again.status_code == 304


def test_delete_by_its_owner_removes_every_prefix_and_the_upload(shape):
    server = shape.start()
    catalog, store = server.cloud.catalog, server.cloud.store
    alice, alice_token = catalog.add_account("alice")
    _bob, bob_token = catalog.add_account("bob")
    reel_id, prefix = publish_reel(server, FILES, owner=alice.id)
    older = f"media/{reel_id}/0123456789abcdef/"  # a preview's prefix the manifest forgot
    store.put_bytes(older + "master.m3u8", b"#EXTM3U\n", "application/vnd.apple.mpegurl")
    store.put_bytes(f"uploads/{reel_id}", b"raw", "application/octet-stream")
    url = f"{server.url}/api/reels/{reel_id}"
    assert requests.delete(url, timeout=5).status_code == 401
    assert requests.delete(url, headers={"Authorization": f"Bearer {bob_token}"}).status_code == 404
    gone = requests.delete(url, headers={"Authorization": f"Bearer {alice_token}"}, timeout=10)
    assert gone.status_code == 204
    assert catalog.get_reel(reel_id) is None and catalog.get_upload(reel_id) is None
    for key in (prefix + "reel.mp4", prefix + "360p/seg_00000.m4s", older + "master.m3u8",
                f"uploads/{reel_id}"):  # fmt: skip
        assert store.stat(key) is None, key
    assert requests.get(f"{server.url}/{prefix}reel.mp4", timeout=5).status_code == 404
    assert requests.get(url, timeout=5).status_code == 404
    assert requests.get(f"{server.url}/api/reels", timeout=5).json()["reels"] == []


def test_an_edge_that_fails_or_hangs_does_not_hold_up_a_delete(tmp_path):
    import socket

    from reeleditor.cloud.app import Options
    from tests.cloud.services import free_port

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        edges = (f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{silent.getsockname()[1]}")
        server = serve_in_thread("127.0.0.1", 0, tmp_path / "c", options=Options(edges=edges))
        try:
            reel_id, _ = publish_reel(server, FILES)
            started = time.monotonic()
            gone = requests.delete(f"{server.url}/api/reels/{reel_id}", timeout=30)
            assert gone.status_code == 204 and time.monotonic() - started < 5
            assert server.cloud.catalog.get_reel(reel_id) is None
        finally:
            server.close()
