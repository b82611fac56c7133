"""Voice-overs: a file checked and copied in, narration recorded, in the export at its time."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from reeleditor.core import word_edits
from reeleditor.core.draft import MusicCue
from reeleditor.core.errors import MediaError
from reeleditor.core.mixing import duck, mix, place_voices
from reeleditor.media.music import decode_audio, library
from reeleditor.media.render import export_draft, recipe_fingerprint
from reeleditor.media.testtone import TestToneInput
from reeleditor.media.voiceover import (
    NarrationRecorder,
    audio_seconds,
    import_voiceover,
    render_mix,
    write_wav,
)
from tests.factories import drain
from tests.media.helpers import decode_audio as decode_file_audio
from tests.media.helpers import record_takes
from tests.media.speech_media import require_espeak

W, H, FPS, RATE = 180, 320, 30, 48000
TONE_HZ = 3000.0


def tone_wav(path: Path, seconds: float = 1.0, lead: float = 0.0) -> Path:
    """`lead` s of silence, then a loud 3 kHz tone to `seconds`: its onset is easy to find."""
    t = np.arange(round(seconds * RATE)) / RATE
    x = np.where(t >= lead, 0.5 * np.sin(2 * np.pi * TONE_HZ * t), 0.0).astype(np.float32)
    write_wav(x[:, None], RATE, path)
    return path


@pytest.fixture
def recorded(store):
    draft = store.create("voice", width=W, height=H)
    record_takes(store, draft.id, (1.0, 0.6), W, H, FPS)
    return store.load(draft.id)


def test_an_audio_file_is_copied_in_and_measured(store, recorded, tmp_path):
    src = tone_wav(tmp_path / "say.wav", 0.75)
    voice = drain(import_voiceover(store, recorded.id, src, at=0.4, volume=0.5))
    copy = store.folder(recorded.id) / voice.media
    assert copy.read_bytes() == src.read_bytes()
    assert voice.duration == pytest.approx(0.75) and (voice.at, voice.volume) == (0.4, 0.5)
    assert not list(copy.parent.glob(".*partial"))


def test_a_file_that_is_not_audio_is_refused_and_nothing_copied(store, recorded, tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not a recording\n" * 50)
    before = sorted(p.name for p in store.media_dir(recorded.id).iterdir())
    with pytest.raises(MediaError) as info:
        drain(import_voiceover(store, recorded.id, bad))
    assert "notes.wav" in str(info.value) and "\n" not in str(info.value)
    assert sorted(p.name for p in store.media_dir(recorded.id).iterdir()) == before


def test_narration_is_recorded_from_the_test_microphone_into_a_wav(store, recorded):
    recorder = NarrationRecorder(store, recorded.id, TestToneInput(time.monotonic()), 0.3, 5.0)
    steps = recorder.run()
    deadline = time.monotonic() + 0.5
    try:
        while True:
            next(steps)
            if time.monotonic() >= deadline:
                recorder.stop()  # as the Stop button does: what came is kept
    except StopIteration as end:
        voice = end.value
    assert voice.at == 0.3 and voice.duration == pytest.approx(0.5, abs=0.1)
    path = store.folder(recorded.id) / voice.media
    assert audio_seconds(path) == pytest.approx(voice.duration, abs=0.01)
    # and a recording ends by itself at its limit (the reel's end)
    recorder = NarrationRecorder(store, recorded.id, TestToneInput(time.monotonic()), 0.0, 0.3)
    assert drain(recorder.run()).duration == pytest.approx(0.3, abs=0.01)


def _record_with_clock(store, draft_id, at, zero_after, seconds, max_seconds=5.0):
    """Record `seconds` of test tone while a reel's second 0 is `zero_after` s away."""
    t0 = time.monotonic()
    zero = t0 + zero_after - at  # reel second `at` is due `zero_after` s from now
    recorder = NarrationRecorder(
        store, draft_id, TestToneInput(t0), at, max_seconds, clock=lambda: zero
    )
    steps = recorder.run()
    try:
        while True:
            next(steps)
            if time.monotonic() >= t0 + seconds:
                recorder.stop()
    except StopIteration as end:
        return end.value, zero


def test_narration_is_placed_where_the_reel_was_when_it_was_heard(store, recorded):
    # the player opened late: the samples before the reel reached `at` are dropped
    voice, _ = _record_with_clock(store, recorded.id, 0.5, zero_after=0.3, seconds=0.8)
    assert voice.at == 0.5 and voice.duration == pytest.approx(0.5, abs=0.1)
    # the reel was already past `at` when the microphone began: the voice starts later
    voice, _ = _record_with_clock(store, recorded.id, 0.5, zero_after=-0.2, seconds=0.6)
    assert voice.at == pytest.approx(0.7, abs=0.03)
    # and nothing past the reel's end is kept
    voice, _ = _record_with_clock(store, recorded.id, 0.2, -0.1, seconds=0.8, max_seconds=0.5)
    assert voice.at + voice.duration == pytest.approx(0.7, abs=0.01)


def test_a_cancelled_recording_writes_nothing(store, recorded):
    recorder = NarrationRecorder(store, recorded.id, TestToneInput(time.monotonic()), 0.0, 5.0)
    steps = recorder.run()
    next(steps)
    next(steps)
    steps.close()
    assert not list(store.media_dir(recorded.id).glob("voice-*"))


