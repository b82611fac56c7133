"""Hands-free capture on the real window: timer, Align ghost, guides, meter, device pickers."""

import av
import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from reeleditor.app import create_main_window
from reeleditor.core.settings import Settings
from reeleditor.media.levels import FLOOR_DB
from reeleditor.media.microphone import SilenceInput
from reeleditor.storage.paths import AppPaths
from reeleditor.storage.settings import load_settings, save_settings

FPS = 30
SMALL = Settings(camera="testpattern", width=180, height=320, fps=FPS, microphone="auto")


@pytest.fixture
def window(qtbot, reel_home, request):
    paths = AppPaths.from_env().ensure()
    save_settings(paths.settings_file, getattr(request, "param", SMALL))
    window, sentinel = create_main_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.source is not None, timeout=10000)
    yield window
    window.close()
    sentinel.stop()


def _settings_on_disk() -> Settings:
    settings, warning = load_settings(AppPaths.from_env().settings_file)
    assert warning is None
    return settings


def _timed_take(qtbot, window, seconds: float) -> None:
    """Space, then nothing: the take must stop by itself."""
    window.record_panel.set_take_seconds(seconds)
    with qtbot.waitSignal(window.recorder.recording_changed, timeout=5000):
        qtbot.keyClick(window, Qt.Key_Space)
    with qtbot.waitSignal(window.recorder.take_added, timeout=10000):
        pass


