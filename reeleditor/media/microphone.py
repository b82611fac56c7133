"""Microphone capture without Qt, and a paced silence that stands in when there is none.

Why `sounddevice` (PortAudio): it is the one Python audio library with wheels that bundle
PortAudio on Windows and macOS (nothing else to install there), it needs only Debian's
`libportaudio2` on Linux, it hands over numpy float32 blocks from a C callback thread
(no GIL held while waiting), and PortAudio reaches every platform's native API (WASAPI/MME,
CoreAudio, ALSA; PulseAudio and PipeWire through their ALSA plugins). Qt's QAudioSource
would tie `media/` to Qt; PyAudio has no macOS/Linux wheels; `soundcard` has no Windows
callback and is less maintained. `sounddevice` is imported lazily, so a machine without
PortAudio still records: `open_microphone` falls back to `SilenceInput` and says why.

Every input gives the recorder the same thing (`AudioInput`): all float32 samples since the
last read, shape (n, channels), and the `time.monotonic()` of the first of them.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Protocol, runtime_checkable

import numpy as np

from reeleditor.core.errors import SourceError
from reeleditor.media import portaudio

log = logging.getLogger(__name__)

SAMPLE_RATE = 48000
MAX_BUFFER_SECONDS = 5.0  # beyond this the oldest samples go: nobody read them in time
STALL_SECONDS = 1.0  # no callback for this long: the device is gone, fill with silence
FIRST_BLOCK_SECONDS = 3.0  # some servers take a while to deliver the first block
REANCHOR_SECONDS = 0.05  # a block this far from where the count puts it restarts the count


@runtime_checkable
class AudioInput(Protocol):
    sample_rate: int
    channels: int
    notice: str | None

    def start(self) -> None: ...

    def read(self) -> tuple[np.ndarray, float]: ...

    def stop(self) -> None: ...


class SilenceInput:
    """Zeros paced by the monotonic clock, so a recording without a mic still has sound."""

    def __init__(
        self, sample_rate: int = SAMPLE_RATE, channels: int = 1, notice: str | None = None
    ) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self.notice = notice
        self._lock = threading.Lock()
        self._t0: float | None = None
        self._produced = 0

    def start(self) -> None:
        with self._lock:
            self._t0 = time.monotonic()
            self._produced = 0

    def read(self) -> tuple[np.ndarray, float]:
        with self._lock:
            now = time.monotonic()
            if self._t0 is None:
                return np.zeros((0, self.channels), np.float32), now
            target = int((now - self._t0) * self.sample_rate)
            count = max(0, target - self._produced)
            first = self._t0 + self._produced / self.sample_rate
            self._produced += count
        return np.zeros((count, self.channels), np.float32), first if count else now

    def stop(self) -> None:
        with self._lock:
            self._t0 = None


def _sounddevice():
    """The sounddevice module; SourceError when it or PortAudio is missing."""
    try:
        import sounddevice
    except ImportError as exc:
        raise SourceError(
            "audio capture is not installed (the sounddevice package)",
            "pip install sounddevice",
        ) from exc
    except OSError as exc:  # the package is there, the PortAudio library is not
        raise SourceError(
            f"PortAudio is missing: {exc}", "on Debian/Ubuntu: apt-get install libportaudio2"
        ) from exc
    return sounddevice


def _input_devices(sd) -> list[dict]:
    default_in = sd.default.device[0]
    hostapi = sd.default.hostapi
    found = []
    with portaudio.LOCK:
        devices = sd.query_devices()
    for index, dev in enumerate(devices):
        if dev["max_input_channels"] <= 0:
            continue
        # Windows lists each device once per host API (MME, DirectSound, WASAPI, ...)
        if hostapi >= 0 and dev["hostapi"] != hostapi:
            continue
        found.append(
            {
                "name": dev["name"],
                "index": index,
                "channels": int(dev["max_input_channels"]),
                "default": index == default_in,
                "sample_rate": int(dev["default_samplerate"]),
            }
        )
    return found


def list_microphones() -> list[dict]:
    """Input devices: name, index, channels, default (and native sample_rate); [] if none."""
    try:
        sd = _sounddevice()
        return _input_devices(sd)
    except SourceError:
        return []
    except Exception:  # PortAudio can fail in odd ways on a broken audio setup
        log.warning("listing microphones failed", exc_info=True)
        return []


def _resolve(sd, device: int | str | None) -> dict:
    mics = _input_devices(sd)
    if not mics:
        raise SourceError("no microphone found")
    if device is None or device == "":
        return next((m for m in mics if m["default"]), mics[0])
    if isinstance(device, int) or (isinstance(device, str) and device.isdigit()):
        for m in mics:
            if m["index"] == int(device):
                return m
        raise SourceError(f"no microphone with index {device}")
    matches = [m for m in mics if device.lower() in m["name"].lower()]
    if not matches:
        names = ", ".join(repr(m["name"]) for m in mics)
        raise SourceError(f"no microphone named {device!r}", f"there is {names}")
    exact = [m for m in matches if m["name"].lower() == device.lower()]
    return (exact or matches)[0]


class MicrophoneInput:
    """A PortAudio input stream; the callback fills a bounded buffer that `read` drains.

    The stream is opened here, so a device that cannot record fails now (SourceError),
    not in the middle of a recording; `start` and `stop` may be repeated.
    """

    def __init__(
        self,
        device: int | str | None = None,
        sample_rate: int = SAMPLE_RATE,
        channels: int = 1,
        max_seconds: float = MAX_BUFFER_SECONDS,
    ) -> None:
        self._sd = _sounddevice()
        info = _resolve(self._sd, device)
        self.device_name: str = info["name"]
        self.device_index: int = info["index"]
        self.sample_rate = sample_rate
        self.channels = max(1, min(channels, info["channels"]))
        self.notice: str | None = None
        self._max_samples = int(max_seconds * sample_rate)
        self._lock = threading.Lock()
        self._blocks: collections.deque[np.ndarray] = collections.deque()
        self._buffered = 0
        self.dropped = 0  # samples thrown away because nobody read them in time
        self._anchor: tuple[float, int] | None = None  # (monotonic time, sample count)
        self._received = 0  # samples since the anchor's count started
        self._first_time: float | None = None  # time of the first buffered sample
        self._last_callback = 0.0
        self._started_at: float | None = None
        self._stream = None
        self._open()

    def _open(self) -> None:
        try:
            with portaudio.LOCK:  # the music preview may be opening its stream meanwhile
                self._stream = self._sd.InputStream(
                    device=self.device_index,
                    samplerate=self.sample_rate,
                    channels=self.channels,
                    dtype="float32",
                    callback=self._callback,
                )
        except Exception as exc:
            raise SourceError(
                f"the microphone {self.device_name!r} could not be opened: {exc}"
            ) from exc

    def _callback(self, indata, frames, time_info, status) -> None:
        # PortAudio's thread: keep it short, never block on anything but our own lock
        now = time.monotonic()
        latency = time_info.currentTime - time_info.inputBufferAdcTime
        measured = now - (latency if 0.0 <= latency < 1.0 else frames / self.sample_rate)
        block = np.array(indata, dtype=np.float32, copy=True)
        with self._lock:
            self._last_callback = now
            if self._anchor is not None:
                expected = self._anchor[0] + (self._received - self._anchor[1]) / self.sample_rate
                if status.input_overflow or abs(measured - expected) > REANCHOR_SECONDS:
                    self._anchor = None
            if self._anchor is None:
                self._anchor = (measured, self._received)
            when = self._anchor[0] + (self._received - self._anchor[1]) / self.sample_rate
            self._received += frames
            if not self._blocks:
                self._first_time = when
            self._blocks.append(block)
            self._buffered += frames
            while self._buffered > self._max_samples:
                self._drop_oldest(self._buffered - self._max_samples)

    def _drop_oldest(self, excess: int) -> None:
        head = self._blocks[0]
        if len(head) <= excess:
            self._blocks.popleft()
            cut = len(head)
        else:
            self._blocks[0] = head[excess:]
            cut = excess
        self._buffered -= cut
        self.dropped += cut
        self._first_time = (self._first_time or 0.0) + cut / self.sample_rate

    def start(self) -> None:
        if self._stream is None or self._stream.closed:
            self._open()
        with self._lock:
            self._blocks.clear()
            self._buffered = 0
            self._anchor = None
            self._received = 0
            self._started_at = self._last_callback = time.monotonic()
        try:
            with portaudio.LOCK:
                self._stream.start()
        except Exception as exc:
            raise SourceError(f"the microphone {self.device_name!r} did not start: {exc}") from exc

    def read(self) -> tuple[np.ndarray, float]:
        with self._lock:
            now = time.monotonic()
            if self._blocks:
                samples = np.concatenate(list(self._blocks))
                first = self._first_time
                self._blocks.clear()
                self._buffered = 0
                return samples, first
            limit = STALL_SECONDS if self._received else max(STALL_SECONDS, FIRST_BLOCK_SECONDS)
            if self._started_at is not None and now - self._last_callback > limit:
                return self._stalled(now)
        return np.zeros((0, self.channels), np.float32), now

    def _stalled(self, now: float) -> tuple[np.ndarray, float]:
        # the device stopped calling back (unplugged, driver gone): keep the clock going
        # with silence, so the recording goes on and stays in sync; the lock is held
        self.notice = f"the microphone {self.device_name!r} stopped: recording silence"
        count = int((now - self._last_callback) * self.sample_rate)
        first = self._last_callback
        self._last_callback = now
        self._anchor = None  # if the device comes back, its blocks set a new anchor
        return np.zeros((count, self.channels), np.float32), first

    def stop(self) -> None:
        with self._lock:
            self._started_at = None
        stream, self._stream = self._stream, None
        if stream is not None:
            with portaudio.LOCK:
                try:
                    stream.stop()
                finally:
                    stream.close()

    def __repr__(self) -> str:
        return f"MicrophoneInput({self.device_name!r}, {self.sample_rate} Hz, {self.channels} ch)"


def open_microphone(
    device: int | str | None = None, sample_rate: int = SAMPLE_RATE, channels: int = 1
) -> AudioInput:
    """The microphone, or silence with a notice saying why (never raises for a device)."""
    try:
        return MicrophoneInput(device, sample_rate=sample_rate, channels=channels)
    except SourceError as exc:
        log.info("no microphone (%s): recording silence", exc)
        reason = str(exc)
    except Exception as exc:  # a broken audio stack must not stop a recording
        log.warning("the audio system failed", exc_info=True)
        reason = f"the audio system failed: {exc}"
    return SilenceInput(sample_rate, channels, notice=f"{reason}: recording silence")
