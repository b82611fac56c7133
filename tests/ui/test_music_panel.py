"""The music panel: library and imported songs, the playing window, volumes and fades."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from reeleditor.core.draft import MusicCue, Segment
from reeleditor.media.music import library
from reeleditor.ui.music_panel import MusicPanel
from reeleditor.ui.session import DraftSession
from reeleditor.ui.waveform import WaveformWidget

REEL_SECONDS = 8.0


@pytest.fixture
def session(store, runner):
    s = DraftSession(store, runner)
    draft = store.create("Music", segments=(Segment("media/a.mp4", REEL_SECONDS, "s1"),))
    s.open(draft.id)
    yield s
    s.close()


@pytest.fixture
def panel(qtbot, session, runner, tmp_path):
    p = MusicPanel(session, runner, tmp_path / "peaks")
    qtbot.addWidget(p)
    p.resize(500, 600)
    p.show()
    return p


def row_of(panel, track):
    return next(
        r
        for r in range(panel.track_list.count())
        if panel.track_list.item(r).data(Qt.UserRole) == track
    )


def choose(qtbot, panel, session, track):
    with qtbot.waitSignal(session.changed, timeout=10000):
        panel.track_list.setCurrentRow(row_of(panel, track))
    qtbot.waitUntil(lambda: not panel.loading and panel.waveform.has_song, timeout=10000)


def test_the_library_is_listed_with_tempo_and_mood(panel):
    texts = [panel.track_list.item(r).text() for r in range(panel.track_list.count())]
    assert texts[0] == "No music"
    assert panel.track_list.currentRow() == 0
    first = library()[0]
    assert texts[1] == f"{first.title}  ·  {first.bpm} BPM  ·  {first.mood}"
    assert len(texts) == 1 + len(library())
    assert not panel.music_volume.isEnabled() and panel.original_volume.isEnabled()


def test_choosing_a_song_shows_its_waveform_and_sets_the_cue(qtbot, panel, session):
    choose(qtbot, panel, session, "library:calm-waves")
    assert session.draft.music == MusicCue("library:calm-waves")
    assert panel.selected_track_path().name == "calm-waves.m4a"
    assert panel.waveform.song_seconds == pytest.approx(40, abs=0.5)
    assert panel.waveform.window_seconds == REEL_SECONDS
    assert panel.waveform.peaks.max() > 0.05
    assert panel.position_label.text() == "Plays 0:00 – 0:08 of 0:40"
    assert panel.music_volume.isEnabled()
    image = panel.waveform.grab().toImage()
    assert image.width() > 0  # painting with a song and a window does not fail


def test_dragging_the_window_sets_the_start_once_on_release(qtbot, panel, session):
    choose(qtbot, panel, session, "library:hype-run")
    wave = panel.waveform
    previews, changes = [], []
    panel.cue_previewed.connect(previews.append)
    session.changed.connect(changes.append)
    px_per_s = wave.width() / wave.song_seconds
    grab = QPoint(round(2 * px_per_s), wave.height() // 2)  # inside the 0..8 s window
    qtbot.mousePress(wave, Qt.LeftButton, pos=grab)
    for dx in (50, 100, round(10 * px_per_s)):
        qtbot.mouseMove(wave, grab + QPoint(dx, 0))
    qtbot.mouseRelease(wave, Qt.LeftButton, pos=grab + QPoint(round(10 * px_per_s), 0))
    assert len(changes) == 1
    assert session.draft.music.start == pytest.approx(10, abs=0.2)
    assert len(previews) >= 3
    session.undo()
    assert session.draft.music.start == 0 and wave.start == 0


def test_the_window_stays_inside_the_song_and_is_at_least_a_second(qtbot, store, runner, tmp_path):
    wave = WaveformWidget()
    qtbot.addWidget(wave)
    wave.resize(400, 60)
    wave.set_song(np.linspace(0, 1, 800, dtype=np.float32), 40.0)
    wave.set_window(100.0, 0.0)
    assert wave.window_seconds == 1.0 and wave.start == 39.0
    with qtbot.waitSignal(wave.window_released) as released:
        qtbot.keyClick(wave, Qt.Key_Left)
    assert released.args == [38.5]


def test_a_bad_file_shows_one_line_and_keeps_the_music(qtbot, panel, session, tmp_path):
    choose(qtbot, panel, session, "library:calm-waves")
    before = session.draft
    bad = tmp_path / "song.mp3"
    bad.write_bytes(b"this is not audio at all" * 100)
    panel.ask_for_audio_file = lambda: str(bad)
    with qtbot.waitSignal(panel.error, timeout=10000) as err:
        qtbot.mouseClick(panel.import_button, Qt.LeftButton)
    assert "cannot be read as audio" in err.args[0] and "\n" not in err.args[0]
    assert panel.error_label.isVisible() and panel.error_label.text() == err.args[0]
    assert session.draft == before
    assert panel.track_list.currentItem().data(Qt.UserRole) == "library:calm-waves"


def test_a_truncated_song_is_refused(qtbot, panel, session, tmp_path):
    whole = library()[0].path.read_bytes()
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(whole[: len(whole) // 2])
    panel.ask_for_audio_file = lambda: str(cut)
    with qtbot.waitSignal(panel.error, timeout=10000):
        qtbot.mouseClick(panel.import_button, Qt.LeftButton)
    assert session.draft.music is None
    assert panel.track_list.currentRow() == 0


def test_importing_a_song_adds_it_to_the_list(qtbot, panel, session, tmp_path):
    mine = tmp_path / "my song.m4a"
    shutil.copy(library()[1].path, mine)
    panel.ask_for_audio_file = lambda: str(mine)
    with qtbot.waitSignal(session.changed, timeout=10000):
        qtbot.mouseClick(panel.import_button, Qt.LeftButton)
    assert session.draft.music.track == str(mine)
    assert panel.track_list.currentItem().text() == "my song.m4a"
    assert panel.selected_track_path() == mine
    assert not panel.error_label.isVisible()


def test_cancelling_the_import_dialog_changes_nothing(qtbot, panel, session):
    before = session.draft
    panel.ask_for_audio_file = lambda: None
    qtbot.mouseClick(panel.import_button, Qt.LeftButton)
    assert session.draft == before and not panel.loading


def test_volumes_and_fades_are_undoable_edits(qtbot, panel, session):
    choose(qtbot, panel, session, "library:funky-walk")
    for slider, value in ((panel.music_volume, 150), (panel.original_volume, 30)):
        slider.setSliderDown(True)
        slider.setValue(value - 20)
        slider.setValue(value)
        slider.setSliderDown(False)
    panel.fade_in.setValue(2.0)
    panel.fade_out.setValue(1.5)
    music = session.draft.music
    assert (music.volume, music.fade_in, music.fade_out) == (1.5, 2.0, 1.5)
    assert session.draft.original_volume == 0.3
    assert panel.music_volume_label.text() == "150 %"
    for _ in range(4):
        session.undo()
    assert session.draft.music == MusicCue("library:funky-walk")
    assert panel.music_volume.value() == 100 and panel.fade_in.value() == 0.0
    assert panel.original_volume.value() == 100


def test_no_music_and_undo_bring_the_song_back(qtbot, panel, session):
    choose(qtbot, panel, session, "library:calm-waves")
    panel.track_list.setCurrentRow(0)
    assert session.draft.music is None
    assert not panel.waveform.has_song and not panel.music_volume.isEnabled()
    assert panel.selected_track_path() is None
    session.undo()
    assert panel.track_list.currentItem().data(Qt.UserRole) == "library:calm-waves"
    qtbot.waitUntil(lambda: panel.waveform.has_song, timeout=10000)  # peaks from the cache
    assert session.draft.music.track == "library:calm-waves"


def test_going_back_to_the_current_song_mid_load_keeps_its_waveform(qtbot, panel, session):
    choose(qtbot, panel, session, "library:calm-waves")
    panel.track_list.setCurrentRow(row_of(panel, "library:hype-run"))
    panel.track_list.setCurrentRow(row_of(panel, "library:calm-waves"))  # changed my mind
    qtbot.waitUntil(lambda: not panel.loading and panel.waveform.has_song, timeout=10000)
    qtbot.wait(300)  # the superseded load may finish meanwhile: it must not apply
    assert session.draft.music.track == "library:calm-waves"
    assert panel.track_list.currentItem().data(Qt.UserRole) == "library:calm-waves"
