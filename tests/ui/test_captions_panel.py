"""The captions panel on the real window: Auto captions off the GUI thread with progress
and Cancel, a cue's words fixed and re-timed in place, Burn into video, all undoable."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from reeleditor.app import create_main_window
from reeleditor.core.settings import Settings
from reeleditor.storage.paths import AppPaths
from reeleditor.storage.settings import save_settings
from tests.media.speech_media import require_espeak, speak, speech_draft


@pytest.fixture(scope="module")
def spoken():
    require_espeak()
    return speak()


def _window(qtbot, store, draft):
    paths = AppPaths.from_env().ensure()
    save_settings(paths.settings_file, Settings(camera="testpattern", width=180, height=320))
    store.release(draft.id)
    window, sentinel = create_main_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.source is not None, timeout=10000)
    window.open_draft(draft.id)
    qtbot.waitUntil(lambda: window.session.draft is not None, timeout=5000)
    window.tabs.setCurrentWidget(window.editor_panel)
    return window, sentinel


@pytest.fixture
def window(qtbot, reel_home, store, spoken):
    window, sentinel = _window(qtbot, store, speech_draft(store, *spoken[:2]))
    yield window
    window.close()
    sentinel.stop()


def test_auto_captions_then_fix_a_word_retime_burn_and_undo(qtbot, window):
    panel = window.editor_panel.captions_panel
    session = window.session
    seen = []
    panel.progress.valueChanged.connect(seen.append)
    with qtbot.waitSignal(panel.captions_made, timeout=60000) as made:
        qtbot.mouseClick(panel.auto_button, Qt.LeftButton)
        assert panel.cancel_button.isEnabled() and panel.progress.isVisible()
    count = made.args[0]
    assert count >= 1 and panel.cues.rowCount() == count
    assert seen and max(seen) > 0  # the bar moved while it listened
    qtbot.waitUntil(lambda: not panel.cancel_button.isEnabled(), timeout=5000)
    assert session.draft.captions.engine.startswith("pocketsphinx")
    assert panel.burn.isChecked()  # new captions are burned in

    panel.cues.item(0, 2).setText("Fixed words / second line")  # as typed in place
    assert session.draft.captions.cues[0].text == "Fixed words\nsecond line"
    start_box = panel.cues.cellWidget(0, 0)
    end_box = panel.cues.cellWidget(0, 1)
    end = session.draft.captions.cues[0].end
    start_box.setValue(0.25)
    start_box.editingFinished.emit()
    assert session.draft.captions.cues[0].start == pytest.approx(0.25)
    end_box.setValue(0.1)  # before its start: refused in one line, nothing changed
    end_box.editingFinished.emit()
    assert "before it starts" in panel.status.text()
    assert session.draft.captions.cues[0].end == pytest.approx(end)
    panel.burn.setChecked(False)
    assert session.draft.captions.burn is False

    session.undo()
    assert session.draft.captions.burn is True and panel.burn.isChecked()
    session.undo()
    assert session.draft.captions.cues[0].start != pytest.approx(0.25)
    session.undo()
    assert session.draft.captions.cues[0].text != "Fixed words\nsecond line"
    session.undo()
    assert session.draft.captions is None and panel.cues.rowCount() == 0


def test_cancel_leaves_the_draft_as_it_was(qtbot, window):
    panel = window.editor_panel.captions_panel
    before = window.session.draft
    qtbot.mouseClick(panel.auto_button, Qt.LeftButton)
    task = panel.task
    qtbot.mouseClick(panel.cancel_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.task is None, timeout=30000)
    assert task.cancelling
    assert window.session.draft == before
    assert "cancelled" in panel.status.text().lower()
    assert panel.auto_button.isEnabled()


def test_a_silent_reel_says_no_speech_found(qtbot, reel_home, store, spoken):
    window, sentinel = _window(qtbot, store, speech_draft(store, *spoken[:2], silent=True))
    try:
        panel = window.editor_panel.captions_panel
        qtbot.mouseClick(panel.auto_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: panel.task is None, timeout=30000)
        assert "No speech found" in panel.status.text()
        assert window.session.draft.captions is None
    finally:
        window.close()
        sentinel.stop()


def test_style_font_and_position_restyle_the_captions_undoably(qtbot, reel_home):
    from reeleditor.core import word_edits
    from reeleditor.core.words import Captions, Cue
    from tests.ui.test_timeline import _open_window

    window, sentinel = _open_window(qtbot, 180, 320)
    try:
        window.tabs.setCurrentWidget(window.editor_panel)
        panel, session = window.editor_panel.captions_panel, window.session
        assert not panel.style_box.isEnabled()  # no captions yet: nothing to style
        cues = (Cue(0.2, 1.0, "hello"), Cue(1.2, 2.0, "there"))
        session.apply(lambda d, now: word_edits.set_captions(d, Captions(cues=cues), now))
        assert panel.style_box.currentData() == "boxed" and panel.position.value() == 78

        panel.style_box.setCurrentIndex(panel.style_box.findData("outline"))
        panel.style_box.activated.emit(panel.style_box.currentIndex())
        assert session.draft.captions.look.style == "outline"
        assert session.draft.captions.look.size == Captions().look.size  # the rest kept
        panel.font_box.setCurrentIndex(panel.font_box.findData("serif"))
        panel.font_box.activated.emit(panel.font_box.currentIndex())
        assert session.draft.captions.look.font == "serif"
        panel.position.setValue(40)
        assert session.draft.captions.y == 0.4 and session.draft.captions.cues == cues

        window.undo_action.trigger()
        assert session.draft.captions.y == 0.78 and panel.position.value() == 78
        window.undo_action.trigger()
        assert session.draft.captions.look.font == "sans" and panel.font_box.currentData() == "sans"
        window.undo_action.trigger()
        assert session.draft.captions.look == Captions().look
        assert panel.style_box.currentData() == "boxed"
    finally:
        window.close()
        sentinel.stop()
