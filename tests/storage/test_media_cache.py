"""The media cache: bounded, least recently used goes first, ETags kept."""

import os
import time

from reeleditor.storage.media_cache import MediaCache


def test_lru_eviction_keeps_the_recently_used(tmp_path):
    cache = MediaCache(tmp_path / "c", limit_bytes=2500)
    cache.put("http://x/a.jpg", b"a" * 1000, etag='"a1"')
    cache.put("http://x/b.jpg", b"b" * 1000)
    old = time.time() - 100
    os.utime(cache.path_for("http://x/a.jpg"), (old, old))
    os.utime(cache.path_for("http://x/b.jpg"), (old + 1, old + 1))
    assert cache.get("http://x/a.jpg") is not None  # a is used again: b is now the oldest
    cache.put("http://x/c.jpg", b"c" * 1000)
    assert cache.get("http://x/b.jpg") is None
    assert cache.get("http://x/a.jpg").read_bytes() == b"a" * 1000
    assert cache.etag("http://x/a.jpg") == '"a1"'
    assert cache.size() <= 2500 + 200  # plus the small .meta files
