"""The dark theme applies cleanly and every icon is a real, licensed SVG."""

import re

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QPushButton

from reeleditor.storage.paths import resources_dir
from reeleditor.ui import theme


@pytest.fixture
def restore_app_look(qapp):
    style, pal, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    yield qapp
    qapp.setStyleSheet(sheet)
    qapp.setPalette(pal)
    qapp.setStyle(style)


def test_apply_theme_sets_a_dark_palette_and_style_sheet(qtbot, restore_app_look):
    app = QApplication.instance()
    theme.apply_theme(app)
    assert app.styleSheet() == theme.STYLESHEET
    pal = app.palette()
    assert pal.color(QPalette.Window).lightness() < 60
    assert pal.color(QPalette.WindowText).lightness() > 200
    assert pal.color(QPalette.Highlight).name() == theme.ACCENT
    button = QPushButton("OK")
    qtbot.addWidget(button)
    button.show()
    assert not button.grab().isNull()


def test_style_sheet_fixes_no_font_size_in_pixels():
    assert not re.search(r"font(-size)?\s*:[^;]*\d+px", theme.STYLESHEET)
    assert "border-radius" in theme.STYLESHEET


@pytest.mark.parametrize("name", theme.ICON_NAMES)
def test_every_icon_loads_as_svg(qapp, name):
    path = theme.icon_path(name)
    assert path.is_file() and path.read_text().lstrip().startswith("<svg")
    pixmap = theme.icon(name).pixmap(48, 48)
    assert not pixmap.isNull() and pixmap.width() == 48
    # something was drawn: not every pixel is transparent
    image = pixmap.toImage()
    assert any(image.pixelColor(x, y).alpha() for x in range(48) for y in range(48))


def test_unknown_icon_is_a_clear_error():
    with pytest.raises(KeyError, match="no icon named 'nope'"):
        theme.icon("nope")


def test_icons_are_licensed():
    text = (resources_dir() / "icons" / "LICENSE.txt").read_text()
    assert "CC0" in text
    svgs = {p.stem for p in (resources_dir() / "icons").glob("*.svg")}
    assert svgs == set(theme.ICON_NAMES)
