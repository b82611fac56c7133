"""Drafts gallery, editor and export dialog, each on real drafts."""

import itertools

import av
import pytest
from PySide6.QtCore import Qt

from reeleditor.ui.drafts_panel import DraftsPanel
from reeleditor.ui.editor_panel import EditorPanel
from reeleditor.ui.export_dialog import ExportDialog


def test_drafts_gallery_lists_and_guides(qtbot, store):
    panel = DraftsPanel(store)
    qtbot.addWidget(panel)
    panel.refresh([], [])
    assert panel.stack.currentWidget() is panel.empty
    assert "No drafts yet" in panel.empty.text()
    assert not panel.buttons["open"].isEnabled() and panel.buttons["import"].isEnabled()
    first = store.create("First reel", now=100.0)
    store.create("Second reel", now=200.0)
    bad = store.create("bad")
    (store.folder(bad.id) / "draft.json").write_text("{")
    problems = []
    panel.problems_found.connect(problems.append)
    panel.refresh(*store.scan())
    assert panel.list.count() == 2 and "Second reel" in panel.list.item(0).text()
    assert problems and problems[0][0].draft_id == bad.id
    panel.list.setCurrentRow(1)
    with qtbot.waitSignal(panel.open_requested) as opened:
        qtbot.mouseClick(panel.buttons["open"], Qt.LeftButton)
    assert opened.args == [first.id]


def test_editor_reorders_trims_deletes_and_sets_cover(qtbot, recorded_session):
    session = recorded_session
    panel = EditorPanel(session)
    qtbot.addWidget(panel)
    first, second = (s.id for s in session.draft.segments)
    assert panel.segments.count() == 2
    # drag-reorder arrives as a moved row in the list model
    panel.segments.model().moveRow(
        panel.segments.model().index(1, 0).parent(),
        1,
        panel.segments.model().index(0, 0).parent(),
        0,
    )
    assert [s.id for s in session.draft.segments] == [second, first]
    panel.segments.setCurrentRow(1)
    panel.trim_in.setValue(0.1)
    panel.trim_in.editingFinished.emit()
    assert session.draft.segments[1].trim_in == pytest.approx(0.1)
    panel.cover_slider.setValue(3)
    panel.cover_button.click()
    assert session.draft.cover_time == pytest.approx(0.3)
    panel.auto_cover_button.click()
    assert session.draft.cover_time is None
    panel.segments.setCurrentRow(0)
    panel.delete_button.click()
    assert [s.id for s in session.draft.segments] == [first]
    session.undo()
    assert len(session.draft.segments) == 2


def test_export_dialog_writes_and_cancels(qtbot, recorded_session, runner, tmp_path):
    session = recorded_session
    dialog = ExportDialog(session.store, session.draft, runner, tmp_path, "small")
    qtbot.addWidget(dialog)
    out = tmp_path / "reel.mp4"
    dialog.path.setText(str(out))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=20000)
    assert dialog.progress.value() == 100
    assert "Saved" in dialog.status.text()
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 27
    # a second export, cancelled at once, leaves no file behind
    out2 = tmp_path / "cancelled.mp4"
    dialog.path.setText(str(out2))
    dialog.export_button.click()
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.task is None, timeout=20000)
    if "cancelled" in dialog.status.text():
        assert not out2.exists()
    else:  # the machine was quicker than the click: then the file is whole
        assert "Saved" in dialog.status.text() and out2.stat().st_size > 1000
    assert not list(tmp_path.glob(".*partial"))


def test_history_dialog_restores_an_earlier_version_undoably(qtbot, recorded_session):
    from reeleditor.core import edits
    from reeleditor.ui.history_dialog import HistoryDialog

    session = recorded_session
    session.apply(lambda d, now: edits.set_title(d, "second title", now))
    session.flush()
    dialog = HistoryDialog(session)
    qtbot.addWidget(dialog)
    assert dialog.list.count() >= 2 and "second title" in dialog.list.item(0).text()
    dialog.list.setCurrentRow(1)  # the version before the rename
    dialog.restore_button.click()
    assert session.draft.title == "recorded" and len(session.draft.segments) == 2
    session.undo()
    assert session.draft.title == "second title"


def test_reel_playback_shows_the_composed_reel_then_returns_to_the_camera(
    qtbot, store, recorded_session
):
    from reeleditor.media.playback import ReelPlayer

    draft = recorded_session.draft
    player = ReelPlayer(store, draft).open()
    try:
        frames = []
        last = -1
        while not player.finished and len(frames) < 100:
            frame = player.wait_frame(last, timeout=2)
            if frame is None:
                break
            frames.append(frame)
            last = frame.index
        assert len(frames) >= 20  # most of the 27 frames (the view takes the latest)
        assert frames[0].image.shape == (320, 180, 3)
        assert player.position > 0.5
    finally:
        player.close()


def test_history_dialog_is_wide_enough_to_read_its_entries(qtbot, recorded_session):
    from reeleditor.core import edits
    from reeleditor.ui.history_dialog import HistoryDialog

    session = recorded_session
    long_title = "A rather long title for a reel about a day at the lake with friends"
    session.apply(lambda d, now: edits.set_title(d, long_title, now))
    session.flush()
    dialog = HistoryDialog(session)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    metrics = dialog.list.fontMetrics()
    lines = [
        line for n in range(dialog.list.count()) for line in dialog.list.item(n).text().split("\n")
    ]
    assert any(long_title in line for line in lines)
    longest = max(metrics.horizontalAdvance(line) for line in lines)
    assert dialog.width() >= longest
    assert dialog.list.viewport().width() >= longest  # the text itself is not cut
    assert dialog.list.horizontalScrollBar().maximum() == 0


def test_gallery_cells_are_even_with_and_without_thumbnails(qtbot, store):
    from PySide6.QtGui import QColor, QImage

    from reeleditor.ui.drafts_panel import THUMB

    with_thumb = store.create("with a thumbnail", now=300.0)
    wide = store.create("wide thumbnail", now=200.0)
    store.create("empty", now=100.0)  # nothing recorded: no thumbnail yet
    for draft, size in ((with_thumb, (90, 160)), (wide, (320, 180))):
        image = QImage(*size, QImage.Format_RGB32)
        image.fill(QColor("#c08040"))
        assert image.save(str(store.thumb_path(draft.id)))
    panel = DraftsPanel(store)
    qtbot.addWidget(panel)
    panel.resize(600, 500)
    panel.show()
    qtbot.waitExposed(panel)
    panel.refresh(*store.scan())
    items = [panel.list.item(n) for n in range(panel.list.count())]
    titles = [i.text().split("\n")[0] for i in items]
    assert titles == ["with a thumbnail", "wide thumbnail", "empty"]
    sizes = {panel.list.visualItemRect(i).size().toTuple() for i in items}
    assert len(sizes) == 1, sizes
    for item in items:
        assert not item.icon().isNull()
        assert item.icon().actualSize(THUMB) == THUMB
    # the three cells sit on one row, evenly spaced
    rects = [panel.list.visualItemRect(i) for i in items]
    assert len({r.top() for r in rects}) == 1
    gaps = {b.left() - a.left() for a, b in itertools.pairwise(rects)}
    assert len(gaps) == 1
    # the empty draft's placeholder is drawn, not blank
    placeholder = items[2].icon().pixmap(THUMB).toImage()
    assert placeholder.pixelColor(THUMB.width() // 2, 10).alpha() == 255
