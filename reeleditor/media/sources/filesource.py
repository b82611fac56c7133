"""A video file played as a camera, looping, paced at its own frame rate."""

from __future__ import annotations

import time
from pathlib import Path

import av
import cv2
import numpy as np

from reeleditor.core.errors import SourceError
from reeleditor.media.sources.base import CaptureSource


class FileSource(CaptureSource):
    """Decodes a video with PyAV and delivers its frames in real time, then starts over."""

    def __init__(
        self,
        path: str | Path,
        width: int = 1080,
        height: int = 1920,
        fps: float = 30,
        realtime: bool = True,
    ) -> None:
        super().__init__(width, height, fps)
        self.path = Path(path)
        self.name = f"file {self.path.name}"
        self.realtime = realtime
        self._container = None
        self._frames = None

    def _open(self) -> None:
        if not self.path.is_file():
            raise SourceError(f"{self.path} does not exist", "check the path")
        try:
            self._container = av.open(str(self.path))
            stream = next(iter(self._container.streams.video), None)
        except (av.error.FFmpegError, UnicodeDecodeError) as exc:
            raise SourceError(
                f"{self.path} is not a video PyAV can read ({exc})",
                "choose an MP4, MOV, MKV or WebM file",
            ) from exc
        if stream is None:
            self._container.close()
            raise SourceError(f"{self.path} has no video stream", "choose a video file")
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate
        self.fps = float(rate) if rate else self.requested[2]
        self.width, self.height = stream.codec_context.width, stream.codec_context.height
        self._stream = stream
        self._frames = self._container.decode(stream)
        self._t0 = time.monotonic()
        self._n = 0
        self._first_ok = False

    def _next_image(self) -> np.ndarray | None:
        for _ in range(2):  # at the end, rewind once
            try:
                frame = next(self._frames)
                self._first_ok = True
                return frame.to_ndarray(format="bgr24")
            except StopIteration:
                if not self._first_ok:
                    break
                self._container.seek(0)
                self._frames = self._container.decode(self._stream)
            except av.error.FFmpegError as exc:
                raise SourceError(f"{self.path} could not be decoded ({exc})") from exc
        raise SourceError(f"{self.path} has no frames that decode", "choose another video")

    def _grab(self):
        image = self._next_image()
        due = self._t0 + self._n / self.fps
        self._n += 1
        if self.realtime:
            wait = due - time.monotonic()
            if wait > 0 and self._stop.wait(wait):
                return None
        if image.shape[1] % 2 or image.shape[0] % 2:  # the encoders need even sizes
            image = cv2.resize(image, (image.shape[1] // 2 * 2, image.shape[0] // 2 * 2))
        return image, due

    def _close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None
