"""Test media for the publishing pipeline: a moving textured pattern with a tone, made with PyAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

AUDIO_RATE = 48_000


def _texture(width: int, height: int, seed: int = 7) -> np.ndarray:
    """Detail at several scales (so bitrates and PSNR behave like real footage), RGB."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack(
        [
            128 + 90 * np.sin(x / 37.0) * np.cos(y / 53.0),
            128 + 90 * np.sin((x + y) / 71.0),
            128 + 90 * np.cos(x / 23.0 - y / 41.0),
        ],
        axis=-1,
    )
    noise = rng.normal(0, 12, (height // 4 + 1, width // 4 + 1, 3)).astype(np.float32)
    noise = np.repeat(np.repeat(noise, 4, axis=0), 4, axis=1)[:height, :width]
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def tone(seconds: float, peak_dbfs: float, clicks_dbfs: float | None = None) -> np.ndarray:
    """Stereo float32 (2, n): a 1 kHz sine with peaks at `peak_dbfs`, and optional one-sample
    clicks at `clicks_dbfs` twice a second (they are what a true-peak limiter must catch)."""
    n = int(seconds * AUDIO_RATE)
    t = np.arange(n) / AUDIO_RATE
    mono = (10 ** (peak_dbfs / 20)) * np.sin(2 * np.pi * 1000 * t) * (0.6 + 0.4 * np.sin(t * 3))
    if clicks_dbfs is not None:
        mono[:: AUDIO_RATE // 2] = 10 ** (clicks_dbfs / 20)
    return np.stack([mono, mono * 0.9]).astype(np.float32)


def make_clip(
    path: Path,
    width: int = 360,
    height: int = 640,
    seconds: float = 4.0,
    fps: int = 30,
    audio: np.ndarray | str | None = "tone",
    black_frames: int = 0,
    pix_fmt: str = "yuv420p",
    codec: str = "libx264",
    audio_start: float = 0.0,
    sar: Fraction | None = None,
) -> Path:
    """An H.264 (+ AAC) MP4 with motion: the texture scrolls and a bright block moves.

    `audio` "tone" gives a -20 dBFS sine; None gives no audio stream; an array is used as is.
    `black_frames` opening frames are black (the poster must skip them). Odd sizes need a
    codec without 4:2:0 (e.g. "ffv1" into a .mkv). `audio_start` seconds delay the sound's
    first sample after the first frame; `sar` stores non-square pixels (display = w x sar).
    """
    if isinstance(audio, str):
        audio = tone(seconds, -20.0)
    texture = _texture(width + 64, height + 64)
    frames = round(seconds * fps)
    with av.open(str(path), "w") as container:
        options = {"preset": "ultrafast", "crf": "14"} if codec == "libx264" else {}
        video = container.add_stream(codec, rate=fps, options=options)
        video.width, video.height, video.pix_fmt = width, height, pix_fmt
        if sar is not None:
            video.codec_context.sample_aspect_ratio = sar
        sound = None
        if audio is not None:
            sound = container.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
        for i in range(frames):
            ox, oy = (i * 3) % 64, (i * 2) % 64
            rgb = np.ascontiguousarray(texture[oy : oy + height, ox : ox + width])
            bx = int((width - width // 5) * (0.5 + 0.5 * np.sin(i / 9)))
            by = int((height - height // 5) * (0.5 + 0.5 * np.cos(i / 13)))
            rgb[by : by + height // 5, bx : bx + width // 5] = (250, 240, 30)
            if i < black_frames:
                rgb[:] = 0
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
        if sound is not None:
            for start in range(0, audio.shape[1], 1024):
                chunk = np.ascontiguousarray(audio[:, start : start + 1024])
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
                frame.sample_rate = AUDIO_RATE
                frame.pts = start + round(audio_start * AUDIO_RATE)
                for packet in sound.encode(frame):
                    container.mux(packet)
            for packet in sound.encode(None):
                container.mux(packet)
    return path


def ffmpeg_cli() -> str:
    """The ffmpeg CLI (apt) as an independent meter: skipped where missing, failed in CI."""
    import os
    import shutil

    import pytest

    found = shutil.which("ffmpeg")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("the ffmpeg CLI is required in CI (apt install ffmpeg)")
    pytest.skip("the ffmpeg CLI is not installed")


def r128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) from ffmpeg's ebur128 filter's Summary."""
    import re
    import subprocess

    command = [ffmpeg_cli(), "-nostats", "-hide_banner", "-i", str(path)]
    command += ["-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-"]
    log = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    summary = log[log.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return integrated, peak


def joined(folder: Path, names: list[str], target: Path) -> Path:
    """Init segment + media segments concatenated: a fragmented MP4 any demuxer reads."""
    with open(target, "wb") as out:
        for name in names:
            out.write((folder / name).read_bytes())
    return target
