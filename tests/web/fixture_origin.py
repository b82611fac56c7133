"""A stand-in origin for the player tests: ffmpeg-made HLS reels, the feed API in its shape."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from reeleditor.cloud.web import player_routes

SECONDS = 6  # three 2 s segments per reel
# lavfi sources: each reel looks different in the screenshots
PICTURES = ("testsrc2", "smptebars", "rgbtestsrc")


def make_reel(folder: Path, picture: str, *, mp4: bool) -> None:
    """The contract's layout (docs/delivery.md) with one 360p rung, as processing writes it."""
    rung = folder / "360p"
    rung.mkdir(parents=True)
    source = [
        *("-f", "lavfi", "-i", f"{picture}=s=360x640:r=30:d={SECONDS}"),
        *("-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:d={SECONDS}"),
    ]
    # High profile, closed 2 s GOPs, AAC stereo: what the real ladder makes
    encode = [
        *("-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-level", "3.0"),
        *("-pix_fmt", "yuv420p", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0"),
        *("-c:a", "aac", "-b:a", "64k", "-ac", "2"),
    ]
    run = ["ffmpeg", "-y", "-nostdin", "-loglevel", "error"]
    subprocess.run(
        [
            *run,
            *source,
            *encode,
            *("-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod"),
            *("-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4"),
            *("-hls_segment_filename", "360p/seg_%05d.m4s", "360p/index.m3u8"),
        ],
        cwd=folder,
        check=True,
        timeout=60,
    )
    (folder / "master.m3u8").write_text(
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=700000,RESOLUTION=360x640,"
        'CODECS="avc1.64001e,mp4a.40.2",FRAME-RATE=30.000\n360p/index.m3u8\n'
    )
    poster = [*run, "-f", "lavfi", "-i", f"{picture}=s=360x640:r=30:d=1", "-frames:v", "1"]
    subprocess.run([*poster, "poster.jpg"], cwd=folder, check=True, timeout=60)
    subprocess.run([*poster, "poster.webp"], cwd=folder, check=True, timeout=60)
    if mp4:
        subprocess.run(
            [*run, *source, *encode, "-movflags", "+faststart", "reel.mp4"],
            cwd=folder,
            check=True,
            timeout=60,
        )


def reel_json(reel_id: str, title: str, *, processing: bool, published: float) -> dict:
    base = f"/media/{reel_id}/d1g35t"
    return {
        "id": reel_id,
        "state": "processing" if processing else "ready",
        "title": title,
        "duration": float(SECONDS),
        "width": 360,
        "height": 640,
        "published": published,
        "poster_url": f"{base}/poster.jpg",
        "poster_webp_url": f"{base}/poster.webp",
        "hls_url": f"{base}/master.m3u8",
        "mp4_url": None if processing else f"{base}/reel.mp4",
        "sprite_url": None,
        "web_url": f"/#{reel_id}",
    }


@dataclass
class FixtureOrigin:
    """`/`, `/player/...`, `/api/reels` (paged) and `/media/...` on a loopback port."""

    media: Path
    reels: list[dict]
    page_cap: int = 20  # at most this many a page, whatever `limit` asks (as a server may)
    url: str = ""
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None
    _thread: threading.Thread | None = field(default=None, repr=False)

    def app(self) -> web.Application:
        async def list_reels(request: web.Request) -> web.Response:
            limit = min(int(request.query.get("limit", "20")), self.page_cap)
            start = int(request.query.get("cursor", "0"))
            end = start + limit
            more = f"/api/reels?limit={limit}&cursor={end}" if end < len(self.reels) else None
            return web.json_response({"reels": self.reels[start:end], "next": more})

        async def one_reel(request: web.Request) -> web.Response:
            for reel in self.reels:
                if reel["id"] == request.match_info["id"]:
                    return web.json_response(reel)
            raise web.HTTPNotFound(text="no such reel")

        app = web.Application()
        app.add_routes(player_routes())
        app.add_routes([web.get("/api/reels", list_reels), web.get("/api/reels/{id}", one_reel)])
        app.router.add_static("/media/", self.media)
        return app

    def start(self) -> FixtureOrigin:
        started = threading.Event()

        def run() -> None:
            loop = self._loop = asyncio.new_event_loop()
            self._runner = web.AppRunner(self.app())
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            host, port = site._server.sockets[0].getsockname()[:2]
            self.url = f"http://{host}:{port}"
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        # named like the project's threads: the conftest fails a test that leaves it running
        self._thread = threading.Thread(target=run, name="cloud-fixture", daemon=True)
        self._thread.start()
        started.wait(30)
        return self

    def close(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(30)
