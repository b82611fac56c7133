"""The segment recorder: H.264 + AAC into fragmented MP4, flushed as it goes.

Video is constant frame rate against the audio clock: frame k is the picture captured
nearest to the moment audio sample k * rate / fps was captured; a missing picture is
duplicated, a surplus one dropped, and both are counted. Fragments of half a second are
written as they are made, so a killed process loses at most the last one.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from reeleditor.core.errors import MediaError
from reeleditor.media.conform import conform
from reeleditor.media.encoders import AUDIO_ENCODERS, VIDEO_ENCODERS, pick_encoder
from reeleditor.media.sources.base import CaptureSource

log = logging.getLogger(__name__)

FRAGMENT_SECONDS = 0.5
FSYNC_EVERY = 2.0  # seconds: bounds what a power loss (not just a kill) can take
MUX_OPTIONS = {
    "movflags": "frag_keyframe+empty_moov+delay_moov+default_base_moof",
    "frag_duration": str(int(FRAGMENT_SECONDS * 1_000_000)),
    "flush_packets": "1",
}


@dataclass(frozen=True)
class RecordResult:
    path: Path
    frames: int
    duplicated: int
    dropped: int
    audio_samples: int
    sample_rate: int
    fps: int
    encoder: str
    notices: tuple[str, ...]
    error: MediaError | None
    reached_limit: bool

    @property
    def duration(self) -> float:
        return self.frames / self.fps


class AudioClock:
    """Maps audio sample numbers to capture time, re-anchored at every read (drift-proof)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._anchor: tuple[int, float] | None = None
        self._ready = threading.Event()

    def anchor(self, sample: int, when: float) -> None:
        self._anchor = (sample, when)
        self._ready.set()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def time_of(self, sample: float) -> float:
        base_sample, base_time = self._anchor
        return base_time + (sample - base_sample) / self.rate


def _media_error(path: Path, exc: Exception) -> MediaError:
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return MediaError(
            f"the disk is full: recording to {path.name} stopped",
            "what was recorded is kept; free some space to record more",
        )
    return MediaError(f"recording to {path.name} failed: {exc}")


