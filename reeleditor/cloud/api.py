"""The feed API (/api/reels), the old feed (/feed.json) and the media origin (/media/...).

Contract: docs/delivery.md. Media is read from the object store under `media/` only (an
upload in progress is never reachable), with RFC 9110 validators, preconditions and Range
(cloud/conditional.py). Cache-Control by kind:
- files under a content-addressed prefix (segments, init, renditions, posters, sprites):
  `public, max-age=31536000, immutable`, since a URL never changes content;
- playlists: `public, max-age=60, must-revalidate`. A player starts from the master
  playlist, so a deleted reel stops starting everywhere within a minute, even in browser
  and proxy caches no purge reaches, while its segments may stay cached for a year; and
  the master is written again when the complete ladder replaces the preview's one rung;
- public lists (/feed.json, /api/reels, a playable reel): `public, max-age=10,
  must-revalidate` with an ETag; what only an owner may see: `private, no-store`;
- a missing media file: a 404 cacheable for a minute, so an edge's purge request
  (cloud/purge.py) stores it over the entry it held.
CORS is `Access-Control-Allow-Origin: *` on every answer here: no answer depends on the
Origin, so no `Vary: Origin` is needed; no cookies are used (the owner's token is a header
a page sets itself), so `*` gives a foreign page nothing it could not fetch by itself.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import re
from email.utils import formatdate
from urllib.parse import unquote

from aiohttp import web

from reeleditor.cloud import conditional
from reeleditor.cloud.auth import Auth, Denied
from reeleditor.cloud.contracts import Catalog, ObjectStore, Reel, ReelState
from reeleditor.cloud.objects import content_type_for

log = logging.getLogger("reeleditor.cloud.api")
IMMUTABLE = "public, max-age=31536000, immutable"
PLAYLIST_CACHE = "public, max-age=60, must-revalidate"
LIST_CACHE = "public, max-age=10, must-revalidate"
PRIVATE = "private, no-store"
MISSING_CACHE = "public, max-age=60"
MEDIA = "media/"
PAGE, MAX_PAGE = 20, 100
PURGE_WAIT = 3.0  # seconds a DELETE waits for the edges' purge before answering anyway
PLAYER_PAGE = 8  # the web player's first feed page, /api/reels?limit=8 (PAGE in player.js)
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Content-Length, Content-Range, ETag, Accept-Ranges, "
    "Last-Modified, Cache-Control",
}
_PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Headers": "Range, If-None-Match, If-Modified-Since, If-Range, "
    "If-Match, If-Unmodified-Since, Authorization",
    "Access-Control-Max-Age": "86400",
}
_NO_STORE = {**CORS, "Cache-Control": PRIVATE}
_ID_RE = re.compile(r"^[a-f0-9]{32}$")
_DIGEST_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")  # no dot first: no temp files
URL_NAMES = {
    "poster_url": "poster",
    "poster_webp_url": "poster_webp",
    "hls_url": "hls",
    "mp4_url": "mp4",
    "sprite_url": "sprite",
}


def media_prefix(prefix: str) -> str:
    """A reel's prefix as a store key prefix under media/, ending in '/'."""
    prefix = prefix.strip("/")
    return (prefix if prefix.startswith(MEDIA) else MEDIA + prefix) + "/"


def media_url(prefix: str, name: str) -> str:
    """The public URL path of file `name` under a reel's store prefix."""
    return "/" + media_prefix(prefix) + name


def media_key(raw_path: str) -> str | None:
    """The store key of a `/media/<reel>/<digest>/[<rung>/]<file>` request path as sent
    (before any normalising), or None: dot segments (also percent-encoded), empty
    segments (a directory), backslashes and any other shape are refused."""
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/" + MEDIA) or "\\" in path:
        return None
    raw = path[len(MEDIA) + 1 :].split("/")
    if not 3 <= len(raw) <= 4:
        return None
    try:
        parts = [unquote(p, errors="strict") if "%" in p else p for p in raw]
    except UnicodeDecodeError:
        return None
    if any("/" in p or "\\" in p for p in parts):  # an encoded slash or backslash
        return None
    reel, digest, *rest = parts
    if not (_ID_RE.match(reel) and _DIGEST_RE.match(digest)):
        return None
    if not all(_NAME_RE.match(p) for p in rest):
        return None
    return MEDIA + "/".join(parts)


