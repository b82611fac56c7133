"""`reeleditor edit ID --speed N:X`: the recipe, the export's length, one-line refusals."""

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


def test_speed_per_segment_changes_the_recipe_and_the_export(draft_id, capsys, tmp_path):
    code = main(["edit", draft_id, "--speed", "1:2", "--speed", "2:0.5x"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.strip() == draft_id
    draft = _store().load(draft_id)
    assert [s.speed for s in draft.segments] == [2.0, 0.5]
    assert draft.duration == pytest.approx(1.0 + 4.0)
    out = tmp_path / "reel.mp4"
    assert main(["export", draft_id, "-o", str(out)]) == 0
    assert count_frames(out) == 150  # 30 at 2x + 120 at 0.5x
    assert main(["edit", draft_id, "--speed", "2:1"]) == 0
    assert _store().load(draft_id).duration == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("speeds", "words"),
    [
        (["3:2"], "--speed 3:2: segment 3 does not exist; the draft has 2"),
        (["0:2"], "segment 0 does not exist"),
        (["1:1.5"], "--speed '1:1.5': the speed must be one of 0.3, 0.5, 1, 2, 3"),
        (["1:fast"], "the speed must be one of"),
        (["1:nan"], "the speed must be one of"),
        (["1"], "--speed '1': the speed must be one of"),
        (["x:2"], "--speed 'x:2': 'x' is not a segment number (1 is the first)"),
        (["1:2", "5:3"], "segment 5 does not exist"),  # the valid first one is not saved
    ],
)
def test_bad_speed_is_one_line_and_the_draft_stays_byte_identical(draft_id, capsys, speeds, words):
    before = _unchanged(draft_id)
    args = ["edit", draft_id]
    for speed in speeds:
        args += ["--speed", speed]
    code = main(args)
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("reeleditor: error: ")
    assert words in captured.err, captured.err
    assert _unchanged(draft_id) == before