def _onset(samples: np.ndarray, rate: int) -> float:
    """The first 5 ms block where the 3 kHz tone is loud."""
    mono = samples.mean(axis=0)
    block = rate // 200
    n = mono.size // block
    t = np.arange(block) / rate
    ref = np.exp(-2j * np.pi * TONE_HZ * t)
    blocks = mono[: n * block].reshape(n, block)
    strength = np.abs(blocks @ ref) / block
    return float(np.argmax(strength > 0.1)) * block / rate


def test_the_export_has_the_voice_at_its_time_over_ducked_music(store, recorded, tmp_path):
    src = tone_wav(tmp_path / "say.wav", 0.6, lead=0.1)
    voice = drain(import_voiceover(store, recorded.id, src, at=0.5))
    draft = word_edits.add_voiceover(recorded, voice, time.time()).with_changes(
        music=MusicCue(f"library:{library()[0].name}", volume=0.5), original_volume=0.0
    )
    out = tmp_path / "voiced.mp4"
    drain(export_draft(store, draft, out))
    samples, rate = decode_file_audio(out)
    assert _onset(samples, rate) == pytest.approx(0.6, abs=1 / FPS)
    # the preview plays the same mix, written once per version of it
    mix = render_mix(store, draft, tmp_path / "mixes")
    assert render_mix(store, draft, tmp_path / "mixes") == mix
    assert audio_seconds(mix) == pytest.approx(draft.duration, abs=0.01)


def test_a_changed_voice_file_changes_the_fingerprint(store, recorded, tmp_path):
    voice = drain(import_voiceover(store, recorded.id, tone_wav(tmp_path / "a.wav", 0.5)))
    draft = word_edits.add_voiceover(recorded, voice, time.time())
    before = recipe_fingerprint(store, draft, "standard")
    tone_wav(store.folder(draft.id) / voice.media, 0.7)  # re-recorded in place
    assert recipe_fingerprint(store, draft, "standard") != before


def test_the_music_drops_by_at_least_9_db_under_real_speech(tmp_path):
    require_espeak()  # a skip on a developer's machine, a failure in CI
    said = tmp_path / "said.wav"
    script = "Today I am showing you my three favourite spots in the old town, so follow me."
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(said), script], check=True)
    voice_alone = decode_audio(said)
    music = decode_audio(library()[0].path)[:, : voice_alone.shape[1] + 4 * RATE] * 0.5
    voice = place_voices([(voice_alone, 2.0, 1.0)], music.shape[1], RATE)
    out = mix(np.zeros_like(music), 1.0, duck(music, voice, RATE, 12.0), voice) - voice
    gain = out / np.where(np.abs(music) > 1e-6, music, np.nan)  # the music stem's own gain
    spoken = slice(round(2.1 * RATE), 2 * RATE + voice_alone.shape[1] - round(0.1 * RATE))
    drop = -20 * np.log10(np.nanmedian(np.abs(gain[:, spoken])))
    assert drop >= 9.0, drop
    before = -20 * np.log10(np.nanmedian(np.abs(gain[:, : round(1.8 * RATE)])))
    assert abs(before) < 0.1


def test_a_missing_voice_over_fails_the_export_before_anything_is_written(
    store, recorded, tmp_path, monkeypatch
):
    from reeleditor.core.errors import MediaError

    voice = drain(import_voiceover(store, recorded.id, tone_wav(tmp_path / "a.wav", 0.5)))
    draft = word_edits.add_voiceover(recorded, voice, time.time())
    (store.folder(draft.id) / voice.media).unlink()
    assert store.missing_voiceovers(draft) == (voice.id,)

    def no_mixing(*a, **k):  # the check comes before the (long) mix, not inside it
        raise AssertionError("mixed the soundtrack before checking the voice-overs")

    monkeypatch.setattr("reeleditor.media.render.build_soundtrack", no_mixing)
    out = tmp_path / "out" / "reel.mp4"
    out.parent.mkdir()
    with pytest.raises(MediaError) as caught:
        drain(export_draft(store, draft, out))
    assert voice.media in str(caught.value) and "\n" not in str(caught.value)
    assert list(out.parent.iterdir()) == []  # not even the partial file


def test_a_file_far_longer_than_the_reel_is_refused_before_decoding(
    store, recorded, tmp_path, monkeypatch
):
    from reeleditor.media import voiceover

    store.save(recorded.with_changes(max_duration=3.0))  # limit: 3 s + LONG_FILE_SLACK
    long = tone_wav(tmp_path / "podcast.wav", 3.0 + voiceover.LONG_FILE_SLACK + 5)
    before = sorted(p.name for p in store.media_dir(recorded.id).iterdir())
    decoded = []
    monkeypatch.setattr(voiceover, "audio_seconds", lambda p: decoded.append(p) or 999.0)
    steps = import_voiceover(store, recorded.id, long)
    first = next(steps)  # said before the (long) decode
    assert "checking podcast.wav" in first.message and decoded == []
    with pytest.raises(MediaError) as info:
        next(steps)
    assert "podcast.wav" in str(info.value) and "\n" not in str(info.value)
    assert decoded == []  # the header's length was enough to refuse it
    assert sorted(p.name for p in store.media_dir(recorded.id).iterdir()) == before
    # a file just inside the limit is imported
    monkeypatch.undo()
    ok = tone_wav(tmp_path / "ok.wav", 2.0)
    assert drain(import_voiceover(store, recorded.id, ok)).duration == pytest.approx(2.0)
