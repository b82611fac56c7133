"""Words and voice in the recipe: round trips, one-line refusals, the schema 5 -> 6 step."""

import json
from pathlib import Path

import pytest

from reeleditor.core import word_edits
from reeleditor.core.draft import Draft, Segment
from reeleditor.core.errors import DraftError, DraftFormatError
from reeleditor.core.migrations import migrate
from reeleditor.core.words import Captions, Cue, TextOverlay, TextStyle, VoiceOver

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _draft() -> Draft:
    segs = (Segment("media/a.mp4", 5.0, id="a"), Segment("media/b.mp4", 5.0, id="b"))
    return Draft("d1", "t", 0.0, 0.0, segments=segs)


def test_words_and_voice_round_trip():
    draft = word_edits.add_text(
        _draft(),
        TextOverlay("Héllo 👋 שלום", 1.0, 3.0, id="t1", look=TextStyle("neon", "hand"), x=0.3),
        now=1,
    )
    draft = word_edits.set_captions(draft, Captions((Cue(0.0, 1.2, "hi there"),)), now=2)
    draft = word_edits.add_voiceover(draft, VoiceOver("media/vo-1.wav", 4.0, 2.0, id="v1"), 3)
    again = Draft.from_dict(json.loads(json.dumps(draft.to_dict())))
    assert again == draft
    assert again.texts[0].look.font == "hand"


@pytest.mark.parametrize(
    ("overlay", "match"),
    [
        (TextOverlay("   ", 0, 1), "the text is empty"),
        (TextOverlay("x" * 2000, 0, 1), "2000 characters"),
        (TextOverlay("hi", 0, 1, x=1.4), "--x 1.4 is outside the frame"),
        (TextOverlay("hi", 0, 1, y=-0.2), "--y -0.2 is outside the frame"),
        (TextOverlay("hi", 0, 0.05), "shows nothing"),
        (TextOverlay("hi", 12, 14), "after the reel ends"),
    ],
)
def test_bad_text_is_refused_in_one_line(overlay, match):
    draft = _draft()
    with pytest.raises(DraftError, match=match) as info:
        word_edits.add_text(draft, overlay, now=1)
    assert "\n" not in str(info.value)


def test_cues_are_fixed_and_retimed_in_order():
    draft = word_edits.set_captions(
        _draft(), Captions((Cue(0.0, 1.0, "helo"), Cue(1.0, 2.0, "world"))), now=1
    )
    draft = word_edits.edit_cue(draft, 0, 2, text="hello")
    draft = word_edits.edit_cue(draft, 0, 3, start=2.5, end=3.5)
    assert [c.text for c in draft.captions.cues] == ["world", "hello"]
    with pytest.raises(DraftError, match="no caption 5"):
        word_edits.edit_cue(draft, 4, 4, text="x")


def test_voiceover_volume_and_ducking_are_checked():
    draft = word_edits.add_voiceover(_draft(), VoiceOver("media/v.wav", 3.0, id="v"), now=1)
    assert word_edits.set_voiceover_volume(draft, "v", 0.5, 2).voiceovers[0].volume == 0.5
    with pytest.raises(DraftError, match="outside 0-2"):
        word_edits.set_voiceover_volume(draft, "v", 3, 2)
    with pytest.raises(DraftError, match="outside 0-40"):
        word_edits.set_duck(draft, -1, 2)


def test_schema_5_fixture_migrates_without_words():
    draft = Draft.from_dict(migrate(json.loads((FIXTURES / "draft_v5.json").read_text())))
    assert (draft.texts, draft.captions, draft.voiceovers, draft.duck_db) == ((), None, (), 12.0)
    assert draft.segments[0].transition == "crossfade"


def test_stored_words_are_checked():
    data = _draft().to_dict()
    data["texts"] = [{"id": "t", "text": "hi", "start": 0, "end": 1, "look": {"style": "x"}}]
    with pytest.raises(DraftFormatError, match="style"):
        Draft.from_dict(data)
    data["texts"] = []
    data["voiceovers"] = [{"id": "v", "media": "../x.wav", "duration": 1}]
    with pytest.raises(DraftFormatError, match="inside the draft"):
        Draft.from_dict(data)
