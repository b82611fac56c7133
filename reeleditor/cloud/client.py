"""Reading what an endpoint has published: the owner's reels, delete, and files through the cache.

Errors, each one line for the user:
  Offline           the endpoint did not answer (connection refused, reset, timed out)
  ReelEditorError   it answered, but not as expected (401 token refused, 404, 5xx, bad JSON)

Files go through the media cache by HTTP's rules (core/http_cache.py): a fresh copy is
served without a request; a stale one is revalidated with If-None-Match/If-Modified-Since
(a 304 costs no body); offline, whatever is held is served and said to be so.
"""

from __future__ import annotations

import enum
import socket
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from reeleditor.core import http_cache
from reeleditor.core.errors import ReelEditorError
from reeleditor.core.progress import Progress
from reeleditor.storage.media_cache import MediaCache

TIMEOUT = (5.0, 30.0)
CHUNK = 256 * 1024
URL_FIELDS = ("poster_url", "poster_webp_url", "hls_url", "mp4_url", "sprite_url", "web_url")
MAX_PAGES = 100  # a server that pages forever is not followed forever


class Offline(ReelEditorError):
    """The endpoint did not answer: no connection, refused, or timed out."""


def origin_of(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}/"


def _origin_key(url: str) -> tuple[str, str, int] | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return parts.scheme, parts.hostname.lower(), port


def on_endpoint(url: str | None, endpoint: str) -> str | None:
    """`url` joined to the endpoint's origin, if it stays http(s) on that origin; else None.
    The listing is the server's word, and the app would fetch or open whatever it names."""
    if not url or not isinstance(url, str):
        return None
    joined = urljoin(origin_of(endpoint), url)
    home = _origin_key(endpoint)
    return joined if home is not None and _origin_key(joined) == home else None


def _get(http, method: str, url: str, **kw) -> requests.Response:
    try:
        return http.request(method, url, timeout=TIMEOUT, **kw)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise Offline(
            f"cannot reach {origin_of(url)}: {type(exc).__name__}",
            "is the server running? ('reeleditor serve')",
        ) from exc
    except requests.RequestException as exc:
        raise ReelEditorError(f"{url} failed: {type(exc).__name__}") from exc


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _refused(resp: requests.Response, what: str) -> ReelEditorError:
    if resp.status_code == 401:
        return ReelEditorError(
            f"the server refused {what}: no valid token", "set the endpoint's token in Settings"
        )
    if resp.status_code == 404:
        return ReelEditorError(f"{what}: not found on the server (deleted already?)")
    return ReelEditorError(f"{what}: the server answered {resp.status_code}")


# -- the owner's reels ---------------------------------------------------------------------------
def list_reels(endpoint: str, token: str | None, session=None) -> list[dict]:
    """`GET /api/reels?mine=1` (every page): the owner's reels in every state, newest first;
    URL fields joined to the origin (None where missing or off the endpoint)."""
    http = session or requests
    url: str | None = urljoin(origin_of(endpoint), "/api/reels?mine=1")
    reels: list[dict] = []
    for _ in range(MAX_PAGES):
        if url is None:
            break
        resp = _get(http, "GET", url, headers=_auth(token))
        if resp.status_code != 200:
            raise _refused(resp, "listing your reels")
        try:
            body = resp.json()
            page = body["reels"]
        except (ValueError, KeyError, TypeError):
            raise ReelEditorError(f"{url} did not answer with a list of reels") from None
        reels += [normalise(r, endpoint) for r in page if isinstance(r, dict) and r.get("id")]
        url = on_endpoint(body.get("next"), endpoint)
    return reels


def normalise(reel: dict, endpoint: str) -> dict:
    """A Reel as docs/delivery.md has it, with its URLs made absolute on the endpoint."""
    reel = dict(reel)
    for name in URL_FIELDS:
        reel[name] = on_endpoint(reel.get(name), endpoint)
    reel["id"] = str(reel["id"])
    reel.setdefault("state", "processing")
    reel["title"] = str(reel.get("title") or "")
    return reel


def delete_reel(endpoint: str, token: str | None, reel_id: str, session=None) -> None:
    """`DELETE /api/reels/{id}` with the owner's token (204; a 404 means gone already)."""
    http = session or requests
    url = urljoin(origin_of(endpoint), f"/api/reels/{reel_id}")
    resp = _get(http, "DELETE", url, headers=_auth(token))
    if resp.status_code not in (200, 204):
        raise _refused(resp, "deleting the reel")


