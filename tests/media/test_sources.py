"""Capture sources: the test pattern's schedule, a file played as a camera, bad devices."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from reeleditor.core.errors import SourceError
from reeleditor.media.conform import conform
from reeleditor.media.sources import open_source, parse_source_spec
from reeleditor.media.sources.camera import CameraSource
from reeleditor.media.sources.filesource import FileSource
from reeleditor.media.sources.testpattern import TestPatternSource, has_flash


def test_test_pattern_is_deterministic_and_marks_each_second():
    from reeleditor.media.sources.testpattern import draw_pattern, pattern_background

    background = pattern_background(180, 320)
    a = [draw_pattern(background, i, 30, np.empty_like(background)) for i in (0, 1, 30)]
    b = [draw_pattern(background, i, 30, np.empty_like(background)) for i in (0, 1, 30)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], a[1])  # it moves
    assert has_flash(a[0]) and not has_flash(a[1]) and has_flash(a[2])
    assert a[0].shape == (320, 180, 3)


def test_test_pattern_keeps_only_the_latest_frame_at_its_rate():
    source = TestPatternSource(180, 320, 30).open()
    try:
        first = source.wait_frame(-1, 2)
        later = source.wait_frame(first.index + 10, 2)
        assert later.index >= first.index + 11
        assert later.time - first.time == pytest.approx((later.index - first.index) / 30)
        assert source.latest() is not None
    finally:
        source.close()


def test_test_tone_beeps_with_the_flash():
    from reeleditor.media.testtone import tone

    samples = tone(0, 48000, 48000)
    loud = np.abs(samples) > 0.2
    assert loud[:4000].any() and not loud[6000:47000].any()


@pytest.fixture
def small_video(tmp_path):
    path = tmp_path / "clip.mp4"
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 96, "yuv420p"
        for i in range(5):
            image = np.full((96, 64, 3), i * 50, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                out.mux(packet)
        out.mux(stream.encode(None))
    return path


def test_file_source_loops(small_video):
    source = FileSource(small_video, realtime=False).open()
    try:
        frames, last = [], -1
        while last < 12:  # the source keeps only its latest frame: some may be skipped
            frames.append(source.wait_frame(last, 2))
            last = frames[-1].index
    finally:
        source.close()
    assert (source.width, source.height, source.fps) == (64, 96, 10.0)
    # frame n shows picture n % 5 (level 50 * (n % 5)): back to the start after 5 frames
    assert all(abs(f.image.mean() - 50 * (f.index % 5)) < 8 for f in frames)
    assert any(f.index >= 5 for f in frames)


def test_file_source_that_is_not_a_video(tmp_path):
    notes = tmp_path / "notes.mp4"
    notes.write_text("shopping list")
    with pytest.raises(SourceError, match=r"notes.mp4 is not a video"):
        FileSource(notes).open()
    with pytest.raises(SourceError, match="does not exist"):
        FileSource(tmp_path / "nope.mp4").open()


def test_camera_index_that_does_not_exist():
    with pytest.raises(SourceError, match="no camera at index 57.*reeleditor devices"):
        CameraSource(57).open()


class FakeCapture:
    """A device that opens but never sends a picture: another program holds it."""

    def __init__(self, frames=0, shape=(480, 640, 3)):
        self.frames, self.shape, self.props = frames, shape, {}

    def isOpened(self):
        return True

    def set(self, prop, value):
        self.props[prop] = value
        return True

    def get(self, prop):
        return 15.0

    def read(self):
        if self.frames > 0:
            self.frames -= 1
            return True, np.zeros(self.shape, np.uint8)
        return False, None

    def release(self):
        pass


def test_camera_in_use_by_another_program(monkeypatch):
    import reeleditor.media.sources.camera as camera

    monkeypatch.setattr(camera, "FIRST_FRAME_TIMEOUT", 0.2)
    with pytest.raises(SourceError, match="in use by another program"):
        CameraSource(0, opener=lambda i: FakeCapture(0)).open()


def test_camera_falls_back_to_the_mode_it_can_give_and_says_so(monkeypatch):
    source = CameraSource(0, 1080, 1920, 30, opener=lambda i: FakeCapture(1000)).open()
    try:
        assert (source.width, source.height, source.fps) == (640, 480, 15.0)
        assert "cannot give 1080x1920 @ 30 fps; using 640x480 @ 15 fps" in source.notice
    finally:
        source.close()


def test_dropped_camera_is_reopened_then_reported(monkeypatch):
    import reeleditor.media.sources.camera as camera

    monkeypatch.setattr(camera, "FIRST_FRAME_TIMEOUT", 0.05)
    opens = []

    def opener(index):
        opens.append(index)
        return FakeCapture(3 if len(opens) == 1 else 0)

    source = CameraSource(0, opener=opener).open()
    try:
        with pytest.raises(SourceError, match="in use|stopped sending"):
            for _ in range(50):
                source.wait_frame(source.latest().index if source.latest() else -1, 1)
    finally:
        source.close()
    assert 2 <= len(opens) <= 1 + camera.REOPEN_ATTEMPTS


def test_source_specs():
    assert parse_source_spec("camera:2") == ("camera", "2")
    assert parse_source_spec("file:/a b.mp4") == ("file", "/a b.mp4")
    for bad in ("camera:x", "webcam", "file:"):
        with pytest.raises(SourceError, match="testpattern, camera:N"):
            parse_source_spec(bad)


def test_auto_source_without_camera_is_the_test_pattern_and_says_so(monkeypatch):
    import reeleditor.media.devices as devices

    monkeypatch.setattr(devices, "list_cameras", lambda *a, **k: [])
    source = open_source("auto", 180, 320, 30)
    assert isinstance(source, TestPatternSource)
    assert "no camera found" in source.notice


def test_conform_crops_landscape_to_vertical():
    landscape = np.zeros((1080, 1920, 3), np.uint8)
    landscape[:, 960 - 10 : 960 + 10] = 255  # a white line in the middle
    out = conform(landscape, 1080, 1920)
    assert out.shape == (1920, 1080, 3)
    assert out[:, 540].mean() > 200 and out[:, 10].mean() == 0


def test_importing_sources_does_not_start_threads():
    code = "import reeleditor.media.sources.testpattern, threading; print(threading.active_count())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "1", result.stderr


def test_opencv_stays_off_the_terminal_and_the_camera_logs_what_it_tried(caplog):
    """OpenCV's own "[ WARN:0@..] can't open camera by index" never reaches stderr: the
    log (here a script's own, on stdout) has it."""
    code = (
        "import logging, sys\n"
        "logging.basicConfig(stream=sys.stdout, level=logging.WARNING)\n"
        "from reeleditor.media.sources.camera import CameraSource\n"
        "try:\n    CameraSource(0).open()\nexcept Exception as exc:\n    print(exc)\n"
    )
    if list(__import__("pathlib").Path("/dev").glob("video0")):
        pytest.skip("this machine has a camera 0")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "no camera at index 0" in result.stdout
    assert "camera 0: OpenCV said: [ WARN" in result.stdout, result.stdout
    assert "WARN" not in result.stderr and "VIDEOIO" not in result.stderr, result.stderr
    with caplog.at_level("INFO", logger="reeleditor"), pytest.raises(SourceError):
        CameraSource(57).open()
    assert "camera 57 did not open (OpenCV" in caplog.text and "tried:" in caplog.text


def test_a_source_that_fails_logs_its_traceback(caplog):
    class Exploding(TestPatternSource):
        def _grab(self):
            raise RuntimeError("the device went away")

    source = Exploding(180, 320, 30)
    with caplog.at_level("WARNING", logger="reeleditor"):
        source.open()
        with pytest.raises(SourceError, match="the device went away"):
            source.wait_frame(timeout=5)
        source.close()
    record = next(r for r in caplog.records if r.name == "reeleditor.media.sources.base")
    assert record.exc_info and "RuntimeError" in caplog.text


@pytest.mark.skipif(Path("/dev/video0").exists(), reason="this machine has a camera 0")
def test_opencv_warnings_go_to_the_log_not_the_terminal(reel_home):
    """`record` from a missing camera: our one line on stderr, OpenCV's reason in the log."""
    from tests.conftest import run_cli

    result = run_cli("record", "--source", "camera:0", "--seconds", "1")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "reeleditor: error: no camera at index 0 (see 'reeleditor devices' for the cameras found)"
    ]
    log = (reel_home / "logs" / "reeleditor.log").read_text()
    said = [line for line in log.splitlines() if "OpenCV said" in line]
    assert said and all("camera 0" in line for line in said), log
    assert any("VIDEOIO" in line or "WARN" in line for line in said), said


