"""The main window fits a small laptop screen: the Edit tab scrolls rather than setting the
window's height, and the timeline's controls do not set its width."""

from PySide6.QtWidgets import (
    QApplication,
    QPushButton,
    QScrollArea,
    QStyle,
    QStyleOptionButton,
)

from reeleditor.ui.theme import apply_theme
from tests.ui.test_timeline import _open_window


def test_the_window_fits_a_1366_by_768_screen_and_the_edit_tab_scrolls(qtbot, reel_home):
    window, sentinel = _open_window(qtbot, 180, 320)
    try:
        window.tabs.setCurrentWidget(window.editor_panel)
        window.timeline.timeline.select(-1)  # the longest transition label: no boundary
        window.session.apply(lambda d, now: d.with_changes(segments=d.segments[:1], updated=now))
        hint = window.minimumSizeHint()
        assert hint.height() <= 720, hint  # a 768 px screen less its panel or title bar
        assert hint.width() <= 1366, hint
        # the timeline's row is no wider than the record controls under it
        assert window.timeline.minimumSizeHint().width() <= 700
        # the Edit tab's sections, Captions and Voice-over in a scroll area that resizes them
        editor = window.editor_panel
        scroll = editor.findChild(QScrollArea, "editScroll")
        assert scroll.widgetResizable() and scroll.widget() is editor.body
        for section in (editor.segments, editor.captions_panel, window.voice_panel):
            assert editor.body.isAncestorOf(section)
        window.resize(hint)
        qtbot.waitUntil(lambda: scroll.verticalScrollBar().maximum() > 0)  # it scrolls
        scroll.ensureWidgetVisible(window.voice_panel.add_button)
        assert window.voice_panel.add_button.visibleRegion().isEmpty() is False
    finally:
        window.close()
        sentinel.stop()


def _label_room(button) -> tuple[int, int]:
    """(pixels the label needs, pixels the button's contents rect gives it, the style
    sheet's padding taken off)."""
    option = QStyleOptionButton()
    button.initStyleOption(option)
    room = button.style().subElementRect(QStyle.SE_PushButtonContents, option, button).width()
    need = button.fontMetrics().horizontalAdvance(button.text())
    if not button.icon().isNull():
        need += button.iconSize().width() + 4
    return need, room


def test_no_button_of_the_window_clips_its_label(qtbot, reel_home):
    """A button narrower than its label shows a sliver of it (the timeline's zoom buttons
    were fixed at 28 px with the theme's 12 px side padding: '−' showed as a dot)."""
    app = QApplication.instance()
    style, palette, sheet = app.style().name(), app.palette(), app.styleSheet()
    apply_theme(app)  # as run_app does: the padding that clipped comes from its style sheet
    window, sentinel = _open_window(qtbot, 180, 320)
    try:
        clipped = set()
        for tab in range(window.tabs.count()):
            window.tabs.setCurrentIndex(tab)
            qtbot.wait(20)
            for button in window.findChildren(QPushButton):
                if not (button.isVisible() and button.text()):
                    continue
                need, room = _label_room(button)
                if need > room:
                    clipped.add((button.text(), need, room))
        assert not clipped, sorted(clipped)
    finally:
        window.close()
        sentinel.stop()
        app.setStyleSheet(sheet)  # the other tests run on the unthemed app
        app.setPalette(palette)
        app.setStyle(style)
