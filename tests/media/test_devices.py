"""Device discovery: the empty machine for real; a hanging or broken camera via fake openers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from reeleditor.media.devices import (
    NO_CAMERA,
    linux_video_nodes,
    list_cameras,
    list_devices,
    probe_camera,
    scan_cameras,
)


class FakeCapture:
    """Enough of cv2.VideoCapture for a probe."""

    def __init__(self, opened=True, frame=True, size=(640, 480), fps=30.0):
        self._opened, self._frame, self._size, self._fps = opened, frame, size, fps
        self.released = False

    def isOpened(self):
        return self._opened

    def read(self):
        if not self._frame:
            return False, None
        w, h = self._size
        return True, np.zeros((h, w, 3), np.uint8)

    def get(self, prop):
        import cv2

        return {
            cv2.CAP_PROP_FPS: self._fps,
            cv2.CAP_PROP_FRAME_WIDTH: self._size[0],
            cv2.CAP_PROP_FRAME_HEIGHT: self._size[1],
        }.get(prop, 0.0)

    def release(self):
        self.released = True


def test_this_machine_has_no_camera_and_says_the_test_pattern_stands_in():
    if list(Path("/dev").glob("video*")):
        pytest.skip("this machine has /dev/video* nodes; the empty case needs none")
    start = time.monotonic()
    found = list_devices()
    assert found["cameras"] == [] and found["skipped"] == []
    assert NO_CAMERA in found["notices"]
    assert time.monotonic() - start < 2  # no device node: nothing probed, nothing waited for


def test_blind_probing_with_real_opencv_finds_nothing_here_and_stops_early():
    # the path Windows and macOS take: indices 0, 1, ... until two in a row are closed
    if list(Path("/dev").glob("video*")):
        pytest.skip("this machine has a camera")
    scan = scan_cameras(platform="win32", timeout=5)
    assert scan.cameras == [] and scan.skipped == []


def test_a_camera_that_hangs_is_skipped_not_waited_for():
    release = threading.Event()
    opened = {}

    def opener(index):
        if index == 1:
            release.wait(30)  # a driver stuck in open()
        opened[index] = FakeCapture(size=(1280, 720) if index == 0 else (640, 480))
        return opened[index]

    start = time.monotonic()
    scan = scan_cameras([0, 1, 2], opener=opener, timeout=0.3)
    elapsed = time.monotonic() - start
    release.set()  # let the abandoned daemon thread finish
    assert [c["index"] for c in scan.cameras] == [0, 2]
    assert scan.cameras[0] | {"probe_seconds": 0} == {
        "index": 0,
        "name": "camera 0",
        "width": 1280,
        "height": 720,
        "fps": 30.0,
        "probe_seconds": 0,
    }
    assert scan.skipped == [{"index": 1, "reason": "did not answer within 0.3 s (skipped)"}]
    assert elapsed < 2
    assert opened[0].released and opened[2].released


def test_a_camera_whose_driver_raises_is_skipped_with_the_reason(caplog):
    def opener(index):
        if index == 0:
            raise RuntimeError("driver exploded")
        return FakeCapture()

    with caplog.at_level("WARNING", logger="reeleditor"):
        scan = scan_cameras([0, 1], opener=opener, timeout=2)
    assert [c["index"] for c in scan.cameras] == [1]
    assert scan.skipped[0]["index"] == 0 and "driver exploded" in scan.skipped[0]["reason"]
    assert "camera 0: the probe failed" in caplog.text and "RuntimeError" in caplog.text


def test_closed_and_pictureless_devices_are_not_cameras():
    caps = []

    def opener(index):
        caps.append(FakeCapture(opened=index != 0, frame=index != 1))
        return caps[-1]

    assert probe_camera(0, opener, 2) == (None, None)
    assert probe_camera(1, opener, 2) == (None, None)  # e.g. a V4L2 metadata node
    camera, reason = probe_camera(2, opener, 2)
    assert reason is None and camera["width"] == 640
    assert all(c.released for c in caps)


def test_blind_probing_stops_after_two_closed_indices():
    tried = []

    def opener(index):
        tried.append(index)
        return FakeCapture(opened=index in (0, 1))

    found = list_cameras(opener=opener, platform="darwin", timeout=2)
    assert [c["index"] for c in found] == [0, 1]
    assert tried == [0, 1, 2, 3]


def test_linux_probes_only_the_video_nodes_there_are(tmp_path):
    dev, sysfs = tmp_path / "dev", tmp_path / "sys"
    dev.mkdir()
    for n in (0, 1, 4):
        (dev / f"video{n}").touch()
    (dev / "videodev-not-a-node").touch()
    (sysfs / "video0").mkdir(parents=True)
    (sysfs / "video0" / "name").write_text("Integrated Webcam\n")
    assert linux_video_nodes(dev, sysfs) == [(0, "Integrated Webcam"), (1, None), (4, None)]
    tried = []

    def opener(index):
        tried.append(index)
        return FakeCapture(opened=index != 1)

    found = list_cameras(opener=opener, platform="linux", dev=dev, sysfs=sysfs, timeout=2)
    assert tried == [0, 1, 4]
    assert [(c["index"], c["name"]) for c in found] == [(0, "Integrated Webcam"), (4, "camera 4")]
