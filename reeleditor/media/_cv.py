"""OpenCV for the camera code, with its console logging off: we log what we tried instead.

OpenCV prints its own warnings to stderr from C++ ("[ WARN:0@0.17] global cap_v4l.cpp ...
can't open camera by index"). A command line that promises one-line errors cannot have
them, and a user cannot send them; so they are silenced once, here, and the camera code
logs each attempt (index, backends, outcome) to the app's log.
"""

from __future__ import annotations

import logging

import cv2

log = logging.getLogger(__name__)


def _silence() -> None:
    try:
        from cv2.utils import logging as cvlog

        cvlog.setLogLevel(cvlog.LOG_LEVEL_SILENT)
    except (ImportError, AttributeError):  # a build without the logging utils stays noisy
        log.warning("this OpenCV build cannot silence its console warnings", exc_info=True)


def camera_backends() -> list[str]:
    """Names of the capture backends this OpenCV build tries for a camera index."""
    try:
        registry = cv2.videoio_registry
        return [registry.getBackendName(b) for b in registry.getCameraBackends()]
    except (AttributeError, cv2.error):
        return []


def open_camera(index: int):
    """`cv2.VideoCapture(index)`, logged: what was tried and whether it opened."""
    cap = cv2.VideoCapture(index)
    if cap.isOpened():
        log.info("camera %d opened with the %s backend", index, cap.getBackendName())
    else:
        log.info(
            "camera %d did not open (OpenCV %s tried: %s)",
            index,
            cv2.__version__,
            ", ".join(camera_backends()) or "its default backend",
        )
    return cap


_silence()

__all__ = ["camera_backends", "cv2", "open_camera"]
