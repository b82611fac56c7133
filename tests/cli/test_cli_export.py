"""`reeleditor edit`, `export` and `music list` as a user runs them."""

import json

import av
import numpy as np
import pytest

from reeleditor.storage.drafts import DraftStore
from reeleditor.storage.paths import AppPaths
from tests.conftest import run_cli


@pytest.fixture
def draft_id():
    result = run_cli(
        "record", "--source", "testpattern", "--seconds", "1.5", "--width", "180", "--height", "320"
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_music_list_names_the_bundled_tracks():
    result = run_cli("music", "list", "--json")
    tracks = json.loads(result.stdout)
    assert len(tracks) >= 5 and len({t["bpm"] for t in tracks}) >= 5
    assert all(t["title"] and t["seconds"] > 20 for t in tracks)


@pytest.mark.slow
def test_record_edit_export_done_when(draft_id, tmp_path):
    edit = run_cli(
        "edit",
        draft_id,
        "--music",
        "night-drive",
        "--music-start",
        "4",
        "--music-volume",
        "0.9",
        "--original-volume",
        "0.3",
        "--filter",
        "cinema",
        "--strength",
        "80",
    )
    assert edit.returncode == 0, edit.stderr
    draft = DraftStore(AppPaths.from_env().drafts).load(draft_id)
    assert draft.music.track == "library:night-drive" and draft.music.start == 4.0
    assert draft.look.name == "cinema" and draft.look.strength == 80.0

    out = tmp_path / "reel.mp4"
    result = run_cli("export", draft_id, "-o", str(out), "--preset", "small")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    assert "exported 1.50 s" in result.stderr
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (180, 320)
        assert video.average_rate == 30
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == 45
    with av.open(str(out)) as container:
        sound = np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)
    assert sound.shape[1] / 48000 == pytest.approx(1.5, abs=0.05)
    # the music dominates: the test tone alone at 0.3 would be far quieter than this
    rms = float(np.sqrt(np.mean(sound[:, 4800:] ** 2)))
    assert rms > 0.05
    assert out.with_suffix(".jpg").is_file()


def test_edit_bad_inputs(draft_id, tmp_path):
    text = tmp_path / "notes.mp3"
    text.write_text("not a song")
    cases = [
        (["--music", str(text)], "cannot be read as audio"),
        (["--music", "no-such-song"], "neither a bundled track nor a file"),
        (["--music-volume", "5"], "--music-volume 5 is outside 0..2"),
        (["--filter", "sparkly"], "no look named 'sparkly'"),
        (["--music-start", "3"], "has no music"),
    ]
    for args, words in cases:
        result = run_cli("edit", draft_id, *args)
        assert result.returncode == 1 and words in result.stderr, (args, result.stderr)
    bad_preset = run_cli("export", draft_id, "-o", str(tmp_path / "x.mp4"), "--preset", "huge")
    assert bad_preset.returncode == 2 and "invalid choice" in bad_preset.stderr
    unwritable = run_cli("export", draft_id, "-o", str(text / "x.mp4"))
    assert unwritable.returncode == 1 and str(text) in unwritable.stderr
