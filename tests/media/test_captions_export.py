"""The export writes the draft's captions as WebVTT beside the MP4 (and only then)."""

from __future__ import annotations

import time

import numpy as np

from reeleditor.core import word_edits
from reeleditor.core.words import Captions, Cue
from reeleditor.media.render import ensure_export, export_draft
from reeleditor.media.vtt import parse_vtt
from tests.factories import drain
from tests.media.speech_media import speech_draft

CUES = (Cue(0.2, 1.1, "Hello <there>"), Cue(1.2, 2.0, "second & last"))


def _draft(store, burn: bool = False):
    quiet = np.zeros(16000, np.int16)  # the sound is not the point here
    draft = speech_draft(store, quiet, 16000, lead=0.5)
    captioned = word_edits.set_captions(draft, Captions(cues=CUES, burn=burn), time.time())
    store.save(captioned)
    return captioned


def test_an_export_with_captions_has_a_vtt_beside_it(store, tmp_path):
    draft = _draft(store, burn=True)
    out = tmp_path / "my reel.mp4"
    result = drain(export_draft(store, draft, out))
    vtt = tmp_path / "my reel.vtt"
    assert out.is_file() and vtt.is_file()
    assert parse_vtt(vtt.read_text("utf-8")) == list(CUES)
    assert not [n for n in result.notices if "captions" in n]
    assert not list(tmp_path.glob(".*partial"))


def test_an_export_without_captions_writes_no_vtt(store, tmp_path):
    draft = _draft(store)
    bare = word_edits.set_captions(draft, None, time.time())
    drain(export_draft(store, bare, tmp_path / "reel.mp4"))
    assert not (tmp_path / "reel.vtt").exists()


def test_the_drafts_own_export_drops_a_stale_vtt_when_captions_go(store):
    draft = _draft(store)
    out = drain(ensure_export(store, draft))
    assert parse_vtt(out.with_suffix(".vtt").read_text()) == list(CUES)
    bare = word_edits.set_captions(draft, None, time.time())
    store.save(bare)
    again = drain(ensure_export(store, bare))
    assert again == out and not out.with_suffix(".vtt").exists()
