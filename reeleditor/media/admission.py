"""Admission: probe an upload and accept only real video within the stated limits."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from reeleditor.core.errors import MediaError

# Limits, in a user's terms. A reel is short; 10 minutes leaves room for long takes.
MAX_DURATION = 600.0  # seconds
MAX_SIDE = 4096  # pixels, either side (4K UHD portrait or landscape fits)
MIN_SIDE = 64  # pixels, the short side: below this there is nothing to watch
MAX_SOURCE_FPS = 240.0  # slow-motion phone footage is accepted ...
MAX_FPS = 60  # ... and published at most at this rate
MIN_FPS = 1.0
MAX_BYTES = 8 * 1024**3

# First bytes of common non-video files, so the reason names what the file looks like.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive or office document"),
    (b"ID3", "an MP3 audio file"),
    (b"fLaC", "a FLAC audio file"),
    (b"OggS", "an Ogg file"),
)


class MediaRejected(MediaError):
    """The upload is not a video this service publishes; str() says why, for a user."""

    @property
    def reason(self) -> str:
        """The refusal in a user's words, as str() gives it (cloud/jobs.py reads `reason`)."""
        return str(self)


class SourceDamaged(MediaRejected):
    """Reading or decoding the source failed past admission: damage further in the file."""


# Failures of the machine, not of the file (disk, memory, a missing codec): av.error's
# classes for them subclass these builtins, and the job's retry path handles them.
_NOT_THE_FILE = (OSError, MemoryError, LookupError)


def read_frames(container, stream, what: str = "video") -> Iterator:
    """container.decode(stream); a demux or decode error raises SourceDamaged with a reason."""
    frames = container.decode(stream)
    start = reached = None
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            return
        except av.error.FFmpegError as exc:
            if isinstance(exc, _NOT_THE_FILE):
                raise
            seconds = reached - start if reached is not None else 0.0
            where = "the " + ("video" if what == "video" else "video's sound")
            raise SourceDamaged(
                f"{where} could not be processed: it is damaged after {seconds:.0f} s"
            ) from exc
        if frame.time is not None:
            start = frame.time if start is None else start
            reached = frame.time
        yield frame


@dataclass(frozen=True)
class SourceInfo:
    """What processing needs to know about an admitted source."""

    width: int  # display size: coded width x sample aspect ratio, then rotation
    height: int
    rotation: int  # clockwise degrees to turn coded frames upright: 0, 90, 180, 270
    fps: float  # the source's average rate
    out_rate: Fraction  # the constant rate renditions are made at
    duration: float
    has_audio: bool
    sha256: str
    bytes: int
    start: float = 0.0  # seconds: the first video frame's time, where the output grid begins


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _looks_like(head: bytes) -> str | None:
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            return what
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "a WAV audio file"
    if head and all(b in b"\t\n\r" or 32 <= b < 127 for b in head[:512]):
        return "a text file"
    return None


def clockwise_rotation(frame_rotation: float) -> int:
    """PyAV reports the display matrix's counter-clockwise angle; players turn clockwise."""
    return round(-frame_rotation / 90.0) % 4 * 90


def output_rate(stream) -> Fraction:
    """The source's average rate (VFR sources too), capped at MAX_FPS."""
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    rate = Fraction(rate) if rate else Fraction(30)
    if rate > MAX_FPS:
        rate = Fraction(MAX_FPS)
    return rate.limit_denominator(1001)


def admit(path: Path, sha256: str | None = None) -> SourceInfo:
    """Probe `path`; raise MediaRejected with a user's reason unless it is video we take."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise MediaRejected("the file is empty")
    if size > MAX_BYTES:
        raise MediaRejected(
            f"the file is {size / 1024**3:.1f} GB; the limit is {MAX_BYTES / 1024**3:.0f} GB"
        )
    digest = sha256_file(path)
    if sha256 and sha256.strip().lower() != digest:
        raise MediaRejected("the file's sha256 does not match the one sent with the upload")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    kind = _looks_like(head)
    if kind is not None and kind != "an Ogg file":
        raise MediaRejected(f"this file is not a video (it looks like {kind})")
    try:
        with av.open(str(path)) as container:
            video = next(iter(container.streams.video), None)
            if video is None:
                raise MediaRejected("this file is not a video (it has no picture)")
            # Images demuxed as one-frame "video" (image2, png_pipe) are not reels.
            if container.format.name.endswith("_pipe") or container.format.name == "image2":
                raise MediaRejected("this file is not a video (it looks like a still image)")
            has_audio = bool(container.streams.audio)
            video.thread_type = "AUTO"
            first = _first_frame(container, video)
            rotation = clockwise_rotation(getattr(first, "rotation", 0) or 0)
            fps = float(video.average_rate or video.guessed_rate or 0)
            duration = _duration(container, video)
            start = float(first.time) if first.time is not None else 0.0
            # Non-square pixels (anamorphic DV, some phone exports): the picture is shown
            # coded width x SAR wide; renditions are planned at that size with square pixels.
            sar = video.sample_aspect_ratio or video.codec_context.sample_aspect_ratio
            coded_w, coded_h = first.width, first.height
            if sar and sar > 0 and sar != 1:
                coded_w = max(1, round(coded_w * sar))
    except av.error.FFmpegError as exc:
        if kind:
            raise MediaRejected(f"this file is not a video (it looks like {kind})") from exc
        raise MediaRejected("this file is not a video this service can read") from exc
    width, height = (coded_h, coded_w) if rotation in (90, 270) else (coded_w, coded_h)
    _check_limits(width, height, fps, duration)
    return SourceInfo(
        width=width,
        height=height,
        rotation=rotation,
        fps=fps,
        out_rate=output_rate(video) if fps else Fraction(30),
        duration=duration,
        has_audio=has_audio,
        sha256=digest,
        bytes=size,
        start=start,
    )


def _first_frame(container, video):
    """The first decodable frame; a stream of undecodable packets counts as no frames."""
    try:
        first = next(container.decode(video), None)
    except av.error.FFmpegError:
        first = None
    if first is None:
        raise MediaRejected("it has no video frames that can be played")
    return first


def _duration(container, video) -> float:
    if video.duration is not None and video.time_base:
        return float(video.duration * video.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def _check_limits(width: int, height: int, fps: float, duration: float) -> None:
    if duration > MAX_DURATION:
        raise MediaRejected(
            f"the video is {duration:.0f} s long; the limit is {MAX_DURATION:.0f} s"
        )
    if max(width, height) > MAX_SIDE:
        raise MediaRejected(
            f"the video is {width}x{height} pixels; the limit is {MAX_SIDE} on either side"
        )
    if min(width, height) < MIN_SIDE:
        raise MediaRejected(
            f"the video is {width}x{height} pixels; it must be at least {MIN_SIDE} on each side"
        )
    if fps and fps > MAX_SOURCE_FPS:
        raise MediaRejected(
            f"the video runs at {fps:.0f} frames a second; the limit is {MAX_SOURCE_FPS:.0f}"
        )
    if fps and fps < MIN_FPS:
        raise MediaRejected(f"the video runs at {fps:.2f} frames a second; it must be at least 1")
