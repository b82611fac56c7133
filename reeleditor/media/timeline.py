"""The reel's timeline: which file plays when, checked before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reeleditor.core.draft import Draft, Segment
from reeleditor.core.errors import MediaError
from reeleditor.media.probe import MediaInfo, probe


@dataclass(frozen=True)
class Clip:
    """One segment as it plays: its file, the trimmed range, and its output frame count."""

    number: int  # 1-based, as a creator counts
    segment: Segment
    path: Path
    info: MediaInfo
    start: float
    end: float  # media seconds: the clip plays [start, end) of its file
    frames: int  # output frames: the media range at the segment's speed
    size: tuple[int, int] = (1080, 1920)  # the reel's frame, for clips shaped to it

    @property
    def shaped(self) -> bool:
        """Imported pictures are turned, fitted and sized before the look (see clip_frames)."""
        return self.segment.kind != "take" or self.segment.fit != "fill"

    @property
    def speed(self) -> float:
        return self.segment.speed

    @property
    def label(self) -> str:
        return f"segment {self.number} ({self.segment.media})"


def plan(draft: Draft, media_path) -> list[Clip]:
    """Every segment probed and trimmed; a missing or unreadable one is named in the error."""
    if not draft.segments:
        raise MediaError(f"draft {draft.id} has no segments to export", "record something first")
    clips = []
    for number, seg in enumerate(draft.segments, 1):
        path = Path(media_path(draft, seg))
        label = f"segment {number} ({seg.media})"
        if not path.is_file():
            raise MediaError(
                f"{label} is missing: {path}",
                "restore the file or delete the segment; nothing was written",
            )
        if seg.kind == "photo":  # a still: its length is the recipe's, not the file's
            info = MediaInfo(path, seg.duration, 0, 0, 0.0, 1, "image", None, 0, 0)
            end = seg.duration if seg.trim_out is None else min(seg.trim_out, seg.duration)
            start = min(seg.trim_in, end)
            frames = round((end - start) / seg.speed * draft.fps)
            if frames > 0:
                size = (draft.width, draft.height)
                clips.append(Clip(number, seg, path, info, start, end, frames, size))
            continue
        try:
            info = probe(path)
        except MediaError as exc:
            raise MediaError(
                f"{label} cannot be read: {exc}", "delete the segment; nothing was written"
            ) from exc
        if info.video_codec is None or info.video_frames == 0:
            raise MediaError(f"{label} has no pictures: {path}", "delete the segment")
        # an imported clip's length was measured from its timestamps (right for variable
        # frame rate); a take's from its frame count
        length = seg.duration if seg.kind == "clip" else info.duration
        end = length if seg.trim_out is None else min(seg.trim_out, length)
        start = min(seg.trim_in, end)
        frames = round((end - start) / seg.speed * draft.fps)
        if frames > 0:
            size = (draft.width, draft.height)
            clips.append(Clip(number, seg, path, info, start, end, frames, size))
    if not clips:
        raise MediaError(f"draft {draft.id}: every segment is trimmed to nothing")
    return clips
