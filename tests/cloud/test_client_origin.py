"""The client's cache against the reference cloud's own origin: posters and segments are
immutable (asked once), playlists revalidate after their minute with a 304."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from reeleditor.cloud.app import Options
from reeleditor.cloud.client import fetch_cached
from reeleditor.cloud.server import serve_in_thread
from reeleditor.storage.media_cache import MediaCache


class Counting(requests.Session):
    """A session that counts what it sends, and the statuses it gets back."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, int, dict]] = []

    def request(self, method, url, **kw):
        resp = super().request(method, url, **kw)
        self.sent.append((url, resp.status_code, dict(kw.get("headers") or {})))
        return resp


@pytest.fixture
def origin(tmp_path):
    server = serve_in_thread("127.0.0.1", 0, tmp_path / "cloud", options=Options())
    prefix = f"media/{uuid.uuid4().hex}/{uuid.uuid4().hex[:16]}"
    store = server.cloud.store
    store.put_bytes(f"{prefix}/poster.jpg", b"\xff\xd8jpeg", "image/jpeg")
    store.put_bytes(f"{prefix}/master.m3u8", b"#EXTM3U\n", "application/vnd.apple.mpegurl")
    store.put_bytes(f"{prefix}/360p/seg_00000.m4s", b"segment", "video/iso.segment")
    yield f"{server.url}/{prefix}"
    server.close()


def test_posters_segments_and_playlists_by_the_origins_headers(origin, tmp_path):
    cache, http = MediaCache(tmp_path / "cache"), Counting()
    skew = [0.0]

    def clock() -> float:
        return time.time() + skew[0]

    with http:
        for name in ("poster.jpg", "360p/seg_00000.m4s", "master.m3u8"):
            assert fetch_cached(f"{origin}/{name}", cache, http, clock=clock).how == "downloaded"
        assert len(http.sent) == 3
        skew[0] = 30  # within the playlist's minute: nothing is asked
        for name in ("poster.jpg", "360p/seg_00000.m4s", "master.m3u8"):
            assert fetch_cached(f"{origin}/{name}", cache, http, clock=clock).how == "fresh"
        assert len(http.sent) == 3
        skew[0] = 120  # the playlist is stale; immutable files are not
        got = fetch_cached(f"{origin}/master.m3u8", cache, http, clock=clock)
        assert got.how == "revalidated" and got.read_bytes() == b"#EXTM3U\n"
        _url, status, headers = http.sent[-1]
        assert status == 304 and "If-None-Match" in headers and "If-Modified-Since" in headers
        assert fetch_cached(f"{origin}/poster.jpg", cache, http, clock=clock).how == "fresh"
        assert len(http.sent) == 4
