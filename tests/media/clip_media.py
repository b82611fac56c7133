"""Small clips and photos from disk for the import tests: landscape, rotated, VFR, 10-bit 4K60."""

import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

RED, BLUE = (40, 60, 200), (200, 120, 40)  # BGR


def halves(w: int, h: int, i: int = 0) -> np.ndarray:
    """Left half red, right half blue, a white square moving along the middle."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:, : w // 2] = RED
    img[:, w // 2 :] = BLUE
    s = max(4, h // 9)
    x = (w // 4 + 2 * i) % (w - s)
    img[h // 2 - s // 2 : h // 2 + s // 2, x : x + s] = 255
    return img


def write_clip(
    path: Path,
    w: int = 320,
    h: int = 180,
    frames: int = 30,
    fps: int = 30,
    pix_fmt: str = "yuv420p",
    pts=None,
) -> Path:
    """An H.264 clip of `halves` pictures; `pts` (ms) makes its frame times irregular (VFR)."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = w, h, pix_fmt
        if pts is not None:
            video.codec_context.time_base = Fraction(1, 1000)
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(halves(w, h, i), format="bgr24")
            frame = frame.reformat(format=pix_fmt)
            if pts is None:
                frame.pts, frame.time_base = i, Fraction(1, fps)
            else:
                frame.pts, frame.time_base = pts[i], Fraction(1, 1000)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
    return path


def vfr_clip(path: Path) -> Path:
    """2.0 s of pictures 20 ms and 60 ms apart in turn (25 fps on average, never constant)."""
    pts = [0]
    while len(pts) < 50:
        pts.append(pts[-1] + (20 if len(pts) % 2 else 60))
    return write_clip(path, frames=50, fps=25, pts=pts)


def rotated_clip(path: Path) -> Path:
    """A landscape-stored 192x108 clip tagged rotate=90, as phones write portrait video."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg (the CLI) is needed to tag a clip's rotation")
    plain = write_clip(path.with_name("plain.mp4"), 192, 108, frames=15)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(plain), "-c", "copy",
         "-metadata:s:v", "rotate=90", str(path)],
        check=True,
    )  # fmt: skip
    return path


def upright_by_ffmpeg(path: Path) -> np.ndarray:
    """The first picture as the ffmpeg CLI shows it (its autorotate), for reference."""
    out = path.with_name("upright.png")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(path), "-frames:v", "1", str(out)], check=True
    )
    return cv2.imread(str(out))


def write_photo(path: Path, w: int = 400, h: int = 300) -> Path:
    """A checkerboard of 25 px cells in four colours: a zoom moves every edge."""
    yy, xx = np.mgrid[0:h, 0:w]
    cells = ((yy // 25) + (xx // 25)) % 4
    palette = np.array([(30, 30, 200), (30, 200, 30), (200, 30, 30), (220, 220, 220)], np.uint8)
    cv2.imwrite(str(path), palette[cells])
    return path


def truncated_clip(path: Path) -> Path:
    """A clip cut in half, its index (written last) gone: as an interrupted copy leaves it."""
    whole = write_clip(path.with_name("whole.mp4"), frames=30)
    data = whole.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path
