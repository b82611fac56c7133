"""The command line as scripts use it: exit codes, stdout for data, stderr for errors."""

import json

from reeleditor.cli import main
from reeleditor.storage.drafts import DraftStore
from reeleditor.storage.paths import AppPaths
from tests.conftest import run_cli


def test_version_help_and_module_entry():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("reeleditor ")
    result = run_cli("--help")
    assert result.returncode == 0 and "drafts" in result.stdout
    result = run_cli("drafts", "--help")
    assert result.returncode == 0 and "duplicate" in result.stdout


def _store():
    return DraftStore(AppPaths.from_env().ensure().drafts)


def test_drafts_list_show_duplicate_delete(capsys):
    store = _store()
    a = store.create("Alpha", now=100.0)
    b = store.create("Beta", now=200.0)
    assert main(["drafts", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [d["id"] for d in listed["drafts"]] == [b.id, a.id]
    assert listed["set_aside"] == []

    assert main(["drafts", "show", a.id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Alpha"

    assert main(["drafts", "duplicate", a.id]) == 0
    copy_id = capsys.readouterr().out.strip()
    assert store.load(copy_id).title == "Alpha (copy)"

    assert main(["drafts", "delete", a.id]) == 0
    assert "deleted" in capsys.readouterr().err
    assert main(["drafts", "show", a.id]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"no draft {a.id}" in err


def test_list_reports_a_corrupt_draft_on_stderr_and_lists_the_rest(capsys):
    store = _store()
    good = store.create("good")
    bad = store.create("bad")
    (store.folder(bad.id) / "draft.json").write_text("{oops")
    assert main(["drafts", "list"]) == 0
    captured = capsys.readouterr()
    assert good.id in captured.out and bad.id not in captured.out
    assert f"draft {bad.id} set aside" in captured.err and "drafts restore" in captured.err
    assert main(["drafts", "restore", bad.id]) == 0
    assert _store().load(bad.id).title == "bad"


def test_export_import_round_trip_through_cli(tmp_path, capsys):
    store = _store()
    draft = store.create("Bundle me")
    out = tmp_path / "b.reeldraft"
    assert main(["drafts", "export", draft.id, "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert main(["drafts", "import", str(out)]) == 0
    captured = capsys.readouterr()
    new_id = captured.out.strip()
    assert new_id != draft.id and "imported as" in captured.err
    assert store.load(new_id).title == "Bundle me"


def test_history_lists_versions(capsys):
    store = _store()
    draft = store.create("v1")
    store.save(draft.with_changes(title="v2"))
    assert main(["drafts", "history", draft.id, "--json"]) == 0
    assert [e["version"] for e in json.loads(capsys.readouterr().out)] == [2, 1]


def test_unwritable_home_is_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_cli("drafts", "list", env={"REELEDITOR_HOME": str(blocker / "home")})
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "cannot write" in result.stderr
    assert result.stdout == ""


def test_bad_usage_exits_2():
    result = run_cli("drafts", "frobnicate")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_show_and_list_name_texts_captions_and_voice_overs(capsys):
    import time

    from reeleditor.core import word_edits
    from reeleditor.core.words import Captions, Cue, TextOverlay, VoiceOver

    store = _store()
    draft = store.create("Worded", now=100.0)
    now = time.time()
    draft = word_edits.add_text(draft, TextOverlay(text="Big news", start=0.0, end=1.0), now)
    cues = (Cue(0.0, 1.0, "Hello"), Cue(1.0, 2.0, "there"))
    draft = word_edits.set_captions(draft, Captions(cues=cues, burn=False), now)
    voice = VoiceOver(media="voice/v1.wav", duration=1.5, at=0.5)
    draft = draft.with_changes(voiceovers=(voice,))  # its file was never copied in
    store.save(draft)

    assert main(["drafts", "list", "--json"]) == 0
    [row] = [d for d in json.loads(capsys.readouterr().out)["drafts"] if d["id"] == draft.id]
    assert (row["texts"], row["captions"], row["voiceovers"]) == (1, 2, 1)
    assert row["missing_voiceovers"] == [voice.id]

    assert main(["drafts", "show", draft.id]) == 0
    out = capsys.readouterr().out
    assert "text 1: 'Big news'" in out
    assert "captions: 2 cue(s), WebVTT only" in out
    assert "voice-over 1: voice/v1.wav" in out and "MISSING" in out
    assert main(["drafts", "show", draft.id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["voiceovers"][0]["missing"] is True
