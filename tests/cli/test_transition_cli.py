"""`reeleditor edit ID --transition N:NAME[:SECONDS]`: recipe, export length, refusals."""

import json

import pytest

from reeleditor.cli import main
from reeleditor.storage.drafts import DraftStore
from reeleditor.storage.paths import AppPaths
from tests.cli.draft_state import store as _store
from tests.cli.draft_state import unchanged as _unchanged
from tests.media.helpers import count_frames
from tests.media.speed_media import draft_with_marks


@pytest.fixture
def draft_id(reel_home):
    store = DraftStore(AppPaths.from_env().ensure().drafts)
    try:
        return draft_with_marks(store).id  # two 2.0 s segments at 1x
    finally:
        store.close()


def test_transition_changes_the_recipe_the_listing_and_the_export(draft_id, capsys, tmp_path):
    code = main(["edit", draft_id, "--transition", "1:crossfade:0.6"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.strip() == draft_id
    draft = _store().load(draft_id)
    first = draft.segments[0]
    assert (first.transition, first.transition_seconds) == ("crossfade", 0.6)
    assert draft.duration == pytest.approx(4.0 - 0.6)
    assert main(["drafts", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["drafts"][0]
    assert listed["transitions"] == [{"after": 1, "name": "crossfade", "seconds": 0.6}]
    assert main(["drafts", "show", draft_id]) == 0
    assert "then crossfade 0.6s into 2" in capsys.readouterr().out
    out = tmp_path / "reel.mp4"
    assert main(["export", draft_id, "-o", str(out)]) == 0
    assert count_frames(out) == 120 - 18
    # the default length, then a cut removes it
    assert main(["edit", draft_id, "--transition", "1:dip"]) == 0
    assert _store().load(draft_id).segments[0].transition_seconds == 0.5
    assert main(["edit", draft_id, "--transition", "1:cut"]) == 0
    assert _store().load(draft_id).duration == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("values", "words"),
    [
        (["1:wipe"], "--transition '1:wipe': transition 'wipe' is not one of cut, crossfade"),
        (["2:crossfade"], "--transition '2:crossfade': no transition after segment 2"),
        (["0:crossfade"], "no transition after segment 0"),
        (["x:crossfade"], "--transition 'x:crossfade': 'x' is not a segment number"),
        (["1:crossfade:0.1"], "--transition '1:crossfade:0.1': a crossfade lasts 0.2-1 s"),
        (["1:slide:1.5"], "a slide lasts 0.2-1 s, not 1.5 s"),
        (["1:zoom:soon"], "'soon' is not a number of seconds"),
        (["1:zoom:nan"], "'nan' is not a number of seconds"),
        # a valid change before a refused one is not saved either
        (["1:crossfade", "1:dip:3"], "a dip lasts 0.2-1 s"),
    ],
)
def test_bad_transition_is_one_line_and_the_draft_stays_byte_identical(
    draft_id, capsys, values, words
):
    before = _unchanged(draft_id)
    args = ["edit", draft_id]
    for value in values:
        args += ["--transition", value]
    code = main(args)
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("reeleditor: error: ")
    assert words in captured.err, captured.err
    assert _unchanged(draft_id) == before


def test_transition_longer_than_a_segment_is_refused(draft_id, capsys):
    # at 3x the second segment lasts 0.67 s: a 1 s transition cannot fit inside it
    before = _unchanged(draft_id)
    code = main(["edit", draft_id, "--speed", "2:3", "--transition", "1:crossfade:1"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "a 1.0 s crossfade is longer than segment 2" in err, err
    assert _unchanged(draft_id) == before
