"""HLS through the media cache: fresh asks nothing, stale playlists revalidate, offline plays."""

from __future__ import annotations

import os

import pytest

from reeleditor.cloud.client import Offline
from reeleditor.cloud.hls_fetch import fetch_hls, play_dir
from reeleditor.core.errors import ReelEditorError
from reeleditor.storage.media_cache import MediaCache
from tests.cloud.http_fixture import Clock, ControlledServer, Resource

PLAYLIST = {"Cache-Control": "public, max-age=60, must-revalidate"}
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
MASTER = (
    "#EXTM3U\n#EXT-X-VERSION:7\n"
    '#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=720x1280,CODECS="avc1.64001f"\n'
    "720p/index.m3u8\n"
    '#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=360x640,CODECS="avc1.64001e"\n'
    "360p/index.m3u8\n"
)
MEDIA = (
    "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n"
    '#EXT-X-MAP:URI="init.mp4"\n#EXTINF:2.0,\nseg_00000.m4s\n#EXTINF:2.0,\nseg_00001.m4s\n'
    "#EXT-X-ENDLIST\n"
)
BASE = "/media/r1/d1"


@pytest.fixture
def server():
    s = ControlledServer()
    s.clock = Clock()
    res = s.resources
    res[f"{BASE}/master.m3u8"] = Resource(MASTER.encode(), {"ETag": '"m"', **PLAYLIST})
    res[f"{BASE}/360p/index.m3u8"] = Resource(MEDIA.encode(), {"ETag": '"i"', **PLAYLIST})
    for name in ("init.mp4", "seg_00000.m4s", "seg_00001.m4s"):
        res[f"{BASE}/360p/{name}"] = Resource(name.encode(), {"ETag": f'"{name}"', **IMMUTABLE})
    yield s
    s.close()


def run(gen):
    seen = []
    try:
        while True:
            seen.append(next(gen))
    except StopIteration as stop:
        return stop.value, seen


def media_gets(server) -> list[str]:
    return [p for m, p, _ in server.requests if m == "GET"]


def test_the_smallest_rung_is_laid_out_locally_with_relative_uris(server, tmp_path):
    cache = MediaCache(tmp_path / "cache")
    url = f"{server.url}{BASE}/master.m3u8"
    local, seen = run(fetch_hls(url, cache, clock=server.clock))
    assert seen[-1].done == seen[-1].total == 5 and seen[-1].unit == "files"
    folder = play_dir(cache, url)
    assert local.master == folder / "master.m3u8" and local.media == folder / "360p/index.m3u8"
    assert "720p" not in local.master.read_text() and "360p/index.m3u8" in local.master.read_text()
    assert local.media.read_text() == MEDIA  # relative URIs stay as they were
    for name in ("init.mp4", "seg_00000.m4s", "seg_00001.m4s"):
        copy = folder / "360p" / name
        assert copy.read_bytes() == name.encode()
        held = cache.get(f"{server.url}{BASE}/360p/{name}")
        assert os.path.samefile(copy, held)  # a hard link to the cache's body
    assert "/media/r1/d1/720p/index.m3u8" not in media_gets(server)
    assert local.how == {"downloaded": 5} and local.requests == 5


def test_a_replay_within_the_minute_asks_nothing_after_it_playlists_get_a_304(server, tmp_path):
    cache = MediaCache(tmp_path / "cache")
    url = f"{server.url}{BASE}/master.m3u8"
    run(fetch_hls(url, cache, clock=server.clock))
    before = len(server.requests)
    server.clock.skew = 30
    local, _ = run(fetch_hls(url, cache, clock=server.clock))
    assert len(server.requests) == before and local.how == {"fresh": 5}
    server.clock.skew = 61  # the playlists are stale, the segments immutable
    local, _ = run(fetch_hls(url, cache, clock=server.clock))
    asked = server.requests[before:]
    assert [p for _, p, _ in asked] == [f"{BASE}/master.m3u8", f"{BASE}/360p/index.m3u8"]
    assert all("If-None-Match" in h for _, _, h in asked)
    assert local.how == {"revalidated": 2, "fresh": 3}
    assert local.media.read_text() == MEDIA


def test_offline_what_is_held_is_laid_out_and_what_is_not_is_said(server, tmp_path):
    cache = MediaCache(tmp_path / "cache")
    url = f"{server.url}{BASE}/master.m3u8"
    run(fetch_hls(url, cache, clock=server.clock))
    server.close()
    server.clock.skew = 3600
    local, _ = run(fetch_hls(url, cache, clock=server.clock))
    assert local.offline and local.how == {"offline": 2, "fresh": 3}
    assert (local.media.parent / "seg_00001.m4s").read_bytes() == b"seg_00001.m4s"
    cache.drop(f"{server.url}{BASE}/360p/seg_00001.m4s")
    with pytest.raises(Offline, match="not held"):
        run(fetch_hls(url, cache, clock=server.clock))
    assert local.media.is_file()  # a failed fetch leaves the last copy as it was


def test_a_uri_outside_the_streams_folder_is_refused(server, tmp_path):
    cache = MediaCache(tmp_path / "cache")
    bad = MEDIA.replace("seg_00001.m4s", "../../../../etc/seg.m4s")
    server.resources[f"{BASE}/360p/index.m3u8"] = Resource(bad.encode(), PLAYLIST)
    server.resources["/etc/seg.m4s"] = Resource(b"x", IMMUTABLE)
    with pytest.raises(ReelEditorError, match="outside the stream's folder"):
        run(fetch_hls(f"{server.url}{BASE}/master.m3u8", cache))
    assert list(cache.work_dir("played").iterdir()) == []
