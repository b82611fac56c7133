"""split_segment: two halves over the same media, boundaries refused, the draft untouched."""

import pytest

from reeleditor.core import edits
from reeleditor.core.draft import Segment
from reeleditor.core.errors import DraftError
from tests.factories import make_draft


def _trimmed():
    """Segments of 2.0 s (trimmed to 0.5-2.0: 1.5 s) and 2.1 s: the reel is 3.6 s."""
    draft = make_draft(2)
    return edits.trim_segment(draft, "s0000", 0.5, None, now=1)


def test_split_makes_two_halves_over_the_same_media():
    draft = _trimmed()
    split = edits.split_segment(draft, 1.0, now=1_800_000_000.0, second_id="half")
    first, second, rest = split.segments
    assert first.id == "s0000" and second.id == "half" and rest == draft.segments[1]
    assert first.media == second.media == draft.segments[0].media
    assert first.duration == second.duration == 2.0
    assert (first.trim_in, first.trim_out) == (0.5, 1.5)  # 1.0 s of reel = media 0.5 + 1.0
    assert (second.trim_in, second.trim_out) == (1.5, None)
    assert first.length + second.length == pytest.approx(draft.segments[0].length)
    assert split.duration == pytest.approx(draft.duration)
    assert split.updated == 1_800_000_000.0
    assert [s.id for s in draft.segments] == ["s0000", "s0001"]  # pure: the input is as it was


def test_split_in_a_later_segment_counts_earlier_lengths_and_keeps_its_trim_out():
    draft = make_draft(2)
    draft = edits.trim_segment(draft, "s0001", 0.2, 1.8, now=1)  # 2.0 + 1.6 s
    split = edits.split_segment(draft, 2.5, now=1)
    assert [s.id for s in split.segments][:2] == ["s0000", "s0001"]
    second, third = split.segments[1:]
    assert (second.trim_in, second.trim_out) == (0.2, pytest.approx(0.7))
    assert (third.trim_in, third.trim_out) == (pytest.approx(0.7), 1.8)
    assert third.id not in {"s0000", "s0001"}
    again = edits.split_segment(draft, 2.5, now=1)
    assert again.segments[2].id != third.id  # a fresh id each time


@pytest.mark.parametrize(
    ("at", "words"),
    [
        (0.0, "nothing to split at 0.0 s: the reel runs from 0 to 3.6 s"),
        (3.6, "the reel runs from 0 to 3.6 s"),
        (7.0, "nothing to split at 7.0 s"),
        (-1.0, "nothing to split at -1.0 s"),
        (1.5, "nothing to split at 1.5 s: it is a segment boundary"),
        (1.45, "nothing to split at 1.45 s: it is a segment boundary"),
        (1.55, "it is a segment boundary"),
        (0.05, "it is a segment boundary"),
        (3.55, "it is a segment boundary"),
    ],
)
def test_split_refuses_outside_the_reel_and_at_boundaries(at, words):
    with pytest.raises(DraftError) as caught:
        edits.split_segment(_trimmed(), at, now=1)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_split_of_an_empty_draft_is_refused():
    with pytest.raises(DraftError, match="the reel runs from 0 to 0.0 s"):
        edits.split_segment(make_draft(0), 1.0, now=1)


def test_trim_replaces_only_in_and_out():
    seg = Segment("media/a.mp4", 3.0, "a1", 0.5, 2.5)
    draft = make_draft(0).with_changes(segments=(seg,))
    trimmed = edits.trim_segment(draft, "a1", 1.0, None, now=1).segments[0]
    assert trimmed == Segment("media/a.mp4", 3.0, "a1", 1.0, None)
