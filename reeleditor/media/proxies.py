"""Scrub proxies: each media file (as shaped for the reel) at preview size with a short GOP.

A click on the timeline must show its exact frame within ~80 ms. A recorded take's GOP is
0.5 s and a phone clip's 1-2 s of 1080x1920, so a seek there decodes up to 60 big
pictures. A proxy is the same pictures, turned and fitted as the export does, at 540x960
with a keyframe every PROXY_GOP pictures and no B-frames: a seek decodes at most
PROXY_GOP small pictures. Each picture keeps its source timestamp, so the frame a reel
time maps to is chosen from the proxy exactly as from the original.

Proxies live in drafts/<id>/proxies/ (not in bundles: they are made again from media/).
The file name carries the source's size and mtime, the fit and the reel size, so a stale
one is never used; a half-written one has a temp name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Generator
from pathlib import Path

import av
import numpy as np

from reeleditor.core.draft import Draft, Segment
from reeleditor.core.progress import Progress
from reeleditor.media.preview import PREVIEW_SIZE

PROXY_DIR = "proxies"
PROXY_GOP = 10  # pictures between keyframes: a worst-case seek decodes 10 at 540x960


def proxy_path(store, draft: Draft, segment: Segment) -> Path | None:
    """Where `segment`'s proxy lives (None for a photo or a missing file: nothing to make)."""
    if segment.kind == "photo":
        return None
    source = Path(store.media_path(draft, segment))
    try:
        stat = source.stat()
    except OSError:
        return None
    shaped = segment.kind != "take" or segment.fit != "fill"
    fit = segment.fit if shaped else "take"
    key = f"{source.name}|{stat.st_size}|{stat.st_mtime_ns}|{fit}|{draft.width}x{draft.height}"
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    return store.folder(draft.id) / PROXY_DIR / f"{source.stem}-{fit}-{digest}.mp4"


def ready_proxy(store, draft: Draft, segment: Segment) -> Path | None:
    """The segment's proxy if it is built, else None (the original is used meanwhile)."""
    path = proxy_path(store, draft, segment)
    return path if path is not None and path.is_file() else None


def build_proxies(store, draft: Draft) -> Generator[Progress, None, int]:
    """Make every missing proxy of the draft; returns how many were made.

    A cancel (closing the generator) stops between pictures and leaves no partial file.
    Proxies nothing points at any more are removed, so the folder does not grow forever.
    """
    wanted: dict[Path, Segment] = {}
    for seg in draft.segments:
        path = proxy_path(store, draft, seg)
        if path is not None:
            wanted.setdefault(path, seg)
    folder = store.folder(draft.id) / PROXY_DIR
    if folder.is_dir():
        for old in folder.iterdir():
            if old.suffix == ".mp4" and old not in wanted and not old.name.startswith("."):
                with contextlib.suppress(OSError):
                    old.unlink()
    todo = [(p, s) for p, s in wanted.items() if not p.is_file()]
    made = 0
    for n, (path, seg) in enumerate(todo, 1):
        source = Path(store.media_path(draft, seg))
        label = f"proxy {n} of {len(todo)}"
        yield from _build_one(source, path, seg, (draft.width, draft.height), label)
        made += 1
    return made


def _build_one(
    source: Path, dest: Path, segment: Segment, size: tuple[int, int], label: str
) -> Generator[Progress, None, None]:
    from reeleditor.media.clips import shape_picture, upright
    from reeleditor.media.conform import conform

    shaped = segment.kind != "take" or segment.fit != "fill"
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial")
    w, h = PREVIEW_SIZE
    try:
        with av.open(str(source)) as src, av.open(str(tmp), "w", format="mp4") as out:
            stream = src.streams.video[0]
            stream.thread_type = "AUTO"
            total = stream.frames or None
            video = out.add_stream("libx264", rate=30)
            video.width, video.height, video.pix_fmt = w, h, "yuv420p"
            video.codec_context.time_base = stream.time_base
            video.codec_context.gop_size = PROXY_GOP
            video.options = {"preset": "ultrafast", "crf": "16", "bframes": "0"}
            rotation = None
            done = 0
            last_pts = None
            for frame in src.decode(stream):
                if frame.pts is None or (last_pts is not None and frame.pts <= last_pts):
                    continue  # the encoder needs rising timestamps (damaged files repeat some)
                if rotation is None:
                    rotation = frame.rotation
                image = to_bgr(frame)
                if shaped:
                    image = shape_picture(upright(image, rotation), segment.fit, *size)
                small = np.ascontiguousarray(conform(image, w, h))
                picture = av.VideoFrame.from_ndarray(small, format="bgr24")
                picture.pts, picture.time_base = frame.pts, stream.time_base
                last_pts = frame.pts
                out.mux(video.encode(picture))
                done += 1
                if done % 15 == 0:
                    yield Progress("proxy", done, total, f"{label}: {source.name}", unit="frames")
            out.mux(video.encode(None))
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def to_bgr(frame: av.VideoFrame) -> np.ndarray:
    """A decoded picture in BGR by the very conversion the export uses (same pixels)."""
    from reeleditor.media.decode import _bgr  # the export's own; a copy here would drift

    return _bgr(frame)
