"""Edit operations on a draft as pure functions: each returns a new Draft."""

from __future__ import annotations

from dataclasses import replace

from reeleditor.core.draft import (
    DEFAULT_TRANSITION_SECONDS,
    SPEEDS,
    TRANSITION_RANGE,
    TRANSITIONS,
    Draft,
    Look,
    MusicCue,
    Segment,
    new_id,
)
from reeleditor.core.errors import DraftError

MIN_SEGMENT_SECONDS = 0.1  # three frames at 30 fps: a shorter piece is a slip, not an edit


def _touch(draft: Draft, now: float, **changes) -> Draft:
    return draft.with_changes(updated=max(now, draft.updated), **changes)


def add_segment(draft: Draft, segment: Segment, now: float) -> Draft:
    return _touch(draft, now, segments=(*draft.segments, segment))


def insert_segment(draft: Draft, segment: Segment, index: int, now: float) -> Draft:
    """Put `segment` before the one at `index` (len(segments): at the end)."""
    segs = list(draft.segments)
    segs.insert(max(0, min(index, len(segs))), segment)
    return _touch(draft, now, segments=tuple(segs))


def boundary_index(draft: Draft, at: float | None) -> int:
    """The segment index a clip inserted at reel time `at` takes (None: the end).

    Only a boundary between segments (within half a frame) is a place; inside a segment
    it is refused, with the split that would make one.
    """
    starts = [*segment_starts(draft), draft.duration]
    if at is None:
        return len(draft.segments)
    for index, start in enumerate(starts):
        if abs(at - start) <= 0.5 / draft.fps:
            return index
    if at > draft.duration:
        raise DraftError(
            f"--at {seconds_text(at)} s is past the reel's end ({seconds_text(draft.duration)} s)",
            "leave --at out to add at the end",
        )
    edges = ", ".join(seconds_text(s) for s in starts)
    raise DraftError(
        f"--at {seconds_text(at)} s is inside a segment; clips go between segments ({edges} s)",
        f"split there first: reeleditor split {draft.id} --at {seconds_text(at)}",
    )


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
            s = replace(s, trim_in=trim_in, trim_out=trim_out)  # keeps any other field
        segs.append(s)
    return _touch(draft, now, segments=tuple(segs))


def set_speed(draft: Draft, segment_id: str, speed: float, now: float) -> Draft:
    """Play one segment at `speed` (one of SPEEDS); its reel length becomes media / speed."""
    if isinstance(speed, bool) or speed not in SPEEDS:
        allowed = ", ".join(f"{s:g}x" for s in SPEEDS)
        raise DraftError(f"speed {speed!r} is not one of {allowed}")
    if all(s.id != segment_id for s in draft.segments):
        raise DraftError(f"draft {draft.id} has no segment {segment_id}")
    segs = tuple(
        replace(s, speed=float(speed)) if s.id == segment_id else s for s in draft.segments
    )
    return _touch(draft, now, segments=segs)


def seconds_text(seconds: float) -> str:
    """'2.0', '1.25', '0.333': a time as a creator typed it, not 1.2500000000000002."""
    text = f"{seconds:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def segment_starts(draft: Draft) -> list[float]:
    """Reel time each segment begins at (after trims and transition overlaps), in order."""
    overlaps = [*draft.overlaps(), 0]
    starts, t = [], 0.0
    for s, overlap in zip(draft.segments, overlaps, strict=False):
        starts.append(t)
        t += s.length - overlap / draft.fps
    return starts


