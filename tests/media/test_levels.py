"""The level meter's numbers, the shared metered input, and the Align ghost's last frame."""

from __future__ import annotations

import time

import numpy as np
import pytest

from reeleditor.media.levels import FLOOR_DB, MeteredInput, signal_levels
from reeleditor.media.microphone import MicrophoneInput, SilenceInput
from reeleditor.media.sources.testpattern import TestPatternSource
from reeleditor.media.take import record_take
from reeleditor.media.testtone import TestToneInput
from reeleditor.media.thumbnails import last_frame
from tests.media.helpers import decode_video
from tests.media.test_microphone import playing_tone, pulse_server  # noqa: F401 - fixture

RATE = 48000


def _sine(amplitude: float, seconds: float = 0.1, hz: float = 1000.0) -> np.ndarray:
    n = np.arange(int(RATE * seconds))
    return (amplitude * np.sin(2 * np.pi * hz * n / RATE)).astype(np.float32)[:, None]


def test_levels_of_a_sine_and_of_silence():
    peak, rms = signal_levels(_sine(0.5))
    assert peak == pytest.approx(-6.02, abs=0.05)  # 20 log10(0.5)
    assert rms == pytest.approx(-9.03, abs=0.05)  # a sine's RMS is 3 dB under its peak
    assert signal_levels(np.zeros((480, 1), np.float32)) == (FLOOR_DB, FLOOR_DB)
    assert signal_levels(np.zeros((0, 2), np.float32)) == (FLOOR_DB, FLOOR_DB)
    assert signal_levels(_sine(1.0))[0] == pytest.approx(0.0, abs=0.01)


def test_the_meter_and_a_take_share_one_input():
    inner = TestToneInput(epoch=time.monotonic())
    shared = MeteredInput(inner)
    assert shared.monitor() is None  # nobody holds it: nothing to show
    shared.start()  # the meter
    time.sleep(0.05)
    peak, _ = shared.monitor()
    assert peak > -40  # the test tone's hum (0.05, -26 dBFS) at least
    shared.start()  # a take: it gets only what comes from now on
    time.sleep(0.05)
    assert shared.monitor() is not None  # the meter only looks while the take reads
    samples, _ = shared.read()
    assert 0.03 * RATE < len(samples) < 0.2 * RATE
    shared.stop()  # the take ends; the meter still hears
    time.sleep(0.02)
    assert len(shared.inner.read()[0]) > 0
    shared.stop()
    with pytest.raises(RuntimeError):
        inner.read()  # the last user stopped the device
    assert shared.level == (FLOOR_DB, FLOOR_DB)


def test_silence_reads_as_the_floor():
    shared = MeteredInput(SilenceInput(RATE))
    shared.start()
    time.sleep(0.03)
    assert shared.monitor() == (FLOOR_DB, FLOOR_DB)
    shared.stop()


def test_the_meter_moves_with_a_tone_on_a_null_sink(pulse_server):  # noqa: F811
    shared = MeteredInput(MicrophoneInput(None))
    shared.start()
    try:
        quiet = _poll(shared, lambda level: False, 0.3)
        with playing_tone(pulse_server, amplitude=0.5):
            loud = _poll(shared, lambda level: level[0] > -20, 5.0)
            time.sleep(0.2)
            loud = _poll(shared, lambda level: False, 0.2)  # the tone's steady level
    finally:
        shared.stop()
    assert quiet[0] < -40, quiet
    assert loud[0] == pytest.approx(-6.0, abs=2.0), loud
    assert loud[1] == pytest.approx(-9.0, abs=2.0), loud


def _poll(shared: MeteredInput, done, seconds: float) -> tuple[float, float]:
    """Read as the meter does (every 50 ms) until `done(level)` or `seconds` are up."""
    deadline = time.monotonic() + seconds
    level = shared.level
    while time.monotonic() < deadline and not done(level):
        time.sleep(0.05)
        level = shared.monitor()
    return level


@pytest.fixture
def take(store):
    draft = store.create("align", width=180, height=320)
    source = TestPatternSource(180, 320, 30).open()
    try:
        for _ in record_take(store, draft.id, source, source.audio, 0.7):
            pass
    finally:
        source.close()
    draft = store.load(draft.id)
    return store.media_path(draft, draft.segments[-1])


def _near(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def test_last_frame_is_the_takes_last_picture(take):
    frames = decode_video(take)
    image = last_frame(take)
    assert image.shape == frames[-1].shape
    assert _near(image, frames[-1]) == 0 < _near(image, frames[-2])  # decoded the same
    small = last_frame(take, size=(90, 160))
    assert small.shape == (160, 90, 3)
    trimmed = last_frame(take, until=10 / 30)  # the last frame shown before 0.333 s: #9
    assert _near(trimmed, frames[9]) == 0 < _near(trimmed, frames[10])
