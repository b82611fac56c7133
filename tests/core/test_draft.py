"""The draft model: round trips, validation of every field, migrations."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reeleditor.core import edits
from reeleditor.core.draft import SCHEMA_VERSION, SPEEDS, Draft, Look, MusicCue, Segment
from reeleditor.core.errors import DraftError, DraftFormatError
from reeleditor.core.migrations import migrate
from tests.factories import make_draft

FIXTURES = Path(__file__).parent.parent / "fixtures"

finite = st.floats(min_value=0, max_value=1000, allow_nan=False)
segments = st.builds(
    Segment,
    media=st.from_regex(r"media/[a-z0-9]{1,8}\.mp4", fullmatch=True),
    duration=finite,
    id=st.from_regex(r"[a-f0-9]{12}", fullmatch=True),
    trim_in=finite,
    trim_out=st.none() | finite,
    speed=st.sampled_from(SPEEDS),
)
looks = st.builds(
    Look,
    name=st.sampled_from(["none", "warm", "noir"]),
    strength=st.floats(0, 100),
    adjustments=st.dictionaries(
        st.sampled_from(["brightness", "contrast", "vignette"]), st.floats(-100, 100)
    ).map(lambda d: tuple(sorted(d.items()))),
)
drafts = st.builds(
    Draft,
    id=st.from_regex(r"[a-f0-9]{12}", fullmatch=True),
    title=st.text(max_size=40),
    created=finite,
    updated=finite,
    segments=st.lists(segments, max_size=5).map(tuple),
    look=looks,
    music=st.none() | st.builds(MusicCue, track=st.text(min_size=1, max_size=20), start=finite),
    original_volume=st.floats(0, 2),
)


@given(drafts)
def test_round_trip_through_json(draft):
    data = json.loads(json.dumps(draft.to_dict()))
    assert Draft.from_dict(migrate(data)) == draft


def test_duration_sums_trimmed_segments():
    draft = make_draft(0).with_changes(
        segments=(Segment("media/a.mp4", 5.0, "a", 1.0, 3.0), Segment("media/b.mp4", 2.0, "b"))
    )
    assert draft.duration == pytest.approx(4.0)
    assert draft.remaining == pytest.approx(86.0)


@pytest.mark.parametrize(
    "mutate, words",
    [
        (lambda d: d.update(segments="nope"), "segments"),
        (lambda d: d["segments"][0].update(duration="long"), "duration"),
        (lambda d: d["segments"][0].update(media="../../etc/passwd"), "inside the draft"),
        (lambda d: d["segments"][0].update(media="/abs.mp4"), "inside the draft"),
        (lambda d: d["look"].update(strength=400), "strength"),
        (lambda d: d["look"]["adjustments"].update(wobble=3), "wobble"),
        (lambda d: d.update(width=1081), "even"),
        (lambda d: d.update(music=[1, 2]), "music cue"),
        (lambda d: d.update(original_volume=float("nan")), "original_volume"),
        (lambda d: d.pop("id"), "'id'"),
    ],
)
def test_wrong_shapes_name_the_field(mutate, words):
    data = make_draft().to_dict()
    mutate(data)
    with pytest.raises(DraftFormatError, match=words):
        Draft.from_dict(data)


def test_newer_schema_is_refused_with_advice():
    data = make_draft().to_dict()
    data["schema_version"] = SCHEMA_VERSION + 5
    with pytest.raises(DraftFormatError, match="newer reeleditor.*update"):
        migrate(data)


@pytest.mark.parametrize("bad", [[], "x", {"schema_version": "2"}, {"schema_version": 0}])
def test_unknown_schema_shapes_are_refused(bad):
    with pytest.raises(DraftFormatError):
        migrate(bad)


def test_v1_fixture_migrates_to_current_schema():
    data = json.loads((FIXTURES / "draft_v1.json").read_text())
    draft = Draft.from_dict(migrate(data))
    assert draft.id == "legacy000001"
    assert draft.look == Look("warm", 80.0)
    assert [s.media for s in draft.segments] == ["media/seg-0001.mp4", "media/seg-0002.mp4"]
    assert draft.segments[1].length == pytest.approx(3.0)
    assert draft.music == MusicCue("/home/someone/Music/summer.mp3", volume=0.6)
    assert draft.original_volume == 0.4
    assert draft.max_duration == 60
    assert draft.to_dict()["schema_version"] == SCHEMA_VERSION


def test_edits_are_pure_and_touch_updated():
    draft = make_draft(3)
    moved = edits.move_segment(draft, "s0002", 0, now=1_800_000_000.0)
    assert [s.id for s in moved.segments] == ["s0002", "s0000", "s0001"]
    assert [s.id for s in draft.segments] == ["s0000", "s0001", "s0002"]
    assert moved.updated == 1_800_000_000.0
    trimmed = edits.trim_segment(moved, "s0000", 0.5, 1.5, now=1)
    assert trimmed.segments[1].length == pytest.approx(1.0)
    assert len(edits.remove_last_segment(trimmed, now=1).segments) == 2
    with pytest.raises(DraftError, match="leaves nothing"):
        edits.trim_segment(draft, "s0000", 3.0, 1.0, now=1)
    with pytest.raises(DraftError, match="no segment"):
        edits.remove_segment(draft, "zzz", now=1)
