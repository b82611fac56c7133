"""EBU R128: our meter agrees with ffmpeg's, and normalised sound lands at -14 LUFS / -1 dBTP."""

import numpy as np
import pytest

from reeleditor.media import loudness
from reeleditor.media.reel_audio import RATE, make_track
from tests.media.reel_media import make_clip, r128, tone


def test_a_full_scale_1khz_sine_reads_as_the_standard_says():
    # BS.1770-4: a 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS
    t = np.arange(RATE * 5) / RATE
    left = np.sin(2 * np.pi * 997 * t)
    samples = np.stack([left, np.zeros_like(left)])
    assert loudness.integrated_loudness(samples, RATE) == pytest.approx(-3.01, abs=0.05)


def test_silence_has_no_loudness_and_gates_hold():
    assert loudness.integrated_loudness(np.zeros((2, RATE * 2)), RATE) is None
    assert loudness.integrated_loudness(np.zeros((2, 100)), RATE) is None
    assert loudness.true_peak(np.zeros((2, 100))) == -np.inf


def test_true_peak_sees_between_the_samples():
    # fs/4 sine sampled at 45 degrees: every sample is at 0.707, the wave peaks at 1.0
    n = np.arange(RATE)
    samples = np.sin(2 * np.pi * n / 4 + np.pi / 4)[None, :]
    assert 20 * np.log10(np.abs(samples).max()) == pytest.approx(-3.01, abs=0.05)
    assert loudness.true_peak(samples) == pytest.approx(0.0, abs=0.2)


def test_the_limiter_holds_its_ceiling_and_leaves_quiet_sound_alone():
    samples = tone(3.0, -30.0, clicks_dbfs=-0.1)
    limited = loudness.limit(samples * 4, RATE, -2.0)
    assert loudness.true_peak(limited) <= -1.9
    quiet = tone(1.0, -30.0)
    assert loudness.limit(quiet, RATE, -1.0) is quiet


@pytest.mark.parametrize(
    ("name", "audio"),
    [
        ("quiet", tone(6.0, -27.0, clicks_dbfs=-12.0)),  # ~ -30 LUFS; +16 dB lifts the clicks
        ("hot", tone(6.0, -0.3, clicks_dbfs=-0.01)),  # peaks at 0 dBFS, ~ -4 LUFS
    ],
)
def test_normalised_track_meets_the_target_by_ffmpegs_meter(tmp_path, name, audio):
    clip = make_clip(tmp_path / f"{name}.mp4", 128, 128, 6.0, audio=audio)
    source_i, _ = r128(clip)
    assert (source_i < -25) if name == "quiet" else (source_i > -8)
    track = make_track(clip, 6.0, tmp_path)
    integrated, peak = r128(track.path)
    assert integrated == pytest.approx(-14.0, abs=1.0)
    assert peak <= -1.0
    # our own figures, reported in the manifest, agree with the independent meter
    assert track.loudness["output_i"] == pytest.approx(integrated, abs=0.3)
    assert track.loudness["input_i"] == pytest.approx(source_i, abs=0.3)


def test_no_sound_gives_a_silent_track_and_no_loudness(tmp_path):
    clip = make_clip(tmp_path / "mute.mp4", 128, 128, 2.0, audio=None)
    track = make_track(clip, 2.0, tmp_path)
    assert track.loudness is None
    assert track.path.stat().st_size > 0


def test_sound_too_short_to_measure_is_kept_not_silenced(tmp_path):
    from reeleditor.media.reel_audio import decode_encoded

    clip = make_clip(tmp_path / "blip.mp4", 128, 128, 0.3, audio=tone(0.3, -6.0))
    track = make_track(clip, 0.3, tmp_path)
    assert track.loudness is None  # under one 400 ms block: no integrated loudness
    assert np.abs(decode_encoded(track.path)).max() > 0.1


def test_pieces_join_without_seams(monkeypatch):
    """The envelope, meter and limiter work piece by piece: the pieces' size changes nothing."""
    sound = tone(1.0, -6.0, clicks_dbfs=-0.1) * 2
    whole = loudness.limit(sound, RATE, -2.0), loudness.measure(sound, RATE)
    monkeypatch.setattr(loudness, "CHUNK", 1000)  # seams every 21 ms, clicks across them
    pieces = loudness.limit(sound, RATE, -2.0), loudness.measure(sound, RATE)
    np.testing.assert_allclose(pieces[0], whole[0], atol=1e-6)
    assert pieces[1] == whole[1]
    assert loudness.true_peak(pieces[0]) <= -1.9


def test_a_long_track_is_normalised_without_full_length_copies():
    import tracemalloc

    sound = tone(60.0, -30.0, clicks_dbfs=-1.0)  # quiet with peaks: the limiter works
    tracemalloc.start()
    try:
        measured = loudness.measure(sound, RATE)
        out = loudness.normalise(sound, RATE, measured=measured.integrated, peak=measured.true_peak)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert loudness.true_peak(out) <= -1.4
    # the result itself, plus pieces: no float64 or full-length working arrays
    assert peak < 1.5 * sound.nbytes, f"{peak / 2**20:.0f} MB for {sound.nbytes / 2**20:.0f} MB"
