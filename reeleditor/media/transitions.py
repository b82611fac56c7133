"""Transitions between segments: where the reel's frames come from, and how two are blended.

Segment i hands over to segment i+1 by overlapping its last k frames with the next one's
first k (k from `overlap_frames`, so the export, the preview and the timeline agree).
Reel frame layout, for clip frame counts f and overlaps o:

    clip i starts at  sum(f[:i]) - sum(o[:i])      the reel is sum(f) - sum(o) frames long

Inside an overlap a reel frame is `blend(name, outgoing, incoming, progress(j, k))`, both
pictures in BGR at the reel's size. Every geometry is a fraction of the frame, so the
same blend at preview size is the export's picture scaled down.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import av
import cv2
import numpy as np

from reeleditor.core.draft import overlap_frames
from reeleditor.core.errors import MediaError
from reeleditor.media.conform import conform
from reeleditor.media.decode import clip_frames
from reeleditor.media.timeline import Clip

ZOOM = 0.35  # the outgoing picture grows to 135 % while it fades (a zoom "through" it)


# -- where a reel frame comes from ------------------------------------------------------------
def progress(j: int, k: int) -> float:
    """Blend progress of overlap frame j of k: mid-frame, so never 0 or 1 (both show)."""
    return (j + 0.5) / k


def reel_length(frames: list[int], overlaps: list[int]) -> int:
    """Reel frames of clips with these frame counts and boundary overlaps."""
    return sum(frames) - sum(overlaps)


def locate(
    frames: list[int], overlaps: list[int], index: int
) -> tuple[list[tuple[int, int]], float | None]:
    """Reel frame `index` as [(clip position, frame within the clip)] and a blend progress.

    Outside a transition: one entry and None. Inside the overlap of clips i and i+1: two
    entries, (i, outgoing frame) then (i+1, incoming frame), and the progress to pass to
    `blend` with clip i's transition. `frames` are the clips' frame counts; `overlaps` has
    one entry per boundary (len(frames) - 1), as `clip_overlaps` gives them.
    """
    if not 0 <= index < reel_length(frames, overlaps):
        raise IndexError(f"reel frame {index} is outside 0..{reel_length(frames, overlaps) - 1}")
    start = 0
    for i, count in enumerate(frames):
        # frames shared with clip i-1 came up as that overlap, before this clip's own
        tail = overlaps[i] if i < len(overlaps) else 0
        if index < start + count - tail:
            return [(i, index - start)], None
        if index < start + count:  # inside the overlap with clip i+1
            j = index - (start + count - tail)
            return [(i, count - tail + j), (i + 1, j)], progress(j, tail)
        start += count - tail
    raise AssertionError("unreachable: the index was checked against the reel's length")


def clip_overlaps(clips: list[Clip], fps: int) -> list[int]:
    """Frames each boundary of these (kept) clips overlaps; a cut overlaps nothing.

    The transition is the outgoing clip's segment's. A segment trimmed to nothing is not
    in `clips`; its neighbours meet with a cut, as Draft.overlaps() (and so the draft's
    duration and the timeline) count it: a transition into nothing overlaps nothing.
    """
    wanted = [
        round(a.segment.transition_seconds * fps)
        if a.segment.transition != "cut" and b.number == a.number + 1
        else 0
        for a, b in pairwise(clips)
    ]
    return overlap_frames([c.frames for c in clips], wanted)


# -- blends ----------------------------------------------------------------------------------
def _ease(p: float) -> float:
    return p * p * (3.0 - 2.0 * p)  # smoothstep: starts and lands softly


def blend(name: str, a: np.ndarray, b: np.ndarray, p: float, out=None) -> np.ndarray:
    """`a` handing over to `b` at progress p in (0, 1); both BGR uint8 of one shape.

    crossfade: a linear mix. dip: a fades to black over the first half, b comes up from
    black over the second. slide: b pushes in from the right, a leaves to the left, eased.
    zoom: a grows about the centre to 135 % while b fades in over it, eased.
    `out` (same shape) is written and returned when given, else a new array.
    """
    if a.shape != b.shape:
        raise ValueError(f"cannot blend {a.shape} with {b.shape}")
    if out is None:
        out = np.empty_like(a)
    if name == "crossfade":
        return cv2.addWeighted(a, 1.0 - p, b, p, 0.0, dst=out)
    if name == "dip":
        source, level = (a, 1.0 - 2.0 * p) if p < 0.5 else (b, 2.0 * p - 1.0)
        return cv2.convertScaleAbs(source, dst=out, alpha=level)
    if name == "slide":
        width = a.shape[1]
        shift = min(width, max(0, round(_ease(p) * width)))
        out[:, : width - shift] = a[:, shift:]
        out[:, width - shift :] = b[:, :shift]
        return out
    if name == "zoom":
        e = _ease(p)
        h, w = a.shape[:2]
        matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), 0.0, 1.0 + ZOOM * e)
        grown = cv2.warpAffine(a, matrix, (w, h), flags=cv2.INTER_LINEAR)
        return cv2.addWeighted(grown, 1.0 - e, b, e, 0.0, dst=out)
    raise ValueError(f"unknown transition {name!r}")


# -- the reel's frames -----------------------------------------------------------------------
def reel_frames(
    clips: list[Clip], fps: int, start_index: int = 0
) -> Iterator[tuple[int, av.VideoFrame]]:
    """(reel index, frame) for every reel frame from `start_index` to the end, in order.

    Outside transitions a frame is the clip's own (yuv420p at source size for plain takes,
    so the export's pass-through stays; bgr24 at the reel's size for shaped clips). Inside
    one it is a blend at the reel's size: yuv420p for a crossfade or dip of two plain takes
    (blended on the planes), else bgr24. Clips ending before `start_index` are not opened.
    A decoder error names its segment.
    """
    frames = [c.frames for c in clips]
    overlaps = clip_overlaps(clips, fps)
    total = reel_length(frames, overlaps)
    readers: dict[int, _Reader] = {}
    try:
        for index in range(max(0, start_index), total):
            parts, p = locate(frames, overlaps, index)
            first = parts[0][0]
            for pos in [q for q in readers if q < first]:  # done with: close its file now
                readers.pop(pos).close()
            pictures = []
            for pos, local in parts:
                if pos not in readers:
                    readers[pos] = _Reader(clips[pos], fps)
                pictures.append(readers[pos].frame(local))
            if p is None:
                yield index, pictures[0]
                continue
            clip = clips[first]
            width, height = clip.size
            name = clip.segment.transition
            if name in _YUV_BLENDS and all(_plain(f, width, height) for f in pictures):
                planes = _YUV_BLENDS[name](*(f.to_ndarray() for f in pictures), p, height)
                yield index, av.VideoFrame.from_ndarray(planes, format="yuv420p")
                continue
            a, b = (_bgr(f, width, height) for f in pictures)
            # a fresh picture: a decoder's frame may be a view a later repeat copies from
            image = blend(clip.segment.transition, a, b, p)
            yield index, av.VideoFrame.from_ndarray(image, format="bgr24")
    finally:
        for reader in readers.values():
            reader.close()


# -- the same blends on 4:2:0 planes, for two plain takes at the reel's size ------------------
# A crossfade or a dip is affine in the colour, so it may be done before the YUV->BGR
# conversion instead of after: the same picture (to rounding) for a third of the work, and
# the export then hands the frame to the encoder without converting it back.
def _crossfade_i420(a: np.ndarray, b: np.ndarray, p: float, height: int) -> np.ndarray:
    return cv2.addWeighted(a, 1.0 - p, b, p, 0.0)


def _dip_i420(a: np.ndarray, b: np.ndarray, p: float, height: int) -> np.ndarray:
    source, level = (a, 1.0 - 2.0 * p) if p < 0.5 else (b, 2.0 * p - 1.0)
    out = np.empty_like(source)
    # towards video black: Y 16, U and V 128 (BGR 0, 0, 0), not towards zero
    out[:height] = cv2.convertScaleAbs(source[:height], alpha=level, beta=16 * (1 - level))
    out[height:] = cv2.convertScaleAbs(source[height:], alpha=level, beta=128 * (1 - level))
    return out


_YUV_BLENDS = {"crossfade": _crossfade_i420, "dip": _dip_i420}


def _plain(frame: av.VideoFrame, width: int, height: int) -> bool:
    return frame.format.name == "yuv420p" and (frame.width, frame.height) == (width, height)


def _bgr(frame: av.VideoFrame, width: int, height: int) -> np.ndarray:
    """A clip's frame as BGR at the reel's size, as the export's FrameShaper sees it."""
    if frame.format.name == "yuv420p":
        image = cv2.cvtColor(frame.to_ndarray(), cv2.COLOR_YUV2BGR_I420)
    else:
        image = frame.to_ndarray(format="bgr24")
    return conform(image, width, height)


class _Reader:
    """One clip's frames read forward, by frame number within the clip."""

    def __init__(self, clip: Clip, fps: int) -> None:
        self.clip = clip
        self._frames = clip_frames(clip, fps)
        self._next = 0

    def frame(self, local: int) -> av.VideoFrame:
        try:
            while True:
                frame = next(self._frames)
                self._next += 1
                if self._next > local:
                    return frame
        except StopIteration:
            raise MediaError(
                f"{self.clip.label} gave {self._next} of {self.clip.frames} frames"
            ) from None
        except av.error.FFmpegError as exc:
            raise MediaError(
                f"{self.clip.label} cannot be decoded ({exc})",
                "delete the segment; nothing was written",
            ) from exc

    def close(self) -> None:
        self._frames.close()
