"""Turns a finished upload into a published reel: verify, renditions, poster, metadata."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from reeleditor.core.errors import MediaError
from reeleditor.media.probe import probe
from reeleditor.storage.atomic import atomic_write

RENDITIONS = ((720, 1280), (360, 640))  # plus the original, as uploaded


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _rendition(src: Path, dst: Path, width: int, height: int) -> None:
    """A smaller H.264 copy; the sound is re-encoded alongside (AAC)."""
    tmp = dst.with_name(f".{dst.name}.tmp")
    with (
        av.open(str(src)) as inp,
        av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out,
    ):
        vin = inp.streams.video[0]
        vin.thread_type = "AUTO"
        rate = vin.average_rate or Fraction(30)
        vout = out.add_stream("libx264", rate=rate)
        vout.width, vout.height, vout.pix_fmt = width, height, "yuv420p"
        vout.options = {"preset": "veryfast", "crf": "24"}
        ain = next(iter(inp.streams.audio), None)
        aout = out.add_stream("aac", rate=48000, layout="stereo") if ain else None
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=48000) if ain else None
        streams = [vin] + ([ain] if ain else [])
        n = 0
        for frame in inp.decode(*streams):
            if isinstance(frame, av.VideoFrame):
                small = cv2.resize(
                    frame.to_ndarray(format="bgr24"), (width, height), interpolation=cv2.INTER_AREA
                )
                vf = av.VideoFrame.from_ndarray(
                    cv2.cvtColor(small, cv2.COLOR_BGR2YUV_I420), format="yuv420p"
                )
                vf.pts, vf.time_base = n, Fraction(1, 1) / rate
                n += 1
                out.mux(vout.encode(vf))
            else:
                for chunk in resampler.resample(frame):
                    chunk.pts = None
                    out.mux(aout.encode(chunk))
        out.mux(vout.encode(None))
        if aout is not None:
            out.mux(aout.encode(None))
    os.replace(tmp, dst)


def publish(upload: Path, metadata: dict[str, str], media_root: Path, reel_id: str) -> dict:
    """Verify and process one upload into media_root/<reel_id>/; returns its feed entry."""
    expected = metadata.get("sha256")
    actual = sha256_file(upload)
    if expected and expected.lower() != actual:
        raise MediaError(
            f"upload {reel_id} does not match its sha256 "
            f"({actual[:12]}… instead of {expected[:12]}…)"
        )
    info = probe(upload)
    if info.video_codec is None:
        raise MediaError(f"upload {reel_id} is not a video")
    folder = media_root / reel_id
    staging = media_root / f".{reel_id}.processing"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    shutil.copyfile(upload, staging / "original.mp4")
    files = {"original": "original.mp4"}
    for w, h in RENDITIONS:
        if w < info.width:
            _rendition(upload, staging / f"{w}p.mp4", w, h)  # named by the short side
            files[f"{w}p"] = f"{w}p.mp4"
    with av.open(str(upload)) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="bgr24")
    poster = cv2.resize(
        frame, (360, int(360 * frame.shape[0] / frame.shape[1])), interpolation=cv2.INTER_AREA
    )
    ok, jpeg = cv2.imencode(".jpg", poster, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise MediaError(f"upload {reel_id}: the poster could not be encoded")
    (staging / "poster.jpg").write_bytes(np.asarray(jpeg).tobytes())
    entry = {
        "id": reel_id,
        "title": metadata.get("title") or metadata.get("filename") or reel_id,
        "duration": round(info.duration, 3),
        "width": info.width,
        "height": info.height,
        "sha256": actual,
        "published": time.time(),
        "poster": "poster.jpg",
        "files": files,
    }
    atomic_write(staging / "reel.json", json.dumps(entry, indent=1).encode())
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(staging, folder)
    return entry
