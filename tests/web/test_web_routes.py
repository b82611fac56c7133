"""The player's routes: the page revalidated, its files immutable under digest URLs, gzip, 304."""

from __future__ import annotations

import asyncio
import re

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from reeleditor.cloud.web import ROOT, player_routes


def run(check, root=ROOT) -> None:
    async def main() -> None:
        app = web.Application()
        app.add_routes(player_routes(root))
        async with TestClient(TestServer(app)) as client:
            await check(client)

    asyncio.run(main())


def test_the_page_is_revalidated_and_names_its_files_by_digest():
    async def check(client):
        page = await client.get("/")
        assert page.status == 200 and page.content_type == "text/html"
        assert page.headers["Cache-Control"] == "no-cache"
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        html = await page.text()
        links = re.findall(r'(?:src|href)="(/player/[^"]+)"', html)
        assert len(links) == 3 and all(re.match(r"/player/v/[0-9a-f]{16}/", u) for u in links)
        assert not re.search(r'(?:src|href)="(?:https?:)?//', html)  # no CDN: all on the origin

        again = await client.get("/", headers={"If-None-Match": f'"x", {page.headers["ETag"]}'})
        assert again.status == 304 and await again.read() == b""
        assert again.headers["Cache-Control"] == "no-cache"

        for url in links:
            asset = await client.get(url)
            assert asset.status == 200
            assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert asset.headers["Content-Encoding"] == "gzip"  # the test client asks for it
            assert asset.headers["Vary"] == "Accept-Encoding"

    run(check)


def test_plain_and_stale_names_are_revalidated_and_unknown_ones_are_404():
    async def check(client):
        plain = await client.get("/player/vendor/hls.min.js", headers={"Accept-Encoding": ""})
        body = await plain.read()
        assert plain.status == 200 and plain.headers["Cache-Control"] == "no-cache"
        assert "Content-Encoding" not in plain.headers and len(body) > 100_000
        assert plain.content_type == "text/javascript"
        stale = await client.get("/player/v/0123456789abcdef/player.js")
        assert stale.status == 200 and stale.headers["Cache-Control"] == "no-cache"
        licence = await client.get("/player/vendor/hls.js-LICENSE")
        assert licence.status == 200 and "Apache License" in await licence.text()
        head = await client.head("/player/player.css")
        assert head.status == 200
        for url in ("/player/README.md", "/player/nope.js", "/player/../web.py"):
            assert (await client.get(url)).status == 404, url

    run(check)


def test_without_its_files_the_page_is_404_and_nothing_breaks(tmp_path):
    async def check(client):
        missing = await client.get("/")
        assert missing.status == 404 and "not installed" in await missing.text()

    run(check, tmp_path)
