"""The looks panel: choosing, strength and adjustments become one undo step per gesture."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from reeleditor.core.draft import Look
from reeleditor.ui.looks_panel import LooksPanel
from reeleditor.ui.session import DraftSession


@pytest.fixture
def session(store, runner):
    s = DraftSession(store, runner)
    s.open(store.create("Looks").id)
    yield s
    s.close()


@pytest.fixture
def panel(qtbot, session, runner):
    p = LooksPanel(session, runner)
    qtbot.addWidget(p)
    p.show()
    return p


def drag(slider, *values):
    """What a mouse drag does to a slider: press, move through values, release."""
    slider.setSliderDown(True)
    for v in values:
        slider.setValue(v)
    slider.setSliderDown(False)


def test_clicking_a_thumbnail_chooses_the_look_and_undo_shows_it_back(qtbot, panel, session):
    assert panel.look_buttons["none"].isChecked()
    qtbot.mouseClick(panel.look_buttons["warm"], Qt.LeftButton)
    assert session.draft.look == Look("warm", 100.0)
    assert panel.look_buttons["warm"].isChecked()
    session.undo()
    assert panel.look_buttons["none"].isChecked()
    session.redo()
    assert panel.look_buttons["warm"].isChecked()


def test_a_strength_drag_is_one_undo_step_with_live_previews(qtbot, panel, session):
    qtbot.mouseClick(panel.look_buttons["vivid"], Qt.LeftButton)
    previews = []
    panel.look_previewed.connect(previews.append)
    changes = []
    session.changed.connect(changes.append)
    drag(panel.strength_slider, 90, 70, 50, 40)
    assert [p.strength for p in previews] == [90, 70, 50, 40, 40]  # the last: the commit
    assert len(changes) == 1 and session.draft.look.strength == 40.0
    assert panel.strength_label.text() == "40 %"
    session.undo()
    assert session.draft.look.strength == 100.0
    assert panel.strength_slider.value() == 100
    assert panel.strength_label.text() == "100 %"


def test_keyboard_steps_settle_into_one_edit(qtbot, panel, session):
    slider = panel.strength_slider
    slider.setFocus()
    with qtbot.waitSignal(session.changed, timeout=3000):
        for _ in range(3):
            qtbot.keyClick(slider, Qt.Key_Left)
    assert session.draft.look.strength == 97.0
    session.undo()
    assert session.draft.look.strength == 100.0


def test_undo_updates_controls_without_editing_back(qtbot, panel, session):
    drag(panel.strength_slider, 30)
    drag(panel.adjustment_sliders["contrast"], 25)
    redo = []
    session.redo_available.connect(redo.append)
    session.undo()
    session.undo()
    assert panel.strength_slider.value() == 100
    assert panel.adjustment_sliders["contrast"].value() == 0
    assert panel.adjustment_labels["contrast"].text() == "0"
    qtbot.wait(450)  # longer than the settle time: no stray commit may follow
    assert redo[-1] is True and session.draft.look == Look()


def test_adjustments_are_collapsible_and_reset_to_zero(qtbot, panel, session):
    assert not panel.adjustments_box.isVisible()
    qtbot.mouseClick(panel.adjustments_toggle, Qt.LeftButton)
    assert panel.adjustments_box.isVisible()
    drag(panel.adjustment_sliders["warmth"], 10, 35)
    drag(panel.adjustment_sliders["brightness"], -20)
    assert session.draft.look.adjustments == (("brightness", -20.0), ("warmth", 35.0))

    slider = panel.adjustment_sliders["warmth"]
    qtbot.mouseDClick(slider, Qt.LeftButton, pos=QPoint(slider.width() // 2, slider.height() // 2))
    assert session.draft.look.adjustments == (("brightness", -20.0),)
    assert slider.value() == 0

    qtbot.mouseClick(panel.reset_buttons["brightness"], Qt.LeftButton)
    assert session.draft.look.adjustments == ()

    drag(panel.adjustment_sliders["grain"], 50)
    drag(panel.adjustment_sliders["fade"], 50)
    qtbot.mouseClick(panel.reset_all_button, Qt.LeftButton)
    assert session.draft.look.adjustments == ()
    assert all(s.value() == 0 for s in panel.adjustment_sliders.values())


def test_a_new_look_keeps_adjustments_and_starts_at_full_strength(qtbot, panel, session):
    drag(panel.strength_slider, 60)
    drag(panel.adjustment_sliders["tint"], 15)
    qtbot.mouseClick(panel.look_buttons["mono"], Qt.LeftButton)
    assert session.draft.look == Look("mono", 100.0, (("tint", 15.0),))


def test_thumbnails_render_off_the_gui_thread_and_drop_frames_in_flight(
    qtbot, panel, runner, monkeypatch
):
    started = []
    original = runner.start
    monkeypatch.setattr(
        runner, "start", lambda name, *a, **k: (started.append(name), original(name, *a, **k))[1]
    )
    frame = np.zeros((64, 36, 3), np.uint8)
    frame[..., 2] = 200  # red
    frame[:, :18, 1] = 120
    before = panel.look_buttons["none"].icon().pixmap(panel.look_buttons["none"].iconSize())
    for _ in range(5):
        panel.set_source_frame(frame)
    assert started == ["look thumbnails"]  # the rest wait: only the newest is kept
    qtbot.waitUntil(lambda: not panel.thumbnails_busy, timeout=5000)
    assert started == ["look thumbnails"] * 2

    def centre(name) -> QImage:
        button = panel.look_buttons[name]
        return button.icon().pixmap(button.iconSize()).toImage()

    original_img, mono_img = centre("none"), centre("mono")
    assert original_img != before.toImage()
    c = original_img.pixelColor(original_img.width() - 4, original_img.height() // 2)
    assert c.red() > 150 and c.green() < 60
    m = mono_img.pixelColor(mono_img.width() - 4, mono_img.height() // 2)
    assert abs(m.red() - m.green()) < 12  # black and white


def test_a_bad_frame_is_refused_at_once(panel):
    with pytest.raises(ValueError, match="BGR uint8"):
        panel.set_source_frame(np.zeros((10, 10), np.uint8))


def test_without_a_draft_the_controls_are_disabled(qtbot, store, runner):
    session = DraftSession(store, runner)
    panel = LooksPanel(session, runner)
    qtbot.addWidget(panel)
    assert not panel.strength_slider.isEnabled()
    assert not panel.look_buttons["warm"].isEnabled()
    session.open(store.create("Later").id)
    assert panel.strength_slider.isEnabled()
    session.close()


def test_thumbnails_follow_the_adjustments(qtbot, panel, session):
    frame = np.zeros((32, 18, 3), np.uint8)
    frame[..., 2] = 220
    panel.set_source_frame(frame)
    qtbot.waitUntil(lambda: not panel.thumbnails_busy, timeout=5000)
    drag(panel.adjustment_sliders["saturation"], -100)

    def grey() -> bool:
        button = panel.look_buttons["none"]
        image = button.icon().pixmap(button.iconSize()).toImage()
        c = image.pixelColor(image.width() // 2, image.height() // 2)
        return abs(c.red() - c.green()) < 12

    qtbot.waitUntil(lambda: not panel.thumbnails_busy and grey(), timeout=5000)


# -- the strip ----------------------------------------------------------------------------
@pytest.fixture
def narrow(qtbot, panel):
    """The panel narrower than its strip, as in the window's side column."""
    panel.resize(320, 500)
    qtbot.waitExposed(panel)
    bar = panel.strip_scroll.horizontalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    return panel


