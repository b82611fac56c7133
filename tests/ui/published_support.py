"""A real cloud for the Published tab's tests, with reels put in through its catalog and store."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from PySide6.QtGui import QColor, QImage

from reeleditor.cloud.app import Options
from reeleditor.cloud.contracts import Upload
from reeleditor.cloud.server import CloudServer, serve_in_thread
from tests.media.playback_media import BLUE, GREEN, RED, make_hls_video, make_video

WORKER = "test-worker"


def make_mp4(path: Path, seconds: float = 2.0, size=(160, 288), fps: int = 30) -> Path:
    """Red for the first half, blue for the second, with a tone (a reel as published)."""
    return make_video(path, seconds, (RED, BLUE), size, fps, options={"movflags": "+faststart"})


def make_hls(folder: Path, seconds: float = 3.0, size=(160, 288), fps: int = 30) -> Path:
    """An HLS preview as the pipeline's first stage lays it out: master.m3u8 and one rung
    (fMP4 init and 1 s segments, green then red, with a tone) in `360p/`; the folder."""
    make_hls_video(folder, seconds, (GREEN, RED), size=size, fps=fps)
    return folder


def make_jpg(path: Path, color: str = "orange", size=(90, 160)) -> Path:
    image = QImage(size[0], size[1], QImage.Format_RGB32)
    image.fill(QColor(color))
    assert image.save(str(path), "JPG")
    return path


def start_cloud(data: Path) -> CloudServer:
    """The embedded cloud on a free port; its job sweeper sleeps, so reels put in here stay
    as the test sets them (the real pipeline is not what these tests are about)."""
    return serve_in_thread("127.0.0.1", 0, data, options=Options(sweep_jobs_every=3600.0))


class Reels:
    """Reels in a running cloud's catalog, in any state, owned by one account."""

    def __init__(self, server: CloudServer, tmp: Path) -> None:
        self.server, self.tmp = server, tmp
        self.catalog, self.store = server.cloud.catalog, server.cloud.store
        account, self.token = self.catalog.add_account("creator")
        self.owner = account.id
        self.jobs: dict[str, str] = {}
        self.mp4 = make_mp4(tmp / "reel.mp4")
        self.poster = make_jpg(tmp / "poster.jpg")

    def processing(self, title: str, created: float | None = None) -> str:
        now = time.time() if created is None else created
        reel_id = uuid.uuid4().hex
        self.catalog.create_upload(
            Upload(
                id=reel_id,
                owner=self.owner,
                length=10,
                offset=10,
                metadata={"title": title},
                key=f"uploads/{reel_id}",
                storage_state={},
                created=now,
                expires=now + 3600,
            )
        )
        job = self.catalog.finish_upload(reel_id, "ab" * 32)
        assert self.catalog.claim_job(job.id, WORKER, 3600) is not None
        self.catalog.set_reel_processing(reel_id)
        self.jobs[reel_id] = job.id
        return reel_id

    def preview(self, reel_id: str) -> str:
        """Publish its first stage (poster and one HLS rung, no MP4); the prefix."""
        prefix = f"media/{reel_id}/{uuid.uuid4().hex[:16]}"
        folder = make_hls(self.tmp / f"hls-{reel_id}")
        files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        for name in files:
            self.store.put_file(f"{prefix}/{name}", str(folder / name), "")
        self.store.put_file(f"{prefix}/poster.jpg", str(self.poster), "image/jpeg")
        meta = {"stage": "preview", "duration": 3.0, "width": 160, "height": 288}
        meta.update(poster="poster.jpg", hls="master.m3u8", files=["poster.jpg", *files])
        assert self.catalog.publish_preview(self.jobs[reel_id], WORKER, prefix, meta)
        return prefix

    def make_ready(self, reel_id: str, mp4: Path | None = None) -> str:
        """Put its poster and MP4 (the test reel unless given) in the store and publish it;
        its prefix."""
        prefix = f"media/{reel_id}/{uuid.uuid4().hex[:16]}"
        self.store.put_file(f"{prefix}/reel.mp4", str(mp4 or self.mp4), "video/mp4")
        self.store.put_file(f"{prefix}/poster.jpg", str(self.poster), "image/jpeg")
        meta = {
            "stage": "complete",
            "duration": 2.0,
            "width": 160,
            "height": 288,
            "poster": "poster.jpg",
            "mp4": "reel.mp4",
            "files": ["poster.jpg", "reel.mp4"],
        }
        assert self.catalog.publish(self.jobs[reel_id], WORKER, prefix, meta)
        return prefix

    def ready(self, title: str, created: float | None = None, mp4: Path | None = None) -> str:
        reel_id = self.processing(title, created)
        self.make_ready(reel_id, mp4)
        return reel_id

    def failed(self, title: str, reason: str) -> str:
        reel_id = self.processing(title)
        self.catalog.fail(self.jobs[reel_id], WORKER, reason)
        return reel_id
