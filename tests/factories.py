"""Factories for test data: drafts with segments, without fixture chains."""

from __future__ import annotations

from reeleditor.core.draft import Draft, Look, MusicCue, Segment


def make_draft(n_segments: int = 2, draft_id: str = "d0000000001", **changes) -> Draft:
    segments = tuple(
        Segment(media=f"media/seg-{i:04d}.mp4", duration=2.0 + i * 0.1, id=f"s{i:04d}")
        for i in range(n_segments)
    )
    draft = Draft(
        id=draft_id,
        title="Test reel",
        created=1_700_000_000.0,
        updated=1_700_000_000.0,
        segments=segments,
        look=Look("warm", 75.0, (("contrast", 10.0),)),
        music=MusicCue("library:sunny-day", start=4.0, volume=0.8, fade_in=0.5, fade_out=1.0),
        original_volume=0.5,
    )
    return draft.with_changes(**changes)


def drain(gen):
    """Run a Progress generator to the end, as a headless caller would; its return value."""
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        return stop.value
