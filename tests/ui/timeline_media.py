"""Test media for the timeline: numbered, textured clips and a draft made of them."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from tests.media.reel_media import _texture

FPS = 30
BITS = 7  # each picture shows its number in 7 squares along the top
SQUARE = 40


def numbered_clip(path: Path, width: int, height: int, seconds: float, gop: int = 15) -> Path:
    """A scrolling texture; picture i shows i in binary (white/black squares at the top)."""
    texture = _texture(width * 2, height)
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS, options={"crf": "14", "bframes": "0"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.gop_size = gop  # the app's takes: a keyframe every 0.5 s
        for i in range(round(seconds * FPS)):
            shift = (i * 7) % width
            img = np.ascontiguousarray(texture[:, shift : shift + width])
            for b in range(BITS):
                img[8 : 8 + SQUARE - 16, b * SQUARE + 8 : (b + 1) * SQUARE - 8] = (
                    255 if (i >> b) & 1 else 0
                )
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
    return path


def number_of(img: np.ndarray, width: int) -> int:
    """The picture number a frame shows, read at its own size (scaled from `width`)."""
    scale = img.shape[1] / width
    total = 0
    for b in range(BITS):
        x0, x1 = int((b * SQUARE + 14) * scale), int(((b + 1) * SQUARE - 14) * scale)
        y0, y1 = int(14 * scale), int((SQUARE - 14) * scale)
        if img[y0:y1, x0:x1].mean() > 128:
            total |= 1 << b
    return total


def timeline_draft(store, width: int, height: int, seconds: float = 2.0, title: str = "tl"):
    """A saved draft: two segments over one numbered clip, the second at 2x from 0.5 s."""
    from reeleditor.core.draft import Segment

    draft = store.create(title, width=width, height=height)
    media = store.folder(draft.id) / "media"
    media.mkdir(exist_ok=True)
    numbered_clip(media / "numbers.mp4", width, height, seconds)
    store.save(
        draft.with_changes(
            segments=(
                Segment("media/numbers.mp4", seconds, "first"),
                Segment("media/numbers.mp4", seconds, "second", trim_in=0.5, speed=2.0),
            )
        )
    )
    return store.load(draft.id)
