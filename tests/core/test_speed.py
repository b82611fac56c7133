"""Speed per segment: reel length, the schema 2 -> 3 migration, set_speed and its refusals."""

import json
import math
from pathlib import Path

import pytest

from reeleditor.core import edits
from reeleditor.core.draft import SCHEMA_VERSION, Draft, Segment
from reeleditor.core.errors import DraftError, DraftFormatError
from reeleditor.core.migrations import migrate
from tests.factories import make_draft

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.mark.parametrize(
    ("speed", "length"), [(0.3, 5.0), (0.5, 3.0), (1, 1.5), (2, 0.75), (3, 0.5)]
)
def test_reel_length_is_trimmed_media_over_speed(speed, length):
    seg = Segment("media/a.mp4", 2.0, "a", trim_in=0.25, trim_out=1.75, speed=speed)
    assert seg.media_length == pytest.approx(1.5)
    assert seg.length == pytest.approx(length)


def test_set_speed_changes_one_segment_and_the_reel_length():
    draft = make_draft(2)  # 2.0 s and 2.1 s
    fast = edits.set_speed(draft, "s0000", 2.0, now=1_800_000_000.0)
    assert [s.speed for s in fast.segments] == [2.0, 1.0]
    assert fast.duration == pytest.approx(1.0 + 2.1)
    assert fast.updated == 1_800_000_000.0
    assert draft.segments[0].speed == 1.0  # pure
    assert edits.segment_starts(fast) == pytest.approx([0.0, 1.0])
    again = Draft.from_dict(migrate(json.loads(json.dumps(fast.to_dict()))))
    assert again == fast


@pytest.mark.parametrize("bad", [1.5, 0, -2, 4, 0.25, math.nan, math.inf, True])
def test_set_speed_refuses_values_outside_the_list_in_one_line(bad):
    draft = make_draft(2)
    with pytest.raises(DraftError) as caught:
        edits.set_speed(draft, "s0000", bad, now=1)
    assert "is not one of 0.3x, 0.5x, 1x, 2x, 3x" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_set_speed_refuses_an_unknown_segment():
    with pytest.raises(DraftError, match="no segment zzz"):
        edits.set_speed(make_draft(2), "zzz", 2.0, now=1)


def test_split_inside_a_fast_segment_cuts_at_the_media_time():
    draft = edits.set_speed(make_draft(2), "s0000", 2.0, now=1)  # 2.0 s of media: 1.0 s
    first, second, _ = edits.split_segment(draft, 0.25, now=1, second_id="b").segments
    assert (first.trim_out, second.trim_in) == (0.5, 0.5)
    assert first.speed == second.speed == 2.0
    assert first.length == pytest.approx(0.25) and second.length == pytest.approx(0.75)


def test_a_stored_speed_outside_the_list_is_refused():
    data = make_draft(1).to_dict()
    data["segments"][0]["speed"] = 1.5
    with pytest.raises(DraftFormatError, match="speed 1.5 is not one of"):
        Draft.from_dict(data)


def test_schema_2_fixture_migrates_to_1x():
    fixture = json.loads((FIXTURES / "draft_v2.json").read_text())
    assert fixture["schema_version"] == 2 and "speed" not in fixture["segments"][0]
    draft = Draft.from_dict(migrate(fixture))
    assert [s.speed for s in draft.segments] == [1.0, 1.0]
    assert [s.length for s in draft.segments] == pytest.approx([2.0, 2.0])
    assert draft.to_dict()["schema_version"] == SCHEMA_VERSION


def test_a_draft_from_a_newer_schema_is_still_refused():
    data = make_draft(1).to_dict()
    data["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(DraftFormatError, match="newer reeleditor"):
        migrate(data)
