"""Media the playback tests make on the spot: a tone (WAV, AAC), coloured videos with sound."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import av
import numpy as np

RED, BLUE, GREEN = (220, 30, 30), (30, 30, 220), (30, 200, 30)


def tone(seconds: float, rate: int = 48000, hz: float = 440.0) -> np.ndarray:
    """A sine, float32 (n,)."""
    t = np.arange(round(seconds * rate)) / rate
    return (0.4 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def make_wav(path: Path, seconds: float = 2.0, rate: int = 44100, channels: int = 1) -> Path:
    """16-bit PCM through the standard library (a rate the player must resample)."""
    pcm = (tone(seconds, rate) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.repeat(pcm, channels).tobytes())
    return path


def make_m4a(path: Path, seconds: float = 2.0, rate: int = 44100) -> Path:
    """AAC in MP4 (what most songs are), stereo."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=rate, layout="stereo")
        _mux_tone(out, stream, tone(seconds, rate), rate)
        for packet in stream.encode():
            out.mux(packet)
    return path


def _mux_tone(out, stream, mono: np.ndarray, rate: int, upto: int | None = None, at: int = 0):
    """Encode `mono` (as stereo) from sample `at` up to `upto`; the next sample."""
    end = len(mono) if upto is None else min(upto, len(mono))
    while at < end:
        chunk = mono[at : at + 1024]
        frame = av.AudioFrame.from_ndarray(
            np.stack([chunk, chunk]).copy(), format="fltp", layout="stereo"
        )
        frame.sample_rate, frame.pts = rate, at
        for packet in stream.encode(frame):
            out.mux(packet)
        at += len(chunk)
    return at


def coloured_frames(seconds: float, fps: int, size, colours):
    """RGB frames: the colours in turn, each for an equal part of the time."""
    count = round(seconds * fps)
    for i in range(count):
        colour = colours[i * len(colours) // count]
        yield np.full((size[1], size[0], 3), colour, np.uint8)


def make_video(
    path: Path,
    seconds: float = 2.0,
    colours=(RED, BLUE),
    size=(160, 288),
    fps: int = 30,
    sound: bool = True,
    fmt: str | None = None,
    options: dict | None = None,
) -> Path:
    """H.264 (+ AAC 48 kHz when `sound`), each colour for an equal share of the time."""
    rate = 48000
    mono = tone(seconds, rate)
    with av.open(str(path), "w", format=fmt, options=options or {}) as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        video.options = {"g": str(fps), "keyint_min": str(fps), "sc_threshold": "0"}
        audio = out.add_stream("aac", rate=rate, layout="stereo") if sound else None
        at = 0
        for i, rgb in enumerate(coloured_frames(seconds, fps, size, colours)):
            for packet in video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(packet)
            if audio is not None:
                at = _mux_tone(out, audio, mono, rate, upto=(i + 1) * rate // fps, at=at)
        for stream in (video, audio):
            if stream is not None:
                for packet in stream.encode():
                    out.mux(packet)
    return path


def make_hls_video(folder: Path, seconds: float = 3.0, colours=(GREEN, RED), **kwargs) -> Path:
    """A local HLS stream as the cloud lays it out (master.m3u8, one fMP4 rung in 360p/);
    the master playlist."""
    rung = folder / "360p"
    rung.mkdir(parents=True)
    options = {
        "hls_time": "1",
        "hls_segment_type": "fmp4",
        "hls_playlist_type": "vod",
        "hls_fmp4_init_filename": "init.mp4",
        "hls_segment_filename": str(rung / "seg_%05d.m4s"),
    }
    size = kwargs.pop("size", (160, 288))
    make_video(rung / "index.m3u8", seconds, colours, size, fmt="hls", options=options, **kwargs)
    master = folder / "master.m3u8"
    master.write_text(
        "#EXTM3U\n#EXT-X-VERSION:7\n"
        f"#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION={size[0]}x{size[1]},"
        'CODECS="avc1.64000c,mp4a.40.2"\n'
        "360p/index.m3u8\n"
    )
    return master


def open_by_us(path: Path) -> bool:
    """Whether this process holds `path` open (Linux: /proc/self/fd)."""
    target = os.path.realpath(path)
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == target:
                return True
        except OSError:
            continue  # closed while listing
    return False


def colour_near(pixel, colour, tolerance: int = 40) -> bool:
    return all(abs(int(a) - int(b)) <= tolerance for a, b in zip(pixel, colour, strict=True))
