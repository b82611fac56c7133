"""SoundOut and VideoPlayback for real: generated files decoded by PyAV, the no-device clock.

This machine has no sound device, so the silent clock is what plays; the PulseAudio test
(a private server with a null sink, as in test_microphone.py) plays through PortAudio and
records what it played, where pulseaudio is installed.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest

from reeleditor.media import sound_out
from reeleditor.media.sound_out import RATE, SoundOut
from reeleditor.media.video_out import VideoPlayback
from tests.media.playback_media import (
    BLUE,
    GREEN,
    RED,
    colour_near,
    make_hls_video,
    make_m4a,
    make_video,
    make_wav,
    open_by_us,
)
from tests.media.test_microphone import portaudio_env, pulse_server  # noqa: F401 - a fixture


def wait_for(condition, timeout: float = 20.0) -> None:
    """Until `condition()` holds; fails (it never decides a pass) after a generous timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def no_output_device():
    """PortAudio restarted with PulseAudio pointed at nothing: the machine's own case."""
    with portaudio_env(PULSE_SERVER="unix:/nonexistent/reeleditor-test") as sd:
        try:
            sd.query_devices(kind="output")
        except Exception:
            yield
            return
        pytest.skip("this machine has a sound output; the silent case needs none")


@pytest.mark.parametrize("make", [make_wav, make_m4a], ids=["wav", "aac"])
def test_a_file_plays_from_its_start_to_its_end_on_the_clock(tmp_path, make, no_output_device):
    path = make(tmp_path / f"song.{'wav' if make is make_wav else 'm4a'}", seconds=2.0)
    sound = SoundOut(path, start=0.5, volume=0.5)
    assert sound.clock == 0.5  # before anything plays
    sound.start()
    wait_for(lambda: sound.clock > 0.6)
    seen = sound.clock
    wait_for(lambda: sound.clock > seen)  # it keeps running
    assert sound.done.wait(20) and sound.finished and sound.error is None
    # the clock counts the samples handed out: the end is the file's length, exactly
    # (AAC adds a frame of padding at most)
    assert 2.0 - 1e-3 <= sound.clock <= 2.0 + 2048 / 44100
    assert sound.silent and sound.notice.endswith("playing silently")
    assert not open_by_us(path)


def test_stop_lets_go_of_the_file_and_the_thread(tmp_path):
    path = make_wav(tmp_path / "long.wav", seconds=30.0)
    sound = SoundOut(path)
    sound.start()
    wait_for(lambda: sound.clock > 0.05)
    assert open_by_us(path)
    assert sound.close(timeout=10)
    assert sound.done.is_set() and not sound.finished and sound.error is None
    assert not open_by_us(path)
    path.rename(tmp_path / "moved.wav")  # the cache may evict it now
    assert not [t for t in threading.enumerate() if t.name == "sound-out"]


def test_pause_holds_the_clock_and_resume_goes_on(tmp_path):
    sound = SoundOut(make_wav(tmp_path / "song.wav", seconds=20.0))
    sound.start()
    wait_for(lambda: sound.clock > 0.1)
    sound.pause()
    time.sleep(0.1)  # the thread sees the pause within a tick
    held = sound.clock
    time.sleep(0.3)
    assert sound.clock == held
    sound.resume()
    wait_for(lambda: sound.clock > held)
    assert sound.close()


def test_a_start_past_the_end_plays_nothing_and_finishes(tmp_path):
    sound = SoundOut(make_wav(tmp_path / "short.wav", seconds=1.0), start=5.0)
    sound.start()
    assert sound.done.wait(20) and sound.finished and sound.error is None
    assert sound.clock == 5.0


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("notes.txt", b"not a song at all\n" * 50, "has no sound in it"),
        ("empty.mp3", b"", "cannot be read"),
        ("missing.wav", None, "cannot be read"),
    ],
)
def test_a_file_that_is_not_sound_gives_one_line_naming_it(tmp_path, name, content, says):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    sound = SoundOut(path)
    sound.start()
    assert sound.done.wait(20) and not sound.finished
    assert str(path) in sound.error and says in sound.error and "\n" not in sound.error
    assert not open_by_us(path)


def test_a_video_without_sound_is_refused_as_sound(tmp_path):
    path = make_video(tmp_path / "mute.mp4", seconds=0.5, sound=False)
    sound = SoundOut(path)
    sound.start()
    assert sound.done.wait(20)
    assert sound.error == f"{path} has no sound in it"


