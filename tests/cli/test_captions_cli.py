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
