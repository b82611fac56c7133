"""The export dialog: preset and path, progress, cancel; the work runs on the task runner."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Slot
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
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from reeleditor.core.draft import Draft
from reeleditor.core.presets import PRESETS
from reeleditor.core.progress import Progress
from reeleditor.ui.workers import TaskRunner

log = logging.getLogger(__name__)


def default_export_folder() -> Path:
    """The user's Videos folder (made if missing), else their home folder."""
    movies = QStandardPaths.writableLocation(QStandardPaths.MoviesLocation)
    if movies:
        folder = Path(movies)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return folder
        except OSError:
            log.warning("the Videos folder %s cannot be made; exporting to home", folder)
    return Path.home()


class ExportDialog(QDialog):
    """Writes the draft to an MP4; closing or Cancel while it runs cancels it (no file left).

    One export at a time: a second Export click while one runs is refused.
    """

    def __init__(
        self,
        store,
        draft: Draft,
        runner: TaskRunner,
        default_dir: Path | None = None,
        preset: str = "standard",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Export “{draft.title}”")
        self.store, self.draft, self.runner = store, draft, runner
        self.task = None
        self.result = None
        self._close_after_cancel = False
        folder = Path(default_dir) if default_dir is not None else default_export_folder()
        self.preset = QComboBox()
        for p in PRESETS.values():
            self.preset.addItem(f"{p.name.title()} — {p.description}", p.name)
        self.preset.setCurrentIndex(max(0, list(PRESETS).index(preset) if preset in PRESETS else 1))
        safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in draft.title).strip()
        self.path = QLineEdit(str(folder / f"{safe or draft.id}.mp4"))
        metrics = self.path.fontMetrics()
        self.path.setMinimumWidth(metrics.horizontalAdvance("x" * 40))
        self.path.setCursorPosition(0)  # the folder first: the name is in the title already
        self.browse_button = QPushButton("Choose…")
        self.browse_button.setSizePolicy(QSizePolicy.Minimum, QSizePolicy.Fixed)
        self.browse_button.setAutoDefault(False)  # Enter in the dialog exports, not browses
        self.browse_button.clicked.connect(self._on_browse_clicked)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.status = QLabel(f"{draft.duration:.1f} s, {draft.width}x{draft.height}")
        self.status.setWordWrap(True)
        # room for two lines from the start, so a longer message never squeezes the fields
        self.status.setMinimumHeight(2 * metrics.lineSpacing())
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.Cancel)
        self.close_button = self.buttons.addButton(QDialogButtonBox.Close)
        self.close_button.setVisible(False)  # replaces Cancel once there is nothing to cancel
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.close_button.clicked.connect(self.reject)

        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(self.browse_button)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.ExpandingFieldsGrow)
        form.addRow("Quality", self.preset)
        form.addRow("Save as", path_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

    @property
    def running(self) -> bool:
        return self.task is not None

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

        if self.running:
            return  # one export at a time: a second would race the first for its file
        out = Path(self.path.text()).expanduser()
        preset = self.preset.currentData()
        self._set_running(True)
        self.status.setText("Exporting…")
        self.task = self.runner.start(
            "export",
            lambda: export_draft(self.store, self.draft, out, preset),
            on_progress=self._on_task_progress,
            on_finished=self._on_task_finished,
            on_failed=self._on_task_failed,
            on_cancelled=self._on_task_cancelled,
        )

    def _set_running(self, running: bool) -> None:
        for widget in (self.export_button, self.preset, self.path, self.browse_button):
            widget.setEnabled(not running)
        self.cancel_button.setVisible(running or not self.close_button.isVisible())

    def _show_finished(self) -> None:
        """Nothing left to cancel: Close (with the close icon) replaces Cancel."""
        self.cancel_button.setVisible(False)
        self.close_button.setVisible(True)
        self.close_button.setDefault(True)
        self.close_button.setFocus()

    def _say(self, text: str) -> None:
        """Show `text` below the progress; the dialog grows to fit it rather than squash
        the fields (a wrapped label's height is not in the dialog's minimum size)."""
        self.status.setText(text)
        layout = self.layout()
        layout.activate()
        needed = layout.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)
        self.setMinimumHeight(max(needed, layout.totalMinimumSize().height()))

    @Slot(object)
    def _on_task_progress(self, progress: Progress) -> None:
        if progress.fraction is not None:
            self.progress.setValue(int(progress.fraction * 100))
        self.status.setText(progress.describe())

    @Slot(object)
    def _on_task_finished(self, result) -> None:
        self.task = None
        self.result = result
        self.progress.setValue(100)
        self._say(
            f"Saved “{result.path.name}” ({result.duration:.1f} s) and its poster "
            f"in {result.path.parent}."
        )
        self.status.setToolTip(str(result.path))
        self._set_running(False)
        self._show_finished()

    @Slot(str)
    def _on_task_failed(self, message: str) -> None:
        self.task = None
        self._say(f"Export failed: {message}")
        self._set_running(False)

    @Slot()
    def _on_task_cancelled(self) -> None:
        self.task = None
        if self._close_after_cancel:
            super().reject()
            return
        self.progress.setValue(0)
        self.status.setText("Export cancelled; no file was written.")
        self._set_running(False)

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