def test_without_an_output_device_it_is_silent_and_says_why_once(
    tmp_path, caplog, monkeypatch, no_output_device
):
    monkeypatch.setattr(sound_out, "_told", set())  # as in a fresh run
    path = make_wav(tmp_path / "song.wav", seconds=0.3)
    caplog.set_level(logging.INFO, logger="reeleditor.media.sound_out")
    for _ in range(3):
        sound = SoundOut(path)
        sound.start()
        assert sound.done.wait(20) and sound.finished
        assert sound.silent and sound.notice == "no output device found: playing silently"
    said = [r for r in caplog.records if "runs silently" in r.getMessage()]
    assert len(said) == 1 and "no output device found" in said[0].getMessage()


def test_without_portaudio_it_is_silent_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "sounddevice", None)  # the import fails
    sound = SoundOut(make_wav(tmp_path / "song.wav", seconds=0.2))
    sound.start()
    assert sound.done.wait(20) and sound.finished
    assert "sounddevice" in sound.notice


def test_a_sound_stopped_before_its_thread_runs_opens_neither_file_nor_device(
    tmp_path, no_output_device
):
    # a play replaced at once (a quick seek) must not queue for the device behind the next
    path = make_wav(tmp_path / "song.wav", seconds=5.0)
    calls = []
    sound = SoundOut(path, on_done=calls.append)
    sound.stop()
    sound.start()
    assert sound.done.wait(20) and not sound.finished and sound.error is None
    assert sound.notice is None  # no device was tried (the machine has none: it would say so)
    assert calls == [sound]


def test_a_device_that_fails_to_close_still_ends_the_sound(tmp_path, monkeypatch, caplog):
    def gone(self, cut):
        raise OSError("device unplugged")

    monkeypatch.setitem(__import__("sys").modules, "sounddevice", None)  # the silent output
    monkeypatch.setattr(sound_out._SilentOutput, "close", gone)
    sound = SoundOut(make_wav(tmp_path / "song.wav", seconds=0.2))
    sound.start()
    assert sound.done.wait(20) and sound.finished and sound.error is None
    assert "device unplugged" in caplog.text
    assert not open_by_us(sound.path)


def callback_buffer(frames: int) -> np.ndarray:
    """What PortAudio hands the callback: float32 (frames, 2), holding stale bytes."""
    return np.full((frames, 2), np.nan, np.float32)


def test_the_callback_pads_an_underflow_with_silence(tmp_path):
    sound = SoundOut(tmp_path / "unused.wav", volume=0.5)
    sound._fifo.put(np.full((100, 2), 0.8, np.float32))
    out = callback_buffer(256)
    sound._fill(out, 256)
    assert np.allclose(out[:100], 0.4) and not out[100:].any()
    assert sound._fifo.taken == 100 and out.dtype == np.float32


def test_the_callback_is_silent_once_stopped(tmp_path):
    sound = SoundOut(tmp_path / "unused.wav")
    sound._fifo.put(np.full((512, 2), 0.5, np.float32))
    sound.stop()
    out = callback_buffer(256)
    sound._fill(out, 256)
    assert not out.any() and sound._fifo.taken == 0  # nothing more reaches the speakers


def test_a_volume_over_one_is_limited_as_the_export_does(tmp_path):
    from reeleditor.core.mixing import soft_limit

    sound = SoundOut(tmp_path / "unused.wav", volume=2.0)
    block = np.linspace(-0.9, 0.9, 200, dtype=np.float32).reshape(100, 2)
    sound._fifo.put(block)
    out = callback_buffer(100)
    sound._fill(out, 100)
    assert np.abs(out).max() < 1.0 and np.abs(out).max() > 0.95
    assert np.allclose(out, soft_limit(block * 2.0))
    assert np.allclose(out[np.abs(block) < 0.4], block[np.abs(block) < 0.4] * 2.0)


class RecordingOutput:
    """A device stand-in that takes every sample as soon as it is queued and keeps it,
    and stops the sound once it has `upto`; the decoder feeding it is the real one."""

    def __init__(self, sound: SoundOut, upto: int) -> None:
        self.sound, self.upto, self.blocks = sound, upto, []

    def start(self) -> None:
        pass

    def pump(self) -> None:
        out = np.empty((self.sound._fifo.buffered, 2), np.float32)
        self.blocks.append(out[: self.sound._fifo.take_into(out, len(out))])
        if sum(len(b) for b in self.blocks) >= self.upto:
            self.sound.stop()

    def close(self, cut: bool) -> None:
        pass

    def played(self) -> np.ndarray:
        return np.concatenate(self.blocks)[: self.upto]


