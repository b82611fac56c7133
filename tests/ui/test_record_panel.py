"""The record button: click, hold, countdown; the segmented bar."""

import pytest
from PySide6.QtCore import Qt

from reeleditor.ui.record_panel import RecordPanel


def test_click_starts_and_click_stops(qtbot):
    panel = RecordPanel()
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.start_requested):
        qtbot.mouseClick(panel.record_button, Qt.LeftButton)
    panel.set_recording(True)
    assert panel.record_button.text() == "Stop" and not panel.delete_button.isEnabled()
    with qtbot.waitSignal(panel.stop_requested):
        qtbot.mouseClick(panel.record_button, Qt.LeftButton)


def test_hold_to_record_stops_on_release(qtbot):
    panel = RecordPanel()
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.start_requested):
        qtbot.mousePress(panel.record_button, Qt.LeftButton)
    panel.set_recording(True)
    qtbot.wait(450)  # held past the hold threshold
    with qtbot.waitSignal(panel.stop_requested):
        qtbot.mouseRelease(panel.record_button, Qt.LeftButton)


def test_countdown_then_start_and_cancel(qtbot):
    panel = RecordPanel()
    qtbot.addWidget(panel)
    panel.countdown.setCurrentIndex(1)  # 3 s
    starts = []
    panel.start_requested.connect(lambda: starts.append(1))
    panel.toggle()
    assert panel.record_button.text() == "3…" and not starts
    panel.toggle()  # cancel the countdown
    assert panel.counting == 0 and panel.record_button.text() == "Record"
    panel.countdown.setCurrentIndex(1)
    with qtbot.waitSignal(panel.start_requested, timeout=5000):
        panel.toggle()


def test_segment_bar_shows_lengths(qtbot):
    panel = RecordPanel()
    qtbot.addWidget(panel)
    panel.show_progress([2.0, 3.5], 1.0, 90.0)
    assert panel.elapsed_label.text() == "6.5 s of 90 s"
    assert panel.bar.lengths == [2.0, 3.5] and panel.bar.recording == 1.0
    panel.bar.grab()  # paints without error


def test_preview_survives_a_look_it_does_not_know(qtbot):
    from reeleditor.core.draft import Look
    from reeleditor.media.sources.testpattern import TestPatternSource
    from reeleditor.ui.preview import PreviewPipeline

    source = TestPatternSource(180, 320, 30).open()
    pipeline = PreviewPipeline(size=(90, 160))
    pipeline.set_source(source)
    pipeline.set_look(Look("from-a-newer-version"))
    pipeline.start()
    try:
        qtbot.waitUntil(
            lambda: pipeline.latest() is not None and pipeline.latest()[0] > 5, timeout=5000
        )
        assert "from-a-newer-version" in pipeline.look_problem
    finally:
        pipeline.stop()
        source.close()


@pytest.fixture
def view(qtbot):
    """The real preview widget, on a pipeline that is never started."""
    from reeleditor.ui.preview import CameraView, PreviewPipeline

    view = CameraView(PreviewPipeline(size=(90, 160)))
    qtbot.addWidget(view)
    view.resize(270, 480)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_countdown_shows_big_over_the_preview(qtbot, view):
    panel = RecordPanel()
    qtbot.addWidget(panel)
    panel.overlay.attach(view)
    overlay = panel.overlay
    assert overlay.parentWidget() is view and overlay.geometry() == view.rect()
    assert not overlay.isVisible()  # nothing to show: the preview paints alone
    panel.countdown.setCurrentIndex(1)  # 3 s
    panel.toggle()
    assert overlay.isVisible() and overlay.text == "3"
    assert overlay.testAttribute(Qt.WA_TransparentForMouseEvents)
    image = view.grab().toImage()  # the number is drawn in white at the preview's centre
    centre = image.rect().center()
    around = [
        image.pixelColor(centre.x() + dx, centre.y() + dy).lightness()
        for dx in range(-30, 31, 3)
        for dy in range(-30, 31, 3)
    ]
    assert max(around) > 200
    qtbot.waitUntil(lambda: overlay.text == "2", timeout=2000)
    view.resize(300, 500)
    assert overlay.geometry() == view.rect()  # it follows the preview's size
    with qtbot.waitSignal(panel.start_requested, timeout=5000):
        pass
    assert not overlay.isVisible()
    panel.countdown.setCurrentIndex(1)
    panel.toggle()
    panel.toggle()  # a cancelled countdown leaves nothing over the preview
    assert not overlay.isVisible() and overlay.text == ""


def test_rec_badge_shows_the_takes_elapsed_time(qtbot, view):
    panel = RecordPanel()
    qtbot.addWidget(panel)
    panel.overlay.attach(view)
    panel.set_recording(True)
    assert panel.overlay.isVisible() and panel.overlay.text == "REC 00:00"
    panel.show_progress([2.0], 1.4, 90.0)  # what the recorder reports during a take
    assert panel.overlay.text == "REC 00:01"
    panel.show_progress([2.0], 75.2, 90.0)
    assert panel.overlay.text == "REC 01:15"
    image = view.grab().toImage()  # the red dot in the top-left badge
    reds = [
        image.pixelColor(x, y)
        for x in range(12, 40)
        for y in range(12, 40)
        if image.pixelColor(x, y).red() > 180 and image.pixelColor(x, y).green() < 110
    ]
    assert reds
    panel.set_recording(False)
    panel.show_progress([2.0, 75.2], 0.0, 90.0)
    assert not panel.overlay.isVisible() and panel.overlay.text == ""