class SegmentRecorder:
    """Records one segment from `source` (+ `audio`) into `path` until `stop()` or the limit."""

    def __init__(
        self,
        source: CaptureSource,
        audio,
        path: Path,
        *,
        width: int = 1080,
        height: int = 1920,
        fps: int = 30,
        max_seconds: float = 90.0,
        video_encoders: tuple[str, ...] = VIDEO_ENCODERS,
        crf: int = 20,
        preset: str = "veryfast",
    ) -> None:
        self.source, self.audio, self.path = source, audio, Path(path)
        self.width, self.height, self.fps = width, height, int(fps)
        self.max_frames = max(1, int(max_seconds * fps))
        self.choice = pick_encoder(video_encoders)
        self.crf, self.preset = crf, preset
        self.notices: list[str] = [
            n for n in (self.choice.notice, source.notice, getattr(audio, "notice", None)) if n
        ]
        self.clock = AudioClock(audio.sample_rate)
        self.frames = self.duplicated = self.dropped = self.audio_samples = 0
        self.error: MediaError | None = None
        self.reached_limit = False
        self._stop = threading.Event()
        self._mux_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._file = None
        self._container = None

    # -- life cycle --------------------------------------------------------------------------
    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "wb")  # noqa: SIM115 - ours, to fsync as we go; closed in stop()
        try:
            self._container = av.open(self._file, "w", format="mp4", options=MUX_OPTIONS)
            self._vstream = self._add_video_stream()
            self._astream = self._container.add_stream(
                AUDIO_ENCODERS[0], rate=self.audio.sample_rate
            )
            self._astream.layout = "stereo" if self.audio.channels == 2 else "mono"
            self._astream.format = "fltp"
        except Exception:
            self._close_container()
            raise
        self.audio.start()
        self._threads = [
            threading.Thread(target=self._audio_loop, name="record-audio", daemon=True),
            threading.Thread(target=self._video_loop, name="record-video", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _add_video_stream(self):
        stream = self._container.add_stream(self.choice.name, rate=self.fps)
        stream.width, stream.height, stream.pix_fmt = self.width, self.height, "yuv420p"
        stream.codec_context.time_base = Fraction(1, self.fps)
        stream.codec_context.gop_size = max(1, int(self.fps * FRAGMENT_SECONDS))
        if self.choice.name == "libx264":
            # zerolatency: no lookahead or B-frames, so every frame leaves the encoder at
            # once and reaches the file with its fragment (what a kill can't take back).
            stream.options = {"preset": self.preset, "tune": "zerolatency", "crf": str(self.crf)}
        else:
            stream.codec_context.bit_rate = 12_000_000
        return stream

    @property
    def elapsed(self) -> float:
        return self.frames / self.fps

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def stop(self) -> RecordResult:
        """Finish the file (flush the encoders, close the container) and report."""
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self._threads = []
        with contextlib.suppress(Exception):
            self.audio.stop()
        self._flush_and_close()
        return RecordResult(
            self.path,
            self.frames,
            self.duplicated,
            self.dropped,
            self.audio_samples,
            self.audio.sample_rate,
            self.fps,
            self.choice.name,
            tuple(self.notices),
            self.error,
            self.reached_limit,
        )

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until recording ends by itself (limit or error); True if it has."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0, deadline - time.monotonic()))
        return not self.running

    # -- muxing --------------------------------------------------------------------------------
    def _mux(self, packets) -> None:
        if self.error is not None:
            return
        try:
            with self._mux_lock:
                self._container.mux(packets)
        except Exception as exc:  # ENOSPC and friends arrive as av / OS errors
            log.warning("muxing %s failed", self.path, exc_info=True)
            self.error = _media_error(self.path, exc)
            self._stop.set()

    def _flush_and_close(self) -> None:
        if self._container is None:
            return
        if self.error is None:
            try:
                self._mux(self._vstream.encode(None))
                self._encode_audio_tail()
            except Exception as exc:
                log.warning("flushing %s failed", self.path, exc_info=True)
                self.error = self.error or _media_error(self.path, exc)
        self._close_container()

    def _close_container(self) -> None:
        try:
            if self._container is not None:
                self._container.close()
        except Exception as exc:
            log.warning("closing %s failed", self.path, exc_info=True)
            self.error = self.error or _media_error(self.path, exc)
        finally:
            self._container = None
            if self._file is not None:
                with contextlib.suppress(OSError):
                    self._file.flush()
                    os.fsync(self._file.fileno())
                with contextlib.suppress(OSError):
                    self._file.close()
                self._file = None

    # -- audio: the master clock ------------------------------------------------------------
    def _audio_loop(self) -> None:
        self._pending = np.zeros((0, self.audio.channels), np.float32)
        self._audio_pts = 0
        received = 0
        last_sync = time.monotonic()
        try:
            while not self._stop.is_set():
                samples, first_time = self.audio.read()
                if len(samples):
                    self.clock.anchor(received, first_time)
                    received += len(samples)
                    self._pending = np.concatenate([self._pending, samples])
                    self._encode_audio(final=False)
                elif not self.clock._ready.is_set():
                    pass
                if time.monotonic() - last_sync > FSYNC_EVERY and self._file is not None:
                    last_sync = time.monotonic()
                    with contextlib.suppress(OSError, ValueError):
                        os.fsync(self._file.fileno())
                self._stop.wait(0.02)
        except Exception as exc:
            log.warning("audio input stopped while recording %s", self.path, exc_info=True)
            self.error = self.error or MediaError(f"audio input stopped: {exc}")
            self._stop.set()

    def _encode_audio(self, final: bool, limit: int | None = None) -> None:
        size = self._astream.codec_context.frame_size or 1024
        if limit is not None:
            self._pending = self._pending[: max(0, limit - self._audio_pts)]
        while len(self._pending) >= size or (final and len(self._pending)):
            chunk, self._pending = self._pending[:size], self._pending[size:]
            planar = np.ascontiguousarray(chunk.T)
            layout = "stereo" if self.audio.channels == 2 else "mono"
            frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=layout)
            frame.sample_rate = self.audio.sample_rate
            frame.pts = self._audio_pts
            frame.time_base = Fraction(1, self.audio.sample_rate)
            self._audio_pts += len(chunk)
            self.audio_samples = self._audio_pts
            self._mux(self._astream.encode(frame))

    def _encode_audio_tail(self) -> None:
        """End the sound exactly with the last video frame: pad with silence or cut."""
        want = round(self.frames * self.audio.sample_rate / self.fps)
        have = self._audio_pts + len(self._pending)
        if have < want:
            pad = np.zeros((want - have, self.audio.channels), np.float32)
            self._pending = np.concatenate([self._pending, pad])
        self._encode_audio(final=True, limit=want)
        self._mux(self._astream.encode(None))

    # -- video: constant frame rate against the audio clock ------------------------------------
    def _video_loop(self) -> None:
        try:
            if not self.clock.wait_ready(timeout=3.0):
                raise MediaError(
                    "the audio input delivered nothing for 3 s",
                    "check the microphone, or record with --mic none",
                )
            self._video_frames()
        except MediaError as exc:
            self.error = self.error or exc
        except Exception as exc:
            log.warning("video encoding of %s stopped", self.path, exc_info=True)
            self.error = self.error or _media_error(self.path, exc)
        finally:
            self._stop.set()

    def _pick_frame(self, due: float, last_index: int):
        """The picture captured nearest to `due`, waiting for it if it is still to come."""
        half = 0.5 / self.fps
        frame = self.source.latest()
        while (frame is None or frame.time < due - half) and not self._stop.is_set():
            wait = due + half - time.monotonic()
            if wait <= 0:
                break
            newer = self.source.wait_frame(frame.index if frame else -1, timeout=wait)
            if newer is None:
                break
            frame = newer
        return frame

    def _video_frames(self) -> None:
        rate = self.audio.sample_rate
        last_index = -1
        if self.source.wait_frame(-1, timeout=5.0) is None:
            raise self.source.error or MediaError(f"{self.source.name} sent no picture in 5 s")
        for k in range(self.max_frames):
            if self._stop.is_set():
                return
            due = self.clock.time_of(k * rate / self.fps)
            frame = self._pick_frame(due, last_index)
            if self._stop.is_set():
                return
            if self.source.error is not None:
                raise self.source.error
            if not self.source.is_open:  # closed under us: stop, do not freeze the picture
                raise MediaError(
                    f"{self.source.name} was closed during the take",
                    "what was recorded until then is kept",
                )
            if frame.index == last_index:
                self.duplicated += 1
            elif last_index >= 0 and frame.index > last_index + 1:
                self.dropped += frame.index - last_index - 1
            last_index = frame.index
            image = conform(frame.image, self.width, self.height)
            yuv = cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420)  # 8x cheaper than PyAV's swscale
            vframe = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
            vframe.pts = k
            vframe.time_base = Fraction(1, self.fps)
            self._mux(self._vstream.encode(vframe))
            self.frames = k + 1
        self.reached_limit = True
