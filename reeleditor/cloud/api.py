"""The owner's API (/api/reels), the public feed (/feed.json) and media delivery (/media/...).

Media is read from the object store with the validators of a file that never changes: a
strong ETag, Range (one range), and `immutable` for a year, since a published reel lives
under a content-addressed prefix. The feed is the format the app reads (cloud/client.py):
a JSON list, newest first, of the published reels with `poster_url` and `urls` relative to
the server. Store keys of published files start with `media/`; `/media/<rest>` reads
`media/<rest>` only, so uploads in progress are never reachable from outside.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from email.utils import formatdate

from aiohttp import web

from reeleditor.cloud.auth import Auth, Denied
from reeleditor.cloud.contracts import Catalog, ObjectStore, Reel, ReelState

log = logging.getLogger("reeleditor.cloud.api")
FEED_CACHE = "public, max-age=10"
MEDIA_CACHE = "public, max-age=31536000, immutable"
MEDIA = "media/"
_MEDIA_PATH = re.compile(r"^[A-Za-z0-9_-]{1,64}(/[A-Za-z0-9_.-]{1,64}){1,4}$")
_ID_RE = re.compile(r"^[a-f0-9]{32}$")


def media_prefix(prefix: str) -> str:
    """A reel's prefix as a store key prefix under media/, ending in '/'."""
    prefix = prefix.strip("/")
    return (prefix if prefix.startswith(MEDIA) else MEDIA + prefix) + "/"


def media_url(prefix: str, name: str) -> str:
    """The public URL path of file `name` under a reel's store prefix."""
    return "/" + media_prefix(prefix) + name


def feed_entry(reel: Reel) -> dict:
    entry = {"id": reel.id, "title": reel.title or reel.id, **reel.meta}
    entry.setdefault("published", reel.updated)
    files = entry.get("files", {})
    entry["urls"] = {name: media_url(reel.prefix, file) for name, file in files.items()}
    entry["poster_url"] = media_url(reel.prefix, entry.get("poster", "poster.jpg"))
    return entry


def reel_status(reel: Reel) -> dict:
    status = {"id": reel.id, "state": reel.state.value, "title": reel.title}
    if reel.state is ReelState.FAILED:
        status["reason"] = reel.reason
    if reel.state is ReelState.READY:
        status["urls"] = feed_entry(reel)["urls"]
    return status


def _json(data, status: int = 200, **headers) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(data), content_type="application/json", headers=headers
    )


class Api:
    def __init__(
        self, catalog: Catalog, store: ObjectStore, auth: Auth, edges: tuple[str, ...] = ()
    ) -> None:
        self.catalog, self.store, self.auth = catalog, store, auth
        self.edges = tuple(edges)  # edge caches to purge after a delete

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/reels", self.list_reels),
            web.get("/api/reels/{id}", self.get_reel),
            web.delete("/api/reels/{id}", self.delete_reel),
            web.get("/feed.json", self.feed),
            web.get("/media/{path:.+}", self.media),  # GET also answers HEAD
        ]

    async def _owner(self, request: web.Request) -> str:
        try:
            return await self.auth.owner(request)
        except Denied as exc:
            raise web.HTTPUnauthorized(text=str(exc)) from None

    async def _own_reel(self, request: web.Request) -> Reel:
        owner = await self._owner(request)
        reel_id = request.match_info["id"]
        reel = None
        if _ID_RE.match(reel_id):
            reel = await asyncio.to_thread(self.catalog.get_reel, reel_id)
        if reel is None or reel.owner != owner:
            raise web.HTTPNotFound(text="no such reel")  # another's reel is not told apart
        return reel

    async def list_reels(self, request: web.Request) -> web.Response:
        owner = await self._owner(request)
        reels = await asyncio.to_thread(self.catalog.list_reels, owner)
        return _json({"reels": [reel_status(r) for r in reels]}, **{"Cache-Control": "no-store"})

    async def get_reel(self, request: web.Request) -> web.Response:
        reel = await self._own_reel(request)
        return _json(reel_status(reel), **{"Cache-Control": "no-store"})

    async def delete_reel(self, request: web.Request) -> web.Response:
        reel = await self._own_reel(request)
        await asyncio.to_thread(self._delete, reel)
        return web.Response(status=204)

    def _delete(self, reel: Reel) -> None:
        upload = self.catalog.get_upload(reel.id)
        if upload is not None:
            self.store.abort_upload(upload.key, upload.storage_state)
            self.store.delete(upload.key)
            self.catalog.delete_upload(reel.id)
        if reel.prefix:
            self.store.delete_prefix(media_prefix(reel.prefix))
        self.catalog.delete_reel(reel.id)

    async def feed(self, request: web.Request) -> web.Response:
        reels = await asyncio.to_thread(self.catalog.list_reels, None, ReelState.READY)
        body = json.dumps([feed_entry(r) for r in reels]).encode()
        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
        headers = {"ETag": etag, "Cache-Control": FEED_CACHE}
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, content_type="application/json", headers=headers)

    async def media(self, request: web.Request) -> web.StreamResponse:
        """200, 206 (one byte range), 304 or 416; a published file never changes."""
        path = request.match_info["path"]
        if not _MEDIA_PATH.match(path) or ".." in path:
            raise web.HTTPNotFound(text="not found")
        key = MEDIA + path
        info = await asyncio.to_thread(self.store.stat, key)
        if info is None:
            raise web.HTTPNotFound(text="not found")
        headers = {
            "ETag": info.etag,
            "Last-Modified": formatdate(info.modified, usegmt=True),
            "Cache-Control": MEDIA_CACHE,
            "Accept-Ranges": "bytes",
            "Content-Type": info.content_type or "application/octet-stream",
        }
        if request.headers.get("If-None-Match") == info.etag:
            return web.Response(status=304, headers=headers)
        start, end, status = 0, info.size - 1, 200
        wanted = request.headers.get("Range", "")
        if wanted.startswith("bytes="):
            first, _, last = wanted[6:].split(",")[0].strip().partition("-")
            try:
                if first:
                    start = int(first)
                    end = min(int(last), end) if last else end
                else:
                    start = max(0, info.size - int(last))
                if start > end or start < 0:
                    raise ValueError
            except ValueError:
                headers["Content-Range"] = f"bytes */{info.size}"
                return web.Response(status=416, headers=headers)
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
        resp = web.StreamResponse(status=status, headers=headers)
        resp.content_length = end - start + 1
        await resp.prepare(request)
        if request.method == "HEAD" or end < start:
            return resp
        chunks = self.store.read(key, start, end + 1)
        try:
            while (block := await asyncio.to_thread(next, chunks, None)) is not None:
                await resp.write(block)
        finally:  # a viewer gone mid-file: the store's stream is closed now, not at GC
            close = getattr(chunks, "close", None)
            if close is not None:
                await asyncio.to_thread(close)
        await resp.write_eof()
        return resp
