"""The media cache: bounded, least recently used goes first, headers kept, writes atomic."""

import os
import time

from reeleditor.core.http_cache import StoredResponse
from reeleditor.storage.media_cache import MediaCache


def test_lru_eviction_keeps_the_recently_used(tmp_path):
    cache = MediaCache(tmp_path / "c", limit_bytes=2500)
    cache.put("http://x/a.jpg", b"a" * 1000, StoredResponse("http://x/a.jpg", etag='"a1"'))
    cache.put("http://x/b.jpg", b"b" * 1000)
    old = time.time() - 100
    os.utime(cache.path_for("http://x/a.jpg"), (old, old))
    os.utime(cache.path_for("http://x/b.jpg"), (old + 1, old + 1))
    assert cache.get("http://x/a.jpg") is not None  # a is used again: b is now the oldest
    cache.put("http://x/c.jpg", b"c" * 1000)
    assert cache.get("http://x/b.jpg") is None
    assert cache.get("http://x/a.jpg").read_bytes() == b"a" * 1000
    assert cache.etag("http://x/a.jpg") == '"a1"'
    assert cache.size() <= 2500
    assert sorted(cache.urls()) == ["http://x/a.jpg", "http://x/c.jpg"]


def test_headers_are_kept_beside_the_body(tmp_path):
    cache = MediaCache(tmp_path / "c")
    stored = StoredResponse(
        "http://x/p.jpg", etag='"e"', cache_control="max-age=9", date="d", response_time=5.0
    )
    cache.put("http://x/p.jpg", b"jpg", stored)
    path, got = cache.lookup("http://x/p.jpg")
    assert path.read_bytes() == b"jpg"
    assert (got.etag, got.cache_control, got.date, got.size) == ('"e"', "max-age=9", "d", 3)
    cache.refresh("http://x/p.jpg", StoredResponse("http://x/p.jpg", etag='"e"', date="d2"))
    assert cache.lookup("http://x/p.jpg")[1].date == "d2"


def test_a_body_without_its_headers_is_not_served(tmp_path):
    cache = MediaCache(tmp_path / "c")
    cache.put("http://x/p.jpg", b"jpg")
    (cache.root / (cache.path_for("http://x/p.jpg").stem + ".meta")).unlink()
    assert cache.lookup("http://x/p.jpg") is None


def test_streamed_downloads_land_whole_or_not_at_all(tmp_path):
    cache = MediaCache(tmp_path / "c")
    temp, out = cache.partial("http://x/r.mp4")
    with out:
        out.write(b"half")
    assert cache.lookup("http://x/r.mp4") is None  # not committed: not there
    cache.discard(temp)
    assert list(cache.root.iterdir()) == []
    temp, out = cache.partial("http://x/r.mp4")
    with out:
        out.write(b"whole")
    path = cache.commit("http://x/r.mp4", temp)
    assert path.read_bytes() == b"whole" and path.suffix == ".mp4"
    assert [p for p in cache.root.iterdir() if p.name.startswith(".")] == []


def test_drop_where_forgets_a_deleted_reels_files(tmp_path):
    cache = MediaCache(tmp_path / "c")
    for url in ("http://x/media/aa/1/poster.jpg", "http://x/media/aa/1/reel.mp4", "http://x/b"):
        cache.put(url, b"1")
    gone = cache.drop_where(lambda u: "/media/aa/" in u)
    assert sorted(gone) == ["http://x/media/aa/1/poster.jpg", "http://x/media/aa/1/reel.mp4"]
    assert list(cache.urls()) == ["http://x/b"]
    assert len(list(cache.root.iterdir())) == 2


def test_old_partials_of_a_killed_run_are_swept(tmp_path):
    root = tmp_path / "c"
    root.mkdir()
    stale = root / ".abc.mp4.123.part"
    stale.write_bytes(b"x")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    young = root / ".def.mp4.456.part"
    young.write_bytes(b"y")
    MediaCache(root)
    assert not stale.exists() and young.exists()


def test_a_body_bigger_than_the_limit_is_kept_for_its_caller(tmp_path):
    cache = MediaCache(tmp_path / "c", limit_bytes=100)
    cache.put("http://x/a.jpg", b"a" * 50)
    path = cache.put("http://x/big.mp4", b"b" * 500)
    assert path.read_bytes() == b"b" * 500  # about to be played: not evicted under it
    assert cache.get("http://x/a.jpg") is None
    cache.put("http://x/c.jpg", b"c" * 50)
    assert cache.get("http://x/big.mp4") is None  # the next write makes room


def test_file_names_keep_a_plain_suffix_only(tmp_path):
    cache = MediaCache(tmp_path / "c")
    assert cache.path_for("http://x/m/reel.mp4?v=1").suffix == ".mp4"
    assert cache.path_for("http://x/m/360p/seg_00001.m4s").suffix == ".m4s"
    for odd in ("reeleditor:reels:http://127.0.0.1:8765/", "http://x/a.b:c", "http://x/a.meta"):
        assert cache.path_for(odd).suffix == ""


def test_a_body_placed_for_a_player_outlives_its_eviction_and_is_not_counted(tmp_path):
    cache = MediaCache(tmp_path / "c", limit_bytes=1500)
    body = cache.put("http://x/s.m4s", b"s" * 1000)
    held = cache.size()
    dest = cache.work_dir("played") / "r" / "s.m4s"
    dest.parent.mkdir(parents=True)
    assert cache.place(body, dest) == dest and os.path.samefile(dest, body)
    assert cache.size() == held and sorted(cache.urls()) == ["http://x/s.m4s"]
    cache.put("http://x/t.m4s", b"t" * 1000)  # over the limit: s goes
    assert cache.get("http://x/s.m4s") is None and dest.read_bytes() == b"s" * 1000
