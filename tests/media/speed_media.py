"""A small clip with A/V sync marks and numbered frames, for the speed tests."""

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

W, H, FPS, RATE = 96, 160, 30, 48_000
BEEP_HZ = 1000.0
BITS = 6  # each source frame shows its number in 6 squares along the top


def marked_clip(path: Path, seconds: float = 2.0) -> Path:
    """Every 0.5 s of media time, a flash (3 frames white) and a 60 ms 1 kHz beep at once;
    every frame shows its number in binary, so a decoded frame names its source frame."""
    frames = round(seconds * FPS)
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    beep = (np.mod(t, 0.5) < 0.06) * 0.7 * np.sin(2 * np.pi * BEEP_HZ * t)
    audio = np.stack([beep, beep]).astype(np.float32)
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS, options={"crf": "10"})
        video.width, video.height, video.pix_fmt = W, H, "yuv420p"
        sound = container.add_stream("aac", rate=RATE, layout="stereo")
        for i in range(frames):
            img = np.full((H, W, 3), 230 if i % 15 < 3 else 40, np.uint8)
            for b in range(BITS):
                img[0:16, b * 16 : b * 16 + 16] = 255 if (i >> b) & 1 else 0
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        for start in range(0, n, 1024):
            chunk = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(audio[:, start : start + 1024]), format="fltp", layout="stereo"
            )
            chunk.sample_rate, chunk.pts = RATE, start
            container.mux(sound.encode(chunk))
        container.mux(sound.encode(None))
    return path


def draft_with_marks(store, title: str = "speed"):
    """A saved draft of two 1x segments over one marked 2 s clip (media/marks.mp4)."""
    from reeleditor.core.draft import Segment

    draft = store.create(title, width=W, height=H)
    media = store.folder(draft.id) / "media"
    media.mkdir(exist_ok=True)
    marked_clip(media / "marks.mp4")
    store.save(
        draft.with_changes(
            segments=(
                Segment("media/marks.mp4", 2.0, "first"),
                Segment("media/marks.mp4", 2.0, "second"),
            )
        )
    )
    return store.load(draft.id)
