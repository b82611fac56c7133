"""Plays a local video file (a published reel's MP4 or HLS copy): pictures timed by its sound.

A thread decodes the pictures into a short queue (`QUEUE_FRAMES`, shrunk to `MAX_SIZE`,
RGB) and starts the file's sound (`SoundOut`) at the first picture's time; the GUI asks
`frame_due()` on its timer and gets the newest picture whose time the sound has reached,
so the pictures follow what is heard, and late pictures are skipped, never queued
without bound. A file without sound is timed by a paced clock; so is the rest of a file
whose sound ends before its pictures. `stop()` returns at once; the threads close the
file within a frame's decode, and `released` says when they have.
"""

from __future__ import annotations

import collections
import logging
import threading
from pathlib import Path

import av
import numpy as np

from reeleditor.core.errors import MediaError
from reeleditor.media.sound_out import PacedClock, SoundOut, open_local, seek_near

log = logging.getLogger(__name__)

MAX_SIZE = (540, 960)  # as the draft's preview: sharp in a panel, cheap to decode and paint
QUEUE_FRAMES = 4  # decoded ahead of the clock (at 540x960 RGB, 1.5 MB each)
TICK = 0.02  # how often a waiting decoder looks for a stop
EARLY = 0.005  # a picture due this soon is shown now (a timer tick is not exact)


def _fit(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    scale = min(1.0, box[0] / width, box[1] / height)
    return max(2, round(width * scale)), max(2, round(height * scale))


class VideoPlayback:
    """Plays `path` from `start` seconds: `frame_due()` for pictures, the sound on its own."""

    def __init__(
        self, path: Path | str, start: float = 0.0, max_size: tuple[int, int] = MAX_SIZE
    ) -> None:
        self.path = Path(path)
        self.start_at = max(0.0, float(start))
        self.max_size = max_size
        self.size: tuple[int, int] | None = None  # of the pictures handed out
        self._error: str | None = None
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._frames: collections.deque[tuple[float, np.ndarray]] = collections.deque()
        self._last_time: float | None = None  # of the last picture queued
        self._decoded = False  # any picture decoded, even one before `start`
        self._step = 1 / 30  # one picture's duration, from the stream's rate
        self._eof = False
        self._sound: SoundOut | None = None
        self._paced: PacedClock | None = None  # no sound, or the sound ended first
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the GUI's side ------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="reel-video", daemon=True)
            self._thread.start()

    @property
    def clock(self) -> float:
        """The file time now: the sound's, else the paced clock's."""
        with self._lock:
            sound, paced = self._sound, self._paced
            if paced is None and sound is not None and sound.finished:
                # the sound ended before the pictures: time goes on without it
                paced = self._paced = PacedClock(sound.clock)
                paced.start()
        if paced is not None:
            return paced.now()
        return sound.clock if sound is not None else self.start_at

    @property
    def error(self) -> str | None:
        """Why it cannot play (one line naming the file), or None."""
        sound = self._sound
        return self._error or (sound.error if sound is not None else None)

    @property
    def notice(self) -> str | None:
        """Why it plays without sound, when it does (no output device)."""
        return self._sound.notice if self._sound is not None else None

    def frame_due(self) -> tuple[float, np.ndarray] | None:
        """The newest picture due at the clock (time, RGB array), skipping late ones;
        None when none is due yet."""
        now = self.clock + EARLY
        due = None
        with self._cond:
            while self._frames and self._frames[0][0] <= now:
                due = self._frames.popleft()
            if due is not None:
                self._cond.notify_all()
        return due

    @property
    def ended(self) -> bool:
        """Every picture was shown and the sound played out."""
        with self._lock:
            if not self._eof or self._frames or self._error or self._stop.is_set():
                return False
            last, sound = self._last_time, self._sound
        if sound is not None and not sound.done.is_set():
            return False
        return last is None or self.clock >= last + self._step

    def stop(self) -> None:
        """Let go of the file and the device (on the threads, at once); returns at once."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
            sound = self._sound
        if sound is not None:
            sound.stop()

    @property
    def released(self) -> bool:
        """The file is closed and the threads have ended (after `stop` or the end)."""
        threads = [self._thread, self._sound._thread if self._sound else None]
        return not any(t is not None and t.is_alive() for t in threads)

    def close(self, timeout: float = 5.0) -> bool:
        """Stop and wait until released; False on a timeout."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._sound is not None:
            self._sound.close(timeout)
        return self.released

    # -- the decoding thread -------------------------------------------------------------------
    def _run(self) -> None:
        try:
            with open_local(self.path) as container:
                stream = next(iter(container.streams.video), None)
                if stream is None:
                    raise MediaError(f"{self.path} has no pictures in it")
                if stream.average_rate:
                    self._step = float(1 / stream.average_rate)
                has_sound = bool(container.streams.audio)
                stream.thread_type = "AUTO"
                seek_near(container, stream, self.start_at)
                packets = container.demux(stream)
                try:
                    for packet in packets:
                        for frame in packet.decode():
                            if not self._queue(frame, has_sound):
                                return
                finally:
                    packets.close()
            # pictures that all come before `start` are no fault: a reel paused (hidden)
            # past its last picture, while its sound or the device's buffer played on,
            # goes on from there and simply ends
            if not self._decoded and not self._stop.is_set():
                raise MediaError(f"{self.path} has no pictures that decode")
        except MediaError as exc:
            self._error = str(exc)
        except av.error.FFmpegError as exc:
            at = f" after {self._last_time:.1f} s" if self._last_time is not None else ""
            self._error = f"{self.path} is damaged{at}: {exc}"
        except Exception as exc:  # an unexpected failure still names the file, in one line
            log.exception("playing %s failed", self.path)
            self._error = f"{self.path} could not be played: {type(exc).__name__}: {exc}"
        finally:
            with self._lock:
                self._eof = True
            if self._error:
                log.warning("cannot play: %s", self._error)
                self.stop()  # the sound too

    def _queue(self, frame, has_sound: bool) -> bool:
        """Wait for room, then queue the picture; False when stopped."""
        self._decoded = True
        t = frame.time if frame.time is not None else (self._last_time or 0.0) + self._step
        if t < self.start_at - self._step / 2:
            return not self._stop.is_set()  # a seek lands on the keyframe before `start`
        if self._last_time is None:
            self._start_clock(t, has_sound)
        if self.size is None:
            self.size = _fit(frame.width, frame.height, self.max_size)
        width, height = self.size
        rgb = frame.to_ndarray(format="rgb24", width=width, height=height)
        rgb = np.ascontiguousarray(rgb)  # rows can come padded; a QImage wants one buffer
        with self._cond:
            while len(self._frames) >= QUEUE_FRAMES and not self._stop.is_set():
                self._cond.wait(TICK)
            if self._stop.is_set():
                return False
            self._frames.append((t, rgb))
            self._last_time = t
        return True

    def _start_clock(self, first: float, has_sound: bool) -> None:
        """The sound starts where the first picture is, so both share one file time."""
        with self._lock:
            if self._stop.is_set():
                return
            if has_sound:
                self._sound = SoundOut(self.path, start=first)
                self._sound.start()
            else:
                self._paced = PacedClock(first)
                self._paced.start()
