"""Text on the real window: add at the playhead, a bar on the text lane, drag it, place it
on the preview (move, scale, rotate), the words in the preview's picture, undo, refusals."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from reeleditor.ui.timeline import TEXT_H, TEXT_Y
from tests.ui.test_timeline import _open_window, _press_drag_release, _x

W, H = 180, 320
LANE = TEXT_Y + TEXT_H // 2


@pytest.fixture
def window(qtbot, reel_home):
    window, sentinel = _open_window(qtbot, W, H)
    yield window
    window.close()
    sentinel.stop()


def _pt(p) -> QPoint:
    return QPoint(round(p.x()), round(p.y()))


def test_add_a_text_at_the_playhead_drag_it_place_it_and_undo(qtbot, window):
    panel, timeline = window.text_panel, window.timeline.timeline
    window.tabs.setCurrentWidget(panel)
    window.timeline.scrub_to(0.5)  # the reel is 2.75 s
    panel.seconds.setValue(1.5)
    panel.words.setPlainText("Crème 🎉")
    panel.style_box.setCurrentIndex(panel.style_box.findData("boxed"))
    qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    (text,) = window.session.draft.texts
    assert (text.start, text.end, text.look.style) == (0.5, 2.0, "boxed")
    assert timeline.text_selection == text.id and panel.handles.isVisible()

    # the bar on the text lane: drag it 0.5 s later
    mid = QPoint(_x(window, 1.0), LANE)
    assert timeline.text_hit(mid)[:2] == ("text", text.id)
    _press_drag_release(qtbot, timeline, mid, QPoint(_x(window, 1.5), LANE))
    moved = window.session.draft.texts[0]
    assert moved.start == pytest.approx(1.0, abs=0.05)
    assert moved.end - moved.start == pytest.approx(1.5)
    # its end dragged back: shorter
    end = QPoint(_x(window, moved.end) - 2, LANE)
    _press_drag_release(qtbot, timeline, end, QPoint(_x(window, moved.end - 0.5), LANE))
    assert window.session.draft.texts[0].end == pytest.approx(moved.end - 0.5, abs=0.05), (
        panel.status.text(),
        timeline.duration,
        timeline.pps,
    )

    # on the preview: move by dragging inside the frame, scale by the corner, turn by the knob
    handles = panel.handles
    points = handles.handle_points()
    _press_drag_release(
        qtbot, handles, _pt(points["centre"]), _pt(points["centre"]) + QPoint(0, -40)
    )
    placed = window.session.draft.texts[0]
    assert placed.y < 0.5 and placed.x == pytest.approx(0.5, abs=0.01)
    points = handles.handle_points()
    corner = _pt(points["scale"])
    _press_drag_release(qtbot, handles, corner, corner + (corner - _pt(points["centre"])) / 2)
    assert window.session.draft.texts[0].scale > 1.2
    points = handles.handle_points()
    knob, centre = _pt(points["rotate"]), _pt(points["centre"])
    right = QPoint(centre.x() + (centre.y() - knob.y()), centre.y())
    _press_drag_release(qtbot, handles, knob, right)
    assert window.session.draft.texts[0].rotation == pytest.approx(90, abs=8)

    # the words are in the preview's picture (drawn by media/, after the look)
    window.timeline.scrub_to(1.5)
    index = round(1.5 * window.session.draft.fps)
    preview = window.preview

    def drawn():
        frame = preview.pipeline.graded
        return frame is not None and frame.reel_index == index and frame is preview.scrub.latest()

    qtbot.waitUntil(drawn, timeout=10000)
    with_text = preview.pipeline.latest()[1].copy()

    for _ in range(6):  # add, move, trim, place, scale, turn: all undone
        window.undo_action.trigger()
    assert window.session.draft.texts == ()
    assert timeline.text_selection == "" and not handles.isVisible()
    window.timeline.scrub_to(1.4)
    window.timeline.scrub_to(1.5)
    qtbot.waitUntil(drawn, timeout=10000)
    qtbot.waitUntil(lambda: not np.array_equal(preview.pipeline.latest()[1], with_text))


def test_refusals_are_one_line_and_keep_the_words(qtbot, window):
    panel = window.text_panel
    window.timeline.scrub_to(0.5)
    panel.words.setPlainText("   ")
    qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    assert panel.status.text() == "the text is empty" or "empty" in panel.status.text()
    long = "x" * 2000
    panel.words.setPlainText(long)
    qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    assert "2000 characters" in panel.status.text() and "\n" not in panel.status.text()
    assert panel.words.toPlainText() == long  # nothing lost
    panel.words.setPlainText("ok")
    panel.colour.setText("red")
    qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    assert "colour" in panel.status.text()
    assert window.session.draft.texts == ()


def test_apply_after_a_retime_on_the_timeline_keeps_the_new_timing(qtbot, window):
    panel, timeline = window.text_panel, window.timeline.timeline
    window.tabs.setCurrentWidget(panel)
    window.timeline.scrub_to(0.5)
    panel.seconds.setValue(1.5)
    panel.words.setPlainText("first")
    qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    (text,) = window.session.draft.texts
    # its end dragged on the timeline's bar: the form's Length follows (it kept 1.5 s)
    end = QPoint(_x(window, text.end) - 2, LANE)
    _press_drag_release(qtbot, timeline, end, QPoint(_x(window, text.end - 0.63), LANE))
    retimed = window.session.draft.texts[0]
    assert retimed.end < text.end - 0.4
    assert panel.seconds.value() == pytest.approx(retimed.end - retimed.start, abs=0.05)
    # new words, Apply: the timing the drag set stays, to the exact second
    panel.words.setPlainText("second")
    qtbot.mouseClick(panel.apply_button, Qt.LeftButton)
    applied = window.session.draft.texts[0]
    assert (applied.text, applied.start, applied.end) == ("second", retimed.start, retimed.end)

    # words typed but not applied survive a retime: only Length changes in the form
    panel.words.setPlainText("typing…")
    panel.retime(text.id, 1.0, 2.0)
    assert panel.words.toPlainText() == "typing…" and panel.seconds.value() == 1.0
    # undo refills the form too: Apply after it does not bring the undone timing back
    window.undo_action.trigger()
    assert panel.seconds.value() == pytest.approx(applied.end - applied.start, abs=0.05)
    panel.style_box.setCurrentIndex(panel.style_box.findData("boxed"))
    qtbot.mouseClick(panel.apply_button, Qt.LeftButton)
    last = window.session.draft.texts[0]
    assert (last.start, last.end, last.look.style) == (applied.start, applied.end, "boxed")
