"""The recovery prompt: plain words, and a way to the crash report."""

from PySide6.QtCore import QUrl

from reeleditor.storage.recovery import RecoveredDraft, RecoveryReport
from reeleditor.ui.recovery_dialog import RecoveryDialog


def _report(tmp_path, **changes):
    fields = dict(
        crashed=True,
        drafts=(RecoveredDraft("My reel <3", 12.44, 2.0), RecoveredDraft("Beach", 30.0)),
        logs=tmp_path / "logs",
    )
    return RecoveryReport(**{**fields, **changes})


def test_the_dialog_says_what_was_kept_and_opens_the_logs_folder(qtbot, tmp_path):
    opened = []
    dialog = RecoveryDialog(_report(tmp_path), open_url=opened.append)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.objectName() == "recoveryBox"
    assert dialog.text() == (
        "Your last session ended unexpectedly. We kept everything: “My reel <3” "
        "(12.4 s, including the take you were recording), “Beach” (30.0 s)."
    )
    shown = dialog.message.text()
    assert "<b>Your last session ended unexpectedly.</b>" in shown
    assert "My reel &lt;3" in shown  # a title is text, never markup
    assert dialog.crash_button.isVisible() and dialog.crash_button.text() == "Show crash report"
    dialog.crash_button.click()
    assert opened == [QUrl.fromLocalFile(str(tmp_path / "logs"))]


def test_without_a_logs_folder_there_is_no_crash_report_button(qtbot, tmp_path):
    dialog = RecoveryDialog(_report(tmp_path, logs=None), open_url=lambda url: None)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.crash_button.isVisible()
