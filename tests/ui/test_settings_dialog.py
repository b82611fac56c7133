"""The settings dialog: edits come back as frozen Settings; bad URLs block OK; tokens hide."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QLineEdit

from reeleditor.core.settings import Settings
from reeleditor.ui.settings_dialog import SettingsDialog, endpoint_problem


@pytest.fixture
def make_dialog(qtbot, tmp_path):
    def make(settings=None, token_store=None, **kwargs):
        dialog = SettingsDialog(settings or Settings(), tmp_path, token_store, **kwargs)
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog

    return make


def pick(combo, value):
    combo.setCurrentIndex(combo.findData(value))


def test_unchanged_dialog_returns_equal_settings(make_dialog):
    settings = Settings(chunk_size_mib=4, camera="camera:1", fps=25)
    dialog = make_dialog(settings)
    assert dialog.result_settings() == settings
    assert dialog.camera_combo.currentText() == "Camera 1"


def test_every_field_is_edited_into_new_frozen_settings(qtbot, make_dialog):
    dialog = make_dialog(microphones=["USB Mic"])
    dialog.endpoint_edit.setText("  https://up.example.com/files/ ")
    pick(dialog.camera_combo, "testpattern")
    pick(dialog.microphone_combo, "USB Mic")
    dialog.resolution_combo.setCurrentIndex(1)
    pick(dialog.fps_combo, 60)
    pick(dialog.preset_combo, "small")
    dialog.mirror_check.setChecked(False)
    dialog.fps_check.setChecked(True)
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.result_settings() == Settings(
        endpoint="https://up.example.com/files/",
        camera="testpattern",
        microphone="USB Mic",
        width=720,
        height=1280,
        fps=60,
        export_preset="small",
        mirror_preview=False,
        show_fps=True,
    )


def test_values_not_in_the_lists_are_kept(make_dialog):
    settings = Settings(camera="file:/tmp/clip.mp4", microphone="Old mic", width=540, height=960)
    dialog = make_dialog(settings)
    assert dialog.result_settings() == settings
    assert "clip.mp4" in dialog.camera_combo.currentText()


@pytest.mark.parametrize(
    "url, ok",
    [
        ("http://127.0.0.1:8765/files/", True),
        ("https://upload.example.com/files/", True),
        ("https://[::1]:8080/files/", True),
        ("", False),
        ("ftp://example.com/", False),
        ("example.com/files", False),
        ("http:///files/", False),
        ("http://host:99999/", False),
        ("http://exa mple.com/", False),
    ],
)
def test_endpoint_validation(url, ok):
    assert (endpoint_problem(url) == "") is ok


def test_a_bad_url_disables_ok_with_an_inline_message(qtbot, make_dialog):
    dialog = make_dialog()
    assert dialog.ok_button.isEnabled() and not dialog.endpoint_error.isVisible()
    dialog.endpoint_edit.setText("ftp://example.com/")
    assert not dialog.ok_button.isEnabled()
    assert dialog.endpoint_error.isVisible()
    assert "http:// or https://" in dialog.endpoint_error.text()
    dialog.accept()  # Enter in a field cannot slip past the check
    assert dialog.isVisible()
    dialog.endpoint_edit.setText("http://localhost:9000/files/")
    assert dialog.ok_button.isEnabled() and not dialog.endpoint_error.isVisible()


def test_the_token_is_a_password_field_stored_through_the_callable(qtbot, make_dialog):
    stored = []
    dialog = make_dialog(token_store=stored.append)
    assert dialog.token_edit.echoMode() == QLineEdit.Password
    assert dialog.token_edit.text() == ""  # never shown back
    qtbot.keyClicks(dialog.token_edit, "s3cret")
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    assert stored == ["s3cret"]
    assert dialog.token_edit.text() == ""
    assert "s3cret" not in repr(dialog.result_settings())


def test_an_empty_token_keeps_the_stored_one(qtbot, make_dialog):
    stored = []
    dialog = make_dialog(token_store=stored.append)
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    assert stored == [] and dialog.result() == QDialog.DialogCode.Accepted


def test_a_failing_token_store_keeps_the_dialog_open(qtbot, make_dialog):
    def broken(_token):
        raise OSError("keyring locked")

    dialog = make_dialog(token_store=broken)
    qtbot.keyClicks(dialog.token_edit, "abc")
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    assert dialog.isVisible()
    assert "keyring locked" in dialog.token_error.text()


def test_without_a_token_store_the_field_is_disabled(make_dialog):
    assert not make_dialog().token_edit.isEnabled()


def test_the_data_folder_is_read_only_and_opens(qtbot, make_dialog, tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    dialog = make_dialog()
    assert dialog.folder_edit.isReadOnly() and dialog.folder_edit.text() == str(tmp_path)
    qtbot.mouseClick(dialog.open_folder_button, Qt.LeftButton)
    assert opened == [QUrl.fromLocalFile(str(tmp_path))]


def test_a_token_typed_here_is_only_offered_until_the_server_accepts_it(
    qtbot, make_dialog, runner, monkeypatch
):
    """As the main window wires it: OK hands the token to the uploads, not to the store."""
    from reeleditor.storage.paths import AppPaths
    from reeleditor.ui.uploads_panel import UploadController

    monkeypatch.setattr("reeleditor.upload.credentials._usable_keyring", lambda: None)
    settings = Settings(endpoint="http://127.0.0.1:9/files/")
    controller = UploadController(AppPaths.from_env().ensure(), None, runner, settings)
    dialog = make_dialog(
        settings,
        token_store=lambda token: controller.offer_token(dialog.endpoint_edit.text(), token),
    )
    qtbot.keyClicks(dialog.token_edit, "typed-token")
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert controller.token_offered  # used for the next upload to that server
    assert controller.tokens.get(settings.endpoint) is None  # not stored before it is accepted
    assert controller.shutdown()
