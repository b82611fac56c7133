"""Timeline geometry: spans with transitions, snapping, trims from a dragged edge, drops."""

from dataclasses import replace

import pytest

from reeleditor.core.draft import Segment
from reeleditor.core.errors import DraftError
from reeleditor.core.timeline_geometry import (
    drop_index,
    segment_at,
    snap,
    snap_targets,
    spans,
    trim_for_edge,
)
from tests.factories import make_draft


def _draft():
    segs = (
        Segment("media/a.mp4", 4.0, "a"),
        Segment("media/b.mp4", 4.0, "b", speed=2.0),  # 2 s in the reel
        Segment("media/c.mp4", 3.0, "c", trim_in=1.0),
    )
    return make_draft(0).with_changes(segments=segs)


def test_spans_follow_lengths_and_transitions():
    draft = _draft()
    assert [(s.start, s.end) for s in spans(draft)] == [(0, 4), (4, 6), (6, 8)]
    faded = draft.with_changes(
        segments=(
            replace(draft.segments[0], transition="crossfade", transition_seconds=0.5),
            *draft.segments[1:],
        )
    )
    assert [(s.start, s.end) for s in spans(faded)] == [(0, 4), (3.5, 5.5), (5.5, 7.5)]
    assert segment_at(faded, 3.7) == 1 and segment_at(faded, 0.1) == 0
    assert segment_at(faded, 99) is None


def test_snap_takes_the_nearest_target_within_tolerance():
    assert snap(2.03, [1.0, 2.0, 2.1], 0.05) == (2.0, 2.0)
    assert snap(2.08, [2.0, 2.1], 0.05) == (2.1, 2.1)
    assert snap(2.5, [2.0, 3.0], 0.1) == (2.5, None)
    targets = snap_targets(_draft(), 1.5, [0.5], skip=1)
    assert 1.5 in targets and 0.5 in targets and 4.0 in targets and 6.0 not in targets[2:4]


def test_the_in_edge_at_2x_moves_media_twice_as_far():
    draft = _draft()
    assert trim_for_edge(draft, 1, "in", 4.5) == (1.0, None)  # 0.5 reel s = 1 media s
    assert trim_for_edge(draft, 1, "out", 5.0) == (0.0, 2.0)
    assert trim_for_edge(draft, 0, "out", 9.0) == (0.0, None)  # clamped to the file
    assert trim_for_edge(draft, 2, "in", 5.0) == (0.0, None)  # dragged left past the file's start


@pytest.mark.parametrize("edge,t", [("in", 8.0), ("out", 6.0), ("in", 7.95), ("out", 6.05)])
def test_a_trim_leaving_less_than_a_tenth_is_refused_in_one_line(edge, t):
    with pytest.raises(DraftError) as info:
        trim_for_edge(_draft(), 2, edge, t)
    assert "segment 3" in str(info.value) and "nothing changed" in str(info.value)
    assert "\n" not in str(info.value)


def test_drop_index_counts_middles_left_of_the_drop():
    draft = _draft()
    assert drop_index(draft, 0, 7.5) == 2  # past c's middle: to the end
    assert drop_index(draft, 0, 5.5) == 1  # past b's middle (5), before c's (7)
    assert drop_index(draft, 2, 0.5) == 0