@pytest.mark.parametrize(
    ("start", "within"),
    # a sample early or late is ~0.02 here; a wrapped start may be two off (the song's
    # length is known from its duration then, not counted): 40 µs, inaudible
    [(0.3, 0.01), (2.3, 0.05)],
    ids=["within", "past-the-end"],
)
def test_a_looping_song_repeats_as_the_export_does(tmp_path, monkeypatch, start, within):
    # the export repeats a song shorter than the reel, crossfaded at each seam, and wraps a
    # start past its end (core/mixing.music_bed); the preview must be heard the same
    from reeleditor.core.mixing import music_bed
    from reeleditor.media.music import decode_audio

    path = make_wav(tmp_path / "short.wav", seconds=1.0)  # 44.1 kHz mono: resampled, upmixed
    upto = round(3.5 * RATE)  # three seams
    outputs = []

    def recording(sound):
        outputs.append(RecordingOutput(sound, upto))
        return outputs[-1]

    monkeypatch.setattr(SoundOut, "_open_output", recording)
    sound = SoundOut(path, start=start, loop=True)
    sound.start()
    assert sound.done.wait(30) and sound.error is None
    played = outputs[0].played()
    expected = music_bed(decode_audio(path, RATE), start, upto, RATE).T
    assert played.shape == expected.shape
    assert np.abs(played - expected).max() < within  # a missed seam would be ~0.4


def test_a_song_that_does_not_loop_plays_once(tmp_path, monkeypatch):
    outputs = []
    monkeypatch.setattr(
        SoundOut, "_open_output", lambda s: outputs.append(RecordingOutput(s, 10**9)) or outputs[-1]
    )
    sound = SoundOut(make_wav(tmp_path / "short.wav", seconds=0.5), start=0.1)
    sound.start()
    assert sound.done.wait(20) and sound.finished
    assert len(outputs[0].played()) == round(0.4 * RATE)


# -- pictures ------------------------------------------------------------------------------


def play_through(playback: VideoPlayback) -> list[tuple[float, np.ndarray]]:
    """Every picture handed out, as the GUI's timer would take them, until the end."""
    shown = []
    playback.start()
    deadline = time.monotonic() + 60
    while not playback.ended and not playback.error:
        assert time.monotonic() < deadline, "timed out"
        due = playback.frame_due()
        if due is not None:
            shown.append(due)
        time.sleep(0.005)
    assert playback.close()
    return shown


@pytest.mark.parametrize("sound", [True, False], ids=["with-sound", "mute"])
def test_an_mp4_plays_its_pictures_in_order_to_the_end(tmp_path, sound):
    path = make_video(tmp_path / "reel.mp4", seconds=2.0, colours=(RED, BLUE), sound=sound)
    playback = VideoPlayback(path)
    shown = play_through(playback)
    times = [t for t, _ in shown]
    assert times == sorted(times) and times[0] == 0.0 and times[-1] > 1.9
    assert colour_near(shown[0][1][100, 80], RED) and colour_near(shown[-1][1][100, 80], BLUE)
    assert playback.error is None and not open_by_us(path)


def test_it_starts_where_asked_and_pictures_are_shrunk_to_fit(tmp_path):
    path = make_video(tmp_path / "big.mp4", seconds=2.0, size=(720, 1280), colours=(RED, BLUE))
    shown = play_through(VideoPlayback(path, start=1.5, max_size=(180, 320)))
    assert 1.5 - 1e-6 <= shown[0][0] < 1.55
    assert shown[0][1].shape == (320, 180, 3) and colour_near(shown[0][1][160, 90], BLUE)


@pytest.mark.parametrize("start", [0.0, 1.6])
def test_a_local_hls_playlist_plays_from_its_segments(tmp_path, start):
    master = make_hls_video(tmp_path / "hls", seconds=3.0, colours=(GREEN, RED))
    shown = play_through(VideoPlayback(master, start=start))
    assert shown[-1][0] > 2.9
    first = GREEN if start < 1.5 else RED
    assert colour_near(shown[0][1][100, 80], first) and colour_near(shown[-1][1][100, 80], RED)
    assert abs(shown[0][0] - start) < 0.1


@pytest.mark.parametrize("start", [0.99, 5.0])
def test_a_start_past_the_last_picture_just_ends(tmp_path, start):
    # the widget resumes a hidden reel where its clock stood; past the last picture (the
    # sound and the device's buffer play on after it) that is the end, not a damaged file
    path = make_video(tmp_path / "reel.mp4", seconds=1.0)  # the last picture at 0.967 s
    playback = VideoPlayback(path, start=start)
    assert play_through(playback) == []  # it returned: ended, or failed ...
    assert playback.error is None and not open_by_us(path)  # ... and it did not fail


def test_a_corrupt_video_gives_one_line_naming_it(tmp_path):
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    playback = VideoPlayback(path)
    assert play_through(playback) == []
    assert str(path) in playback.error and "\n" not in playback.error