def cache_control_for(key: str) -> str:
    return PLAYLIST_CACHE if key.endswith(".m3u8") else IMMUTABLE


def playable(reel: Reel) -> bool:
    """In the public feed: ready, or processing with its preview published."""
    return bool(reel.prefix) and reel.state in (ReelState.READY, ReelState.PROCESSING)


def _legacy_urls(reel: Reel) -> dict[str, str]:
    """{name: path} of a reel published before the manifest (its `files` a dict)."""
    files = reel.meta.get("files")
    if not reel.prefix or not isinstance(files, dict):
        return {}
    return {name: media_url(reel.prefix, file) for name, file in files.items()}


def reel_json(reel: Reel) -> dict:
    """A Reel as docs/delivery.md has it (URL fields null until their files exist)."""
    meta = reel.meta if playable(reel) else {}
    out = {
        "id": reel.id,
        "state": reel.state.value,
        "title": reel.title,
        "duration": meta.get("duration"),
        "width": meta.get("width"),
        "height": meta.get("height"),
        "published": reel.updated if meta else None,
    }
    for field, name in URL_NAMES.items():
        out[field] = media_url(reel.prefix, meta[name]) if meta.get(name) else None
    early = reel.meta.get("poster_prefix") if reel.state is ReelState.PROCESSING else None
    if not meta and early:  # the poster alone, published before the first rung
        out["poster_url"] = media_url(early, reel.meta["poster"])
        out["poster_webp_url"] = media_url(early, reel.meta["poster_webp"])
    legacy = _legacy_urls(reel) if meta else {}
    if legacy:  # published by the old pipeline: its files stand in for the manifest's
        out["urls"] = legacy
        out["poster_url"] = out["poster_url"] or media_url(reel.prefix, "poster.jpg")
        out["mp4_url"] = out["mp4_url"] or legacy.get("720p") or legacy.get("original")
    if meta.get("captions"):  # only a reel published with captions has the field
        out["captions_url"] = media_url(reel.prefix, meta["captions"])
        # burned into the picture too: players offer the track but leave it off
        out["captions_burned"] = bool(meta.get("captions_burned"))
    out["web_url"] = f"/#{reel.id}"
    if reel.state is ReelState.FAILED:
        out["reason"] = reel.reason
    return out


def feed_entry(reel: Reel) -> dict:
    """/feed.json's entry, as old clients read it: the meta, `poster_url` and `urls`."""
    entry = {k: v for k, v in reel.meta.items() if k != "files"}
    entry.update(id=reel.id, title=reel.title or reel.id)
    entry.setdefault("published", reel.updated)
    fields = reel_json(reel)
    urls = dict(fields.pop("urls", {}))
    for name in ("mp4", "hls"):
        if reel.meta.get(name):
            urls[name] = media_url(reel.prefix, reel.meta[name])
    return {**entry, **fields, "urls": urls}


