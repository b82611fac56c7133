"""Helpers for media tests: decode what was written and look at it."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def decode_video(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


def count_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def decode_audio(path: Path) -> tuple[np.ndarray, int]:
    """All samples, float32 (channels, n), and the rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = [f.to_ndarray() for f in container.decode(stream)]
        return np.concatenate(chunks, axis=1), stream.sample_rate


def record_takes(store, draft_id: str, seconds_each, width: int, height: int, fps: int = 30):
    """Record one test-pattern take per entry of `seconds_each` into the draft (real time)."""
    from reeleditor.media.sources.testpattern import TestPatternSource
    from reeleditor.media.take import record_take

    source = TestPatternSource(width, height, fps).open()
    try:
        for seconds in seconds_each:
            for _ in record_take(store, draft_id, source, source.audio, seconds):
                pass
    finally:
        source.close()
