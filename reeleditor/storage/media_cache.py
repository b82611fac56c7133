"""A bounded, least-recently-used cache of published media by URL, with each response's headers.

Each entry is two files named by the URL's hash: the body (`<sha1><suffix>`) and its
`StoredResponse` (`<sha1>.meta`, JSON: ETag, Last-Modified, Cache-Control, Date, timing),
so the client can tell fresh from stale (core/http_cache.py). Recency lives in the body's
mtime (touched on every use): no index to corrupt. Every write is atomic (temp file beside
the target, fsync, rename), so a reader sees a whole old body or a whole new one; the
caller runs this off the GUI thread. A body lands before its .meta: a body without .meta
is never served.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from reeleditor.core.http_cache import StoredResponse
from reeleditor.storage.atomic import atomic_write, storage_error

DEFAULT_LIMIT = 512 * 1024 * 1024
META = ".meta"
PARTIAL = ".part"
_SUFFIX = re.compile(
    r"\.[A-Za-z0-9]{1,7}"
)  # a download being written; removed on failure, renamed on success


class MediaCache:
    """Files under `root` by URL; `limit_bytes` bounds bodies and metadata together."""

    def __init__(self, root: Path, limit_bytes: int = DEFAULT_LIMIT) -> None:
        self.root = Path(root)
        self.limit = limit_bytes
        self.root.mkdir(parents=True, exist_ok=True)
        self._sweep_partials()

    def _sweep_partials(self, older_than: float = 3600.0) -> None:
        """Temp files a killed run left behind (a live download's is younger)."""
        cutoff = time.time() - older_than
        for p in self.root.glob(".*"):
            with contextlib.suppress(OSError):
                if p.suffix in (PARTIAL, ".tmp") and p.stat().st_mtime < cutoff:
                    p.unlink()

    # -- names -------------------------------------------------------------------------------
    def path_for(self, url: str) -> Path:
        digest = hashlib.sha1(url.encode()).hexdigest()
        suffix = Path(url.split("?")[0].split("#")[0]).suffix
        if not _SUFFIX.fullmatch(suffix) or suffix in (META, PARTIAL, ".tmp"):
            suffix = ""  # a name every file system takes (players like to see .mp4)
        return self.root / f"{digest}{suffix}"

    def _meta(self, url: str) -> Path:
        return self.root / (self.path_for(url).name.split(".")[0] + META)

    # -- reading -----------------------------------------------------------------------------
    def lookup(self, url: str) -> tuple[Path, StoredResponse] | None:
        """The cached body (marked as just used) and its stored headers, or None."""
        path = self.path_for(url)
        try:
            stored = StoredResponse.from_dict(json.loads(self._meta(url).read_bytes()))
        except (OSError, ValueError, TypeError):
            return None
        if stored.url != url or not path.is_file():
            return None
        self._touch(path)
        return path, stored

    def get(self, url: str) -> Path | None:
        """The cached body (marked as just used), or None."""
        found = self.lookup(url)
        return found[0] if found else None

    def etag(self, url: str) -> str | None:
        found = self.lookup(url)
        return (found[1].etag or None) if found else None

    @staticmethod
    def _touch(path: Path) -> None:
        now = time.time()
        with contextlib.suppress(OSError):
            os.utime(path, (now, now))

    # -- writing -----------------------------------------------------------------------------
    def put(self, url: str, data: bytes, stored: StoredResponse | None = None) -> Path:
        """Keep `data` for `url` with its headers (none: stale at once, revalidated)."""
        path = self.path_for(url)
        atomic_write(path, data, sync_dir=False)
        return self._finish(url, path, stored, len(data))

    def partial(self, url: str) -> tuple[Path, object]:
        """A new temp file in the cache folder for a streamed download: (path, binary file).
        Hand the path to `commit` once written, or to `discard`."""
        fd, name = tempfile.mkstemp(
            prefix=f".{self.path_for(url).name}.", suffix=PARTIAL, dir=self.root
        )
        return Path(name), os.fdopen(fd, "wb")

    def commit(self, url: str, temp: Path, stored: StoredResponse | None = None) -> Path:
        """Move a fully written (and closed) temp file into place as the body of `url`."""
        path = self.path_for(url)
        try:
            fd = os.open(temp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, path)
        except OSError as exc:
            self.discard(temp)
            raise storage_error(path, exc) from exc
        return self._finish(url, path, stored, path.stat().st_size)

    @staticmethod
    def discard(temp: Path) -> None:
        with contextlib.suppress(OSError):
            Path(temp).unlink()

    def refresh(self, url: str, stored: StoredResponse) -> None:
        """New headers for the body already held (after a 304)."""
        self._write_meta(url, stored)
        path = self.path_for(url)
        self._touch(path)

    def _finish(self, url: str, path: Path, stored: StoredResponse | None, size: int) -> Path:
        from dataclasses import replace

        stored = replace(stored or StoredResponse(url=url), url=url, size=size)
        self._write_meta(url, stored)
        self._touch(path)
        self.evict(keep=path)
        return path

    def _write_meta(self, url: str, stored: StoredResponse) -> None:
        atomic_write(self._meta(url), json.dumps(stored.to_dict()).encode(), sync_dir=False)

    # -- handing bodies out -----------------------------------------------------------------
    def work_dir(self, name: str) -> Path:
        """A folder inside the cache for copies laid out for a player (`.<name>`): never
        counted, evicted or swept as an entry."""
        folder = self.root / f".{name}"
        folder.mkdir(exist_ok=True)
        return folder

    def place(self, body: Path, dest: Path) -> Path:
        """A body held here (a path `lookup` gave) at `dest` too: a hard link (no
        bytes copied; it outlives an eviction), else a copy. Atomic: `dest` is whole."""
        temp = dest.with_name(f".{dest.name}.tmp")
        try:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            try:
                os.link(body, temp)
            except OSError:
                shutil.copyfile(body, temp)
            os.replace(temp, dest)
        except OSError as exc:
            self.discard(temp)
            raise storage_error(dest, exc) from exc
        return dest

    # -- dropping ----------------------------------------------------------------------------
    def drop(self, url: str) -> bool:
        """Forget `url` (a deleted reel's files); True if anything was held."""
        held = False
        for victim in (self._meta(url), self.path_for(url)):
            with contextlib.suppress(FileNotFoundError):
                victim.unlink()
                held = True
        return held

    def drop_where(self, match: Callable[[str], bool]) -> list[str]:
        """Forget every entry whose URL `match`es; the URLs dropped."""
        gone = [url for url in self.urls() if match(url)]
        for url in gone:
            self.drop(url)
        return gone

    def urls(self) -> Iterable[str]:
        for meta in self.root.glob(f"*{META}"):
            with contextlib.suppress(OSError, ValueError, AttributeError):
                yield json.loads(meta.read_bytes())["url"]

    def size(self) -> int:
        return sum(p.stat().st_size for p in self._files())

    def _files(self) -> list[Path]:
        files = []
        for p in self.root.iterdir():
            with contextlib.suppress(OSError):
                if p.is_file() and not p.name.startswith("."):
                    files.append(p)
        return files

    def evict(self, keep: Path | None = None) -> list[Path]:
        """Drop the least recently used bodies (with their .meta) until the cache fits its
        limit; never `keep` (the body just written)."""
        stats = {}
        for p in self._files():
            with contextlib.suppress(OSError):
                stats[p] = p.stat()
        total = sum(s.st_size for s in stats.values())
        # the body just written stays even alone over the limit: its caller is about to use it
        bodies = [p for p in stats if p.suffix != META and p != keep]
        bodies.sort(key=lambda p: stats[p].st_mtime)
        gone = []
        for path in bodies:
            if total <= self.limit:
                break
            meta = self.root / (path.name.split(".")[0] + META)
            for victim in (meta, path):
                with contextlib.suppress(OSError):
                    victim.unlink()
                    total -= stats.get(victim).st_size if victim in stats else 0
            gone.append(path)
        return gone
