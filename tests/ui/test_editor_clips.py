"""Clips from disk on the real window: Add clip…, a drop on the editor, a drop on the gallery."""

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from reeleditor.app import create_main_window
from reeleditor.core.settings import Settings
from reeleditor.storage.paths import AppPaths
from reeleditor.storage.settings import save_settings
from reeleditor.ui import editor_panel
from tests.media.clip_media import write_clip, write_photo

W, H = 180, 320


@pytest.fixture
def window(qtbot, reel_home):
    paths = AppPaths.from_env().ensure()
    save_settings(paths.settings_file, Settings(camera="testpattern", width=W, height=H))
    window, sentinel = create_main_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.source is not None, timeout=10000)
    window.tabs.setCurrentWidget(window.editor_panel)
    yield window
    window.close()
    sentinel.stop()


def _drop(widget, *paths) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()  # the widget takes files, as a drag over it shows
    drop = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, drop)
    assert drop.isAccepted()


def test_add_clip_through_the_file_dialog_is_copied_in_and_undoable(
    qtbot, window, tmp_path, monkeypatch
):
    clip = write_clip(tmp_path / "land.mp4", frames=15)
    monkeypatch.setattr(
        editor_panel.QFileDialog,
        "getOpenFileNames",
        staticmethod(lambda *a, **k: ([str(clip)], editor_panel.CLIP_FILTER)),
    )
    panel = window.editor_panel
    qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.segments.count() == 1, timeout=10000)
    session = window.session
    seg = session.draft.segments[0]
    assert (seg.kind, seg.fit, seg.length) == ("clip", "blur", 0.5)
    copied = session.store.media_path(session.draft, seg)
    assert copied.is_file() and copied.read_bytes() == clip.read_bytes()
    assert panel.clip_status.text() == "Added 1 clip(s)"
    window.undo_action.trigger()
    assert panel.segments.count() == 0
    window.redo_action.trigger()
    assert panel.segments.count() == 1
    session.flush()
    assert len(session.store.load(session.draft.id).segments) == 1  # autosaved


def test_files_dropped_on_the_editor_are_added_and_bad_ones_named(qtbot, window, tmp_path):
    photo = write_photo(tmp_path / "photo.png")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    panel = window.editor_panel
    _drop(panel.segments.viewport(), photo, notes)  # over the segment list
    qtbot.waitUntil(lambda: panel.segments.count() == 1, timeout=10000)
    assert window.session.draft.segments[0].kind == "photo"
    qtbot.waitUntil(lambda: "notes.txt is not a video or a photo" in panel.clip_status.text())


def test_a_clip_dropped_on_the_gallery_makes_a_new_draft_of_it(qtbot, window, tmp_path):
    clip = write_clip(tmp_path / "land.mp4", frames=9)
    old = window.session.draft
    window.session.apply(lambda d, now: d.with_changes(title="kept", updated=now))
    _drop(window.drafts_panel.list.viewport(), clip)  # over the gallery
    qtbot.waitUntil(
        lambda: window.session.draft.id != old.id and len(window.session.draft.segments) == 1,
        timeout=10000,
    )
    assert window.session.draft.segments[0].kind == "clip"
