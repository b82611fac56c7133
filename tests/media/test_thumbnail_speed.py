"""The draft's cover at a reel time inside a sped-up segment is the media frame at that speed."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from reeleditor.core.draft import Segment
from reeleditor.media.thumbnails import cover_frame
from tests.factories import make_draft


def gray_steps(path, frames: int = 60) -> None:
    """Frame i is gray level 4*i: which frame a picture came from is its brightness."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 112, "yuv420p"
        stream.options = {"crf": "0", "preset": "ultrafast"}
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((112, 64, 3), 4 * i, np.uint8), "rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 30)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def test_the_cover_inside_a_2x_segment_is_twice_as_far_into_its_media(tmp_path):
    gray_steps(tmp_path / "steps.mp4")
    segment = Segment("steps.mp4", 2.0, "s1", speed=2.0)
    draft = make_draft(0, segments=(segment,), cover_time=0.5)  # reel 0.5 s = media 1.0 s
    image = cover_frame(draft, lambda d, s: tmp_path / s.media)
    assert abs(float(image.mean()) - 4 * 30) < 6  # frame 30, not frame 15