_CAPTURE_SCRIPT = """
import logging, os, sys, threading
logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
import reeleditor.media._cv as cv
"""


def _script(body: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _CAPTURE_SCRIPT + body], capture_output=True, text=True, timeout=60
    )


def test_only_opencv_lines_are_taken_off_the_terminal():
    result = _script(
        "with cv.capture_opencv_output(4):\n"
        "    os.write(2, b'[ WARN:0@0.1] global cap_v4l.cpp: Device or resource busy\\n')\n"
        "    os.write(2, b'another thread had this to say\\n')\n"
        "os.write(2, b'after\\n')\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "another thread had this to say\nafter\n"
    assert "camera 4: OpenCV said: [ WARN:0@0.1] global cap_v4l.cpp: Device or resource busy" in (
        result.stdout
    )
    assert "camera 4: while it opened, stderr got: another thread had this to say" in result.stdout


def test_a_driver_that_hangs_in_open_gives_stderr_back():
    result = _script(
        "cv.CAPTURE_LIMIT = 0.2\n"
        "given_back, hang = threading.Event(), threading.Event()\n"
        "class Watch(logging.Handler):\n"
        "    def emit(self, record):\n"
        "        if 'stderr given back' in record.getMessage():\n"
        "            given_back.set()\n"
        "logging.getLogger().addHandler(Watch())\n"
        "def stuck():\n"
        "    with cv.capture_opencv_output(5):\n"
        "        hang.wait(30)\n"
        "t = threading.Thread(target=stuck)\n"
        "t.start()\n"
        "assert given_back.wait(20)\n"
        "os.write(2, b'seen on the terminal\\n')\n"
        "hang.set()\n"
        "t.join()\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "seen on the terminal\n"


def test_a_camera_opens_even_where_nothing_can_be_captured(monkeypatch, caplog):
    import tempfile

    import reeleditor.media._cv as cv

    def no_temp_folder():
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", no_temp_folder)
    opened = []
    with caplog.at_level("WARNING", logger="reeleditor"), cv.capture_opencv_output(6):
        opened.append(True)
    assert opened and "camera 6: OpenCV's warnings cannot be captured" in caplog.text
    monkeypatch.undo()
    with cv.capture_opencv_output(6):  # the lock was given back
        pass
