"""Reels the stdlib server published stay in the feed after the upgrade (imported once)."""

from __future__ import annotations

import uuid

import requests

from reeleditor.cloud.processing import publish
from reeleditor.cloud.server import serve_in_thread
from tests.cloud.ingest_support import make_reel


def test_old_published_reels_are_imported_once(tmp_path):
    data = tmp_path / "cloud"
    source = make_reel(tmp_path / "old.mp4")
    reel_id = uuid.uuid4().hex
    publish(source, {"title": "Old reel"}, data / "media", reel_id)  # the old server's layout
    for _ in range(2):  # a second start imports nothing more
        server = serve_in_thread("127.0.0.1", 0, data)
        try:
            [entry] = requests.get(f"{server.url}/feed.json", timeout=5).json()
            assert entry["id"] == reel_id and entry["title"] == "Old reel"
            original = requests.get(server.url + entry["urls"]["original"], timeout=5)
            assert original.content == source.read_bytes()
            poster = requests.get(server.url + entry["poster_url"], timeout=5)
            assert poster.content[:2] == b"\xff\xd8"
            assert (
                requests.get(f"{server.url}/api/reels/{reel_id}", timeout=5).json()["state"]
                == "ready"
            )
        finally:
            server.close()