def _frames(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


def _small(bgr: np.ndarray, width: int = 9) -> np.ndarray:
    size = (width, width * 16 // 9)
    return cv2.resize(bgr, size, interpolation=cv2.INTER_AREA).astype(np.float32)


def _qimage_bgr(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format_BGR888)
    w, h = image.width(), image.height()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
    return rows[:, : w * 3].reshape(h, w, 3).copy()


def _grab(view) -> np.ndarray:
    return _qimage_bgr(view.grab().toImage()).astype(np.int16)


def test_the_timer_records_n_seconds_and_stops_by_itself(qtbot, window):
    panel, overlay = window.record_panel, window.record_panel.overlay
    panel.set_take_seconds(1)
    with qtbot.waitSignal(window.recorder.recording_changed, timeout=5000):
        qtbot.keyClick(window, Qt.Key_Space)
    assert overlay.remaining is not None and overlay.text.endswith("s left")
    qtbot.waitUntil(lambda: overlay.elapsed > 0, timeout=5000)
    assert 0 <= overlay.remaining < 1.0
    with qtbot.waitSignal(window.recorder.take_added, timeout=10000) as added:
        pass  # nobody presses stop
    (segment,) = added.args[0]
    assert abs(segment.duration - 1.0) <= 2 / FPS
    path = window.store.media_path(window.session.draft, segment)
    assert abs(len(_frames(path)) - FPS) <= 2
    assert not window.recorder.recording and overlay.text == ""
    assert _settings_on_disk().take_seconds == 0  # set in code: the choice persists on use
    panel.length.setCurrentIndex(panel.length.findData(5))
    panel.length.activated.emit(panel.length.currentIndex())
    assert _settings_on_disk().take_seconds == 5


def test_align_shows_the_previous_takes_last_frame(qtbot, window):
    panel, overlay, view = window.record_panel, window.record_panel.overlay, window.view
    window.preview.set_mirror(False)  # pixels compared as recorded
    panel.align_button.setChecked(True)
    assert _settings_on_disk().align_ghost
    assert overlay.ghost is None  # no take yet: nothing to align to
    _timed_take(qtbot, window, 1)
    qtbot.waitUntil(lambda: overlay.ghost is not None, timeout=5000)
    draft = window.session.draft
    frames = _frames(window.store.media_path(draft, draft.segments[-1]))
    ghost = _small(_qimage_bgr(overlay.ghost))
    to_last = np.abs(ghost - _small(frames[-1])).mean()
    to_first = np.abs(ghost - _small(frames[0])).mean()
    assert to_last < 3.0 and to_last < to_first, (to_last, to_first)
    assert overlay.isVisible()
    qtbot.wait(500)  # the disc moves on: the live picture is no longer the take's last
    window.preview.pipeline.stop()  # a still picture: only the ghost differs below
    qtbot.wait(50)
    with_ghost = _grab(view)
    panel.align_button.setChecked(False)
    assert not _settings_on_disk().align_ghost
    without = _grab(view)
    r = overlay.picture_rect().toRect()
    crop = (slice(r.top() + 1, r.bottom()), slice(r.left() + 1, r.right()))
    live, shown = (_small(a[crop].astype(np.uint8), 36) for a in (without, with_ghost))
    ghost = _small(_qimage_bgr(overlay.ghost), 36)
    to_blend = np.abs(shown - (0.6 * live + 0.4 * ghost)).mean()  # the ghost at 40 % ...
    to_live = np.abs(shown - live).mean()  # ... not the live picture alone
    assert to_blend < 2.0 and to_blend < to_live / 2, (to_blend, to_live)
    window.preview.pipeline.start()
    panel.align_button.setChecked(True)
    first_ghost = overlay.ghost
    _timed_take(qtbot, window, 1)  # a second take: the ghost follows the newest take
    qtbot.waitUntil(lambda: overlay.ghost is not first_ghost, timeout=5000)
    last = window.session.draft.segments[-1]
    frames = _frames(window.store.media_path(window.session.draft, last))
    assert np.abs(_small(_qimage_bgr(overlay.ghost)) - _small(frames[-1])).mean() < 3.0


def test_grid_and_safe_zone_toggles_change_what_is_painted(qtbot, window):
    panel, overlay, view = window.record_panel, window.record_panel.overlay, window.view
    window.preview.pipeline.stop()  # a still picture, so only the guides differ
    view.resize(270, 480)
    qtbot.wait(50)
    bare = _grab(view)
    assert not overlay.isVisible()
    panel.grid_button.setChecked(True)
    grid = _grab(view)
    rect = overlay.picture_rect()
    x = round(rect.left() + rect.width() / 3)
    column = np.abs(grid[:, x] - bare[:, x]).sum(axis=1)
    assert (column > 30).mean() > 0.8  # a line down the first third
    assert _settings_on_disk().show_grid
    panel.grid_button.setChecked(False)
    panel.safe_button.setChecked(True)
    safe = _grab(view)
    top = round(rect.top() + rect.height() * 0.05)
    middle = round(rect.top() + rect.height() * 0.5)
    left = round(rect.left() + rect.width() * 0.3)
    assert np.abs(safe[top] - bare[top]).mean() > 5  # the covered top band is shaded
    assert np.abs(safe[middle, left] - bare[middle, left]).sum() == 0  # the safe area is not
    assert _settings_on_disk().show_safe_zones and not _settings_on_disk().show_grid
    panel.safe_button.setChecked(False)
    assert not overlay.isVisible()


def test_the_meter_moves_with_the_sound_and_says_when_there_is_no_microphone(qtbot, window):
    meter = window.record_panel.meter
    # the test pattern's own sound (a hum with a beep each second) is the "auto" microphone
    qtbot.waitUntil(lambda: meter.peak > -40 and not meter.message, timeout=5000)
    assert meter.text.endswith("dBFS")
    window.record_screen.switch_microphone("none")
    qtbot.waitUntil(lambda: meter.text == "No microphone", timeout=2000)
    assert meter.peak == FLOOR_DB
    assert isinstance(window.audio_input(), SilenceInput)
    assert _settings_on_disk().microphone == "none"


def test_pickers_list_devices_and_switch_between_takes_only(qtbot, window):
    panel, screen = window.record_panel, window.record_screen
    cams = [panel.camera_combo.itemData(i) for i in range(panel.camera_combo.count())]
    mics = [panel.microphone_combo.itemData(i) for i in range(panel.microphone_combo.count())]
    assert {"auto", "testpattern"} <= set(cams) and panel.camera_combo.currentData() == (
        "testpattern"
    )
    assert {"auto", "none"} <= set(mics)
    # during a take a switch is refused, with a message, and nothing changes
    panel.set_take_seconds(0)
    with qtbot.waitSignal(window.recorder.recording_changed, timeout=5000):
        qtbot.keyClick(window, Qt.Key_Space)
    assert not panel.camera_combo.isEnabled()
    panel.camera_combo.setCurrentIndex(cams.index("auto"))
    with qtbot.waitSignal(screen.message) as refused:
        panel.camera_combo.activated.emit(cams.index("auto"))
    assert "Stop recording" in refused.args[0]
    assert panel.camera_combo.currentData() == "testpattern"
    assert window.settings.camera == "testpattern" and window.source is not None
    qtbot.wait(400)  # a take long enough to keep
    with qtbot.waitSignal(window.recorder.take_added, timeout=10000):
        qtbot.keyClick(window, Qt.Key_Space)
    # between takes it applies: the camera reopens and the choice is saved
    old = window.source
    panel.camera_combo.setCurrentIndex(cams.index("auto"))
    with qtbot.waitSignal(window.preview.camera_opened, timeout=10000):
        panel.camera_combo.activated.emit(cams.index("auto"))
    assert window.source is not old
    assert window.settings.camera == "auto" and _settings_on_disk().camera == "auto"
    none = mics.index("none")
    panel.microphone_combo.setCurrentIndex(none)
    panel.microphone_combo.activated.emit(none)
    assert window.settings.microphone == "none" and _settings_on_disk().microphone == "none"


@pytest.mark.parametrize(
    "window",
    [Settings(**{**SMALL.__dict__, "take_seconds": 15, "show_grid": True})],
    indirect=True,
)
def test_the_settings_come_back_at_the_next_start(qtbot, window):
    panel = window.record_panel
    assert panel.take_seconds == 15 and panel.grid_button.isChecked()
    assert window.record_panel.overlay.show_grid and window.record_panel.overlay.isVisible()