def test_hundreds_of_starts_and_stops_leave_no_thread(tmp_path):
    video = make_video(tmp_path / "reel.mp4", seconds=2.0)
    song = make_wav(tmp_path / "song.wav", seconds=5.0)
    before = len(threading.enumerate())
    players = []
    for i in range(300):
        player = VideoPlayback(video) if i % 2 else SoundOut(song, start=i % 3)
        player.start()
        if i % 5 == 0:
            time.sleep(0.002)  # now and then, stopped while it is under way
        player.stop()
        players.append(player)
    wait_for(lambda: len(threading.enumerate()) <= before, timeout=60)
    assert all(p.released for p in players if isinstance(p, VideoPlayback))
    assert not open_by_us(video) and not open_by_us(song)


# -- a real device: PulseAudio's null sink, recorded back --------------------------------------


def test_it_plays_through_a_real_device(tmp_path, pulse_server):  # noqa: F811 - the fixture
    from reeleditor.media.microphone import MicrophoneInput

    sound = SoundOut(make_wav(tmp_path / "tone.wav", seconds=3.0, rate=48000))
    mic = MicrophoneInput(None, sample_rate=RATE, channels=1)  # the null sink's monitor
    mic.start()
    try:
        sound.start()
        wait_for(lambda: sound.clock > 1.0)
        assert not sound.silent and sound.notice is None
        recorded = mic.read()[0][:, 0]
    finally:
        mic.stop()
        assert sound.close()
    loud = recorded[np.abs(recorded) > 0.05]
    assert loud.size > RATE // 2, "the tone did not reach the sink"
    spectrum = np.abs(np.fft.rfft(recorded[-RATE // 2 :]))
    assert abs(np.argmax(spectrum) * RATE / (RATE // 2) - 440) < 10


def test_through_a_device_the_clock_reaches_the_end_as_the_last_sample_sounds(
    tmp_path,
    pulse_server,  # noqa: F811 - the fixture
):
    # the clock is the samples handed over less the device's latency; once all are handed
    # over it must run on through that latency, or the pictures after it start late
    sound = SoundOut(make_wav(tmp_path / "tone.wav", seconds=1.0, rate=48000))
    sound.start()
    assert sound.done.wait(20) and sound.finished and not sound.silent
    assert sound._latency > 0  # a real device's buffer, or the test proves nothing
    assert abs(sound.clock - 1.0) < 1e-3


def test_a_device_lost_mid_play_leaves_the_clock_running_silently(
    tmp_path,
    pulse_server,  # noqa: F811 - the fixture
):
    # the null sink unloaded under the stream, as a headset unplugged: PortAudio ends the
    # stream, and the clock (and the pictures timed by it) must not stand still
    import os
    import subprocess

    pactl = ["pactl", "-s", os.environ["PULSE_SERVER"]]
    sound = SoundOut(make_wav(tmp_path / "tone.wav", seconds=2.0, rate=48000))
    sound.start()
    try:
        wait_for(lambda: sound.clock > 0.3)
        subprocess.run([*pactl, "unload-module", "module-null-sink"], check=True, timeout=10)
        assert sound.done.wait(20) and sound.finished and sound.error is None
        assert sound.silent and sound.notice == "the sound device stopped: playing silently"
        assert abs(sound.clock - 2.0) < 0.05
    finally:
        sound.close()
        load = ["load-module", "module-null-sink", "sink_name=reelnull", "rate=48000"]
        subprocess.run([*pactl, *load], check=True, timeout=10)
        subprocess.run([*pactl, "set-default-sink", "reelnull"], check=True, timeout=10)


def test_recording_while_music_starts_and_stops_shares_portaudio_safely(
    tmp_path,
    pulse_server,  # noqa: F811 - the fixture
):
    """The microphone and the music preview open and close PortAudio streams from two
    threads at once (recording with music): both go through media/portaudio.LOCK, and 40
    rounds of each on a real device leave no error and no stream behind."""

    from reeleditor.media import portaudio
    from reeleditor.media.microphone import MicrophoneInput

    song = make_wav(tmp_path / "tone.wav", seconds=2.0, rate=48000)
    errors: list[BaseException] = []

    def microphone_rounds():
        try:
            mic = MicrophoneInput(None, sample_rate=RATE, channels=1)
            for _ in range(40):
                mic.start()
                mic.read()
                mic.stop()
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    recorder = threading.Thread(target=microphone_rounds)
    recorder.start()
    sounds = []
    for _ in range(40):
        sound = SoundOut(song)
        sound.start()
        sounds.append(sound)
        time.sleep(0.005)
        sound.stop()
    recorder.join(60)
    assert not recorder.is_alive() and not errors, errors
    assert all(sound.close() for sound in sounds)
    assert not any(sound.error for sound in sounds), [s.error for s in sounds if s.error]
    assert not portaudio.LOCK.locked()
