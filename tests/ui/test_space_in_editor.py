"""Space in the Edit and Text tabs plays and pauses the reel; elsewhere it records."""

from reeleditor.ui.main_window import MainWindow
from tests.ui.test_timeline import H, W, _open_window


def test_space_plays_in_the_edit_tab_and_records_elsewhere(qtbot, reel_home):
    window, sentinel = _open_window(qtbot, W, H)
    try:
        assert isinstance(window, MainWindow)
        window.tabs.setCurrentWidget(window.editor_panel)
        window.setFocus()
        window.record_action.trigger()  # what the Space shortcut does
        assert window.preview.playing and not window.recorder.recording
        window.record_action.trigger()
        assert not window.preview.playing
        window.tabs.setCurrentWidget(window.text_panel)  # adding words: Space previews them
        window.record_action.trigger()
        assert window.preview.playing and not window.recorder.recording
        window.record_action.trigger()
        assert not window.preview.playing
        window.tabs.setCurrentIndex(0)  # the looks: Space is the record button again
        window.record_action.trigger()
        qtbot.waitUntil(
            lambda: window.recorder.recording or window.record_panel.counting, timeout=5000
        )
        window.record_action.trigger()
        qtbot.waitUntil(lambda: not window.recorder.recording, timeout=10000)
    finally:
        window.close()
        sentinel.stop()