def fetch_feed(endpoint: str, session=None) -> list[dict]:
    """The older public list (`/feed.json`), for `reeleditor feed` and old servers."""
    url = urljoin(origin_of(endpoint), "feed.json")
    resp = _get(session or requests, "GET", url)
    if resp.status_code != 200:
        raise ReelEditorError(f"{url} answered {resp.status_code}")
    try:
        entries = resp.json()
    except ValueError:
        raise ReelEditorError(f"{url} did not answer with a feed (JSON)") from None
    base = origin_of(endpoint)
    for entry in entries:
        entry["poster_url"] = urljoin(base, entry["poster_url"])
        entry["urls"] = {k: urljoin(base, v) for k, v in entry.get("urls", {}).items()}
    return entries


# -- files through the cache ---------------------------------------------------------------------
class Source(str, enum.Enum):
    """Where a fetched file came from."""

    FRESH = "fresh"  # the cache, fresh: no request made
    REVALIDATED = "revalidated"  # the cache, after a 304
    DOWNLOADED = "downloaded"  # a 200, now in the cache
    OFFLINE = "offline"  # the server did not answer: the copy held, fresh or not
    UNCACHED = "uncached"  # a 200 with no-store: in memory only


@dataclass(frozen=True)
class Fetched:
    """A file to show: `path` on disk (`body` instead when the server said no-store)."""

    path: Path | None
    how: Source
    body: bytes | None = None

    @property
    def offline(self) -> bool:
        return self.how is Source.OFFLINE

    def read_bytes(self) -> bytes:
        return self.body if self.body is not None else self.path.read_bytes()


def download(
    url: str,
    cache: MediaCache,
    session=None,
    *,
    clock: Callable[[], float] = time.time,
    stage: str = "download",
) -> Generator[Progress, None, Fetched]:
    """The file at `url` by the cache's rules, yielding Progress while a body streams in."""
    http = session or requests
    held = cache.lookup(url)
    if held is not None and http_cache.is_fresh(held[1], clock()):
        return Fetched(held[0], Source.FRESH)
    headers = http_cache.conditional_headers(held[1]) if held else {}
    sent = clock()
    try:
        resp = _get(http, "GET", url, headers=headers, stream=True)
    except Offline:
        if held is not None:
            return Fetched(held[0], Source.OFFLINE)
        raise
    with resp:
        arrived = clock()
        if resp.status_code == 304 and held is not None:
            cache.refresh(url, http_cache.refreshed(held[1], resp.headers, sent, arrived))
            return Fetched(held[0], Source.REVALIDATED)
        if resp.status_code in (404, 410):
            cache.drop(url)  # gone on the server: gone here
        if resp.status_code != 200:
            raise ReelEditorError(f"{url} answered {resp.status_code}")
        total = int(resp.headers.get("Content-Length") or 0) or None
        if not http_cache.storable(resp.headers):
            cache.drop(url)
            body = yield from _read_all(resp, total, stage)
            return Fetched(None, Source.UNCACHED, body)
        stored = http_cache.StoredResponse.from_headers(url, resp.headers, sent, arrived)
        temp, out = cache.partial(url)
        try:
            with out:
                done = 0
                yield Progress(stage, 0, total, unit="bytes")
                for block in _blocks(resp, url):
                    out.write(block)
                    done += len(block)
                    yield Progress(stage, done, total, unit="bytes")
        except BaseException:
            cache.discard(temp)  # a cancel (GeneratorExit) or a broken body keeps nothing
            raise
        if total is not None and done != total:
            cache.discard(temp)
            raise ReelEditorError(f"{url} ended after {done} of {total} bytes")
        return Fetched(cache.commit(url, temp, stored), Source.DOWNLOADED)


def _blocks(resp: requests.Response, url: str):
    try:
        yield from resp.iter_content(CHUNK)
    except requests.RequestException as exc:
        raise Offline(f"the download of {url} broke off: {type(exc).__name__}") from exc


def _read_all(resp, total, stage) -> Generator[Progress, None, bytes]:
    parts, done = [], 0
    for block in _blocks(resp, resp.url):
        parts.append(block)
        done += len(block)
        yield Progress(stage, done, total, unit="bytes")
    return b"".join(parts)


def fetch_cached(url: str, cache: MediaCache, session=None, **kw) -> Fetched:
    """`download` run to its end (posters, playlists: small files, no progress to show)."""
    gen = download(url, cache, session, **kw)
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        return stop.value


def cached_download(url: str, cache: MediaCache, session=None) -> Path:
    """The file at `url` on disk, through the cache (older callers)."""
    fetched = fetch_cached(url, cache, session)
    if fetched.path is None:
        raise ReelEditorError(f"{url} may not be kept on disk (no-store)")
    return fetched.path


def local_endpoint_port(endpoint: str) -> int | None:
    """The port of a loopback endpoint that nothing listens on yet (so we may serve it)."""
    parts = urlsplit(endpoint)
    if parts.hostname not in ("127.0.0.1", "localhost") or parts.scheme != "http":
        return None
    port = parts.port or 80
    with socket.socket() as probe:
        probe.settimeout(0.3)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return None  # something (a reeleditor serve, hopefully) already answers
    return port
