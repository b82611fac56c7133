"""Decoding a clip into exactly its output frames on the reel's 30 fps grid.

Shared by the export, the preview player and the thumbnails, so every one of them shows
the same picture at the same reel time.
"""

from __future__ import annotations

from collections.abc import Iterator

import av
import cv2
import numpy as np

from reeleditor.media.timeline import Clip


def clip_frames(clip: Clip, fps: int) -> Iterator[av.VideoFrame]:
    """Exactly clip.frames pictures at the output rate: each is the one showing at its time.

    Output frame i shows media time start + i * speed / fps: 2x takes every second
    picture, 0.5x holds each for two frames. The window around that time is half an output
    frame, in media seconds for slow motion, so a mapped time never ties two pictures.
    """
    if clip.segment.kind == "photo":
        yield from _still_frames(clip, fps)
        return
    if clip.shaped:
        yield from _shaped(_decoded_frames(clip, fps), clip)
        return
    yield from _decoded_frames(clip, fps)


def _still_frames(clip: Clip, fps: int) -> Iterator[av.VideoFrame]:
    """A photo as clip.frames pictures at the reel's size, zooming in slowly (Ken Burns)."""
    from reeleditor.media.clips import read_photo, shape_picture, still_picture

    base = shape_picture(read_photo(clip.path), clip.segment.fit, *clip.size)
    count = round(clip.segment.duration * fps)  # the zoom spans the whole still, trims aside
    first = round(clip.start * fps)
    for i in range(clip.frames):
        image = still_picture(base, first + round(i * clip.speed), count)
        yield av.VideoFrame.from_ndarray(image, format="bgr24")


def _shaped(frames: Iterator[av.VideoFrame], clip: Clip) -> Iterator[av.VideoFrame]:
    """Decoded pictures turned upright (display matrix), in 8-bit BGR, fitted to the frame."""
    from reeleditor.media.clips import shape_picture, upright

    rotation = None
    for frame in frames:
        if rotation is None:  # the first is a decoded frame; repeats are copies without it
            rotation = frame.rotation
        image = upright(_bgr(frame), rotation)
        image = shape_picture(image, clip.segment.fit, *clip.size)
        yield av.VideoFrame.from_ndarray(image, format="bgr24")


def _decoded_frames(clip: Clip, fps: int) -> Iterator[av.VideoFrame]:
    speed = clip.speed
    with av.open(str(clip.path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if clip.start > 0:
            container.seek(int(clip.start / stream.time_base), stream=stream, backward=True)
        current = None
        emitted = 0
        half = 0.5 * min(speed, 1.0) / fps
        for frame in container.decode(stream):
            t = float(frame.pts * stream.time_base) if frame.pts is not None else 0.0
            shown = 0
            while (
                emitted < clip.frames
                and current is not None
                and t > clip.start + emitted * speed / fps + half
            ):
                # the previous picture is still the one showing; a repeat is a copy, since
                # the encoder stamps each frame object with its own time
                yield _copy(current) if shown else current
                shown += 1
                emitted += 1
            current = frame
            if emitted >= clip.frames:
                return
        shown = 0
        while emitted < clip.frames and current is not None:  # hold the last picture
            yield _copy(current) if shown else current
            shown += 1
            emitted += 1


def _copy(frame: av.VideoFrame) -> av.VideoFrame:
    if frame.format.name == "yuv420p":
        return av.VideoFrame.from_ndarray(frame.to_ndarray(), format="yuv420p")
    return av.VideoFrame.from_ndarray(frame.to_ndarray(format="bgr24"), format="bgr24")


def _bgr(frame: av.VideoFrame) -> np.ndarray:
    """8-bit BGR: cv2 for plain 4:2:0 (half the time of PyAV's swscale call, and the same
    conversion the export's FrameShaper uses), swscale for every other format."""
    if frame.format.name == "yuv420p" and frame.width % 2 == 0 and frame.height % 2 == 0:
        return cv2.cvtColor(frame.to_ndarray(), cv2.COLOR_YUV2BGR_I420)
    return frame.to_ndarray(format="bgr24")