def _wheel(widget, angle_y=0, pixel_y=0, angle_x=0):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    pos = QPointF(widget.rect().center())
    event = QWheelEvent(
        pos,
        QPointF(widget.mapToGlobal(pos.toPoint())),
        QPoint(0, pixel_y),
        QPoint(angle_x, angle_y),
        Qt.NoButton,
        Qt.NoModifier,
        Qt.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def _in_view(panel, name) -> bool:
    button = panel.look_buttons[name]
    viewport = panel.strip_scroll.viewport()
    rect = button.rect().translated(button.mapTo(viewport, QPoint(0, 0)))
    return viewport.rect().contains(rect)


def test_the_mouse_wheel_scrolls_the_strip_sideways(qtbot, narrow):
    bar = narrow.strip_scroll.horizontalScrollBar()
    assert bar.value() == 0
    # Qt hands a synthesized wheel event to its target only (a real one travels up from the
    # thumbnail under the pointer): so straight to the strip's viewport
    over = narrow.strip_scroll.viewport()
    _wheel(over, angle_y=-120)  # one notch down: on along the strip
    assert bar.value() > 0
    one_notch = bar.value()
    _wheel(over, angle_y=-240)
    assert bar.value() == min(bar.maximum(), 3 * one_notch)
    _wheel(over, pixel_y=30, angle_y=30)  # a touchpad: by its pixels
    assert bar.value() == min(bar.maximum(), 3 * one_notch) - 30
    _wheel(over, angle_y=120 * 50)
    assert bar.value() == 0


def test_the_strip_shows_its_scrollbar_in_the_theme(qtbot, narrow):
    from PySide6.QtWidgets import QTabWidget

    from reeleditor.ui import theme

    tabs = QTabWidget()  # where the window shows it: the bar is seen against the tab's pane
    qtbot.addWidget(tabs)
    tabs.setPalette(theme.palette())
    tabs.setStyleSheet(theme.STYLESHEET)
    tabs.addTab(narrow, "Looks")
    tabs.resize(340, 520)
    tabs.show()
    qtbot.waitExposed(tabs)
    scroll = narrow.strip_scroll
    bar = scroll.horizontalScrollBar()
    qtbot.waitUntil(lambda: bar.isVisible() and bar.height() >= 8)
    # the row is not covered by the bar: the thumbnails keep their full height
    qtbot.waitUntil(
        lambda: scroll.viewport().height() >= scroll.widget().sizeHint().height(), timeout=1000
    )
    image = tabs.grab().toImage()
    y = bar.mapTo(tabs, bar.rect().center()).y()
    x0 = bar.mapTo(tabs, bar.rect().topLeft()).x()
    row = {image.pixelColor(x0 + x, y).lightness() for x in range(bar.width())}
    tabs.removeTab(0)
    narrow.setParent(None)  # the panel's own fixture closes it
    assert max(row) - min(row) > 40  # a handle that stands out from what is behind it


def test_the_active_look_stays_in_view(qtbot, narrow, session):
    last = list(narrow.look_buttons)[-1]
    assert not _in_view(narrow, last)
    session.apply(lambda d, now: d.with_changes(look=Look(last), updated=now))
    assert _in_view(narrow, last)  # chosen elsewhere (the CLI, a reload): scrolled to
    session.undo()
    assert _in_view(narrow, "none")
    bar = narrow.strip_scroll.horizontalScrollBar()
    bar.setValue(bar.maximum())
    third = list(narrow.look_buttons)[2]
    narrow.look_buttons[third].click()  # clicked while half off the edge
    assert session.draft.look.name == third and _in_view(narrow, third)
