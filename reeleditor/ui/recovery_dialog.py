"""The prompt after a crash: what was kept, in plain words, and the way to the crash report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from reeleditor.storage.recovery import RecoveryReport


class RecoveryDialog(QDialog):
    """Says what was recovered; "Show crash report" opens the folder with the log files."""

    def __init__(
        self,
        report: RecoveryReport,
        parent: QWidget | None = None,
        open_url: Callable[[QUrl], object] = QDesktopServices.openUrl,
    ) -> None:
        super().__init__(parent)
        self.report = report
        self._open_url = open_url
        self.setObjectName("recoveryBox")
        self.setWindowTitle("Your work is safe")
        self.setMinimumWidth(460)

        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.SP_MessageBoxInformation).pixmap(40, 40))
        self.message = QLabel(self._html(report))
        self.message.setWordWrap(True)
        self.message.setObjectName("recoveryText")
        top = QHBoxLayout()
        top.addWidget(icon, 0, Qt.AlignTop)
        top.addWidget(self.message, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.Ok)
        buttons.accepted.connect(self.accept)
        self.crash_button = QPushButton("Show crash report")
        self.crash_button.setToolTip(
            "Opens the folder with the log and crash files, to send with a bug report"
        )
        buttons.addButton(self.crash_button, QDialogButtonBox.ActionRole)
        self.crash_button.setVisible(report.logs is not None)
        self.crash_button.clicked.connect(self._on_crash_button_clicked)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(buttons)

    @staticmethod
    def _html(report: RecoveryReport) -> str:
        lines = report.lines()
        head = f"<p><b>{_escape(lines[0])}</b></p>"
        return head + "".join(f"<p>{_escape(line)}</p>" for line in lines[1:])

    def text(self) -> str:
        """The message as plain text (what a screen reader, or a test, reads)."""
        return self.report.text()

    def _on_crash_button_clicked(self) -> None:
        folder = Path(self.report.logs)
        self._open_url(QUrl.fromLocalFile(str(folder)))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
