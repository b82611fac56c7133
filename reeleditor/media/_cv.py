"""OpenCV for the camera code, with its console warnings moved from the terminal to the log.

OpenCV prints its own warnings to stderr from C++ ("[ WARN:0@0.17] global cap_v4l.cpp ...
can't open camera by index"). A command line that promises one-line errors cannot have
them on the terminal, yet they are what a crash report needs: the driver's own reason
(permission denied, device busy). OpenCV has no log callback in Python, so while a camera
opens (`capture_opencv_output`) file descriptor 2 points at a temporary file, OpenCV logs
warnings, and what it wrote is logged afterwards at WARNING with the camera's index. The
rest of the time OpenCV stays silent.

fd 2 belongs to the whole process: one capture runs at a time (a lock), a line that is not
in OpenCV's format (another thread's output) is put back on the terminal as well as logged,
and a driver that hangs in open() gets fd 2 back from a watchdog after CAPTURE_LIMIT s.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator

import cv2

log = logging.getLogger(__name__)

CAPTURE_LIMIT = 10.0  # seconds one capture may hold fd 2 (an open plus its first frames)
_OPENCV_LINE = re.compile(r"^\[\s*(FATAL|ERROR|WARN|INFO|DEBUG|VERBOSE)\b")

_capturing = threading.Lock()  # fd 2 is process-wide: one capture at a time
_local = threading.local()  # `active` in the thread that captures (nested calls reuse it)


def _cv_log_level(level_name: str) -> None:
    try:
        from cv2.utils import logging as cvlog

        cvlog.setLogLevel(getattr(cvlog, level_name))
    except (ImportError, AttributeError):  # a build without the logging utils stays as it is
        log.warning("this OpenCV build cannot set its log level", exc_info=True)


class _Redirect:
    """fd 2 sent to `sink` until `restore()` (from the capturing thread or the watchdog)."""

    def __init__(self, sink) -> None:
        self._guard = threading.Lock()
        self._saved: int | None = os.dup(2)
        os.dup2(sink.fileno(), 2)
        _cv_log_level("LOG_LEVEL_WARNING")

    def restore(self, *, late: float | None = None) -> None:
        with self._guard:
            if self._saved is None:
                return
            _cv_log_level("LOG_LEVEL_SILENT")
            os.dup2(self._saved, 2)
            os.close(self._saved)
            self._saved = None
        if late is not None:
            log.warning("OpenCV still opening a camera after %g s: stderr given back", late)


@contextlib.contextmanager
def capture_opencv_output(index: int) -> Iterator[None]:
    """What OpenCV writes while camera `index` opens goes to the log, not the terminal."""
    if getattr(_local, "active", False):
        yield  # an outer capture in this thread already takes it
        return
    if not _capturing.acquire(timeout=CAPTURE_LIMIT):  # a capture stuck in a hung driver
        log.info("camera %d: OpenCV's warnings are not captured this time (stderr busy)", index)
        yield
        return
    _local.active = True
    sink = None
    try:
        try:
            sink = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, after the yield
            if sys.stderr is not None:
                sys.stderr.flush()  # Python's own buffered text goes where it was meant to
            redirect = _Redirect(sink)
        except (OSError, ValueError):  # no temp folder, no descriptor left: open uncaptured
            log.warning("camera %d: OpenCV's warnings cannot be captured", index, exc_info=True)
            yield
            return
        watchdog = threading.Timer(CAPTURE_LIMIT, redirect.restore, kwargs={"late": CAPTURE_LIMIT})
        watchdog.name, watchdog.daemon = "opencv-stderr-watchdog", True
        watchdog.start()
        try:
            yield
        finally:
            watchdog.cancel()
            if sys.stderr is not None:
                with contextlib.suppress(OSError, ValueError):
                    sys.stderr.flush()
            redirect.restore()
            watchdog.join()
            sink.seek(0)
            _tell(index, sink.read().decode("utf-8", "replace"))
    finally:
        if sink is not None:
            sink.close()
        _local.active = False
        _capturing.release()


def _tell(index: int, captured: str) -> None:
    for line in captured.splitlines(keepends=True):
        text = line.strip()
        if not text:
            continue
        if _OPENCV_LINE.match(text):
            log.warning("camera %d: OpenCV said: %s", index, text)
            continue
        # not OpenCV's format: another thread's output (a progress line) or a backend
        # library's; logged, and written back as it was, ends of line included
        log.warning("camera %d: while it opened, stderr got: %s", index, text)
        if sys.stderr is not None:
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write(line)
                sys.stderr.flush()


def camera_backends() -> list[str]:
    """Names of the capture backends this OpenCV build tries for a camera index."""
    try:
        registry = cv2.videoio_registry
        return [registry.getBackendName(b) for b in registry.getCameraBackends()]
    except (AttributeError, cv2.error):
        return []


def open_camera(index: int):
    """`cv2.VideoCapture(index)`, logged: what was tried, what OpenCV said, whether it opened."""
    with capture_opencv_output(index):
        cap = cv2.VideoCapture(index)
        opened = cap.isOpened()
        backend = cap.getBackendName() if opened else None
    if opened:
        log.info("camera %d opened with the %s backend", index, backend)
    else:
        log.info(
            "camera %d did not open (OpenCV %s tried: %s)",
            index,
            cv2.__version__,
            ", ".join(camera_backends()) or "its default backend",
        )
    return cap


_cv_log_level("LOG_LEVEL_SILENT")  # outside a capture nobody would read what it says

__all__ = ["camera_backends", "capture_opencv_output", "cv2", "open_camera"]
