"""Voice-overs on the reel and the music ducked under them (pure numpy, no files)."""

from __future__ import annotations

import numpy as np
import pytest

from reeleditor.core.mixing import duck, duck_gain, mix, place_voices

RATE = 48000


def speechlike(seconds: float, seed: int = 1) -> np.ndarray:
    """Syllables: 120-250 ms bursts of a buzzy, pitch-wobbling tone with 50-180 ms gaps,
    at speech's level (-20 dBFS RMS inside a burst); stereo (2, n)."""
    rng = np.random.default_rng(seed)
    n = round(seconds * RATE)
    out = np.zeros(n, np.float32)
    pos = 0
    while pos < n:
        burst = round(rng.uniform(0.12, 0.25) * RATE)
        t = np.arange(min(burst, n - pos)) / RATE
        f0 = 140 + 30 * np.sin(2 * np.pi * 3 * t)
        phase = 2 * np.pi * np.cumsum(f0) / RATE
        wave = sum(np.sin(k * phase) / k for k in range(1, 8))
        envelope = np.sin(np.pi * np.arange(t.size) / max(1, t.size)) ** 0.5
        out[pos : pos + t.size] = 0.1 * wave * envelope
        pos += burst + round(rng.uniform(0.05, 0.18) * RATE)
    return np.stack([out, out])


def song(seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    x = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 330 * t)
    return np.stack([x, x]).astype(np.float32)


def rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20)


def test_the_music_drops_by_at_least_9_db_under_speech():
    music = song(6.0)
    voice = place_voices([(speechlike(2.0), 2.0, 1.0)], music.shape[1], RATE)
    ducked = duck(music, voice, RATE, depth_db=12.0)
    # the mix minus the voice is the music stem as it plays
    out = mix(np.zeros_like(music), 1.0, ducked, voice) - voice
    inside = slice(round(2.1 * RATE), round(3.9 * RATE))  # the speech, its first ramp aside
    outside = slice(0, round(1.8 * RATE))
    drop = rms_db(out[:, outside]) - rms_db(out[:, inside])
    assert drop >= 9.0, drop
    assert drop == pytest.approx(12.0, abs=1.0)  # and it stays down between words
    # the music comes back after the release
    after = slice(round(4.6 * RATE), music.shape[1])
    assert rms_db(out[:, after]) == pytest.approx(rms_db(out[:, outside]), abs=0.2)


def test_the_gain_is_smooth_and_looks_ahead_of_the_voice():
    voice = place_voices([(speechlike(1.0), 1.0, 1.0)], 3 * RATE, RATE)
    gain = duck_gain(voice, RATE, 12.0)
    assert gain.shape == (3 * RATE,)
    assert gain[round(1.0 * RATE)] < 10 ** (-9 / 20)  # down by the voice's first syllable
    assert gain[round(0.5 * RATE)] == pytest.approx(1.0)
    # no step bigger than a 12 dB ramp over the 50 ms attack allows, per sample
    steps = np.abs(np.diff(20 * np.log10(gain)))
    assert steps.max() < 12 / (0.05 * RATE) * 1.5


def test_no_ducking_at_0_db_or_without_a_voice():
    music = song(2.0)
    voice = place_voices([(speechlike(1.0), 0.5, 1.0)], music.shape[1], RATE)
    assert duck(music, voice, RATE, 0.0) is music
    assert duck(music, np.zeros_like(music), RATE, 12.0) is music


def test_a_quiet_room_does_not_duck_the_music():
    hiss = np.random.default_rng(3).normal(0, 10 ** (-55 / 20), (2, 2 * RATE)).astype(np.float32)
    assert duck_gain(hiss, RATE, 12.0).min() == pytest.approx(1.0)


def test_voices_are_placed_at_their_time_with_their_volume_and_cut_at_the_end():
    one = np.ones((2, RATE), np.float32)
    track = place_voices([(one, 0.5, 0.5), (one[:1], 1.25, 2.0)], 2 * RATE, RATE)
    assert track.shape == (2, 2 * RATE)
    assert track[:, : RATE // 2].max() == 0
    assert track[0, RATE // 2] == pytest.approx(0.5)
    assert track[:, round(1.4 * RATE)] == pytest.approx([2.5, 2.5])  # mono made stereo; summed
    assert place_voices([(one, 3.0, 1.0)], 2 * RATE, RATE).max() == 0


def test_track_volumes_are_honoured_in_the_mix():
    original = np.full((2, 100), 0.1, np.float32)
    music = np.full((2, 100), 0.2, np.float32)
    voice = np.full((2, 100), 0.3, np.float32)
    out = mix(original, 0.5, music, voice)
    assert out[0, 0] == pytest.approx(0.05 + 0.2 + 0.3)
    assert mix(original, 0.0, None, voice)[0, 0] == pytest.approx(0.3)


@pytest.mark.parametrize("seconds, at", [(6.0, 2.0), (2.5, 0.0), (2.0031, 1.0), (0.004, 0.0)])
def test_duck_applies_exactly_the_gain_curve_on_any_length(seconds, at):
    # duck() skips the unit-gain stretches and multiplies the floor by a scalar; the
    # result must still be the music times the full per-sample curve
    music = song(seconds)
    voice = place_voices([(speechlike(2.0), at, 1.0)], music.shape[1], RATE)
    expected = music * duck_gain(voice, RATE, 12.0)[None, :]
    assert np.allclose(duck(music, voice, RATE, 12.0), expected, atol=1e-6)
