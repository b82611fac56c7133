"""An HLS stream fetched file by file through the media cache, laid out as local files to play."""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from reeleditor.cloud.client import Fetched, Offline, Source, fetch_cached
from reeleditor.core import http_cache
from reeleditor.core.errors import ReelEditorError
from reeleditor.core.progress import Progress
from reeleditor.media.hls import parse_master_playlist, parse_media_playlist
from reeleditor.storage.media_cache import MediaCache

PLAYED = "played"  # the cache's work folder for the local copies a player opens
_OTHER_RENDITIONS = ("#EXT-X-MEDIA:", "#EXT-X-I-FRAME-STREAM-INF:")
_MAP_URI = re.compile(r'(URI=")([^"]*)(")')


@dataclass(frozen=True)
class LocalHls:
    """A stream on disk: `master` lists the one rung fetched, `media` is that rung's playlist,
    both with relative URIs to files beside them (hard links to the cache's bodies)."""

    master: Path
    media: Path
    files: int
    how: Counter = field(default_factory=Counter)  # Source value -> files served so

    @property
    def offline(self) -> bool:
        return bool(self.how.get(Source.OFFLINE.value))

    @property
    def requests(self) -> int:
        """Requests that reached the server (a 200 or a 304)."""
        return sum(n for how, n in self.how.items() if how not in ("fresh", "offline"))


def _relative(base: str, url: str) -> str:
    """`url`'s path under the master's folder `base`, as a relative POSIX path; a URL
    elsewhere (another origin, above the folder) is refused: it has no place in the copy."""
    b, u = urlsplit(base), urlsplit(url)
    if (u.scheme, u.netloc) != (b.scheme, b.netloc) or not u.path.startswith(b.path):
        raise ReelEditorError(f"{url} is outside the stream's folder {base}")
    parts = unquote(u.path[len(b.path) :]).split("/")
    if any(p in ("", ".", "..") or "\\" in p or "\0" in p for p in parts):
        raise ReelEditorError(f"{url} does not name a file in the stream's folder")
    return "/".join(parts)


def _bandwidth(variant: dict) -> int:
    try:
        return int(variant.get("BANDWIDTH") or 0)
    except ValueError:
        return 0


def play_dir(cache: MediaCache, master_url: str) -> Path:
    """Where the local copy of the stream at `master_url` is laid out."""
    name = hashlib.sha1(master_url.encode()).hexdigest()[:20]
    return cache.work_dir(PLAYED) / name


def forget(cache: MediaCache, master_url: str) -> None:
    """Remove the local copy of a stream (its reel was deleted)."""
    shutil.rmtree(play_dir(cache, master_url), ignore_errors=True)


class _Fetcher:
    """One file after another through the cache; once the server is found gone, only
    what the cache holds is used (no further connection attempts)."""

    def __init__(self, cache: MediaCache, session, clock: Callable[[], float]) -> None:
        self.cache, self.session, self.clock = cache, session, clock
        self.gone_offline = False
        self.how: Counter = Counter()

    def get(self, url: str) -> Fetched:
        if self.gone_offline:
            held = self.cache.lookup(url)
            if held is None:
                raise Offline(f"offline, and {url} is not held on this computer")
            fresh = http_cache.is_fresh(held[1], self.clock())
            fetched = Fetched(held[0], Source.FRESH if fresh else Source.OFFLINE)
        else:
            fetched = fetch_cached(url, self.cache, self.session, clock=self.clock)
            self.gone_offline = fetched.offline
        self.how[fetched.how.value] += 1
        return fetched


def _place(cache: MediaCache, fetched: Fetched, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if fetched.path is None:  # no-store: this copy only
        dest.write_bytes(fetched.body or b"")
    else:
        cache.place(fetched.path, dest)


def fetch_hls(
    master_url: str,
    cache: MediaCache,
    session=None,
    *,
    clock: Callable[[], float] = time.time,
) -> Generator[Progress, None, LocalHls]:
    """The master playlist, its smallest rung's playlist, init segment and segments, each
    by the cache's rules (fresh: no request; stale: revalidated; offline: the copy held),
    then laid out under the cache's work folder with the paths the server has; a Progress
    per file. Run it on a worker."""
    get = _Fetcher(cache, session, clock)
    base = urljoin(master_url, ".")
    master = get.get(master_url)
    try:
        variants = parse_master_playlist(master.read_bytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReelEditorError(f"{master_url} is not an HLS master playlist: {exc}") from None
    if not variants:
        raise ReelEditorError(f"{master_url} lists no stream")
    chosen = min(variants, key=_bandwidth)  # the smallest; the first of equals
    media_url = urljoin(master_url, chosen["URI"])
    media = get.get(media_url)
    try:
        playlist = parse_media_playlist(media.read_bytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError, KeyError) as exc:
        raise ReelEditorError(f"{media_url} is not an HLS media playlist: {exc}") from None
    names = ([playlist.init] if playlist.init else []) + [s.uri for s in playlist.segments]
    urls = [urljoin(media_url, name) for name in names]
    total = len(urls) + 2
    yield Progress("download", 2, total, unit="files")
    final = play_dir(cache, master_url)
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        for done, url in enumerate(urls, 3):
            _place(cache, get.get(url), temp / _relative(base, url))
            yield Progress("download", done, total, unit="files")
        media_rel = _relative(base, media_url)
        local_media = temp / media_rel
        local_media.parent.mkdir(parents=True, exist_ok=True)
        local_media.write_text(_local_media(media.read_bytes().decode(), media_url, base))
        (temp / "master.m3u8").write_text(
            _local_master(master.read_bytes().decode(), master_url, media_url, media_rel)
        )
        _swap(temp, final)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    _forget_others(final)
    return LocalHls(final / "master.m3u8", final / media_rel, total, get.how)


def _local_media(text: str, media_url: str, base: str) -> str:
    """The media playlist with every URI made relative to its own place in the copy."""
    here = posixpath.dirname(_relative(base, media_url))

    def local(uri: str) -> str:
        return posixpath.relpath(_relative(base, urljoin(media_url, uri)), here or ".")

    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#EXT-X-MAP:"):
            line = _MAP_URI.sub(lambda m: m.group(1) + local(m.group(2)) + m.group(3), stripped)
        elif stripped and not stripped.startswith("#"):
            line = local(stripped)
        out.append(line)
    return "\n".join(out) + "\n"


def _local_master(text: str, master_url: str, media_url: str, media_rel: str) -> str:
    """The master playlist with only the rung fetched (alternate renditions dropped)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    out, skip, kept = [], False, False
    for i, line in enumerate(lines):
        if skip:
            skip = False
        elif line.startswith("#EXT-X-STREAM-INF:"):
            skip = True  # its URI line follows
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if not kept and urljoin(master_url, nxt) == media_url:
                out += [line, media_rel]
                kept = True
        elif line.startswith("#") and not line.startswith(_OTHER_RENDITIONS):
            out.append(line)
    return "\n".join(out) + "\n"


def _swap(temp: Path, final: Path) -> None:
    """`temp` becomes `final` (the older copy, perhaps still open, is removed first)."""
    old = final.with_name(f".{final.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        os.replace(final, old)
    os.replace(temp, final)
    shutil.rmtree(old, ignore_errors=True)


def _forget_others(keep: Path) -> None:
    """Only the copy being played is kept (it holds links to bodies the cache may evict)."""
    for other in keep.parent.iterdir():
        if other != keep and not other.name.startswith("."):
            shutil.rmtree(other, ignore_errors=True)
