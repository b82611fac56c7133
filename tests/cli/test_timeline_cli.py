"""`reeleditor split`, `move` and `trim` on real recorded drafts: recipe, history, refusals."""

import json
import shutil

import numpy as np
import pytest

from reeleditor.cli import main
from reeleditor.storage.drafts import DraftStore
from reeleditor.storage.paths import AppPaths
from tests.cli.draft_state import store as _store
from tests.cli.draft_state import unchanged as _unchanged
from tests.conftest import run_cli
from tests.media.helpers import count_frames, decode_video, record_takes

W, H, FPS = 180, 320, 30


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A draft with two recorded takes, A of 1.0 s and B of 0.6 s, recorded once (in real
    time) for the module; each test gets its own copy."""
    store = DraftStore(tmp_path_factory.mktemp("recorded") / "drafts")
    draft = store.create("timeline", width=W, height=H)
    try:
        record_takes(store, draft.id, (1.0, 0.6), W, H, FPS)
    finally:
        store.close()
    assert [s.length for s in store.load(draft.id).segments] == pytest.approx([1.0, 0.6])
    return store.folder(draft.id)


@pytest.fixture
def draft_id(recorded, reel_home):
    """This test's copy of the recorded draft, in its own home folder."""
    drafts = AppPaths.from_env().ensure().drafts
    shutil.copytree(recorded, drafts / recorded.name, ignore=shutil.ignore_patterns(".lock"))
    return recorded.name


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _rows(capsys, *args: str) -> list[dict]:
    code, out, err = _cli(capsys, *args, "--json")
    assert code == 0, err
    assert err.count("\n") == 1  # what was done, on stderr; the data on stdout
    return json.loads(out)


def _recipe(draft_id: str) -> list[tuple]:
    return [(s.id, s.media, s.trim_in, s.trim_out) for s in _store().load(draft_id).segments]


def test_split_move_trim_edit_the_recipe_one_version_each(draft_id, capsys):
    store = _store()
    a, b = store.load(draft_id).segments
    versions = len(store.history(draft_id))

    rows = _rows(capsys, "split", draft_id, "--at", "0.5")
    assert [(r["n"], r["media"], r["trim_in"], r["trim_out"], r["start"]) for r in rows] == [
        (1, a.media, 0.0, 0.5, 0.0),
        (2, a.media, 0.5, 1.0, 0.5),
        (3, b.media, 0.0, 0.6, 1.0),
    ]
    assert rows[0]["id"] == a.id and rows[1]["id"] not in {a.id, b.id}
    assert [r["length"] for r in rows] == [0.5, 0.5, 0.6]
    half = rows[1]["id"]
    assert _recipe(draft_id) == [
        (a.id, a.media, 0.0, 0.5),
        (half, a.media, 0.5, None),
        (b.id, b.media, 0.0, None),
    ]
    assert len(store.history(draft_id)) == versions + 1

    rows = _rows(capsys, "move", draft_id, "3", "--to", "1")
    assert [r["id"] for r in rows] == [b.id, a.id, half]
    assert [r["start"] for r in rows] == [0.0, 0.6, 1.1]
    assert len(store.history(draft_id)) == versions + 2

    rows = _rows(capsys, "trim", draft_id, "1", "--in", "0.1", "--out", "0.5")
    assert (rows[0]["trim_in"], rows[0]["trim_out"], rows[0]["length"]) == (0.1, 0.5, 0.4)
    assert [r["start"] for r in rows] == [0.0, 0.4, 0.9]
    assert _recipe(draft_id)[0] == (b.id, b.media, 0.1, 0.5)
    assert len(store.history(draft_id)) == versions + 3

    # either flag alone keeps the other end
    rows = _rows(capsys, "trim", draft_id, "3", "--in", "0.6")
    assert (rows[2]["trim_in"], rows[2]["trim_out"]) == (0.6, 1.0)
    rows = _rows(capsys, "trim", draft_id, "3", "--out", "0.9")
    assert (rows[2]["trim_in"], rows[2]["trim_out"]) == (0.6, 0.9)
    assert len(store.history(draft_id)) == versions + 5

    # without --json: one line per segment on stdout
    code, out, err = _cli(capsys, "move", draft_id, "1", "--to", "2")
    assert code == 0 and "moved segment 1 to position 2" in err
    lines = out.splitlines()
    assert len(lines) == 3 and a.id in lines[0] and b.id in lines[1] and half in lines[2]


