"""`reeleditor text add|list|remove`: the recipe, the listing, and one-line refusals."""

import json

import pytest

from reeleditor.cli import main
from reeleditor.storage.drafts import DraftStore
from reeleditor.storage.paths import AppPaths
from tests.media.speed_media import draft_with_marks


@pytest.fixture
def draft_id(reel_home):
    store = DraftStore(AppPaths.from_env().ensure().drafts)
    try:
        return draft_with_marks(store).id  # 4 s of reel
    finally:
        store.close()


def _store() -> DraftStore:
    return DraftStore(AppPaths.from_env().drafts)


def _snapshot(draft_id: str):
    folder = _store().folder(draft_id)
    return (folder / "draft.json").read_bytes(), sorted(
        p.name for p in (folder / "history").iterdir()
    )


def test_add_list_remove(draft_id, capsys):
    code = main(
        ["text", "add", draft_id, "--text", "Crème 🎉", "--at", "1", "--for", "2",
         "--style", "neon", "--x", "0.3", "--y", "0.2", "--colour", "ff00aa",
         "--enter", "pop", "--exit", "fade", "--rotation", "-10"]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    text_id = captured.out.strip()
    (text,) = _store().load(draft_id).texts
    assert text.id == text_id and text.text == "Crème 🎉"
    assert (text.start, text.end, text.x, text.y, text.rotation) == (1.0, 3.0, 0.3, 0.2, -10.0)
    assert (text.look.style, text.look.colour, text.enter, text.exit) == (
        "neon",
        "#ff00aa",
        "pop",
        "fade",
    )
    assert main(["text", "add", draft_id, "--text", "Two", "--at", "0", "--for", "1"]) == 0
    capsys.readouterr()
    assert main(["text", "list", draft_id]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and text_id in lines[0] and "neon" in lines[0]
    assert main(["text", "list", draft_id, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["n"] for r in rows] == [1, 2] and rows[1]["text"] == "Two"
    assert main(["text", "remove", draft_id, "1"]) == 0
    assert [t.text for t in _store().load(draft_id).texts] == ["Two"]


@pytest.mark.parametrize(
    "args, words",
    [
        (["--text", "   "], "empty"),
        (["--text", "x" * 2000], "2000 characters"),
        (["--text", "hi", "--x", "1.4"], "outside the frame"),
        (["--text", "hi", "--at", "9"], "after the reel"),
        (["--text", "hi", "--for", "0"], "shows nothing"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(draft_id, capsys, args, words):
    before = _snapshot(draft_id)
    base = {"--at": "1", "--for": "2"}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    argv = ["text", "add", draft_id, *[x for kv in base.items() for x in kv]]
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("reeleditor: error: ")
    assert words in captured.err
    assert _snapshot(draft_id) == before


def test_remove_a_text_that_is_not_there(draft_id, capsys):
    before = _snapshot(draft_id)
    assert main(["text", "remove", draft_id, "3"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "text 3 does not exist" in err
    assert _snapshot(draft_id) == before
