"""Transitions in the recipe: overlaps, reel time, validation and the schema 4 -> 5 step."""

import json
from pathlib import Path

import pytest

from reeleditor.core import edits
from reeleditor.core.draft import Draft, Segment, overlap_frames
from reeleditor.core.errors import DraftError, DraftFormatError
from reeleditor.core.migrations import migrate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _draft(*lengths: float) -> Draft:
    segs = tuple(Segment(f"media/{i}.mp4", n, id=f"s{i}") for i, n in enumerate(lengths))
    return Draft("d1", "t", 0.0, 0.0, segments=segs)


def test_a_crossfade_overlaps_both_segments_and_shortens_the_reel():
    draft = edits.set_transition(_draft(2.0, 3.0), 1, "crossfade", 0.5, now=1)
    assert draft.segments[0].transition == "crossfade"
    assert draft.overlaps() == [15]
    assert draft.duration == pytest.approx(4.5)
    assert edits.segment_starts(draft) == pytest.approx([0.0, 1.5])


def test_a_cut_has_no_seconds_and_the_default_is_half_a_second():
    draft = edits.set_transition(_draft(2.0, 3.0), 1, "dip", None, now=1)
    assert draft.segments[0].transition_seconds == 0.5
    cut = edits.set_transition(draft, 1, "cut", 0.7, now=2)
    assert (cut.segments[0].transition, cut.segments[0].transition_seconds) == ("cut", 0.0)
    assert cut.duration == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("number", "name", "seconds", "match"),
    [
        (1, "wipe", 0.5, "not one of"),
        (2, "crossfade", 0.5, "no transition after segment 2"),
        (0, "crossfade", 0.5, "no transition after segment 0"),
        (1, "crossfade", 0.1, "lasts 0.2-1 s"),
        (1, "slide", 1.5, "lasts 0.2-1 s"),
        (1, "crossfade", 0.9, "longer than segment 2"),
    ],
)
def test_bad_transitions_are_refused_in_one_line(number, name, seconds, match):
    draft = _draft(2.0, 0.6)
    with pytest.raises(DraftError, match=match) as info:
        edits.set_transition(draft, number, name, seconds, now=1)
    assert "\n" not in str(info.value)


def test_a_transition_cannot_take_what_the_one_before_it_overlaps():
    draft = edits.set_transition(_draft(2.0, 1.2, 2.0), 1, "crossfade", 1.0, now=1)
    with pytest.raises(DraftError, match="longer than segment 2"):
        edits.set_transition(draft, 2, "slide", 0.5, now=1)
    ok = edits.set_transition(draft, 2, "slide", 0.2, now=1)
    assert ok.overlaps() == [30, 6]


def test_a_trim_after_the_fact_shrinks_the_overlap_instead_of_breaking_the_reel():
    draft = edits.set_transition(_draft(2.0, 3.0), 1, "zoom", 1.0, now=1)
    trimmed = edits.trim_segment(draft, "s1", 0.0, 0.4, now=2)
    assert trimmed.overlaps() == [12]  # all of the 0.4 s segment
    assert trimmed.duration == pytest.approx(2.0)


def test_overlap_frames_is_first_come_first_served():
    assert overlap_frames([30, 20, 30], [15, 15]) == [15, 5]
    assert overlap_frames([10, 30], [15]) == [10]
    assert overlap_frames([30], []) == []


def test_split_inside_a_transition_is_refused_and_outside_keeps_it_on_the_second_half():
    draft = edits.set_transition(_draft(2.0, 3.0), 1, "crossfade", 0.5, now=1)
    with pytest.raises(DraftError, match="inside a transition"):
        edits.split_segment(draft, 1.7, now=2)
    split = edits.split_segment(draft, 1.0, now=2)
    assert [s.transition for s in split.segments] == ["cut", "crossfade", "cut"]
    assert split.duration == pytest.approx(draft.duration)


def test_schema_4_fixture_migrates_with_cuts():
    data = json.loads((FIXTURES / "draft_v4.json").read_text())
    draft = Draft.from_dict(migrate(data))
    assert [s.transition for s in draft.segments] == ["cut", "cut"]
    assert draft.segments[1].fit == "blur"
    again = Draft.from_dict(draft.to_dict())
    assert again == draft


def test_stored_transitions_are_checked():
    data = _draft(2.0, 3.0).to_dict()
    data["segments"][0].update(transition="wipe", transition_seconds=0.5)
    with pytest.raises(DraftFormatError, match="transition"):
        Draft.from_dict(data)
    data["segments"][0].update(transition="crossfade", transition_seconds=0.05)
    with pytest.raises(DraftFormatError, match="shorter than 0.2"):
        Draft.from_dict(data)
