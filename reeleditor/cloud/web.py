"""The web player's routes: `/` (the page) and its files under `/player/`, cached by kind.

Caching: the page is `no-cache` (revalidated on every visit, a 304 when unchanged), so a
new release reaches browsers and a CDN at once. It names its files by content digest,
`/player/v/<digest>/player.js`, and those answer `immutable` for a year: a changed file gets
a new URL, never new bytes under an old one. The same files under their plain names
(`/player/player.js`) answer `no-cache` with a strong ETag, for hand-written links.
Text files are gzipped once at start-up (hls.min.js: 620 KB -> ~190 KB), not per request.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

log = logging.getLogger("reeleditor.cloud")
ROOT = Path(__file__).with_name("web")  # also under a PyInstaller bundle's _MEIPASS
PREFIX = "/player/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
# Files a browser may fetch, and the vendored licences (plain text); not README.md.
SERVED = re.compile(r"^[A-Za-z0-9_.-]+\.(html|js|css|svg|png)$|^[A-Za-z0-9_.-]*LICENSE$")
_REF = re.compile(r'(src|href)="/player/([^"]+)"')


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None  # None: not worth it (images)
    content_type: str
    digest: str  # sha256 of body, hex

    @classmethod
    def of(cls, body: bytes, content_type: str) -> Asset:
        text = content_type.startswith("text/") or content_type == "image/svg+xml"
        packed = gzip.compress(body, 9, mtime=0) if text else None
        return cls(body, packed, content_type, hashlib.sha256(body).hexdigest())

    @classmethod
    def read(cls, path: Path) -> Asset:
        return cls.of(path.read_bytes(), TYPES.get(path.suffix, TYPES[".txt"]))


def _load(root: Path) -> tuple[dict[str, Asset], Asset]:
    assets = {
        p.relative_to(root).as_posix(): Asset.read(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and SERVED.match(p.name)
    }

    def versioned(m: re.Match) -> str:
        name = m.group(2)
        asset = assets.get(name)
        if asset is None:
            return m.group(0)
        return f'{m.group(1)}="{PREFIX}v/{asset.digest[:16]}/{name}"'

    page = assets.pop("index.html")
    html = _REF.sub(versioned, page.body.decode())
    return assets, Asset.of(html.encode(), page.content_type)


def _answer(request: web.Request, asset: Asset, cache: str) -> web.Response:
    """200 or 304 with a strong ETag per encoding (the gzip body is another representation)."""
    use_gzip = asset.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", "")
    tag = f'"{asset.digest[:32]}{"-gz" if use_gzip else ""}"'
    headers = {"ETag": tag, "Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
    if asset.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"
    wanted = request.headers.get("If-None-Match", "")
    if wanted.strip() == "*" or tag in (t.strip().removeprefix("W/") for t in wanted.split(",")):
        return web.Response(status=304, headers=headers)
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
    body = asset.gzipped if use_gzip else asset.body
    response = web.Response(body=body, headers=headers)
    response.content_type, _, charset = asset.content_type.partition("; charset=")
    if charset:
        response.charset = charset
    return response


def player_routes(root: Path = ROOT) -> list[web.RouteDef]:
    """GET (and HEAD) `/`, `/player/<name>` and `/player/v/<digest>/<name>`."""
    if not (root / "index.html").is_file():
        # a build that left the files out (a wheel or bundle without package data): the
        # cloud still ingests and serves; only the page says what is missing
        log.warning("the web player's files are not in %s: / answers 404", root)

        async def missing(request: web.Request) -> web.Response:
            raise web.HTTPNotFound(text=f"the web player is not installed (no {root})")

        return [web.get("/", missing)]
    assets, page = _load(root)

    async def index(request: web.Request) -> web.Response:
        response = _answer(request, page, REVALIDATE)
        # only our own scripts run; media may come from a CDN host (hls.js: blob: URLs)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; worker-src 'self' blob:; "
            "media-src * blob:; img-src * data: blob:; connect-src *; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
        )
        return response

    async def plain(request: web.Request) -> web.Response:
        asset = assets.get(request.match_info["name"])
        if asset is None:
            raise web.HTTPNotFound(text="not found")
        return _answer(request, asset, REVALIDATE)

    async def versioned(request: web.Request) -> web.Response:
        asset = assets.get(request.match_info["name"])
        if asset is None:
            raise web.HTTPNotFound(text="not found")
        # an old page asking for a file since changed gets today's bytes, not for a year
        fresh = asset.digest.startswith(request.match_info["digest"])
        return _answer(request, asset, IMMUTABLE if fresh else REVALIDATE)

    return [
        web.get("/", index),
        web.get(PREFIX + "v/{digest:[0-9a-f]{16}}/{name:[A-Za-z0-9_./-]+}", versioned),
        web.get(PREFIX + "{name:[A-Za-z0-9_./-]+}", plain),
    ]
