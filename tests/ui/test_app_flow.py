"""The whole app on the test pattern: record, look, music, restart, export; and a crash."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import av
import numpy as np
import pytest
from PySide6.QtCore import Qt

from reeleditor.app import create_main_window
from reeleditor.core.draft import MusicCue
from reeleditor.core.settings import Settings
from reeleditor.storage.paths import AppPaths
from reeleditor.storage.settings import save_settings

SMALL = Settings(camera="testpattern", width=180, height=320, microphone="auto")


@pytest.fixture
def small_settings(reel_home):
    paths = AppPaths.from_env().ensure()
    save_settings(paths.settings_file, SMALL)
    return paths


def _window(qtbot):
    window, sentinel = create_main_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.source is not None, timeout=10000)
    return window, sentinel


def _close(window, sentinel):
    window.close()
    sentinel.stop()


def _record(qtbot, window, seconds):
    with qtbot.waitSignal(window.recorder.recording_changed, timeout=5000):
        qtbot.keyClick(window, Qt.Key_Space)
    qtbot.wait(int(seconds * 1000))
    with qtbot.waitSignal(window.recorder.take_added, timeout=10000):
        qtbot.keyClick(window, Qt.Key_Space)


@pytest.mark.slow
def test_whole_flow_survives_a_restart_and_exports(qtbot, small_settings, tmp_path):
    window, sentinel = _window(qtbot)
    qtbot.waitUntil(lambda: window.view.shown_fps > 5, timeout=10000)
    _record(qtbot, window, 0.6)
    _record(qtbot, window, 0.5)
    draft = window.session.draft
    assert len(draft.segments) == 2
    window.tabs.setCurrentWidget(window.looks_panel)
    window.looks_panel.look_buttons["noir"].click()
    window.tabs.setCurrentWidget(window.music_panel)
    item = next(
        window.music_panel.track_list.item(i)
        for i in range(window.music_panel.track_list.count())
        if "Sunny Day" in window.music_panel.track_list.item(i).text()
    )
    window.music_panel.track_list.setCurrentItem(item)
    qtbot.waitUntil(lambda: window.session.draft.music is not None, timeout=10000)
    recipe = window.session.draft
    assert recipe.look.name == "noir" and recipe.music.track == "library:sunny-day"
    qtbot.waitUntil(lambda: not window.session.dirty, timeout=3000)  # autosaved
    assert window.save_label.text() == "All changes saved"
    _close(window, sentinel)

    again, sentinel = _window(qtbot)
    assert again.recovery_box is None  # a clean exit: no recovery prompt
    reopened = again.session.draft
    assert reopened.id == recipe.id
    assert reopened.look == recipe.look and reopened.music == recipe.music
    assert [s.id for s in reopened.segments] == [s.id for s in recipe.segments]
    from reeleditor.ui.export_dialog import ExportDialog

    dialog = ExportDialog(again.store, reopened, again.runner, tmp_path, "small", again)
    out = tmp_path / "flow.mp4"
    dialog.path.setText(str(out))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=30000)
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    with av.open(str(out)) as container:
        sound = np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)
    assert len(frames) == round(reopened.duration * 30) and len(frames) > 20
    grey = frames[10].astype(int)
    assert np.abs(grey[..., 2] - grey[..., 0]).mean() < 6  # the noir look is baked in
    assert float(np.sqrt(np.mean(sound**2))) > 0.05  # the music is in the mix
    _close(again, sentinel)


def test_undo_redo_and_delete_last_with_keys(qtbot, small_settings):
    from reeleditor.ui.session import SaveState

    window, sentinel = _window(qtbot)
    _record(qtbot, window, 0.4)
    assert len(window.session.draft.segments) == 1
    # the take reached the session, which saves it; then the take's journal ends
    media = window.store.media_dir(window.session.draft.id)
    qtbot.waitUntil(lambda: not list(media.glob("*.recording")), timeout=5000)
    assert window.session.state is SaveState.SAVED
    assert window.store.load(window.session.draft.id) == window.session.draft
    qtbot.keyClick(window, Qt.Key_Backspace)
    assert window.session.draft.segments == ()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert len(window.session.draft.segments) == 1
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert window.session.draft.segments == ()
    _close(window, sentinel)


CRASHER = textwrap.dedent("""
    import sys
    from PySide6.QtWidgets import QApplication
    from PySide6.QtCore import QTimer
    from reeleditor.app import create_main_window
    app = QApplication([])
    window, sentinel = create_main_window()
    window.show()
    def go():
        if window.source is None:
            return
        timer.stop()
        window.start_recording()
        print("recording", window.session.draft.id, flush=True)
    timer = QTimer(interval=50)
    timer.timeout.connect(go)
    timer.start()
    app.exec()
""")


@pytest.mark.slow
def test_killed_mid_recording_offers_recovery_with_the_segment(qtbot, small_settings):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASHER],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    line = proc.stdout.readline().split()
    assert line and line[0] == "recording", "the app did not start recording"
    draft_id = line[1]
    time.sleep(2.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()

    window, sentinel = _window(qtbot)
    qtbot.waitUntil(lambda: window.recovery_box is not None, timeout=5000)
    text = window.recovery_box.text()
    assert "ended unexpectedly" in text and "the take you were recording" in text
    assert draft_id not in text  # plain words: titles and lengths, no ids
    draft = window.store.load(draft_id)
    assert len(draft.segments) == 1 and 1.0 < draft.segments[0].duration < 3.0
    assert window.session.draft.id == draft_id  # carried on where the creator was
    _close(window, sentinel)


def test_play_reel_with_music_then_back_to_the_camera(qtbot, small_settings):
    window, sentinel = _window(qtbot)
    _record(qtbot, window, 0.6)
    window.session.apply(
        lambda d, now: d.with_changes(music=MusicCue("library:calm-waves", start=3.0), updated=now)
    )
    played = []
    window.music.play = lambda draft, track, reel_time: played.append((track.name, reel_time))
    window.tabs.setCurrentWidget(window.editor_panel)
    window.editor_panel.play_button.click()
    assert window.preview.player is not None
    assert window.preview.pipeline.source is window.preview.player
    assert played == [("calm-waves.m4a", 0.0)]
    assert window.editor_panel.play_button.isChecked()  # says "Stop" while the reel plays
    qtbot.waitUntil(lambda: window.preview.player is None, timeout=10000)  # it ends by itself
    assert window.preview.pipeline.source is window.source
    assert not window.editor_panel.play_button.isChecked()
    _close(window, sentinel)