def set_transition(
    draft: Draft, number: int, name: str, seconds: float | None, now: float
) -> Draft:
    """The transition between segment `number` (1-based) and the next, overlapping both.

    A cut needs no seconds; any other lasts 0.2-1 s (default 0.5) and must fit inside both
    segments beside the transitions they already have.
    """
    count = len(draft.segments)
    if name not in TRANSITIONS:
        raise DraftError(
            f"transition {name!r} is not one of {', '.join(TRANSITIONS)}",
            "e.g. --transition 1:crossfade:0.5",
        )
    if not 1 <= number < count:
        raise DraftError(
            f"no transition after segment {number}: the draft has {count} segment(s), "
            f"so transitions go after segments 1 to {count - 1}"
            if count > 1
            else f"draft {draft.id} needs two segments for a transition"
        )
    index = number - 1
    if name == "cut":
        seconds = 0.0
    else:
        seconds = DEFAULT_TRANSITION_SECONDS if seconds is None else float(seconds)
        lo, hi = TRANSITION_RANGE
        if not lo - 1e-9 <= seconds <= hi + 1e-9:
            raise DraftError(f"a {name} lasts {lo:g}-{hi:g} s, not {seconds_text(seconds)} s")
        a, b = draft.segments[index], draft.segments[index + 1]
        before = _overlap_seconds(draft, index - 1)
        after = _overlap_seconds(draft, index + 1)
        for which, seg, taken in ((number, a, before), (number + 1, b, after)):
            room = seg.length - taken
            if seconds > room + 0.5 / draft.fps:
                raise DraftError(
                    f"a {seconds_text(seconds)} s {name} is longer than segment {which} "
                    f"({seconds_text(room)} s free of other transitions)",
                    f"make it at most {seconds_text(max(room, 0))} s, or lengthen the segment",
                )
    segs = list(draft.segments)
    segs[index] = replace(segs[index], transition=name, transition_seconds=seconds)
    return _touch(draft, now, segments=tuple(segs))


def _overlap_seconds(draft: Draft, boundary: int) -> float:
    overlaps = draft.overlaps()
    return overlaps[boundary] / draft.fps if 0 <= boundary < len(overlaps) else 0.0


def split_segment(
    draft: Draft, at_reel_seconds: float, now: float, second_id: str | None = None
) -> Draft:
    """Split the segment under reel time `at` in two over the same media file.

    The first half keeps the segment's id; the second gets `second_id` (default: a new
    one). Refused outside the reel and within MIN_SEGMENT_SECONDS of a segment boundary,
    where a split would leave a sliver.
    """
    at = at_reel_seconds
    total = draft.duration
    if not 0 < at < total:
        raise DraftError(
            f"nothing to split at {seconds_text(at)} s: the reel runs from 0 to "
            f"{seconds_text(total)} s",
            "pick a time inside it",
        )
    overlaps = [0, *draft.overlaps(), 0]
    for index, (start, seg) in enumerate(zip(segment_starts(draft), draft.segments, strict=True)):
        end = start + seg.length
        if at >= end:
            continue
        lead, tail = overlaps[index] / draft.fps, overlaps[index + 1] / draft.fps
        if at < start + lead or at > end - tail:
            raise DraftError(
                f"nothing to split at {seconds_text(at)} s: it is inside a transition",
                "split before or after it, or make that transition a cut first",
            )
        if at - start < MIN_SEGMENT_SECONDS or end - at < MIN_SEGMENT_SECONDS:
            edge = start if at - start < end - at else end
            raise DraftError(
                f"nothing to split at {seconds_text(at)} s: it is a segment boundary",
                f"segment {index + 1} runs {seconds_text(start)}-{seconds_text(end)} s; "
                f"split at least {MIN_SEGMENT_SECONDS:g} s from {seconds_text(edge)} s",
            )
        cut = round(seg.trim_in + (at - start) * seg.speed, 6)  # media time; drop float dust
        first = replace(seg, trim_out=cut, transition="cut", transition_seconds=0.0)
        second = replace(seg, id=second_id or new_id(), trim_in=cut)
        segs = (*draft.segments[:index], first, second, *draft.segments[index + 1 :])
        return _touch(draft, now, segments=segs)
    raise AssertionError("0 < at < duration, so some segment is under it")  # pragma: no cover


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
