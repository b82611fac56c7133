"""Checks a written MP4 before it replaces anything: it decodes, right length, has sound."""

from __future__ import annotations

from pathlib import Path

import av

from reeleditor.core.errors import MediaError
from reeleditor.media.probe import probe


def verify_export(path: Path, frames: int, fps: int, width: int, height: int) -> None:
    """Raise MediaError unless `path` holds `frames` pictures of the size, and audio."""
    info = probe(path)
    expected = frames / fps
    problems = []
    if (info.width, info.height) != (width, height):
        problems.append(f"size {info.width}x{info.height}, not {width}x{height}")
    if info.video_frames != frames:
        problems.append(f"{info.video_frames} frames, not {frames}")
    if abs(info.duration - expected) > 1 / fps + 1e-6:
        problems.append(f"{info.duration:.3f} s long, not {expected:.3f} s")
    if not info.has_audio:
        problems.append("no audio track")
    if problems:
        raise MediaError(f"the exported file is wrong: {', '.join(problems)}")
    # decode the first and the last pictures: the cheap proof that the stream is sound
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            next(container.decode(stream))
            container.seek(max(0, int((expected - 1.0) / stream.time_base)), stream=stream)
            decoded = sum(1 for _ in container.decode(stream))
            if decoded == 0:
                raise MediaError("the exported file's last second does not decode")
    except (av.error.FFmpegError, StopIteration) as exc:
        raise MediaError(f"the exported file does not decode ({exc})") from exc