def encode_cursor(reel: Reel) -> str:
    raw = json.dumps([reel.created, reel.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[float, str]:
    """The (created, id) a cursor stands for; ValueError when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        created, reel_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ValueError("cursor: not a cursor this server gave") from None
    if not isinstance(created, int | float) or not isinstance(reel_id, str):
        raise ValueError("cursor: not a cursor this server gave")
    if not _ID_RE.match(reel_id):
        raise ValueError("cursor: not a cursor this server gave")
    return float(created), reel_id


def parse_limit(text: str | None) -> int:
    if text is None:
        return PAGE
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise ValueError(f"limit: a whole number from 1 to {MAX_PAGE}")
    return int(text)


def _fields(request: web.Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        out.setdefault(name.lower(), []).append(value)
    return out


def _json(data, status: int = 200, cache: str = PRIVATE, **headers) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(data),
        content_type="application/json",
        headers={**CORS, "Cache-Control": cache, **headers},
    )


def _public_json(request: web.Request, data) -> web.Response:
    """A public list with a strong ETag of its body; 304 when If-None-Match has it."""
    body = json.dumps(data).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {**CORS, "Cache-Control": LIST_CACHE, "ETag": etag, "Vary": "Authorization"}
    have = conditional.Validators(etag, 0)
    fields = _fields(request)
    fields.pop("if-modified-since", None)  # a list has no Last-Modified to compare with
    if conditional.precondition(request.method, fields, have) is conditional.Outcome.NOT_MODIFIED:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/json", headers=headers)


def _problem(status: int, reason: str, cache: str = PRIVATE) -> web.Response:
    return web.Response(status=status, text=reason + "\n", headers={**CORS, "Cache-Control": cache})


class Api:
    def __init__(
        self, catalog: Catalog, store: ObjectStore, auth: Auth, edges: tuple[str, ...] = ()
    ) -> None:
        self.catalog, self.store, self.auth = catalog, store, auth
        self.edges = tuple(edges)  # edge caches to purge after a delete
        self._purges: set[asyncio.Task] = set()  # running on after a DELETE answered

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/reels", self.list_reels),  # GET also answers HEAD
            web.get("/api/reels/{id}", self.get_reel),
            web.delete("/api/reels/{id}", self.delete_reel),
            web.get("/feed.json", self.feed),
            web.get("/media/{path:.*}", self.media),
            web.options("/api/reels", self.preflight),
            web.options("/api/reels/{id}", self.preflight),
            web.options("/feed.json", self.preflight),
            web.options("/media/{path:.*}", self.preflight),
        ]

    async def preflight(self, request: web.Request) -> web.Response:
        methods = "GET, HEAD, OPTIONS"
        if request.path.startswith("/api/reels/"):
            methods = "GET, HEAD, DELETE, OPTIONS"
        return web.Response(
            status=204, headers={**_PREFLIGHT, "Access-Control-Allow-Methods": methods}
        )

    async def _owner(self, request: web.Request) -> str:
        try:
            return await self.auth.owner(request)
        except Denied as exc:
            raise web.HTTPUnauthorized(text=str(exc), headers=_NO_STORE) from None

    async def _reel(self, reel_id: str) -> Reel | None:
        if not _ID_RE.match(reel_id):
            return None
        return await asyncio.to_thread(self.catalog.get_reel, reel_id)

    # -- the feed API ---------------------------------------------------------------------

    async def list_reels(self, request: web.Request) -> web.Response:
        query = request.query
        mine = query.get("mine", "") in ("1", "true")
        try:
            limit = parse_limit(query.get("limit"))
            cursor = decode_cursor(query["cursor"]) if "cursor" in query else None
        except ValueError as exc:
            return _problem(400, str(exc))
        owner = await self._owner(request) if mine else None
        reels = await asyncio.to_thread(
            self.catalog.list_reels, owner, playable=not mine, limit=limit + 1, before=cursor
        )
        page = reels[:limit]
        following = None
        if len(reels) > limit:
            following = f"/api/reels?limit={limit}&cursor={encode_cursor(page[-1])}"
            following += "&mine=1" if mine else ""
        body = {"reels": [reel_json(r) for r in page], "next": following}
        if mine:
            return _json(body)
        return _public_json(request, body)

    async def get_reel(self, request: web.Request) -> web.Response:
        reel = await self._reel(request.match_info["id"])
        if reel is not None and playable(reel):
            return _public_json(request, reel_json(reel))
        if reel is not None:
            try:
                who = await self.auth.owner(request)
            except Denied as exc:
                if "Authorization" in request.headers:  # a bad token is told, not ignored
                    raise web.HTTPUnauthorized(text=str(exc), headers=_NO_STORE) from None
                who = None
            if who == reel.owner:
                return _json(reel_json(reel))
        # neither public nor asked for by its owner: as if it did not exist (cacheable, so
        # a purge after a delete replaces the reel an edge held)
        return _problem(404, "no such reel", LIST_CACHE)

    async def delete_reel(self, request: web.Request) -> web.Response:
        owner = await self._owner(request)
        reel = await self._reel(request.match_info["id"])
        if reel is None or reel.owner != owner:
            return _problem(404, "no such reel")  # another's reel is not told apart
        keys = await asyncio.to_thread(self._delete, reel)
        if self.edges:
            await self._purge(reel, keys)
        return web.Response(status=204, headers=CORS)

    def _delete(self, reel: Reel) -> list[str]:
        """Remove the reel's bytes (every prefix it had) and rows; the keys that were."""
        folder = f"{MEDIA}{reel.id}/"
        keys = self.store.list_keys(folder)
        files = reel.meta.get("files")
        if reel.prefix and isinstance(files, list | dict):
            names = files.values() if isinstance(files, dict) else files
            keys = sorted({*keys, *(media_prefix(reel.prefix) + str(n) for n in names)})
        upload = self.catalog.get_upload(reel.id)
        # The row first: from here no list shows the reel and no worker can publish it
        # (its job is gone; a worker still uploading takes its files back, see jobs.py),
        # so nobody is sent to media that is about to vanish.
        self.catalog.delete_reel(reel.id)
        if upload is not None:
            self.store.abort_upload(upload.key, upload.storage_state)
            self.store.delete(upload.key)
        self.store.delete_prefix(folder)
        return keys

    async def _purge(self, reel: Reel, keys: list[str]) -> None:
        """Ask each edge to fetch the reel's URLs again (now 404s and shorter lists);
        waits PURGE_WAIT at most, then lets it finish on its own."""
        from reeleditor.cloud.purge import purge

        lists = ["/feed.json", "/api/reels", f"/api/reels?limit={PLAYER_PAGE}"]  # the player's
        paths = ["/" + k for k in keys] + lists + [f"/api/reels/{reel.id}"]
        task = asyncio.create_task(purge(self.edges, paths))
        self._purges.add(task)
        task.add_done_callback(self._purges.discard)
        try:
            await asyncio.wait_for(asyncio.shield(task), PURGE_WAIT)
        except TimeoutError:
            log.warning("purging reel %s from the edges goes on after the delete", reel.id)

    async def feed(self, request: web.Request) -> web.Response:
        reels = await asyncio.to_thread(self.catalog.list_reels, None, ReelState.READY)
        return _public_json(request, [feed_entry(r) for r in reels])

    # -- media ----------------------------------------------------------------------------

    async def media(self, request: web.Request) -> web.StreamResponse:
        """200, 206 (one byte range), 304, 412 or 416 of a published file; else 404."""
        key = media_key(request.raw_path)
        info = await asyncio.to_thread(self.store.stat, key) if key else None
        if info is None:
            return _problem(404, "not found", MISSING_CACHE)
        have = conditional.Validators(info.etag, int(info.modified))
        headers = {
            **CORS,
            "ETag": info.etag,
            "Last-Modified": formatdate(have.modified, usegmt=True),
            "Cache-Control": cache_control_for(key),
            "Accept-Ranges": "bytes",
        }
        fields = _fields(request)
        outcome = conditional.precondition(request.method, fields, have)
        if outcome is conditional.Outcome.NOT_MODIFIED:
            return web.Response(status=304, headers=headers)
        if outcome is conditional.Outcome.FAILED:
            return _problem(412, "precondition failed")
        try:
            wanted = conditional.wanted_range(request.method, fields, info.size, have)
        except conditional.Unsatisfiable:
            headers.update({"Content-Range": f"bytes */{info.size}", "Cache-Control": PRIVATE})
            return web.Response(status=416, headers=headers)
        start, end, status = 0, info.size - 1, 200
        if wanted is not None:
            (start, end), status = wanted, 206
            headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
        headers["Content-Type"] = content_type_for(key)
        resp = web.StreamResponse(status=status, headers=headers)
        resp.content_length = end - start + 1
        await resp.prepare(request)
        if request.method == "HEAD" or end < start:
            await resp.write_eof()
            return resp
        await self._send(resp, key, start, end + 1)
        return resp

    async def _send(self, resp: web.StreamResponse, key: str, start: int, stop: int) -> None:
        chunks = self.store.read(key, start, stop)
        try:
            while (block := await asyncio.to_thread(next, chunks, None)) is not None:
                await resp.write(block)
        finally:  # a viewer gone mid-file: the store's stream is closed now, not at GC
            close = getattr(chunks, "close", None)
            if close is not None:
                await asyncio.to_thread(close)
        await resp.write_eof()
