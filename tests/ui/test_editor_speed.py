"""Speed on the real window: choosing 2x shortens the segment as shown; undo restores it."""

import pytest
from PySide6.QtCore import Qt

from reeleditor.app import create_main_window
from reeleditor.core.settings import Settings
from reeleditor.storage.drafts import DraftStore
from reeleditor.storage.paths import AppPaths
from reeleditor.storage.settings import save_settings
from tests.media.speed_media import H, W, draft_with_marks


@pytest.fixture
def window(qtbot, reel_home):
    paths = AppPaths.from_env().ensure()
    save_settings(paths.settings_file, Settings(camera="testpattern", width=W, height=H))
    store = DraftStore(paths.drafts)
    draft_id = draft_with_marks(store).id
    store.close()
    window, sentinel = create_main_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.source is not None, timeout=10000)
    assert window.session.draft.id == draft_id  # the app carries on with the last draft
    yield window
    window.close()
    sentinel.stop()


def _rows(panel) -> list[str]:
    return [panel.segments.item(i).text() for i in range(panel.segments.count())]


def test_choosing_2x_shortens_the_segment_and_undo_restores_it(qtbot, window):
    window.tabs.setCurrentWidget(window.editor_panel)
    panel = window.editor_panel
    assert _rows(panel) == ["1. 2.0 s", "2. 2.0 s"]
    panel.segments.setCurrentRow(0)
    assert panel.speed.currentText() == "1x"
    panel.speed.setFocus()
    qtbot.keyClick(panel.speed, Qt.Key_Down)  # 1x -> 2x, as a creator picks it
    assert panel.speed.currentText() == "2x"
    assert [s.speed for s in window.session.draft.segments] == [2.0, 1.0]
    assert _rows(panel) == ["1. 1.0 s  2x", "2. 2.0 s"]
    assert window.session.draft.duration == pytest.approx(3.0)
    panel.segments.setCurrentRow(1)
    assert panel.speed.currentText() == "1x"  # the selected segment's own speed
    qtbot.keyClick(panel.speed, Qt.Key_Up)  # 0.5x
    assert _rows(panel) == ["1. 1.0 s  2x", "2. 4.0 s  0.5x"]
    qtbot.keyClick(panel.speed, Qt.Key_Up)  # 0.3x
    assert _rows(panel) == ["1. 1.0 s  2x", "2. 6.7 s  0.3x"]
    window.undo_action.trigger()
    assert _rows(panel) == ["1. 1.0 s  2x", "2. 4.0 s  0.5x"]
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert _rows(panel) == ["1. 2.0 s", "2. 2.0 s"]
    assert [s.speed for s in window.session.draft.segments] == [1.0, 1.0]
    panel.segments.setCurrentRow(0)
    assert panel.speed.currentText() == "1x"
    window.redo_action.trigger()
    assert _rows(panel)[0] == "1. 1.0 s  2x"
    qtbot.waitUntil(lambda: not window.session.dirty, timeout=5000)  # autosaved
