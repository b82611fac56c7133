"""Marked clips for the transition tests: a flash and a beep at chosen media times."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

FPS, RATE = 30, 48_000
DARK, BRIGHT = 40, 230
BEEP_S = 0.06


def marked(
    path: Path,
    w: int,
    h: int,
    seconds: float,
    marks: tuple[float, ...] = (),
    hz: float = 1000.0,
    colour: tuple[int, int, int] | None = None,
    hum: float = 0.0,
) -> Path:
    """An H.264 + AAC clip: dark grey (or `colour`, BGR) pictures that flash white for 3
    frames at each of `marks` (media seconds), with a 60 ms `hz` beep starting at the same
    instant; `hum` > 0 adds a steady `hz` tone at that level under everything."""
    frames = round(seconds * FPS)
    t = np.arange(round(seconds * RATE)) / RATE
    beep = np.zeros_like(t)
    for at in marks:
        beep[(t >= at) & (t < at + BEEP_S)] = 0.7
    wave = ((beep + hum) * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    audio = np.stack([wave, wave])
    flash = {round(at * FPS) + k for at in marks for k in range(3)}
    with av.open(str(path), "w") as container:
        video = container.add_stream(
            "libx264", rate=FPS, options={"preset": "ultrafast", "crf": "12"}
        )
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        sound = container.add_stream("aac", rate=RATE, layout="stereo")
        for i in range(frames):
            image = np.empty((h, w, 3), np.uint8)
            image[:] = colour if colour is not None else DARK
            if i in flash:
                image[:] = BRIGHT
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        for start in range(0, audio.shape[1], 1024):
            chunk = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(audio[:, start : start + 1024]), format="fltp", layout="stereo"
            )
            chunk.sample_rate, chunk.pts = RATE, start
            container.mux(sound.encode(chunk))
        container.mux(sound.encode(None))
    return path
