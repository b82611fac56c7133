"""The record button: click, hold, countdown; the segmented bar."""

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
