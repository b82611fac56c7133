"""A bounded, least-recently-used cache of published media (posters, videos) by URL."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path

from reeleditor.storage.atomic import atomic_write

DEFAULT_LIMIT = 512 * 1024 * 1024


class MediaCache:
    """Files under `root`, named by the URL's hash, with the ETag kept for revalidation."""

    def __init__(self, root: Path, limit_bytes: int = DEFAULT_LIMIT) -> None:
        self.root = Path(root)
        self.limit = limit_bytes
        self.root.mkdir(parents=True, exist_ok=True)

    def path_for(self, url: str) -> Path:
        digest = hashlib.sha1(url.encode()).hexdigest()
        suffix = Path(url.split("?")[0]).suffix[:8]
        return self.root / f"{digest}{suffix}"

    def get(self, url: str) -> Path | None:
        """The cached file (marked as just used), or None."""
        path = self.path_for(url)
        if not path.is_file():
            return None
        now = time.time()
        with contextlib.suppress(OSError):
            os.utime(path, (now, now))  # recency lives in the mtime: no index to corrupt
        return path

    def etag(self, url: str) -> str | None:
        with contextlib.suppress(OSError, ValueError):
            return json.loads(self._meta(url).read_text()).get("etag")
        return None

    def put(self, url: str, data: bytes, etag: str | None = None) -> Path:
        path = self.path_for(url)
        atomic_write(path, data, sync_dir=False)
        if etag:
            atomic_write(
                self._meta(url), json.dumps({"url": url, "etag": etag}).encode(), sync_dir=False
            )
        self.evict()
        return path

    def _meta(self, url: str) -> Path:
        return self.path_for(url).with_suffix(".meta")

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.root.iterdir() if p.is_file())

    def evict(self) -> list[Path]:
        """Drop the least recently used files until the cache fits its limit."""
        files = [p for p in self.root.iterdir() if p.is_file() and p.suffix != ".meta"]
        files.sort(key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        gone = []
        for path in files:
            if total <= self.limit:
                break
            total -= path.stat().st_size
            for victim in (path, path.with_suffix(".meta")):
                with contextlib.suppress(OSError):
                    victim.unlink()
            gone.append(path)
        return gone
