"""Plays a file's sound through PortAudio (sounddevice), or paces a silent clock without one.

Why not Qt Multimedia: it brings its own FFmpeg and QML into the installer, and its
frozen build found no back-end at all; PyAV already decodes everything and sounddevice
already records the microphone (see media/microphone.py for why PortAudio).

One thread per `SoundOut` opens the file, opens the output device and decodes ahead of it
into a bounded buffer (`BUFFER_SECONDS`); the device's callback takes from the buffer.
Nothing blocking ever happens on the caller's thread: `start` and `stop` return at once.
`clock` is the file time of the samples handed to the device so far (less its latency),
so pictures can follow it. Without PortAudio or an output device the same thread paces a
silent clock by `time.monotonic()` instead, and says why once (`notice`, and the log).
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from reeleditor.core.errors import MediaError
from reeleditor.core.mixing import LOOP_CROSSFADE, soft_limit
from reeleditor.media import portaudio

log = logging.getLogger(__name__)

RATE = 48000
CHANNELS = 2
BUFFER_SECONDS = 1.0  # decoded ahead: rides out a busy machine, costs ~400 KB
PREFILL_SECONDS = 0.1  # buffered before the output starts, so it does not start starved
TICK = 0.01  # how often the thread looks at a stop, a pause or the silent clock
MAX_LEAD_SECONDS = 10.0  # silence put before sound that starts late, at most
_told: set[str] = set()  # reasons for silence already logged: once per run, not per play


def open_local(path: Path, **kwargs):
    """`av.open` for a local file or a local HLS playlist (whose segments must stay local)."""
    options = {}
    if Path(path).suffix.lower() == ".m3u8":
        # a playlist may name any URL: only files (and inline data) beside it are read
        options = {"protocol_whitelist": "file,crypto,data"}
    try:
        return av.open(str(path), options=options, **kwargs)
    except (av.error.FFmpegError, UnicodeDecodeError, OSError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise MediaError(f"{path} cannot be read: {reason}") from exc


def seek_near(container, stream, seconds: float) -> None:
    """Seek to the keyframe at or before `seconds`, where the format allows it; the
    caller drops what decodes before `seconds` either way."""
    if seconds <= 0 or "hls" in container.format.name:
        return  # FFmpeg's HLS seek lands a segment late in fMP4 (even for 0): decode from 0
    try:
        container.seek(int(seconds / stream.time_base), stream=stream)
    except av.error.FFmpegError:  # not seekable: decoded from the top and skipped
        log.info("%s cannot seek: decoding up to %.1f s", container.name, seconds)


class PacedClock:
    """Seconds from `at`, paced by `time.monotonic()`; it can pause, and be set."""

    def __init__(self, at: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._base = at
        self._since: float | None = None  # monotonic time it last started; None: stopped

    def start(self) -> None:
        with self._lock:
            if self._since is None:
                self._since = time.monotonic()

    def pause(self) -> None:
        with self._lock:
            if self._since is not None:
                self._base += time.monotonic() - self._since
                self._since = None

    def set(self, seconds: float) -> None:
        with self._lock:
            self._base = seconds
            if self._since is not None:
                self._since = time.monotonic()

    def now(self) -> float:
        with self._lock:
            running = time.monotonic() - self._since if self._since is not None else 0.0
            return self._base + running


class _Fifo:
    """Decoded (n, 2) float32 blocks between the decoder and the output, bounded."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.cond = threading.Condition()
        self.blocks: collections.deque[np.ndarray] = collections.deque()
        self.buffered = 0
        self.taken = 0  # samples handed to the output: the clock
        self.eof = False

    def put(self, block: np.ndarray) -> None:
        with self.cond:
            self.blocks.append(block)
            self.buffered += len(block)

    def take_into(self, out: np.ndarray | None, count: int) -> int:
        """Up to `count` samples into `out` (None: dropped, as a silent output does);
        returns how many there were. The device's callback calls it: no waiting here."""
        got = 0
        with self.cond:
            while got < count and self.blocks:
                head = self.blocks[0]
                n = min(len(head), count - got)
                if out is not None:
                    out[got : got + n] = head[:n]
                if n == len(head):
                    self.blocks.popleft()
                else:
                    self.blocks[0] = head[n:]
                got += n
            self.buffered -= got
            self.taken += got
            self.cond.notify_all()
        return got


