"""Microphone input: the silence fallback for real, and real capture from PulseAudio.

The capture tests start a private PulseAudio server with a null sink, play a tone into
it and record its monitor through PortAudio (ALSA's pulse plugin). They are skipped, with
the reason, where pulseaudio, libportaudio2 or the ALSA pulse plugin are missing.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from reeleditor.media import microphone
from reeleditor.media.microphone import (
    AudioInput,
    MicrophoneInput,
    SilenceInput,
    list_microphones,
    open_microphone,
)

RATE = 48000


def _sounddevice_or_skip():
    try:
        import sounddevice
    except (ImportError, OSError) as exc:
        pytest.skip(f"sounddevice/PortAudio not usable here ({exc}): apt-get install libportaudio2")
    return sounddevice


@contextlib.contextmanager
def portaudio_env(**env: str):
    """PortAudio scans devices when it starts: restart it under these variables."""
    sd = _sounddevice_or_skip()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    sd._terminate()
    sd._initialize()
    try:
        yield sd
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        sd._terminate()
        sd._initialize()


@pytest.fixture(scope="module")
def pulse_server(tmp_path_factory):
    """A private PulseAudio with a null sink as the default sink, its monitor the source."""
    exe = shutil.which("pulseaudio")
    if exe is None:
        pytest.skip("pulseaudio is not installed (apt-get install pulseaudio)")
    _sounddevice_or_skip()
    tmp = tmp_path_factory.mktemp("pulse")
    socket = tmp / "native"
    config = tmp / "reel.pa"
    config.write_text(
        "load-module module-null-sink sink_name=reelnull rate=48000\n"
        f"load-module module-native-protocol-unix auth-anonymous=1 socket={socket}\n"
        "set-default-sink reelnull\n"
        "set-default-source reelnull.monitor\n"
    )
    env = {
        **os.environ,
        "HOME": str(tmp),
        "XDG_RUNTIME_DIR": str(tmp),
        "PULSE_RUNTIME_PATH": str(tmp),
    }
    log = open(tmp / "pulse.log", "wb")  # noqa: SIM115 - closed in the teardown
    # -n: no default.pa; as root pulseaudio warns but runs a per-user server all the same
    proc = subprocess.Popen(
        [
            exe,
            "--daemonize=no",
            "--exit-idle-time=-1",
            "-n",
            "-F",
            str(config),
            "--use-pid-file=no",
            "--disable-shm=yes",
            "--log-target=stderr",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while not socket.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.skip(f"pulseaudio did not start: {(tmp / 'pulse.log').read_text()[-400:]}")
            time.sleep(0.05)
        with portaudio_env(PULSE_SERVER=f"unix:{socket}") as sd:
            if not list_microphones():
                pytest.skip(
                    "PortAudio sees no PulseAudio device: apt-get install "
                    "libasound2-plugins (the ALSA pulse plugin)"
                )
            yield sd
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextlib.contextmanager
def playing_tone(sd, hz: float = 440.0, amplitude: float = 0.5):
    """Plays a sine into the default sink (the null sink) until the block ends."""
    phase = [0]

    def callback(outdata, frames, time_info, status):
        n = np.arange(phase[0], phase[0] + frames)
        outdata[:, 0] = amplitude * np.sin(2 * np.pi * hz * n / RATE)
        phase[0] += frames

    with sd.OutputStream(samplerate=RATE, channels=1, dtype="float32", callback=callback):
        yield


# -- silence and the fallback, for real ------------------------------------------------------


def test_silence_is_paced_by_the_clock_and_contiguous():
    silence = SilenceInput(RATE, channels=2, notice="no microphone found: recording silence")
    assert isinstance(silence, AudioInput)
    empty, when = silence.read()  # not started: nothing, and the time now
    assert empty.shape == (0, 2) and abs(when - time.monotonic()) < 0.1
    t0 = time.monotonic()
    silence.start()
    time.sleep(0.1)
    a, first_a = silence.read()
    time.sleep(0.05)
    b, first_b = silence.read()
    elapsed = time.monotonic() - t0
    assert a.dtype == np.float32 and a.shape[1] == 2 and not a.any()
    assert abs(first_a - t0) < 0.02
    assert abs(first_b - (first_a + len(a) / RATE)) < 1e-6  # no gap, no overlap
    assert abs((len(a) + len(b)) / RATE - elapsed) < 0.03
    silence.stop()


def test_a_bogus_device_name_falls_back_to_silence_with_a_notice():
    mic = open_microphone("no-such-microphone-xyz")
    assert isinstance(mic, SilenceInput)
    assert mic.notice.endswith("recording silence")
    assert (
        "no microphone" in mic.notice
        or "not installed" in mic.notice
        or ("PortAudio" in mic.notice)
    )


def test_no_device_at_all_falls_back_to_silence():
    # no sound card here; point PulseAudio clients at nothing so no server can stand in
    with portaudio_env(PULSE_SERVER="unix:/nonexistent/reeleditor-test"):
        if list_microphones():
            pytest.skip("this machine has a real microphone; the empty case needs none")
        mic = open_microphone(None)
        assert isinstance(mic, SilenceInput)
        assert mic.notice == "no microphone found: recording silence"
        mic.start()
        samples, _ = mic.read()
        mic.stop()
        assert samples.ndim == 2


def test_without_portaudio_there_is_silence_and_an_empty_list(monkeypatch):
    # a machine without the package or the library: the import fails (simulated here)
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    mic = open_microphone(None)
    assert isinstance(mic, SilenceInput) and "sounddevice" in mic.notice
    assert list_microphones() == []


# -- real capture through PulseAudio ---------------------------------------------------------


def test_pulse_devices_are_listed(pulse_server):
    mics = list_microphones()
    assert mics and all({"name", "index", "channels", "default"} <= set(m) for m in mics)
    assert sum(m["default"] for m in mics) <= 1


def test_captures_a_tone_from_the_null_sink_monitor(pulse_server):
    mic = open_microphone(None)
    assert isinstance(mic, MicrophoneInput), mic.notice
    assert mic.notice is None and mic.sample_rate == RATE and mic.channels == 1
    with playing_tone(pulse_server):
        t0 = time.monotonic()
        mic.start()
        got, times = [], []
        deadline = time.monotonic() + 5
        while sum(len(g) for g in got) < RATE // 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            samples, first = mic.read()
            if len(samples):
                got.append(samples)
                times.append(first)
        mic.stop()
    audio = np.concatenate(got)
    assert audio.dtype == np.float32 and audio.shape[1] == 1
    assert len(audio) >= RATE // 2
    assert np.abs(audio).max() > 0.1, "the tone played into the sink should be heard"
    assert t0 - 1.0 < times[0] < time.monotonic()
    assert all(b > a for a, b in itertools.pairwise(times))


def test_the_buffer_is_bounded_when_nobody_reads(pulse_server):
    mic = MicrophoneInput(None, max_seconds=0.2)
    mic.start()
    deadline = time.monotonic() + 5
    while mic.dropped == 0 and time.monotonic() < deadline:
        time.sleep(0.1)  # not reading: the buffer fills up, then the oldest go
    samples, _ = mic.read()
    mic.stop()
    assert mic.dropped > 0
    assert len(samples) <= int(0.2 * RATE)


def test_start_stop_start_again(pulse_server):
    mic = MicrophoneInput(None)
    for _ in range(2):
        mic.start()
        deadline = time.monotonic() + 3
        samples = np.zeros((0, 1))
        while not len(samples) and time.monotonic() < deadline:
            time.sleep(0.05)
            samples, _ = mic.read()
        mic.stop()
        assert len(samples)


def test_a_device_that_stops_delivering_turns_into_silence(pulse_server, monkeypatch):
    monkeypatch.setattr(microphone, "STALL_SECONDS", 0.2)
    mic = MicrophoneInput(None)
    mic.start()
    deadline = time.monotonic() + 3
    while not len(mic.read()[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    mic._stream.stop()  # the device goes quiet: no more callbacks (as when unplugged)
    mic.read()
    time.sleep(0.4)
    samples, first = mic.read()
    mic.stop()
    assert len(samples) >= int(0.2 * RATE) and not samples.any()
    assert first < time.monotonic() - 0.2
    assert "stopped: recording silence" in mic.notice
