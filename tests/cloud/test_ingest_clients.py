"""The app's tus client and tus-js-client upload byte-identically to both shapes."""

from __future__ import annotations

import hashlib

import pytest
import requests

from reeleditor.cloud.server import wait_published
from reeleditor.upload.queue import UploadQueue
from reeleditor.upload.transfer import Uploader
from tests.cloud.ingest_support import js_upload, make_reel, node_peer_dir, published_sha256


@pytest.fixture(scope="module")
def peer_dir():
    return node_peer_dir()


def test_the_apps_client(shape, tmp_path):
    server = shape.start()
    path = make_reel(tmp_path / "app.mp4", pad=3 << 20)
    data = path.read_bytes()
    queue = UploadQueue(tmp_path / "uploads")
    digest = hashlib.sha256(data).hexdigest()
    entry = queue.add(path, len(data), digest, f"{server.url}/files/", title="app")
    for _ in Uploader(queue, chunk_size=1 << 20).run(entry.id):
        pass
    done = queue.get(entry.id)
    assert done.state == "done" and done.verified.endswith("sha256 confirmed by server")
    reel_id = done.upload_url.rstrip("/").rsplit("/", 1)[-1]
    assert wait_published(server, reel_id) == "published"
    assert published_sha256(server, reel_id) == digest
    # the owner (here: an open server's only owner) deletes it: media and feed entry go
    [entry] = requests.get(f"{server.url}/feed.json", timeout=5).json()
    assert requests.delete(f"{server.url}/api/reels/{reel_id}", timeout=10).status_code == 204
    assert requests.get(server.url + entry["poster_url"], timeout=5).status_code == 404
    assert requests.get(f"{server.url}/feed.json", timeout=5).json() == []


def test_tus_js_client(shape, tmp_path, peer_dir):
    server = shape.start()
    _account, token = server.cloud.catalog.add_account("js")
    path = make_reel(tmp_path / "js.mp4", pad=3 << 20)
    url = js_upload(peer_dir, f"{server.url}/files/", path, token=token)
    reel_id = url.rstrip("/").rsplit("/", 1)[-1]
    assert wait_published(server, reel_id) == "published"
    assert published_sha256(server, reel_id) == hashlib.sha256(path.read_bytes()).hexdigest()