class SoundOut:
    """Plays `path`'s first audio stream from `start` seconds at `volume` (0..2, as a cue's).

    After `start()`: `clock` runs, `done` is set when it played to the end (`finished`),
    failed (`error`, one line naming the file) or was stopped; then `on_done(self)` is
    called, on the sound's thread. `notice` says why it is silent when there is no output
    device. With `loop`, the song starts again at its end (and a start past its end wraps)
    with the export's crossfade at the seam (core/mixing.music_bed); `clock` then counts on
    as if the song were repeated.
    """

    def __init__(
        self,
        path: Path | str,
        start: float = 0.0,
        volume: float = 1.0,
        on_done: Callable[[SoundOut], None] | None = None,
        loop: bool = False,
    ) -> None:
        self.path = Path(path)
        self.start_at = max(0.0, float(start))
        self.volume = volume
        self.on_done = on_done
        self.loop = loop
        self._held = np.zeros((0, CHANNELS), np.float32)  # a looping song's last samples ...
        self._tail: np.ndarray | None = None  # ... which, at a seam, fade into its start
        self._kept = 0  # samples of the file kept so far (the decoder's count, no lock)
        self._started = False  # the output was started (after the prefill)
        self.error: str | None = None
        self.notice: str | None = None
        self.finished = False
        self.done = threading.Event()
        self._fifo = _Fifo(int(BUFFER_SECONDS * RATE))
        self._stop = threading.Event()
        self._paused = False
        self._latency = 0.0
        self._tail_since: float | None = None  # when the device began playing out its buffer
        self._silent: PacedClock | None = None
        self._output: _DeviceOutput | _SilentOutput | None = None  # the thread's own
        self._thread: threading.Thread | None = None

    # -- the caller's side -------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sound-out", daemon=True)
            self._thread.start()

    @property
    def clock(self) -> float:
        """The file time being heard now, in seconds (from `start` until anything plays)."""
        latency, tail_since = self._latency, self._tail_since
        if tail_since is not None:  # all handed over: what the device holds is being heard
            latency = max(0.0, latency - (time.monotonic() - tail_since))
        played = self._fifo.taken / RATE - latency
        return self.start_at + max(0.0, played)

    @property
    def silent(self) -> bool:
        return self._silent is not None

    def pause(self) -> None:
        """The clock holds still, the device plays silence; the file stays open."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    def stop(self) -> None:
        """Ask the thread to end (it closes the device and the file); returns at once."""
        self._stop.set()
        with self._fifo.cond:
            self._fifo.cond.notify_all()

    def close(self, timeout: float = 5.0) -> bool:
        """Stop, and wait for the file and the device to be let go; False on a timeout."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    # -- the thread ----------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            # a play replaced at once (a seek, a double click) must not open the file, nor
            # queue for the device behind the plays that are really wanted
            if self._stop.is_set():
                return
            container = open_local(self.path)
            with container:
                stream = next(iter(container.streams.audio), None)
                if stream is None:
                    raise MediaError(f"{self.path} has no sound in it")
                if self._stop.is_set():
                    return
                self._output = self._open_output()
                self._decode(container, stream)
            self._fifo.eof = True
            self._drain()
            self.finished = not self._stop.is_set()
        except MediaError as exc:
            self.error = str(exc)
            log.warning("sound not playing: %s", exc)
        except Exception as exc:  # an unexpected failure still names the file, in one line
            self.error = f"{self.path} could not be played: {type(exc).__name__}: {exc}"
            log.exception("sound not playing: %s", self.path)
        finally:
            if self._output is not None:
                try:
                    self._output.close(cut=not self.finished)
                except Exception as exc:  # a device gone mid-play: `done` must still be set
                    log.warning("%s: the sound device did not close cleanly: %s", self.path, exc)
            self.done.set()
            if self.on_done is not None:
                self.on_done(self)

    def _open_output(self):
        try:
            device = _DeviceOutput(self)
            self._latency = device.latency
            return device
        except _NoDevice as exc:
            self.notice = f"{exc}: playing silently"
            if str(exc) not in _told:
                _told.add(str(exc))
                log.info("no sound output (%s): the sound's clock runs silently", exc)
        self._silent = PacedClock()
        return _SilentOutput(self)

    def _decode(self, container, stream) -> None:
        stream.thread_type = "AUTO"
        resampler = av.AudioResampler(format="flt", layout="stereo", rate=RATE)
        self._started = False
        start, first = self.start_at, True
        while True:
            end, kept = self._decode_pass(container, stream, resampler, start, first)
            if self._stop.is_set():
                return
            if not self.loop or (not kept and not first) or not self._rewind(container):
                break
            if end is None and container.duration:  # the seek went past the end: no frame
                end = container.duration / av.time_base
            if end is None or end < 4 * LOOP_CROSSFADE:
                break  # nothing to repeat (or a blip): once is enough
            if kept:
                self._seam(end)
                start = 0.0
            else:  # it starts past the end: where the export's repeats put it
                start = start % end
            first = False
        for out in resampler.resample(None):  # its last few samples, from the last pass
            self._keep(out, start if end is None else end, start)
        self._put_held()
        if not self._started:
            self._output.start()

    def _decode_pass(self, container, stream, resampler, start: float, first: bool):
        """Decode from `start` to the end of the file: (the file time where it ended, or
        None when nothing decoded; whether any sample was queued)."""
        seek_near(container, stream, start)  # a repeat from 0 was rewound already
        position: float | None = None  # the file time of the next sample to keep
        kept_before = self._kept
        packets = container.demux(stream)
        try:
            for packet in packets:
                for frame in packet.decode():
                    if position is None:
                        position = self._lead_in(frame.time) if first else (frame.time or 0.0)
                    for out in resampler.resample(frame):
                        position = self._keep(out, position, start)
                    self._started = self._pace(self._started)
                    if self._stop.is_set():
                        return position, True
        except av.error.FFmpegError as exc:
            if position is None and first:  # nothing decoded: not sound at all
                raise MediaError(f"{self.path} cannot be played as sound: {exc}") from exc
            log.warning("%s is damaged after %.1f s: the rest is not played", self.path, position)
        finally:
            packets.close()
        if position is None and first and start <= 0:
            raise MediaError(f"{self.path} has no sound that decodes")
        return position, self._kept > kept_before  # None past the end: nothing to play

    def _rewind(self, container) -> bool:
        """Back to the top for the next repeat; False where the file cannot seek."""
        try:
            container.seek(0)
        except av.error.FFmpegError as exc:
            log.info("%s cannot seek back to repeat: it plays once (%s)", self.path, exc)
            return False
        return True

    def _lead_in(self, first: float | None) -> float:
        """Silence for sound that starts after `start_at`, so `clock` stays file time."""
        lead = 0.0 if first is None else min(MAX_LEAD_SECONDS, first - self.start_at)
        if lead > 0:
            self._fifo.put(np.zeros((round(lead * RATE), CHANNELS), np.float32))
            return self.start_at + lead
        return self.start_at if first is None else first

    def _keep(self, frame, position: float, start: float) -> float:
        """Queue the samples at or after `start` (a seek lands a little before it)."""
        # packed float: one plane, (1, n * 2); copied, the frame's buffer is PyAV's
        samples = frame.to_ndarray().reshape(-1, CHANNELS).copy()
        skip = min(len(samples), max(0, round((start - position) * RATE)))
        if skip < len(samples):
            self._kept += len(samples) - skip
            self._put(samples[skip:])
        return position + len(samples) / RATE

    def _put(self, samples: np.ndarray) -> None:
        """Queue samples; a looping song holds its newest LOOP_CROSSFADE back for a seam."""
        if not self.loop:
            self._fifo.put(samples)
            return
        held = np.concatenate([self._held, samples])
        if self._tail is not None:  # a repeat began: its head fades in over the old tail
            n = len(self._tail)
            if len(held) < n:
                self._held = held
                return
            ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
            held[:n] = self._tail * (1.0 - ramp) + held[:n] * ramp
            self._tail = None
        keep = len(held) - round(LOOP_CROSSFADE * RATE)
        if keep > 0:
            self._fifo.put(held[:keep])
            held = held[keep:]
        self._held = held

    def _seam(self, length: float) -> None:
        """A pass ended and the song repeats: its tail (as long as the export's crossfade,
        a quarter of a short song at most) waits to be faded into the next pass's head."""
        fade = min(round(LOOP_CROSSFADE * RATE), round(length * RATE) // 4, len(self._held))
        if len(self._held) > fade:
            self._fifo.put(self._held[: len(self._held) - fade])
        self._tail = self._held[len(self._held) - fade :] if fade else None
        self._held = np.zeros((0, CHANNELS), np.float32)

    def _put_held(self) -> None:
        """The end: what is held back plays (a repeat stopped within its seam: the tail too)."""
        for block in (self._tail, self._held):
            if block is not None and len(block):
                self._fifo.put(block)
        self._tail, self._held = None, np.zeros((0, CHANNELS), np.float32)

    def _pace(self, started: bool) -> bool:
        """Start the output once some sound is ready; wait while the buffer is full."""
        fifo = self._fifo
        if not started and fifo.buffered >= PREFILL_SECONDS * RATE:
            self._output.start()
            started = True
        while started and fifo.buffered >= fifo.limit and not self._stop.is_set():
            self._pump()
            with fifo.cond:
                fifo.cond.wait(TICK)
        self._pump()
        return started

    def _drain(self) -> None:
        """The file is decoded: let the output play what is left (and its own buffer)."""
        fifo = self._fifo
        while fifo.buffered > 0 and not self._stop.is_set():
            self._pump()
            with fifo.cond:
                fifo.cond.wait(TICK)
        # the device's own buffer still sounds: the clock runs on through it, to the end
        self._tail_since = time.monotonic()
        self._stop.wait(self._latency)

    def _pump(self) -> None:
        try:
            self._output.pump()
        except _NoDevice as exc:
            self._fall_silent(str(exc))

    def _fall_silent(self, reason: str) -> None:
        """The device ended mid-play (unplugged, its sound server gone): without this the
        buffer never empties and the clock, and the pictures timed by it, stand still."""
        device = self._output
        try:
            device.close(cut=True)
        except Exception as exc:  # it is gone: closing it may fail too
            log.info("%s: closing the lost sound device failed: %s", self.path, exc)
        self.notice = f"{reason}: playing silently"
        log.warning("%s: %s, the sound's clock runs on silently", self.path, reason)
        # the clock goes on from the samples handed over, less the latency as before
        self._silent = PacedClock()
        self._output = _SilentOutput(self)
        self._output.start()

    def _fill(self, out: np.ndarray, frames: int) -> None:
        """The device's callback: the next samples at the volume; silence while paused,
        once stopped (what the device still holds must not play on under the next sound)
        and past the samples there are (PortAudio's buffer comes uncleared)."""
        stopped = self._paused or self._stop.is_set()
        got = 0 if stopped else self._fifo.take_into(out, frames)
        out[got:] = 0.0
        if got and self.volume != 1.0:
            out[:got] *= self.volume
            if self.volume > 1.0:  # louder than the file: bent under 1 as the export's limiter
                out[:got] = soft_limit(out[:got])


class _NoDevice(Exception):
    """PortAudio or an output device is missing: the clock runs silently instead."""


class _DeviceOutput:
    """A PortAudio output stream whose callback takes from the SoundOut's buffer."""

    def __init__(self, sound: SoundOut) -> None:
        try:
            import sounddevice
        except ImportError as exc:
            raise _NoDevice("the sounddevice package is not installed") from exc
        except OSError as exc:  # the package is there, the PortAudio library is not
            raise _NoDevice(f"PortAudio is missing: {exc}") from exc

        try:
            with portaudio.LOCK:  # raises when there is no default output
                sounddevice.query_devices(kind="output")
        except Exception as exc:
            raise _NoDevice("no output device found") from exc

        def callback(outdata, frames, _time_info, _status) -> None:
            sound._fill(outdata, frames)

        # started here, not when the first sound is decoded: a device that opens but cannot
        # start (busy, gone) is found now, while the silent clock can still stand in; until
        # the decoder catches up the callback plays silence, which the clock does not count
        stream = None
        try:
            with portaudio.LOCK:
                stream = sounddevice.OutputStream(
                    samplerate=RATE, channels=CHANNELS, dtype="float32", callback=callback
                )
                stream.start()
        except Exception as exc:  # no device, a busy one, a broken audio stack
            if stream is not None:
                with portaudio.LOCK:
                    stream.close()
            raise _NoDevice(str(exc) or type(exc).__name__) from exc
        self.stream = stream
        latency = stream.latency
        self.latency = float(latency if isinstance(latency, int | float) else latency[0])

    def start(self) -> None:
        pass  # started when opened

    def pump(self) -> None:
        # the callback takes samples on PortAudio's own thread; PortAudio ends the stream
        # when the device fails (an ALSA device unplugged, PulseAudio's sink gone)
        if not self.stream.active:
            raise _NoDevice("the sound device stopped")

    def close(self, cut: bool) -> None:
        """`cut`: stopped by the caller, so what the device holds is dropped, not played."""
        with portaudio.LOCK:
            try:
                if cut:
                    self.stream.abort()
                else:
                    self.stream.stop()
            finally:
                self.stream.close()


class _SilentOutput:
    """No device: samples are taken (and dropped) as fast as the clock says they play."""

    def __init__(self, sound: SoundOut) -> None:
        self.sound, self.fifo, self.clock = sound, sound._fifo, sound._silent
        self.started = False
        self.taken = 0

    def start(self) -> None:
        self.started = True

    def pump(self) -> None:
        if not self.started or self.sound._paused:
            self.clock.pause()
            return
        self.clock.start()
        due = round(self.clock.now() * RATE) - self.taken
        if due <= 0:
            return
        got = self.fifo.take_into(None, due)
        self.taken += got
        if got < due and not self.fifo.eof:
            self.clock.set(self.taken / RATE)  # starved: wait for the decoder, as a device does

    def close(self, cut: bool) -> None:
        self.clock.pause()
