"""Finds cameras (OpenCV, each probe on a thread with a timeout) and microphones."""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reeleditor.media.microphone import list_microphones

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 4.0  # seconds one camera may take to open and give a frame
MAX_INDEX = 6  # indices probed where there is no /dev/video* to go by
MAX_MISSES = 2  # ... stopping after this many closed indices in a row

NO_CAMERA = "no camera found: the test pattern stands in"
NO_MICROPHONE = "no microphone found: recordings get a silent audio track"

Opener = Callable[[int], object]  # index -> something like cv2.VideoCapture


def _default_opener(index: int):
    from reeleditor.media._cv import open_camera

    return open_camera(index)


@dataclass
class CameraScan:
    """What a scan found, and the indices it had to skip (with the reason)."""

    cameras: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"index", "reason"}


def linux_video_nodes(
    dev: Path = Path("/dev"), sysfs: Path = Path("/sys/class/video4linux")
) -> list[tuple[int, str | None]]:
    """(index, name) for each /dev/videoN, sorted; the name from sysfs where it says."""
    nodes = []
    for path in dev.glob("video*"):
        match = re.fullmatch(r"video(\d+)", path.name)
        if not match:
            continue
        index = int(match.group(1))
        name = None
        with contextlib.suppress(OSError):
            name = (sysfs / path.name / "name").read_text(encoding="utf-8").strip() or None
        nodes.append((index, name))
    return sorted(nodes)


def _probe(index: int, opener: Opener) -> dict | None:
    """Open, read one frame, report the mode, release; None when nothing is there."""
    from reeleditor.media._cv import cv2

    cap = opener(index)
    if cap is None:
        return None
    try:
        if not cap.isOpened():
            return None
        ok, frame = cap.read()
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
        if ok and frame is not None and getattr(frame, "ndim", 0) >= 2:
            height, width = frame.shape[:2]
        elif not ok:
            return None  # opens but gives no picture (a metadata node, a busy device)
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        return {
            "index": index,
            "width": width,
            "height": height,
            "fps": round(fps, 2) if fps > 0 else None,
        }
    finally:
        cap.release()


def probe_camera(
    index: int, opener: Opener = _default_opener, timeout: float = PROBE_TIMEOUT
) -> tuple[dict | None, str | None]:
    """(camera info or None, reason it was skipped or None), never waiting past `timeout`.

    The probe runs on a daemon thread: a driver that hangs in open() or read() keeps that
    thread, not the caller, and does not keep the process alive at exit.
    """
    result: dict = {}
    done = threading.Event()

    def work() -> None:
        try:
            result["camera"] = _probe(index, opener)
        except Exception as exc:  # a broken driver is a skipped camera, not a crash
            log.warning("camera %d: the probe failed", index, exc_info=True)
            result["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            done.set()

    threading.Thread(target=work, name=f"camera-probe-{index}", daemon=True).start()
    if not done.wait(timeout):
        log.warning("camera %d did not answer within %g s; skipped", index, timeout)
        return None, f"did not answer within {timeout:g} s (skipped)"
    if "error" in result:
        return None, f"failed to open: {result['error']}"
    return result.get("camera"), None


def scan_cameras(
    indices: Iterable[int] | None = None,
    *,
    opener: Opener = _default_opener,
    timeout: float = PROBE_TIMEOUT,
    platform: str = sys.platform,
    dev: Path = Path("/dev"),
    sysfs: Path = Path("/sys/class/video4linux"),
) -> CameraScan:
    """Probe cameras one by one. On Linux only the /dev/videoN that exist are tried."""
    scan = CameraScan()
    names: dict[int, str | None] = {}
    stop_after_misses = False
    if indices is None:
        if platform.startswith("linux"):
            nodes = linux_video_nodes(dev, sysfs)
            if not nodes:
                return scan  # no device node: nothing to probe, nothing to wait for
            names = dict(nodes)
            indices = list(names)
        else:
            indices = range(MAX_INDEX)
            stop_after_misses = True
    misses = 0
    indices = list(indices)
    log.info("scanning cameras at indices %s", indices)
    for index in indices:
        started = time.monotonic()
        camera, reason = probe_camera(index, opener, timeout)
        if camera is not None:
            name = names.get(index) or f"camera {index}"
            scan.cameras.append(
                {
                    "index": index,
                    "name": name,
                    "width": camera["width"],
                    "height": camera["height"],
                    "fps": camera["fps"],
                    "probe_seconds": round(time.monotonic() - started, 3),
                }
            )
            misses = 0
            continue
        if reason:
            scan.skipped.append({"index": index, "reason": reason})
        misses += 1
        if stop_after_misses and misses >= MAX_MISSES:
            break
    return scan


def list_cameras(**kwargs) -> list[dict]:
    """Cameras found: index, name, width, height, fps (see `scan_cameras`)."""
    return scan_cameras(**kwargs).cameras


def list_devices(**kwargs) -> dict:
    """Cameras and microphones, plus notices for what is missing or was skipped."""
    scan = scan_cameras(**kwargs)
    mics = list_microphones()
    notices = [f"camera {s['index']} {s['reason']}" for s in scan.skipped]
    if not scan.cameras:
        notices.append(NO_CAMERA)
    if not mics:
        notices.append(NO_MICROPHONE)
    return {
        "cameras": scan.cameras,
        "microphones": mics,
        "skipped": scan.skipped,
        "notices": notices,
    }
