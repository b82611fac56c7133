"""Edit operations on a draft as pure functions: each returns a new Draft."""

from __future__ import annotations

from reeleditor.core.draft import Draft, Look, MusicCue, Segment
from reeleditor.core.errors import DraftError


def _touch(draft: Draft, now: float, **changes) -> Draft:
    return draft.with_changes(updated=max(now, draft.updated), **changes)


def add_segment(draft: Draft, segment: Segment, now: float) -> Draft:
    return _touch(draft, now, segments=(*draft.segments, segment))


def remove_segment(draft: Draft, segment_id: str, now: float) -> Draft:
    kept = tuple(s for s in draft.segments if s.id != segment_id)
    if len(kept) == len(draft.segments):
        raise DraftError(f"draft {draft.id} has no segment {segment_id}")
    return _touch(draft, now, segments=kept)


def remove_last_segment(draft: Draft, now: float) -> Draft:
    if not draft.segments:
        raise DraftError(f"draft {draft.id} has no segments to delete")
    return _touch(draft, now, segments=draft.segments[:-1])


def move_segment(draft: Draft, segment_id: str, new_index: int, now: float) -> Draft:
    segs = list(draft.segments)
    index = next((i for i, s in enumerate(segs) if s.id == segment_id), None)
    if index is None:
        raise DraftError(f"draft {draft.id} has no segment {segment_id}")
    seg = segs.pop(index)
    segs.insert(max(0, min(new_index, len(segs))), seg)
    return _touch(draft, now, segments=tuple(segs))


def trim_segment(
    draft: Draft, segment_id: str, trim_in: float, trim_out: float | None, now: float
) -> Draft:
    segs = []
    for s in draft.segments:
        if s.id == segment_id:
            end = s.duration if trim_out is None else min(trim_out, s.duration)
            if trim_in < 0 or trim_in >= end:
                raise DraftError(f"trim {trim_in:.2f}..{end:.2f} s leaves nothing of the segment")
            s = Segment(s.media, s.duration, s.id, trim_in, trim_out)
        segs.append(s)
    return _touch(draft, now, segments=tuple(segs))


def set_look(draft: Draft, look: Look, now: float) -> Draft:
    return _touch(draft, now, look=look)


def set_music(draft: Draft, music: MusicCue | None, now: float) -> Draft:
    return _touch(draft, now, music=music)


def set_original_volume(draft: Draft, volume: float, now: float) -> Draft:
    return _touch(draft, now, original_volume=max(0.0, min(2.0, volume)))


def set_title(draft: Draft, title: str, now: float) -> Draft:
    return _touch(draft, now, title=title.strip())


def set_cover_time(draft: Draft, seconds: float | None, now: float) -> Draft:
    return _touch(draft, now, cover_time=seconds)
