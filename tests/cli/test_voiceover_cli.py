"""`reeleditor voiceover`: a file onto the reel (its id printed), list, volume, remove, refusals."""

from __future__ import annotations

import json

import pytest

from reeleditor.cli import main
from tests.media.helpers import record_takes
from tests.media.test_voiceover import tone_wav


@pytest.fixture
def draft(store):
    d = store.create("narrated", width=180, height=320)
    record_takes(store, d.id, (1.0,), 180, 320, 30)
    store.release(d.id)
    return store.load(d.id)


def _snapshot(store, draft_id):
    folder = store.folder(draft_id)
    return (folder / "draft.json").read_bytes(), sorted(
        p.name for p in (folder / "media").iterdir()
    )


def test_a_voiceover_is_added_at_its_time_and_its_id_printed(store, draft, tmp_path, capsys):
    src = tone_wav(tmp_path / "say.wav", 0.5)
    capsys.readouterr()
    assert main(["voiceover", draft.id, "--from", str(src), "--at", "0.25"]) == 0
    out = capsys.readouterr().out.strip()
    store.release(draft.id)
    voice = store.load(draft.id).voiceovers[0]
    assert out == voice.id
    assert (voice.at, voice.volume) == (0.25, 1.0) and voice.duration == pytest.approx(0.5)
    assert (store.folder(draft.id) / voice.media).read_bytes() == src.read_bytes()
    # listed, given a volume, the ducking changed, then removed
    assert main(["voiceover", draft.id, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [v["id"] for v in listed["voiceovers"]] == [voice.id] and listed["duck_db"] == 12
    assert main(["voiceover", draft.id, "--set-volume", "1", "--volume", "0.4"]) == 0
    assert main(["voiceover", draft.id, "--duck", "18"]) == 0
    store.release(draft.id)
    changed = store.load(draft.id)
    assert changed.voiceovers[0].volume == 0.4 and changed.duck_db == 18
    assert main(["voiceover", draft.id, "--remove", voice.id]) == 0
    store.release(draft.id)
    assert store.load(draft.id).voiceovers == ()


def test_at_defaults_to_the_reel_start(store, draft, tmp_path):
    assert main(["voiceover", draft.id, "--from", str(tone_wav(tmp_path / "a.wav", 0.3))]) == 0
    store.release(draft.id)
    assert store.load(draft.id).voiceovers[0].at == 0.0


def _refused(store, draft_id, capsys, *args) -> str:
    before = _snapshot(store, draft_id)
    capsys.readouterr()
    assert main(["voiceover", draft_id, *args]) == 1
    store.release(draft_id)
    err = capsys.readouterr().err.strip().splitlines()
    # the import's "checking NAME" progress line may come first; the refusal is one line
    err = [line for line in err if not line.lstrip("\r").startswith("import checking")]
    assert len(err) == 1 and err[0].startswith("reeleditor: error: "), err
    assert _snapshot(store, draft_id) == before  # nothing copied, draft.json as it was
    return err[0]


def test_a_file_that_is_not_audio_is_refused_in_one_line(store, draft, tmp_path, capsys):
    bad = tmp_path / "script.txt"
    bad.write_text("Hello and welcome to my reel\n" * 20)
    assert "script.txt" in _refused(store, draft.id, capsys, "--from", str(bad))
    missing = tmp_path / "gone.wav"
    assert "gone.wav" in _refused(store, draft.id, capsys, "--from", str(missing))


def test_a_start_past_the_reel_end_is_refused(store, draft, tmp_path, capsys):
    src = tone_wav(tmp_path / "say.wav", 0.5)
    line = _refused(store, draft.id, capsys, "--from", str(src), "--at", "5")
    assert "--at 5" in line and "1.00 s" in line
    assert "--volume" in _refused(store, draft.id, capsys, "--from", str(src), "--volume", "3")
    assert "no voice-over 2" in _refused(store, draft.id, capsys, "--remove", "2")
