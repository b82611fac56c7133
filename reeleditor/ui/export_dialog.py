"""The export dialog: preset and path, progress, cancel; the work runs on the task runner."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reeleditor.core.draft import Draft
from reeleditor.core.presets import PRESETS
from reeleditor.core.progress import Progress
from reeleditor.ui.workers import TaskRunner


class ExportDialog(QDialog):
    """Writes the draft to an MP4; closing or Cancel while it runs cancels it (no file left)."""

    def __init__(
        self,
        store,
        draft: Draft,
        runner: TaskRunner,
        default_dir: Path,
        preset: str = "standard",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Export “{draft.title}”")
        self.store, self.draft, self.runner = store, draft, runner
        self.task = None
        self.result = None
        self._close_after_cancel = False
        self.preset = QComboBox()
        for p in PRESETS.values():
            self.preset.addItem(f"{p.name.title()} — {p.description}", p.name)
        self.preset.setCurrentIndex(max(0, list(PRESETS).index(preset) if preset in PRESETS else 1))
        safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in draft.title).strip()
        self.path = QLineEdit(str(Path(default_dir) / f"{safe or draft.id}.mp4"))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._on_browse_clicked)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.status = QLabel(f"{draft.duration:.1f} s, {draft.width}x{draft.height}")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.Cancel)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)

        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Quality", self.preset)
        form.addRow("Save as", path_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def choose_path(self) -> str:
        """The file dialog (kept apart so tests can replace it)."""
        path, _ = QFileDialog.getSaveFileName(
            self, "Export reel", self.path.text(), "MP4 video (*.mp4)"
        )
        return path

    def _on_browse_clicked(self) -> None:
        path = self.choose_path()
        if path:
            self.path.setText(path if path.lower().endswith(".mp4") else path + ".mp4")

    def _on_export_clicked(self) -> None:
        from reeleditor.media.render import export_draft

        out = Path(self.path.text()).expanduser()
        preset = self.preset.currentData()
        self.export_button.setEnabled(False)
        self.status.setText("Exporting…")
        self.task = self.runner.start(
            "export",
            lambda: export_draft(self.store, self.draft, out, preset),
            on_progress=self._on_task_progress,
            on_finished=self._on_task_finished,
            on_failed=self._on_task_failed,
            on_cancelled=self._on_task_cancelled,
        )

    def _on_task_progress(self, progress: Progress) -> None:
        if progress.fraction is not None:
            self.progress.setValue(int(progress.fraction * 100))
        self.status.setText(progress.describe())

    def _on_task_finished(self, result) -> None:
        self.task = None
        self.result = result
        self.progress.setValue(100)
        self.status.setText(f"Saved {result.path} ({result.duration:.1f} s) and its poster.")
        self.cancel_button.setText("Close")
        self.export_button.setEnabled(True)

    def _on_task_failed(self, message: str) -> None:
        self.task = None
        self.status.setText(f"Export failed: {message}")
        self.export_button.setEnabled(True)

    def _on_task_cancelled(self) -> None:
        self.task = None
        if self._close_after_cancel:
            super().reject()
            return
        self.progress.setValue(0)
        self.status.setText("Export cancelled; no file was written.")
        self.export_button.setEnabled(True)

    def _on_cancel_clicked(self) -> None:
        if self.task is not None:
            self.task.cancel()
        else:
            self.reject()

    def reject(self) -> None:
        if self.task is not None:
            self._close_after_cancel = True
            self.task.cancel()
            return  # closes itself once the cancel has cleaned up (no partial file)
        super().reject()
