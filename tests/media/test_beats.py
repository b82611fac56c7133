"""Beats: a click track's tempo and first beat are found; bundled tracks match their BPM."""

import numpy as np
import pytest

from reeleditor.core.draft import MusicCue
from reeleditor.media.beats import Tempo, detect_tempo, reel_beats, track_tempo
from reeleditor.media.music import library

RATE = 48_000


def click_track(bpm: float, offset: float, seconds: float = 20.0) -> np.ndarray:
    """Short decaying 2 kHz clicks on every beat over quiet noise."""
    rng = np.random.default_rng(1)
    out = rng.normal(0, 0.01, int(seconds * RATE)).astype(np.float32)
    click = np.sin(2 * np.pi * 2000 * np.arange(960) / RATE) * np.exp(-np.arange(960) / 150)
    t = offset
    while t < seconds - 0.05:
        at = int(t * RATE)
        out[at : at + 960] += 0.8 * click.astype(np.float32)
        t += 60.0 / bpm
    return out


@pytest.mark.parametrize("bpm,offset", [(90.0, 0.25), (128.0, 0.1), (150.0, 0.33)])
def test_a_click_tracks_tempo_and_first_beat_are_found(bpm, offset):
    found = detect_tempo(click_track(bpm, offset), RATE)
    assert found.bpm == pytest.approx(bpm, rel=0.02)
    assert found.offset == pytest.approx(offset, abs=0.03)


def test_beats_in_reel_time_follow_the_cue_start():
    tempo = Tempo(120.0, 0.25, False)
    cue = MusicCue("x.wav", start=1.0)
    assert reel_beats(cue, tempo, 2.0) == [0.25, 0.75, 1.25, 1.75]


def test_bundled_tracks_keep_their_catalogue_bpm_and_detection_mostly_agrees():
    from reeleditor.media.music import decode_audio

    tracks = [t for t in library() if t.bpm]
    assert tracks
    exact = 0
    for track in tracks:
        tempo = track_tempo(f"library:{track.name}")
        assert tempo.bpm == track.bpm and not tempo.detected
        found = detect_tempo(decode_audio(track.path).mean(axis=0)[: 30 * RATE], RATE)
        ratio = found.bpm / track.bpm
        # detection lands on the beat or on a related level of the metre (half, double,
        # 3:4 for a shuffle): which is why a bundled track's catalogue figure is used
        levels = (0.5, 2 / 3, 0.75, 1.0, 4 / 3, 1.5, 2.0)
        assert min(abs(ratio - r) for r in levels) < 0.03, (track.name, found.bpm)
        exact += abs(ratio - 1) < 0.02
    assert exact >= len(tracks) // 2, exact
