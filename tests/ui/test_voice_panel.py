"""The voice-over panel on the real window: a file added, its volume, undo; narration
recorded from the test microphone while the reel plays; the ducking slider."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt

from reeleditor.app import create_main_window
from reeleditor.core.settings import Settings
from reeleditor.media.testtone import TestToneInput
from reeleditor.storage.paths import AppPaths
from reeleditor.storage.settings import save_settings
from reeleditor.ui import voice_panel
from tests.media.helpers import record_takes
from tests.media.test_voiceover import tone_wav

W, H = 180, 320


@pytest.fixture
def window(qtbot, reel_home, store):
    paths = AppPaths.from_env().ensure()
    save_settings(paths.settings_file, Settings(camera="testpattern", width=W, height=H))
    draft = store.create("narrate me", width=W, height=H)
    record_takes(store, draft.id, (1.5, 1.0), W, H, 30)
    store.release(draft.id)
    window, sentinel = create_main_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.source is not None, timeout=10000)
    window.open_draft(draft.id)
    qtbot.waitUntil(lambda: window.session.draft is not None, timeout=5000)
    window.tabs.setCurrentWidget(window.editor_panel)
    yield window
    window.close()
    sentinel.stop()


def test_a_file_is_added_at_the_playhead_its_volume_changed_and_undone(
    qtbot, window, tmp_path, monkeypatch
):
    src = tone_wav(tmp_path / "say.wav", 0.8)
    monkeypatch.setattr(
        voice_panel.QFileDialog,
        "getOpenFileName",
        staticmethod(lambda *a, **k: (str(src), voice_panel.AUDIO_FILTER)),
    )
    window.timeline.timeline.set_playhead(0.5)
    panel = window.voice_panel
    qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.voices.count() == 1, timeout=10000)
    session = window.session
    voice = session.draft.voiceovers[0]
    assert voice.at == pytest.approx(0.5) and voice.duration == pytest.approx(0.8)
    assert (session.store.folder(session.draft.id) / voice.media).is_file()
    row = panel.rows[0]
    assert row.label.text() == "0.50 s  ·  0.80 s"
    row.volume.setValue(40)
    qtbot.waitUntil(lambda: session.draft.voiceovers[0].volume == pytest.approx(0.4))
    assert panel.rows[0] is row and row.percent.text() == "40 %"
    window.undo_action.trigger()
    assert session.draft.voiceovers[0].volume == 1.0 and row.volume.value() == 100
    qtbot.mouseClick(row.remove_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: session.draft.voiceovers == ())
    assert panel.voices.count() == 0 and panel.rows == []
    window.undo_action.trigger()  # the remove, undone: the file was kept
    assert len(session.draft.voiceovers) == 1 and panel.voices.count() == 1
    window.undo_action.trigger()
    assert session.draft.voiceovers == () and panel.voices.count() == 0


def test_a_file_that_is_not_audio_is_named_and_nothing_added(qtbot, window, tmp_path):
    bad = tmp_path / "notes.mp3"
    bad.write_text("not a song")
    window.voice_panel.add_file(bad)
    qtbot.waitUntil(lambda: "notes.mp3" in window.voice_panel.status.text(), timeout=5000)
    assert window.session.draft.voiceovers == ()


def test_narration_is_recorded_while_the_reel_plays_and_lands_at_the_playhead(qtbot, window):
    panel = window.voice_panel
    panel.audio_input = lambda: TestToneInput(time.monotonic())  # the machine has no mic
    window.timeline.timeline.set_playhead(1.0)
    with qtbot.waitSignal(window.preview.playback_started, timeout=5000):
        qtbot.mouseClick(panel.record_button, Qt.LeftButton)
    assert panel.recording and window.preview.playing
    # the reel plays from 1.0 s to its end (2.5 s): the recording ends with it
    qtbot.waitUntil(lambda: panel.voices.count() == 1, timeout=10000)
    voice = window.session.draft.voiceovers[0]
    # where the reel was when the first sample came: the playhead, or just after it
    assert 1.0 <= voice.at < 1.3
    assert 1.0 <= voice.at + voice.duration <= 2.5 + 1e-3  # it ends with the reel
    # the task's `done` (which resets the button) is delivered just after its result
    qtbot.waitUntil(lambda: not panel.record_button.isChecked() and not panel.recording)
    window.undo_action.trigger()
    assert window.session.draft.voiceovers == ()


def test_stop_keeps_what_was_recorded(qtbot, window):
    panel = window.voice_panel
    panel.audio_input = lambda: TestToneInput(time.monotonic())
    window.timeline.timeline.set_playhead(0.0)
    with qtbot.waitSignal(window.preview.playback_started, timeout=5000):
        qtbot.mouseClick(panel.record_button, Qt.LeftButton)
    qtbot.wait(600)
    qtbot.mouseClick(panel.record_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.voices.count() == 1, timeout=10000)
    voice = window.session.draft.voiceovers[0]
    # placed where the reel was at the first sample: 0, or a little after on a busy machine
    assert 0.0 <= voice.at < 0.3 and 0.3 < voice.duration < 1.5
    qtbot.waitUntil(lambda: not window.preview.playing, timeout=5000)


def test_the_duck_and_track_sliders_set_the_recipe(qtbot, window):
    panel, session = window.voice_panel, window.session
    assert panel.duck.value() == 12 and panel.duck.maximum() == 24
    panel.duck.setValue(20)
    qtbot.waitUntil(lambda: session.draft.duck_db == 20.0)
    panel.original_volume.setValue(50)
    qtbot.waitUntil(lambda: session.draft.original_volume == 0.5)
    assert not panel.music_volume.isEnabled()  # no music yet
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert session.draft.duck_db == 12.0 and panel.duck.value() == 12


def test_the_mix_is_made_after_an_edit_and_played_at_once(qtbot, window, tmp_path, monkeypatch):
    panel, mixed = window.voice_panel, window.preview.mixed
    played = []
    monkeypatch.setattr(window.music, "play", lambda d, path, t: played.append((path, t)))
    panel.add_file(tone_wav(tmp_path / "say.wav", 0.5))
    qtbot.waitUntil(lambda: panel.voices.count() == 1, timeout=10000)
    # made shortly after the edit, before anyone presses Play
    qtbot.waitUntil(lambda: mixed.ready is not None, timeout=15000)
    assert mixed.ready.is_file() and mixed.ready.parent == window.paths.cache / "mixes"
    assert played == []
    window.play_reel(1.0)
    assert played == [(mixed.ready, 1.0)]  # found ready: the sound starts with the pictures
    window.stop_playback()
    # another version of the mix (a new duck depth) is made when played, then heard
    first = mixed.ready
    window.session.apply(lambda d, now: d.with_changes(duck_db=6.0, updated=now))
    window.play_reel(0.0)
    qtbot.waitUntil(lambda: len(played) == 2, timeout=15000)
    assert played[1][0] != first and played[1][0].is_file()
    window.stop_playback()