def test_each_edit_is_undone_by_drafts_restore(draft_id, capsys):
    store = _store()
    for step in (
        ("split", draft_id, "--at", "0.7"),
        ("move", draft_id, "1", "--to", "2"),
        ("trim", draft_id, "2", "--in", "0.2"),
    ):
        before, versions = _recipe(draft_id), len(store.history(draft_id))
        assert _cli(capsys, *step)[0] == 0
        edited = _recipe(draft_id)
        assert edited != before and len(store.history(draft_id)) == versions + 1
        code, _, err = _cli(capsys, "drafts", "restore", draft_id)
        assert code == 0, err
        assert _recipe(draft_id) == before, step
        assert len(store.history(draft_id)) == versions + 2  # the undo is a version too
        assert _cli(capsys, *step)[0] == 0  # redo, and the next edit builds on it
        assert len(_recipe(draft_id)) == len(edited)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("split", "{id}", "--at", "0"), "nothing to split at 0.0 s: the reel runs from 0 to 1.6"),
        (("split", "{id}", "--at", "1.6"), "nothing to split at 1.6 s"),
        (("split", "{id}", "--at", "9"), "pick a time inside it"),
        (("split", "{id}", "--at", "1.0"), "nothing to split at 1.0 s: it is a segment boundary"),
        (("split", "{id}", "--at", "1.05"), "at 1.05 s: it is a segment boundary"),
        (("split", "{id}", "--at", "0.05"), "it is a segment boundary"),
        (
            ("move", "{id}", "5", "--to", "1"),
            "segment 5 does not exist; the draft has 2 (see 'reeleditor drafts show {id}')",
        ),
        (("move", "{id}", "1", "--to", "3"), "segment 3 does not exist; the draft has 2"),
        (("move", "{id}", "0", "--to", "1"), "segment 0 does not exist"),
        (("trim", "{id}", "3", "--in", "0.1"), "segment 3 does not exist"),
        (("trim", "{id}", "1", "--in", "0.5", "--out", "0.5"), "0-length trim: in 0.5 s"),
        (("trim", "{id}", "1", "--in", "0.8", "--out", "0.3"), "0-length trim"),
        (("trim", "{id}", "2", "--in", "0.6"), "0-length trim: in 0.6 s is not before out 0.6"),
        (("trim", "{id}", "1", "--in", "0.5", "--out", "0.55"), "under the 0.1 s minimum"),
        (("trim", "{id}", "1", "--out", "2"), "--out 2.0 s is past the end of segment 1's media"),
        (("trim", "{id}", "1"), "trim needs --in, --out or both"),
        (("split", "nosuchdraft", "--at", "0.5"), "no draft nosuchdraft"),
        (("move", "../x", "1", "--to", "2"), "'../x' is not a draft id"),
    ],
)
def test_bad_input_is_one_line_and_the_draft_stays_byte_identical(draft_id, capsys, args, words):
    before = _unchanged(draft_id)
    code, out, err = _cli(capsys, *(a.format(id=draft_id) for a in args))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("reeleditor: error: "), err
    assert words.format(id=draft_id) in err, err
    assert _unchanged(draft_id) == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("split", "{id}", "--at", "abc"), "argument --at: 'abc' is not a number of seconds"),
        (("split", "{id}", "--at", "nan"), "'nan' is not a number of seconds"),
        (("trim", "{id}", "1", "--in", "-1"), "argument --in: '-1' is not a number of seconds"),
        (("trim", "{id}", "1", "--out", "inf"), "'inf' is not a number of seconds"),
        (("move", "{id}", "one", "--to", "2"), "argument N: 'one' is not a segment number"),
        (("move", "{id}", "1", "--to", "2.5"), "argument --to: '2.5' is not a segment number"),
    ],
)
def test_values_that_are_not_numbers_are_refused_by_argparse(draft_id, capsys, args, words):
    before = _unchanged(draft_id)
    with pytest.raises(SystemExit) as caught:
        main([a.format(id=draft_id) for a in args])
    captured = capsys.readouterr()
    assert caught.value.code == 2 and captured.out == ""
    assert words in captured.err.splitlines()[-1]  # argparse: its usage line, then the error
    assert _unchanged(draft_id) == before


def test_a_draft_open_in_another_process_is_refused(draft_id):
    holder = _store()
    holder.lock(draft_id)  # as the app holds a draft it has open
    try:
        before = _unchanged(draft_id)
        for args in (("split", draft_id, "--at", "0.5"), ("move", draft_id, "2", "--to", "1")):
            result = run_cli(*args)
            assert result.returncode == 1 and result.stdout == ""
            assert result.stderr.count("\n") == 1
            assert f"draft {draft_id} is open in another reeleditor" in result.stderr
            assert "close it there first" in result.stderr
        assert _unchanged(draft_id) == before
    finally:
        holder.close()
    assert run_cli("split", draft_id, "--at", "0.5").returncode == 0  # free again


def test_a_no_op_move_saves_nothing(draft_id, capsys):
    before = _unchanged(draft_id)
    code, out, err = _cli(capsys, "move", draft_id, "2", "--to", "2")
    assert code == 0 and "nothing changed" in err and len(out.splitlines()) == 2
    assert _unchanged(draft_id) == before


@pytest.mark.slow
def test_export_after_split_move_trim_has_the_new_length(draft_id, tmp_path):
    for args in (
        ("split", draft_id, "--at", "0.5"),  # A1 0.5 s, A2 0.5 s, B 0.6 s
        ("move", draft_id, "3", "--to", "1"),  # B, A1, A2
        ("trim", draft_id, "1", "--in", "0.1", "--out", "0.5"),  # B 0.4 s
    ):
        result = run_cli(*args)
        assert result.returncode == 0, result.stderr
    out = tmp_path / "reel.mp4"
    result = run_cli("export", draft_id, "-o", str(out), "--preset", "small")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    assert "exported 1.40 s (42 frames" in result.stderr
    assert count_frames(out) == 12 + 15 + 15
    # the pictures come in the new order: B from 0.1 s, then A from 0 s, then A from 0.5 s
    store = _store()
    draft = store.load(draft_id)
    b, a = (decode_video(store.media_path(draft, s)) for s in draft.segments[:2])
    frames = decode_video(out)
    for index, expected, other in ((0, b[3], a[0]), (12, a[0], b[3]), (27, a[15], a[0])):
        near = np.abs(frames[index].astype(int) - expected).mean()
        far = np.abs(frames[index].astype(int) - other).mean()
        assert near < far / 2, (index, near, far)
