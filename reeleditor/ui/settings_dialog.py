"""The settings dialog: endpoint and token, devices, recording format, export, preview."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reeleditor.core.presets import PRESETS
from reeleditor.core.settings import Settings
from reeleditor.ui.device_names import camera_text

RESOLUTIONS = ((1080, 1920, "1080 × 1920 (Full HD)"), (720, 1280, "720 × 1280 (HD)"))
FRAME_RATES = (24, 25, 30, 60)
log = logging.getLogger(__name__)
CAMERA_SLOTS = 4  # camera:0 .. camera:3 offered when the caller lists no cameras


def endpoint_problem(url: str) -> str:
    """Why `url` cannot be an upload endpoint, or '' when it can."""
    if not url:
        return "Enter the upload address, e.g. http://127.0.0.1:8765/files/"
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        return "This address is not valid: check the port and brackets"
    if parts.scheme not in ("http", "https"):
        return "The address must start with http:// or https://"
    if not parts.hostname:
        return "The address needs a host, e.g. https://upload.example.com/files/"
    if not port_ok or any(c.isspace() for c in url):
        return "This address is not valid: check the port and spaces"
    return ""


def _camera_text(value: str) -> str:
    return camera_text(value, auto="Automatic")


class SettingsDialog(QDialog):
    """Edits a copy of the settings; `result_settings()` gives the new frozen Settings.

    The token is never shown back: the field starts empty and a typed token goes to
    `token_store(token)` when OK is pressed (without a store the field is disabled). The
    app's store only offers it to the uploads: it is saved once the server has accepted
    it, never when the server refused it.
    `cameras` and `microphones` may list device values found by a scan run elsewhere.
    """

    def __init__(
        self,
        settings: Settings,
        data_folder: Path,
        token_store: Callable[[str], None] | None = None,
        parent: QWidget | None = None,
        *,
        cameras: Sequence[str] = (),
        microphones: Sequence[str] = (),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self.data_folder = Path(data_folder)
        self.token_store = token_store

        self.endpoint_edit = QLineEdit(settings.endpoint)
        self.endpoint_edit.setPlaceholderText("https://upload.example.com/files/")
        self.endpoint_edit.textChanged.connect(self._on_endpoint_edit_text_changed)
        self.endpoint_error = QLabel(objectName="errorLabel", wordWrap=True)
        self.token_edit = QLineEdit(echoMode=QLineEdit.Password)
        if token_store is None:
            self.token_edit.setEnabled(False)
            self.token_edit.setPlaceholderText("Token storage is not available")
        else:
            self.token_edit.setPlaceholderText("Leave empty to keep the current token")
            self.token_edit.setToolTip(
                "A new token is used for the next upload and saved once the server accepts it"
            )
        self.token_error = QLabel(objectName="errorLabel", wordWrap=True)
        self.token_error.hide()

        slots = cameras or [f"camera:{i}" for i in range(CAMERA_SLOTS)]
        self.camera_combo = self._combo(
            [(_camera_text(v), v) for v in ("auto", "testpattern", *slots)],
            settings.camera,
            _camera_text(settings.camera),
        )
        mic_names = [("Automatic", "auto"), ("None (silent)", "none")]
        mic_names += [(m, m) for m in microphones]
        self.microphone_combo = self._combo(mic_names, settings.microphone, settings.microphone)
        self.resolution_combo = self._combo(
            [(text, (w, h)) for w, h, text in RESOLUTIONS],
            (settings.width, settings.height),
            f"{settings.width} × {settings.height}",
        )
        self.fps_combo = self._combo(
            [(f"{f} fps", f) for f in FRAME_RATES], settings.fps, f"{settings.fps} fps"
        )
        self.preset_combo = self._combo(
            [(f"{p.name.capitalize()}: {p.description}", p.name) for p in PRESETS.values()],
            settings.export_preset,
            settings.export_preset,
        )
        self.mirror_check = QCheckBox("Mirror the camera preview", checked=settings.mirror_preview)
        self.mirror_check.setToolTip("Only the preview is mirrored; recordings are not")
        self.fps_check = QCheckBox(
            "Show the frame rate over the preview", checked=settings.show_fps
        )

        self.folder_edit = QLineEdit(str(self.data_folder), readOnly=True)
        self.open_folder_button = QPushButton("Open folder")
        self.open_folder_button.clicked.connect(self._on_open_folder_button_clicked)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.open_folder_button)

        form = QFormLayout()
        form.addRow("Upload endpoint", self.endpoint_edit)
        form.addRow("", self.endpoint_error)
        form.addRow("Access token", self.token_edit)
        form.addRow("", self.token_error)
        form.addRow("Camera", self.camera_combo)
        form.addRow("Microphone", self.microphone_combo)
        form.addRow("Resolution", self.resolution_combo)
        form.addRow("Frame rate", self.fps_combo)
        form.addRow("Export quality", self.preset_combo)
        form.addRow("", self.mirror_check)
        form.addRow("", self.fps_check)
        form.addRow("Data folder", folder_row)

        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.ok_button = self.buttons.button(QDialogButtonBox.Ok)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._on_endpoint_edit_text_changed(self.endpoint_edit.text())

    @staticmethod
    def _combo(items: list[tuple[str, object]], current: object, fallback: str) -> QComboBox:
        """A combo of (text, value) that keeps an unlisted current value selectable."""
        combo = QComboBox()
        for text, value in items:
            combo.addItem(text, value)
        index = next((i for i, (_, value) in enumerate(items) if value == current), -1)
        if index < 0:
            combo.addItem(fallback, current)
            index = combo.count() - 1
        combo.setCurrentIndex(index)
        return combo

    def _on_endpoint_edit_text_changed(self, text: str) -> None:
        problem = endpoint_problem(text.strip())
        self.endpoint_error.setText(problem)
        self.endpoint_error.setVisible(bool(problem))
        self.endpoint_edit.setProperty("invalid", bool(problem))
        self.endpoint_edit.style().unpolish(self.endpoint_edit)  # re-read [invalid="true"]
        self.endpoint_edit.style().polish(self.endpoint_edit)
        self.ok_button.setEnabled(not problem)

    def _on_open_folder_button_clicked(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.data_folder)))

    def result_settings(self) -> Settings:
        """The settings as edited (unchanged fields, like the chunk size, are kept)."""
        width, height = self.resolution_combo.currentData()
        return replace(
            self.settings,
            endpoint=self.endpoint_edit.text().strip(),
            camera=self.camera_combo.currentData(),
            microphone=self.microphone_combo.currentData(),
            width=int(width),
            height=int(height),
            fps=int(self.fps_combo.currentData()),
            export_preset=self.preset_combo.currentData(),
            mirror_preview=self.mirror_check.isChecked(),
            show_fps=self.fps_check.isChecked(),
        )

    def accept(self) -> None:
        if endpoint_problem(self.endpoint_edit.text().strip()):
            return
        token = self.token_edit.text().strip()
        if token and self.token_store is not None:
            try:
                self.token_store(token)
            except Exception as exc:  # shown, not swallowed: the dialog stays open
                log.warning("the token could not be kept", exc_info=True)
                self.token_error.setText(f"The token could not be saved: {exc}")
                self.token_error.show()
                return
            self.token_edit.clear()  # no copy of the secret lingers in the widget
        super().accept()
