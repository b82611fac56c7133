"""The client's cache against a real HTTP server: fresh hits ask nothing, stale ones revalidate."""

from __future__ import annotations

import pytest

from reeleditor.cloud.client import Offline, download, fetch_cached
from reeleditor.storage.media_cache import MediaCache
from tests.cloud.http_fixture import Clock, ControlledServer, Resource


@pytest.fixture
def server():
    s = ControlledServer()
    yield s
    s.close()


@pytest.fixture
def cache(tmp_path):
    return MediaCache(tmp_path / "cache")


def test_fresh_is_served_from_disk_and_stale_revalidates_with_a_304(server, cache):
    clock = server.clock = Clock()  # the server's Date moves with the test's time
    server.resources["/p.jpg"] = Resource(
        b"poster", {"ETag": '"v1"', "Cache-Control": "public, max-age=60"}
    )
    url = server.url + "/p.jpg"
    first = fetch_cached(url, cache, clock=clock)
    assert first.how == "downloaded" and first.read_bytes() == b"poster"
    clock.skew = 30  # fresh: no request at all
    assert fetch_cached(url, cache, clock=clock).how == "fresh"
    assert server.get_count("/p.jpg") == 1
    clock.skew = 61  # stale: a conditional request, answered 304, body kept
    again = fetch_cached(url, cache, clock=clock)
    assert again.how == "revalidated" and again.read_bytes() == b"poster"
    assert server.get_count("/p.jpg") == 2
    assert server.requests[-1][2]["If-None-Match"] == '"v1"'
    # the 304 refreshed the freshness: fresh again for another max-age
    clock.skew = 61 + 30
    assert fetch_cached(url, cache, clock=clock).how == "fresh"
    assert server.get_count("/p.jpg") == 2


def test_a_changed_file_replaces_the_copy(server, cache):
    clock = Clock()
    server.resources["/m.m3u8"] = Resource(b"one", {"ETag": '"1"', "Cache-Control": "max-age=2"})
    url = server.url + "/m.m3u8"
    fetch_cached(url, cache, clock=clock)
    server.resources["/m.m3u8"] = Resource(b"two", {"ETag": '"2"', "Cache-Control": "max-age=2"})
    clock.skew = 3
    got = fetch_cached(url, cache, clock=clock)
    assert got.how == "downloaded" and got.read_bytes() == b"two"
    assert cache.etag(url) == '"2"'


def test_immutable_is_never_revalidated_while_fresh(server, cache):
    clock = Clock()
    server.resources["/s.m4s"] = Resource(
        b"seg", {"ETag": '"s"', "Cache-Control": "public, max-age=31536000, immutable"}
    )
    url = server.url + "/s.m4s"
    fetch_cached(url, cache, clock=clock)
    clock.skew = 30 * 86400
    assert fetch_cached(url, cache, clock=clock).how == "fresh"
    assert server.get_count("/s.m4s") == 1


def test_no_cache_and_must_revalidate_ask_every_time(server, cache):
    clock = Clock()
    server.resources["/a"] = Resource(b"a", {"ETag": '"a"', "Cache-Control": "no-cache"})
    server.resources["/b"] = Resource(
        b"b", {"ETag": '"b"', "Cache-Control": "max-age=0, must-revalidate"}
    )
    for path in ("/a", "/b"):
        url = server.url + path
        assert fetch_cached(url, cache, clock=clock).how == "downloaded"
        assert fetch_cached(url, cache, clock=clock).how == "revalidated"
        assert fetch_cached(url, cache, clock=clock).how == "revalidated"
        assert server.get_count(path) == 3
        assert "If-None-Match" in server.requests[-1][2]


def test_last_modified_alone_revalidates_with_if_modified_since(server, cache):
    lm = "Sat, 01 Nov 2025 10:00:00 GMT"
    server.resources["/x"] = Resource(b"x", {"Last-Modified": lm})  # no max-age: stale at once
    url = server.url + "/x"
    fetch_cached(url, cache)
    assert fetch_cached(url, cache).how == "downloaded"  # this server ignores IMS: a 200
    assert server.requests[-1][2]["If-Modified-Since"] == lm


def test_no_store_is_not_stored(server, cache):
    server.resources["/feed"] = Resource(b"[]", {"Cache-Control": "no-store", "ETag": '"f"'})
    url = server.url + "/feed"
    got = fetch_cached(url, cache)
    assert got.how == "uncached" and got.read_bytes() == b"[]" and got.path is None
    assert cache.lookup(url) is None and list(cache.urls()) == []
    fetch_cached(url, cache)
    assert server.get_count("/feed") == 2


def test_offline_serves_what_it_holds_stale_or_not(server, cache):
    clock = Clock()
    server.resources["/p.jpg"] = Resource(b"jpg", {"ETag": '"p"', "Cache-Control": "max-age=5"})
    url = server.url + "/p.jpg"
    fetch_cached(url, cache, clock=clock)
    server.close()
    clock.skew = 3600  # long stale, and nobody answers
    got = fetch_cached(url, cache, clock=clock)
    assert got.offline and got.read_bytes() == b"jpg"
    with pytest.raises(Offline):
        fetch_cached(server.url + "/never.jpg", cache, clock=clock)


def test_download_reports_progress_and_a_404_drops_the_copy(server, cache):
    body = bytes(range(256)) * 4096  # 1 MiB: several blocks
    server.resources["/r.mp4"] = Resource(body, {"ETag": '"r"'})
    url = server.url + "/r.mp4"
    gen = download(url, cache)
    seen = []
    try:
        while True:
            seen.append(next(gen))
    except StopIteration as stop:
        fetched = stop.value
    assert fetched.read_bytes() == body
    assert seen[-1].done == seen[-1].total == len(body) and len(seen) > 2
    del server.resources["/r.mp4"]
    with pytest.raises(Exception, match="404"):
        fetch_cached(url, cache)
    assert cache.lookup(url) is None


def test_a_cancelled_download_leaves_nothing(server, cache):
    server.resources["/big.mp4"] = Resource(b"z" * (2 * 1024 * 1024))
    url = server.url + "/big.mp4"
    gen = download(url, cache)
    next(gen)
    next(gen)
    gen.close()  # the runner's cancel
    assert cache.lookup(url) is None
    assert [p.name for p in cache.root.iterdir()] == []
