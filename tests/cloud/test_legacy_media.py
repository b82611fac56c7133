"""Reels published by the stdlib server stay in the feed after the upgrade (processed once)."""

from __future__ import annotations

import hashlib
import json
import uuid

import requests

from reeleditor.cloud.server import serve_in_thread, wait_published
from tests.cloud.ingest_support import make_reel


def old_layout(media, source, title: str) -> str:
    """What the stdlib server left: media/<id>/ with the original, a poster and reel.json."""
    reel_id = uuid.uuid4().hex
    folder = media / reel_id
    folder.mkdir(parents=True)
    (folder / "original.mp4").write_bytes(source.read_bytes())
    (folder / "poster.jpg").write_bytes(b"\xff\xd8\xff\xd9")
    entry = {
        "id": reel_id,
        "title": title,
        "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "poster": "poster.jpg",
        "files": {"original": "original.mp4"},
        "published": 1_700_000_000.0,
    }
    (folder / "reel.json").write_text(json.dumps(entry))
    return reel_id


def test_old_published_reels_are_processed_once_into_the_new_delivery(tmp_path):
    data = tmp_path / "cloud"
    reel_id = old_layout(data / "media", make_reel(tmp_path / "old.mp4"), "Old reel")
    for _ in range(2):  # a second start imports nothing more
        server = serve_in_thread("127.0.0.1", 0, data)
        try:
            assert wait_published(server, reel_id) == "published"
            [entry] = requests.get(f"{server.url}/feed.json", timeout=5).json()
            assert entry["id"] == reel_id and entry["title"] == "Old reel"
            master = requests.get(server.url + entry["urls"]["hls"], timeout=5)
            assert master.status_code == 200 and "#EXT-X-STREAM-INF" in master.text
            poster = requests.get(server.url + entry["poster_url"], timeout=5)
            assert poster.content[:2] == b"\xff\xd8" and len(poster.content) > 100
            assert len(server.cloud.catalog.jobs_for_reel(reel_id)) == 1
            assert server.cloud.catalog.get_reel(reel_id).created == 1_700_000_000.0
        finally:
            server.close()
