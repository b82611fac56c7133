"""Frames from files (by time, or the first that is not black) and the draft's thumb.jpg."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import av
import cv2
import numpy as np

from reeleditor.core.draft import Draft, Segment
from reeleditor.core.edits import segment_starts
from reeleditor.core.errors import MediaError
from reeleditor.media.looks import compile_look
from reeleditor.media.words_layer import WordsLayer
from reeleditor.storage.atomic import atomic_write

THUMB_SIZE = (360, 640)
BLACK_LEVEL = 16.0  # mean luma under this counts as black (fade-ins, covered lens)


def frame_at(path: Path, seconds: float) -> np.ndarray:
    """The BGR picture shown at `seconds` into the file."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            target = int(seconds / stream.time_base) if seconds > 0 else None
            if target:
                container.seek(target, stream=stream, backward=True)
            last = None
            for frame in container.decode(stream):
                last = frame
                if frame.pts is None or target is None or frame.pts >= target:
                    break
            if last is None:
                raise MediaError(f"{path} has no picture at {seconds:.2f} s")
            return last.to_ndarray(format="bgr24")
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path} could not be decoded ({exc})") from exc


def first_non_black(path: Path, max_seconds: float = 5.0) -> tuple[np.ndarray, float]:
    """The first picture brighter than black, and its time (the default cover)."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            first = None
            for frame in container.decode(stream):
                t = float(frame.pts * stream.time_base) if frame.pts is not None else 0.0
                gray = frame.to_ndarray(format="gray")
                if first is None:
                    first = (frame, t)
                if gray.mean() > BLACK_LEVEL:
                    return frame.to_ndarray(format="bgr24"), t
                if t > max_seconds:
                    break
            if first is None:
                raise MediaError(f"{path} has no pictures")
            return first[0].to_ndarray(format="bgr24"), first[1]
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path} could not be decoded ({exc})") from exc


def cover_frame(draft: Draft, media_path) -> np.ndarray | None:
    """The draft's cover picture, with its look, texts and burned captions, as the
    export's poster has them; None for a draft with no media.

    An imported clip or photo is shown as the reel shows it (upright, fitted or blurred
    to the frame), not as its file stores it.
    """
    if not draft.segments:
        return None
    if draft.cover_time is None:
        seg = draft.segments[0]
        if _plain(seg):
            image, media_t = first_non_black(media_path(draft, seg))
            reel_t = max(0.0, media_t - seg.trim_in) / seg.speed
        else:
            image = _shaped_picture(draft, seg, seg.trim_in, media_path)
            reel_t = 0.0
    else:
        # the segment showing at that reel time (inside a transition: the outgoing one)
        starts = segment_starts(draft)
        number = max(i for i, start in enumerate(starts) if start <= draft.cover_time or i == 0)
        seg = draft.segments[number]
        local = min(draft.cover_time - starts[number], seg.length)
        media_t = seg.trim_in + local * seg.speed  # a 2x segment covers twice the media
        if _plain(seg):
            image = frame_at(media_path(draft, seg), media_t)
        else:
            image = _shaped_picture(draft, seg, media_t, media_path)
        reel_t = draft.cover_time
    look = compile_look(draft.look, image.shape[1], image.shape[0])
    image = np.ascontiguousarray(look.apply(image))
    # the words after the look, at the cover's frame, as the export draws its poster
    words = WordsLayer(draft, image.shape[1], image.shape[0])
    return words.composite(image, round(reel_t * draft.fps))


def _plain(seg: Segment) -> bool:
    return seg.kind == "take" and seg.fit == "fill"


def _shaped_picture(draft: Draft, seg: Segment, media_t: float, media_path) -> np.ndarray:
    """The reel's picture of `seg` at media time `media_t`, by the export's own decoding."""
    from reeleditor.media.decode import clip_frames
    from reeleditor.media.timeline import plan

    clip = plan(draft.with_changes(segments=(seg,)), media_path)[0]
    one = replace(clip, start=min(max(media_t, clip.start), clip.end), frames=1)
    frames = clip_frames(one, draft.fps)
    try:
        return next(frames).to_ndarray(format="bgr24")
    except StopIteration:
        raise MediaError(f"{one.label} has no picture at {media_t:.2f} s") from None
    finally:
        frames.close()


def write_thumbnail(image: np.ndarray, path: Path, size=THUMB_SIZE) -> None:
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise MediaError(f"could not encode the thumbnail {path}")
    atomic_write(Path(path), jpeg.tobytes())


def refresh_thumbnail(store, draft: Draft) -> Path | None:
    """Regenerate drafts/<id>/thumb.jpg from the cover; a draft with no media has none."""
    present = [s for s in draft.segments if store.media_path(draft, s).is_file()]
    if not present:
        return None
    image = cover_frame(draft.with_changes(segments=tuple(present)), store.media_path)
    path = store.thumb_path(draft.id)
    if not path.parent.is_dir():
        return None  # the draft was deleted (an untouched new reel) while this ran
    write_thumbnail(image, path)
    return path


def last_frame(path: Path, until: float | None = None, size=None) -> np.ndarray:
    """The BGR picture shown last in the file (or last before `until` s), resized to `size`.

    Decodes only the final second or so: a seek lands on the keyframe before it.
    """
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            end = until
            if end is None and container.duration is not None:
                end = container.duration / av.time_base
            if end is not None and end > 1.0:
                container.seek(int((end - 1.0) / stream.time_base), stream=stream, backward=True)
            last = None
            for frame in container.decode(stream):
                shown = None if frame.pts is None else float(frame.pts * stream.time_base)
                if until is not None and shown is not None and shown >= until - 1e-6:
                    break
                last = frame
            if last is None:
                raise MediaError(f"{path} has no picture to align to")
            image = last.to_ndarray(format="bgr24")
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path} could not be decoded ({exc})") from exc
    if size is not None:
        image = cv2.resize(image, tuple(size), interpolation=cv2.INTER_AREA)
    return image
