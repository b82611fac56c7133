"""Captions in the Edit tab: recognise the reel's speech (off the GUI thread, cancellable),
then fix a cue's words, re-time it, style and place them, and choose whether the export
burns them in."""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reeleditor.core import word_edits
from reeleditor.core.draft import Draft
from reeleditor.core.errors import ReelEditorError
from reeleditor.core.progress import Progress
from reeleditor.core.words import TEXT_FONTS, TEXT_STYLES, Captions
from reeleditor.ui.session import DraftSession
from reeleditor.ui.text_panel import FONT_NAMES, choice_combo
from reeleditor.ui.workers import Task

log = logging.getLogger(__name__)
START, END, TEXT = range(3)  # the cue table's columns


def _recognise(store, draft: Draft):
    """The Progress generator run on the task runner: the draft's new Captions."""
    from reeleditor.media.captions import transcribe
    from reeleditor.media.speech import PocketSphinxRecognizer

    return (yield from transcribe(store, draft, PocketSphinxRecognizer()))


class CaptionsPanel(QWidget):
    """The session's captions: an Auto captions button with progress and Cancel, the cues
    (words edited in place, start and end in spin boxes) and "Burn into video"."""

    captions_made = Signal(int)  # how many cues recognition stored (for tests and status)

    def __init__(self, session: DraftSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.task: Task | None = None
        self._task_draft = ""  # the draft the running recognition listens to
        self._updating = False
        self.auto_button = QPushButton("Auto captions")
        self.auto_button.setObjectName("autoCaptions")
        self.auto_button.setToolTip("Hear the reel's speech (offline) and write captions")
        self.auto_button.clicked.connect(self._on_auto_clicked)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelCaptions")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.progress = QProgressBar()
        self.progress.setObjectName("captionsProgress")
        self.progress.setRange(0, 100)
        self.progress.setVisible(False)
        self.status = QLabel("")
        self.status.setObjectName("captionsStatus")
        self.status.setWordWrap(True)
        self.cues = QTableWidget(0, 3)
        self.cues.setObjectName("captionCues")
        self.cues.setHorizontalHeaderLabels(["Start", "End", "Words"])
        self.cues.horizontalHeader().setSectionResizeMode(TEXT, QHeaderView.Stretch)
        self.cues.verticalHeader().setVisible(False)
        self.cues.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.cues.setMaximumHeight(180)  # a few rows; the editor's controls stay in view
        self.cues.itemChanged.connect(self._on_cues_item_changed)
        self.burn = QCheckBox("Burn into video")
        self.burn.setObjectName("burnCaptions")
        self.burn.setToolTip("Draw the captions on the picture; a .vtt is written either way")
        self.burn.toggled.connect(self._on_burn_toggled)
        self.remove_button = QPushButton("Remove captions")
        self.remove_button.clicked.connect(self._on_remove_clicked)
        # how they look: the style and font of a text, and how far down the picture
        self.style_box = choice_combo("captionStyle", TEXT_STYLES)
        self.font_box = choice_combo("captionFont", TEXT_FONTS, FONT_NAMES)
        self.style_box.activated.connect(
            lambda _i: self._set_look(style=self.style_box.currentData())
        )
        self.font_box.activated.connect(lambda _i: self._set_look(font=self.font_box.currentData()))
        self.position = QDoubleSpinBox(decimals=0, singleStep=5, suffix=" % down")
        self.position.setObjectName("captionPosition")
        self.position.setRange(5, 95)  # Captions.y as a percentage of the height
        self.position.setToolTip("Where the captions' middle sits, from the top of the picture")
        self.position.setKeyboardTracking(False)  # typing "60" is one edit, not "6" then "60"
        self.position.valueChanged.connect(self._on_position_changed)

        title = QLabel("Captions")
        title.setObjectName("panelTitle")
        buttons = QHBoxLayout()
        buttons.addWidget(self.auto_button)
        buttons.addWidget(self.cancel_button)
        options = QHBoxLayout()
        options.addWidget(self.burn)
        options.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(title)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.cues)
        look = QFormLayout()
        look.addRow("Style", self.style_box)
        look.addRow("Font", self.font_box)
        look.addRow("Position", self.position)
        layout.addLayout(look)
        layout.addLayout(options)
        session.changed.connect(self._on_session_changed)
        self._on_session_changed(session.draft)

    # -- showing the draft ----------------------------------------------------------------
    def _on_session_changed(self, draft: Draft | None) -> None:
        self._updating = True
        try:
            captions = draft.captions if draft is not None else None
            has_cues = captions is not None and bool(captions.cues)
            self.auto_button.setEnabled(
                draft is not None and bool(draft.segments) and self.task is None
            )
            for w in (self.burn, self.remove_button, self.style_box, self.font_box, self.position):
                w.setEnabled(has_cues)
            shown = captions if captions is not None else Captions()
            self.burn.setChecked(shown.burn)
            self.style_box.setCurrentIndex(max(0, self.style_box.findData(shown.look.style)))
            self.font_box.setCurrentIndex(max(0, self.font_box.findData(shown.look.font)))
            self.position.setValue(round(shown.y * 100))
            self._fill(captions, draft.duration if draft is not None else 0.0)
        finally:
            self._updating = False

    def _fill(self, captions: Captions | None, reel_seconds: float) -> None:
        cues = captions.cues if captions is not None else ()
        self.cues.setRowCount(len(cues))
        for row, cue in enumerate(cues):
            for column, value in ((START, cue.start), (END, cue.end)):
                box = self.cues.cellWidget(row, column)
                if not isinstance(box, QDoubleSpinBox):
                    box = QDoubleSpinBox(decimals=2, singleStep=0.1, suffix=" s")
                    box.setObjectName(f"cue{'Start' if column == START else 'End'}")
                    box.setKeyboardTracking(False)
                    box.editingFinished.connect(lambda b=box, c=column: self._on_time_edited(b, c))
                    self.cues.setCellWidget(row, column, box)
                box.blockSignals(True)
                box.setRange(0.0, max(reel_seconds, cue.end) + 60.0)
                box.setValue(value)
                box.blockSignals(False)
            item = QTableWidgetItem(cue.text.replace("\n", " / "))
            item.setFlags(item.flags() | Qt.ItemIsEditable)
            self.cues.setItem(row, TEXT, item)

    # -- recognition ----------------------------------------------------------------------
    def _on_auto_clicked(self) -> None:
        draft = self.session.draft
        if draft is None or self.task is not None:
            return
        store = self.session.store
        self._task_draft = draft.id
        self.auto_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.status.setText("Listening…")
        self.task = self.session.runner.start(
            "captions",
            lambda: _recognise(store, draft),
            on_progress=self._on_task_progress,
            on_finished=self._on_task_finished,
            on_failed=self._on_task_failed,
            on_cancelled=lambda: self.status.setText("Captions cancelled; nothing changed"),
            on_done=self._on_task_done,
        )

    def _on_cancel_clicked(self) -> None:
        if self.task is not None:
            self.status.setText("Cancelling…")
            self.task.cancel()

    def _on_task_progress(self, progress: Progress) -> None:
        fraction = progress.fraction
        self.progress.setRange(0, 0 if fraction is None else 100)  # busy until it is known
        if fraction is not None:
            self.progress.setValue(round(fraction * 100))
        self.status.setText(progress.describe())

    def _on_task_finished(self, captions: Captions) -> None:
        draft = self.session.draft
        if draft is None or draft.id != self._task_draft:
            self.status.setText("The draft changed while listening; captions not stored")
            return
        self.session.apply(lambda d, now: word_edits.set_captions(d, captions, now))
        self.status.setText(f"{len(captions.cues)} captions; edit a cue's words or times below")
        self.captions_made.emit(len(captions.cues))

    def _on_task_failed(self, message: str) -> None:
        self.status.setText(message[:1].upper() + message[1:])

    def _on_task_done(self) -> None:
        self.task = None
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)
        self._on_session_changed(self.session.draft)

    # -- editing --------------------------------------------------------------------------
    def _apply(self, edit) -> None:
        """An undoable edit; a refusal is said in the status line and the table reloaded."""
        try:
            self.session.apply(edit)
        except ReelEditorError as exc:
            self.status.setText(str(exc)[:1].upper() + str(exc)[1:])
            self._on_session_changed(self.session.draft)

    def _on_cues_item_changed(self, item: QTableWidgetItem) -> None:
        if self._updating or item.column() != TEXT:
            return
        row = item.row()
        text = "\n".join(part.strip() for part in item.text().split(" / "))
        self._apply(lambda d, now: word_edits.edit_cue(d, row, now, text=text))

    def _on_time_edited(self, box: QDoubleSpinBox, column: int) -> None:
        if self._updating:
            return
        draft = self.session.draft
        cues = draft.captions.cues if draft is not None and draft.captions else ()
        for row in range(min(self.cues.rowCount(), len(cues))):
            if self.cues.cellWidget(row, column) is box:
                value = round(box.value(), 3)
                old = cues[row].start if column == START else cues[row].end
                if abs(value - old) < 0.005:
                    return  # focus left the box unchanged: no edit, no undo step
                change = {"start": value} if column == START else {"end": value}
                self._apply(lambda d, now, r=row, c=change: word_edits.edit_cue(d, r, now, **c))
                return

    def _on_burn_toggled(self, burn: bool) -> None:
        draft = self.session.draft
        if self._updating or draft is None or draft.captions is None:
            return
        self._apply(lambda d, now: word_edits.set_captions(d, replace(d.captions, burn=burn), now))

    def _set_look(self, **changes) -> None:
        draft = self.session.draft
        if self._updating or draft is None or draft.captions is None:
            return
        if all(getattr(draft.captions.look, k) == v for k, v in changes.items()):
            return  # the same choice again: no undo step

        def restyle(d: Draft, now: float) -> Draft:
            look = replace(d.captions.look, **changes)
            return word_edits.set_captions(d, replace(d.captions, look=look), now)

        self._apply(restyle)

    def _on_position_changed(self, percent: float) -> None:
        draft = self.session.draft
        if self._updating or draft is None or draft.captions is None:
            return
        y = round(percent / 100, 3)
        if abs(y - draft.captions.y) >= 0.005:
            self._apply(lambda d, now: word_edits.set_captions(d, replace(d.captions, y=y), now))

    def _on_remove_clicked(self) -> None:
        self._apply(lambda d, now: word_edits.set_captions(d, None, now))
