"""The app's one dark theme (palette + style sheet) and its SVG icons."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from reeleditor.storage.paths import resources_dir

ACCENT = "#4c8dff"
ACCENT_HOVER = "#6fa3ff"
WINDOW = "#17181c"
BASE = "#202228"
RAISED = "#2a2d35"
BORDER = "#3a3e48"
TEXT = "#e8eaf0"
MUTED = "#9aa0ad"
DANGER = "#ff6b78"
SCROLL_HANDLE = "#5d6372"  # a handle in BORDER's colour vanished into the panels behind it

ICON_NAMES = (
    "record",
    "stop",
    "delete-last",
    "undo",
    "redo",
    "export",
    "upload",
    "music",
    "look",
    "settings",
    "folder",
    "play",
    "pause",
    "camera",
    "mic",
)

# Sizes are device-independent pixels (Qt scales them on HiDPI screens); no font size is
# set, so the user's system font and its scaling are kept. Spin boxes and check boxes keep
# Fusion's drawing (a style sheet on them loses their arrows and ticks).
STYLESHEET = f"""
QWidget {{ color: {TEXT}; }}
QMainWindow, QDialog {{ background: {WINDOW}; }}
QToolTip {{ color: {TEXT}; background: {RAISED}; border: 1px solid {BORDER}; padding: 4px; }}
QLabel#errorLabel {{ color: {DANGER}; }}
QLabel#hintLabel, QLabel#mutedLabel {{ color: {MUTED}; }}
QPushButton, QToolButton {{
    background: {RAISED}; border: 1px solid {BORDER}; border-radius: 6px;
    padding: 5px 12px;
}}
QPushButton:hover, QToolButton:hover {{ border-color: {ACCENT}; }}
QPushButton:pressed, QToolButton:pressed {{ background: {BASE}; }}
QPushButton:default {{ background: {ACCENT}; border-color: {ACCENT}; color: white; }}
QPushButton:default:hover {{ background: {ACCENT_HOVER}; }}
QPushButton:disabled, QToolButton:disabled {{ color: {MUTED}; background: {BASE}; }}
QToolButton:checked {{ border: 2px solid {ACCENT}; background: {BASE}; }}
QToolButton#lookButton {{ padding: 3px; border-radius: 8px; }}
QPushButton#zoomButton {{ padding: 5px 0px; }}
QToolButton#sectionToggle {{ border: none; background: transparent; padding: 2px; }}
QLineEdit, QComboBox, QListWidget {{
    background: {BASE}; border: 1px solid {BORDER}; border-radius: 6px; padding: 3px 6px;
    selection-background-color: {ACCENT};
}}
QLineEdit:focus, QComboBox:focus, QListWidget:focus {{ border-color: {ACCENT}; }}
QLineEdit[invalid="true"] {{ border-color: {DANGER}; }}
QLineEdit:read-only {{ color: {MUTED}; }}
QListWidget::item {{ border-radius: 4px; }}
QListWidget::item:selected {{ background: {ACCENT}; color: white; }}
QComboBox QAbstractItemView {{ background: {BASE}; selection-background-color: {ACCENT}; }}
QSlider::groove:horizontal {{ height: 4px; background: {BORDER}; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: {ACCENT}; border-radius: 2px; }}
QSlider::handle:horizontal {{
    background: {TEXT}; width: 14px; height: 14px; margin: -6px 0; border-radius: 7px;
}}
QSlider::handle:horizontal:hover {{ background: white; }}
QScrollArea {{ border: none; background: transparent; }}
QScrollBar:horizontal {{ height: 10px; background: transparent; border: none; }}
QScrollBar:vertical {{ width: 10px; background: transparent; border: none; }}
QScrollBar::handle {{
    background: {SCROLL_HANDLE}; border-radius: 4px; margin: 1px;
    min-width: 24px; min-height: 24px;
}}
QScrollBar::handle:hover, QScrollBar::handle:pressed {{ background: {MUTED}; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; border: none; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: none; }}
QGroupBox {{ border: 1px solid {BORDER}; border-radius: 8px; margin-top: 1.2em; padding: 6px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; color: {MUTED}; }}
QPushButton#recordButton {{ background: #e5484d; color: white; border: none;
    border-radius: 18px; padding: 8px 28px; font-weight: bold; }}
QPushButton#recordButton:hover {{ background: #f2555a; }}
QPushButton#recordButton[recording="true"] {{ background: {WINDOW}; color: #ff6b78;
    border: 2px solid #e5484d; }}
QLabel#panelTitle, QLabel#draftTitle {{ font-weight: bold; }}
QLabel#emptyState {{ color: {MUTED}; }}
QLabel#saveState {{ color: {MUTED}; }}
"""


def palette() -> QPalette:
    """The dark palette; the style sheet refines it, native dialogs follow it."""
    pal = QPalette()
    roles = {
        QPalette.Window: WINDOW,
        QPalette.WindowText: TEXT,
        QPalette.Base: BASE,
        QPalette.AlternateBase: RAISED,
        QPalette.ToolTipBase: RAISED,
        QPalette.ToolTipText: TEXT,
        QPalette.PlaceholderText: MUTED,
        QPalette.Text: TEXT,
        QPalette.Button: RAISED,
        QPalette.ButtonText: TEXT,
        QPalette.BrightText: DANGER,
        QPalette.Highlight: ACCENT,
        QPalette.HighlightedText: "#ffffff",
        QPalette.Link: ACCENT_HOVER,
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        pal.setColor(QPalette.Disabled, role, QColor(MUTED))
    return pal


def apply_theme(app: QApplication) -> None:
    """Fusion style, the dark palette and the style sheet, for the whole app."""
    app.setStyle("Fusion")
    app.setPalette(palette())
    app.setStyleSheet(STYLESHEET)


def icon_path(name: str) -> Path:
    """The SVG file of a named icon (see ICON_NAMES)."""
    if name not in ICON_NAMES:
        raise KeyError(f"no icon named {name!r}; known: {', '.join(ICON_NAMES)}")
    return resources_dir() / "icons" / f"{name}.svg"


def icon(name: str) -> QIcon:
    """A named icon from resources/icons/ (SVG, so it stays sharp at any scale)."""
    return QIcon(str(icon_path(name)))
