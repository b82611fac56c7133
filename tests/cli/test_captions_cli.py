"""`reeleditor captions`: recognise, list, fix, re-time, burn or not, WebVTT; bad input."""

from __future__ import annotations

import json

import pytest

from reeleditor.media.vtt import parse_vtt
from tests.conftest import run_cli
from tests.media.speech_media import require_espeak, speak, speech_draft


@pytest.fixture(scope="module")
def spoken():
    require_espeak()
    return speak()


def test_captions_recognises_stores_and_writes_webvtt(store, spoken, tmp_path):
    draft = speech_draft(store, *spoken[:2])
    vtt = tmp_path / "reel.vtt"
    done = run_cli("captions", draft.id, "--no-burn", "--vtt", str(vtt))
    assert done.returncode == 0, done.stderr
    assert "captions" in done.stderr and "%" in done.stderr  # the progress line
    stored = store.load(draft.id).captions
    assert stored is not None and stored.cues and stored.burn is False
    assert parse_vtt(vtt.read_text()) == list(stored.cues)
    assert done.stdout.startswith("1  ")


def test_captions_edit_retime_burn_and_list(store, spoken):
    draft = speech_draft(store, *spoken[:2])
    assert run_cli("captions", draft.id).returncode == 0
    assert store.load(draft.id).captions.burn is True  # new captions are burned in
    done = run_cli("captions", draft.id, "--edit", "1", "--text", "Hello there")
    assert done.returncode == 0, done.stderr
    assert store.load(draft.id).captions.cues[0].text == "Hello there"
    done = run_cli(
        "captions", draft.id, "--retime", "1", "--start", "0.4", "--end", "1.5", "--no-burn"
    )
    assert done.returncode == 0, done.stderr
    captions = store.load(draft.id).captions
    assert (captions.cues[0].start, captions.cues[0].end, captions.burn) == (0.4, 1.5, False)
    listed = json.loads(run_cli("captions", draft.id, "--list", "--json").stdout)
    assert listed["cues"][0]["text"] == "Hello there"


def test_a_silent_reel_says_no_speech_found_and_keeps_the_draft(store, spoken):
    draft = speech_draft(store, *spoken[:2], silent=True)
    before = store.load(draft.id)
    done = run_cli("captions", draft.id)
    assert done.returncode != 0
    assert "no speech found" in done.stderr
    assert len(done.stderr.strip().splitlines()[-1]) < 200
    assert store.load(draft.id) == before


def test_bad_input_is_one_line_and_changes_nothing(store, spoken, tmp_path):
    draft = speech_draft(store, *spoken[:2])
    before = store.load(draft.id)
    for args, said in (
        (("--model", str(tmp_path)), "not a pocketsphinx model"),
        (("--edit", "1", "--text", "x"), "has no caption 1"),
        (("--retime", "0", "--start", "1"), "not a caption number"),
        (("--list", "--vtt", str(tmp_path / "x.vtt")), "no captions to write"),
    ):
        done = run_cli("captions", draft.id, *args)
        assert done.returncode != 0 and said in done.stderr, (args, done.stderr)
    assert store.load(draft.id) == before
    assert run_cli("captions", "nosuchdraft").returncode != 0


def _hand_captioned(store):
    """A draft with cues typed by hand (no recognition could make them: it has no take)."""
    import time

    from reeleditor.core import word_edits
    from reeleditor.core.words import Captions, Cue

    draft = store.create("hand")
    cues = (Cue(0.0, 1.0, "Fixed by hand"), Cue(1.0, 2.0, "Second"))
    store.save(word_edits.set_captions(draft, Captions(cues=cues), time.time()))
    return store.load(draft.id)


def test_burn_style_and_vtt_change_the_cues_you_have_without_listening(store, tmp_path):
    draft = _hand_captioned(store)
    cues = draft.captions.cues
    vtt = tmp_path / "reel.vtt"
    for args in (
        ("--no-burn",),
        ("--vtt", str(vtt)),
        ("--style", "neon", "--font", "serif", "--y", "0.2"),
        ("--burn",),
        (),
    ):
        done = run_cli("captions", draft.id, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert "%" not in done.stderr, args  # no recognition progress
        assert store.load(draft.id).captions.cues == cues, args
    captions = store.load(draft.id).captions
    assert (captions.look.style, captions.look.font, captions.y) == ("neon", "serif", 0.2)
    assert captions.burn is True
    assert parse_vtt(vtt.read_text()) == list(cues)


def test_unknown_looks_are_one_line_and_change_nothing(store):
    draft = _hand_captioned(store)
    before = store.load(draft.id)
    for args, said in (
        (("--style", "fancy"), "no caption style 'fancy'"),
        (("--font", "comic"), "no caption font 'comic'"),
        (("--y", "1.5"), "fraction from 0 to 1"),
        (("--y", "nan"), "fraction from 0 to 1"),
    ):
        done = run_cli("captions", draft.id, *args)
        assert done.returncode != 0 and said in done.stderr, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert store.load(draft.id) == before


def test_a_bad_vtt_path_is_refused_before_the_draft_changes(store):
    draft = _hand_captioned(store)
    before = (store.folder(draft.id) / "draft.json").read_bytes()
    done = run_cli(
        "captions", draft.id, "--edit", "1", "--text", "X", "--vtt", "/nonexistent/x.vtt"
    )
    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1 and "/nonexistent" in done.stderr
    assert (store.folder(draft.id) / "draft.json").read_bytes() == before


def test_a_draft_open_elsewhere_is_refused_before_listening(store, spoken):
    draft = speech_draft(store, *spoken[:2])
    store.lock(draft.id)
    try:
        done = run_cli("captions", draft.id)
    finally:
        store.release(draft.id)
    assert done.returncode != 0 and "open in another" in done.stderr
    assert "%" not in done.stderr  # refused before recognition, not after it


def test_redo_listens_again_and_keeps_the_look(store, spoken):
    draft = speech_draft(store, *spoken[:2])
    assert run_cli("captions", draft.id, "--no-burn", "--style", "neon").returncode == 0
    assert run_cli("captions", draft.id, "--edit", "1", "--text", "Hand fix").returncode == 0
    done = run_cli("captions", draft.id, "--redo")
    assert done.returncode == 0, done.stderr
    captions = store.load(draft.id).captions
    assert captions.cues[0].text != "Hand fix" and captions.engine
    assert (captions.burn, captions.look.style) == (False, "neon")
