"""End to end: reels uploaded over tus to the real cloud, processed to HLS, played at its /."""

from __future__ import annotations

import hashlib
import subprocess

import pytest
import requests

from reeleditor.cloud.server import serve_in_thread, wait_published
from reeleditor.upload.queue import UploadQueue
from reeleditor.upload.transfer import Uploader
from tests.web.browser import need_ffmpeg, open_phone, swipe_up, video, wait_playing
from tests.web.fixture_origin import PICTURES

pytestmark = pytest.mark.slow


def make_mp4(path, picture: str, seconds: int = 4) -> None:
    """What a creator would upload: H.264 + AAC in an MP4, 360x640 (one rung: quick)."""
    subprocess.run(
        [
            *("ffmpeg", "-y", "-nostdin", "-loglevel", "error"),
            *("-f", "lavfi", "-i", f"{picture}=s=360x640:r=30:d={seconds}"),
            *("-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=48000:d={seconds}"),
            *("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"),
            *("-c:a", "aac", "-movflags", "+faststart", str(path)),
        ],
        check=True,
        timeout=60,
    )


def upload(base: str, path, title: str, home) -> str:
    data = path.read_bytes()
    queue = UploadQueue(home / "uploads")
    digest = hashlib.sha256(data).hexdigest()
    entry = queue.add(path, len(data), digest, f"{base}/files/", title=title)
    for _ in Uploader(queue, chunk_size=256 * 1024).run(entry.id):
        pass
    return queue.get(entry.id).upload_url.rstrip("/").rsplit("/", 1)[-1]


def test_reels_uploaded_to_the_cloud_play_in_the_browser(tmp_path, reel_home):
    need_ffmpeg()
    server = serve_in_thread("127.0.0.1", 0, tmp_path / "cloud")
    try:
        ids = []
        for i, title in enumerate(("Older reel", "Newer reel")):
            source = tmp_path / f"reel{i}.mp4"
            make_mp4(source, PICTURES[i])
            ids.append(upload(server.url, source, title, reel_home))
        for reel_id in ids:
            assert wait_published(server, reel_id, timeout=60) == "published"
        listed = requests.get(f"{server.url}/api/reels?limit=10", timeout=5).json()["reels"]
        newer, older = ids[1], ids[0]
        assert [r["id"] for r in listed] == [newer, older]  # newest first
        assert all(r["hls_url"] and r["mp4_url"] for r in listed), listed

        with open_phone(tmp_path) as (page, watched):
            page.goto(server.url + "/")
            wait_playing(page, newer)
            # of the reel's files, the poster is asked for first
            first = next(url for _, url in watched.requests if f"/media/{newer}/" in url)
            assert first.endswith("/poster.webp"), first
            # the next reel's first segment, fetched while the first one plays
            page.wait_for_function(
                """(id) => performance.getEntriesByType('resource').some(e =>
                    e.name.includes('/media/' + id + '/') && e.name.endsWith('/seg_00000.m4s'))""",
                arg=older,
            )
            swipe_up(page)
            wait_playing(page, older)
            assert page.evaluate(f"() => {video(newer)}.paused")
        assert watched.errors == []
    finally:
        server.close()
