"""Reading what an endpoint has published: the feed, and its files through the local cache."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from reeleditor.core.errors import ReelEditorError
from reeleditor.storage.media_cache import MediaCache

TIMEOUT = (5.0, 30.0)


def origin_of(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}/"


def fetch_feed(endpoint: str, session: requests.Session | None = None) -> list[dict]:
    url = urljoin(origin_of(endpoint), "feed.json")
    http = session or requests
    try:
        resp = http.get(url, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise ReelEditorError(
            f"cannot reach {url}: {type(exc).__name__}",
            "is the server running? ('reeleditor serve')",
        ) from exc
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


def cached_download(url: str, cache: MediaCache, session: requests.Session | None = None) -> Path:
    """The file at `url` from the cache, revalidated with its ETag (a 304 costs no body)."""
    http = session or requests
    headers = {}
    cached = cache.get(url)
    etag = cache.etag(url) if cached else None
    if etag:
        headers["If-None-Match"] = etag
    try:
        resp = http.get(url, headers=headers, timeout=TIMEOUT)
    except requests.RequestException as exc:
        if cached is not None:
            return cached  # offline: what we have is what we show
        raise ReelEditorError(f"cannot download {url}: {type(exc).__name__}") from exc
    if resp.status_code == 304 and cached is not None:
        return cached
    if resp.status_code != 200:
        raise ReelEditorError(f"{url} answered {resp.status_code}")
    return cache.put(url, resp.content, resp.headers.get("ETag"))


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
