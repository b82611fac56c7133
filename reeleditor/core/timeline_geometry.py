"""Timeline geometry without pixels: segment spans, snapping, trims from a dragged edge.

The timeline widget turns pixels into reel seconds and asks these functions what an
edit means, so the rules (what snaps, what a trim handle does at 2x, what is refused)
are tested without Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

from reeleditor.core.draft import Draft
from reeleditor.core.edits import MIN_SEGMENT_SECONDS, seconds_text, segment_starts
from reeleditor.core.errors import DraftError

SNAP_PIXELS = 8  # a dragged edge within this many pixels of a target lands on it


@dataclass(frozen=True)
class Span:
    """Where segment `index` sits in the reel: [start, end) seconds (transitions overlap)."""

    index: int
    start: float
    end: float

    @property
    def middle(self) -> float:
        return (self.start + self.end) / 2


def spans(draft: Draft) -> list[Span]:
    starts = segment_starts(draft)
    return [
        Span(i, s, s + seg.length)
        for i, (s, seg) in enumerate(zip(starts, draft.segments, strict=False))
    ]


def snap(t: float, targets: list[float], tolerance: float) -> tuple[float, float | None]:
    """`t` moved onto the nearest target within `tolerance` seconds; (t, target or None)."""
    best = None
    for target in targets:
        if abs(target - t) <= tolerance and (best is None or abs(target - t) < abs(best - t)):
            best = target
    return (t, None) if best is None else (best, best)


def snap_targets(draft: Draft, playhead: float, beats: list[float], skip: int) -> list[float]:
    """What an edge of segment `skip` may snap to: other segments' edges, playhead, beats."""
    targets = [playhead, *beats]
    for span in spans(draft):
        if span.index != skip:
            targets += [span.start, span.end]
    return targets


def trim_for_edge(draft: Draft, index: int, edge: str, reel_t: float) -> tuple[float, float | None]:
    """The (trim_in, trim_out) that puts segment `index`'s `edge` ('in'/'out') at `reel_t`.

    A reel second is `speed` media seconds. The in-edge moves the segment's media start
    (the segment stays where it starts in the reel and plays less or more); the out-edge
    moves its media end. Clamped to the file; refused with one line when less than
    MIN_SEGMENT_SECONDS of reel would be left.
    """
    seg = draft.segments[index]
    start = spans(draft)[index].start
    media_end = seg.trim_in + seg.media_length
    if edge == "in":
        trim_in = max(0.0, seg.trim_in + (reel_t - start) * seg.speed)
        trim_in = round(min(trim_in, media_end), 4)
        trim_out = seg.trim_out
        left = (media_end - trim_in) / seg.speed
    elif edge == "out":
        end = min(seg.duration, max(seg.trim_in, seg.trim_in + (reel_t - start) * seg.speed))
        trim_in, trim_out = seg.trim_in, round(end, 4)
        if trim_out >= seg.duration - 1e-3:
            trim_out = None  # to the end of the file, as a fresh segment has it
        left = ((seg.duration if trim_out is None else trim_out) - trim_in) / seg.speed
    else:
        raise ValueError(edge)
    if left < MIN_SEGMENT_SECONDS - 1e-9:
        raise DraftError(
            f"that trim leaves {seconds_text(max(left, 0))} s of segment {index + 1}; "
            f"a segment keeps at least {MIN_SEGMENT_SECONDS:g} s (nothing changed)"
        )
    return trim_in, trim_out


def drop_index(draft: Draft, dragged: int, reel_t: float) -> int:
    """The index a segment dragged to `reel_t` takes: before the first other segment whose
    middle is right of it (move_segment's index, counted without the dragged one)."""
    others = [s for s in spans(draft) if s.index != dragged]
    return sum(1 for s in others if s.middle < reel_t)


def segment_at(draft: Draft, reel_t: float) -> int | None:
    """The segment under reel time `reel_t` (the later one inside a transition)."""
    found = None
    for span in spans(draft):
        if span.start <= reel_t < span.end:
            found = span.index
    return found
