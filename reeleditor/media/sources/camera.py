"""An OpenCV camera by index: asks for a mode, reports what it really delivers, reconnects."""

from __future__ import annotations

import logging
import time

from reeleditor.core.errors import SourceError
from reeleditor.media._cv import capture_opencv_output, cv2, open_camera
from reeleditor.media.sources.base import CaptureSource

log = logging.getLogger(__name__)

REOPEN_ATTEMPTS = 3
FIRST_FRAME_TIMEOUT = 3.0


def _capture(index: int):
    return open_camera(index)


class CameraSource(CaptureSource):
    """A webcam. A dropped device is reopened up to REOPEN_ATTEMPTS times, then reported."""

    def __init__(
        self, index: int, width: int = 1080, height: int = 1920, fps: float = 30, opener=_capture
    ) -> None:
        super().__init__(width, height, fps)
        self.index = index
        self.name = f"camera {index}"
        self._opener = opener
        self._cap = None

    def _configure(self):
        # OpenCV's warnings while the device opens and sends its first frames (a busy
        # device's timeouts) go to the log with the index
        with capture_opencv_output(self.index):
            return self._configure_captured()

    def _configure_captured(self):
        cap = self._opener(self.index)
        if cap is None or not cap.isOpened():
            if cap is not None:
                cap.release()
            log.warning("camera %d: no device answered at this index", self.index)
            raise SourceError(
                f"no camera at index {self.index}", "see 'reeleditor devices' for the cameras found"
            )
        want_w, want_h, want_fps = self.requested
        # Phones-style vertical reels come from landscape sensors: ask for the landscape mode
        # and rotate; a device that cannot give it reports what it can.
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, max(want_w, want_h))
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, min(want_w, want_h))
        cap.set(cv2.CAP_PROP_FPS, want_fps)
        ok, image = False, None
        deadline = time.monotonic() + FIRST_FRAME_TIMEOUT
        while time.monotonic() < deadline and not ok:
            ok, image = cap.read()
        if not ok or image is None:
            cap.release()
            log.warning(
                "camera %d opened but sent no picture within %g s", self.index, FIRST_FRAME_TIMEOUT
            )
            raise SourceError(
                f"camera {self.index} opened but sends no picture",
                "it may be in use by another program; close that and retry",
            )
        height, width = image.shape[:2]
        fps = cap.get(cv2.CAP_PROP_FPS) or want_fps
        self.width, self.height, self.fps = width, height, float(fps)
        log.info(
            "camera %d: asked for %dx%d @ %g fps, delivers %dx%d @ %g fps",
            self.index,
            max(want_w, want_h),
            min(want_w, want_h),
            want_fps,
            width,
            height,
            fps,
        )
        if (width, height) not in ((want_w, want_h), (want_h, want_w)) or abs(fps - want_fps) > 1:
            self.notice = (
                f"camera {self.index} cannot give {want_w}x{want_h} @ {want_fps} fps; "
                f"using {width}x{height} @ {fps:g} fps"
            )
        return cap

    def _open(self) -> None:
        self._cap = self._configure()

    def _grab(self):
        attempts = 0
        while not self._stop.is_set():
            ok, image = self._cap.read()
            if ok and image is not None:
                return image, time.monotonic()
            attempts += 1
            log.warning("camera %d: a read failed (attempt %d)", self.index, attempts)
            if attempts > REOPEN_ATTEMPTS:
                raise SourceError(
                    f"camera {self.index} stopped sending pictures",
                    "check its cable, or whether another program took it",
                )
            self._cap.release()
            if self._stop.wait(0.5 * attempts):
                return None
            try:
                self._cap = self._configure()
            except SourceError:
                log.warning("camera %d: reopening failed", self.index, exc_info=True)
                continue
        return None

    def _close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
