"""The Text tab: add a text at the playhead, edit the selected one's words, look and timing.

Every change goes through DraftSession.apply (undoable, autosaved); a refusal (empty
text, too long, after the reel) is one line under the form and the form keeps the words.
The pixels come from media/ (the preview pipeline draws them); this panel never does.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reeleditor.core import word_edits
from reeleditor.core.errors import ReelEditorError
from reeleditor.core.words import (
    TEXT_ALIGNS,
    TEXT_ANIMATIONS,
    TEXT_FONTS,
    TEXT_STYLES,
    TextOverlay,
    TextStyle,
)

DEFAULT_SECONDS = 2.0
FONT_NAMES = {"sans": "Sans", "display": "Display", "serif": "Serif", "hand": "Handwritten"}


def choice_combo(name: str, values, labels=None) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    for value in values:
        box.addItem((labels or {}).get(value, value.capitalize()), value)
    return box


class TextPanel(QWidget):
    """`selection_changed(id)`: the text being edited ('' for none); `edited()`: a text
    edit was applied (the window shows its frame)."""

    selection_changed = Signal(str)
    edited = Signal()

    def __init__(self, session, playhead, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.playhead = playhead  # () -> reel seconds: where "Add text" puts the text
        self.selected = ""
        self._shown: TextOverlay | None = None  # the text the form was last filled with
        self._filled_seconds = -1.0  # the Length box's value then
        self.words = QPlainTextEdit()
        self.words.setObjectName("textWords")
        self.words.setPlaceholderText("Type the words…")
        self.words.setFixedHeight(70)
        self.style_box = choice_combo("textStyle", TEXT_STYLES)
        self.font_box = choice_combo("textFont", TEXT_FONTS, FONT_NAMES)
        self.colour = QLineEdit("#ffffff")
        self.colour.setObjectName("textColour")
        self.background_on = QCheckBox("Box behind")
        self.background = QLineEdit("#000000")
        self.align_box = choice_combo("textAlign", TEXT_ALIGNS)
        self.align_box.setCurrentIndex(TEXT_ALIGNS.index("center"))
        self.size = QDoubleSpinBox(decimals=0, singleStep=4, suffix=" px")
        self.size.setRange(8, 400)
        self.size.setValue(64)
        self.enter_box = choice_combo("textEnter", TEXT_ANIMATIONS)
        self.exit_box = choice_combo("textExit", TEXT_ANIMATIONS)
        self.seconds = QDoubleSpinBox(decimals=1, singleStep=0.5, suffix=" s")
        self.seconds.setRange(0.1, 600)
        self.seconds.setValue(DEFAULT_SECONDS)
        self.add_button = QPushButton("Add text")
        self.add_button.setObjectName("addText")
        self.add_button.setToolTip("A new text at the playhead")
        self.apply_button = QPushButton("Apply")
        self.remove_button = QPushButton("Remove")
        self.status = QLabel("")
        self.status.setObjectName("textStatus")
        form = QFormLayout()
        form.addRow("Words", self.words)
        form.addRow("Style", self.style_box)
        form.addRow("Font", self.font_box)
        form.addRow("Colour", self.colour)
        row = QHBoxLayout()
        row.addWidget(self.background_on)
        row.addWidget(self.background)
        form.addRow("Background", row)
        form.addRow("Alignment", self.align_box)
        form.addRow("Size", self.size)
        form.addRow("Enter", self.enter_box)
        form.addRow("Exit", self.exit_box)
        form.addRow("Length", self.seconds)
        buttons = QHBoxLayout()
        for w in (self.add_button, self.apply_button, self.remove_button):
            buttons.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.add_button.clicked.connect(self.add_at_playhead)
        self.apply_button.clicked.connect(self.apply_form)
        self.remove_button.clicked.connect(self.remove_selected)
        session.changed.connect(self._on_session_changed)
        self._on_session_changed(session.draft)

    # -- the form ----------------------------------------------------------------------
    def look(self) -> TextStyle:
        background = self.background.text().strip() if self.background_on.isChecked() else None
        return TextStyle(
            style=self.style_box.currentData(),
            font=self.font_box.currentData(),
            colour=self.colour.text().strip().lower(),
            background=background.lower() if background else None,
            align=self.align_box.currentData(),
            size=float(self.size.value()),
        )

    def _checked_look(self) -> TextStyle:
        from reeleditor.core.errors import DraftFormatError

        try:
            return TextStyle.from_dict(self.look().to_dict())
        except DraftFormatError as exc:
            raise ReelEditorError(str(exc)) from None

    def _fill(self, text: TextOverlay, shown: TextOverlay | None = None) -> None:
        """Show `text` in the form. Given `shown` (what the form was last filled with), only
        the fields whose value changed since are set: a retime on the timeline or an undo
        updates Length without throwing away words the user is typing."""

        def changed(get) -> bool:
            return shown is None or get(shown) != get(text)

        if changed(lambda t: t.text):
            self.words.setPlainText(text.text)
        for box, get in (
            (self.style_box, lambda t: t.look.style),
            (self.font_box, lambda t: t.look.font),
            (self.align_box, lambda t: t.look.align),
            (self.enter_box, lambda t: t.enter),
            (self.exit_box, lambda t: t.exit),
        ):
            if changed(get):
                box.setCurrentIndex(max(0, box.findData(get(text))))
        if changed(lambda t: t.look.colour):
            self.colour.setText(text.look.colour)
        if changed(lambda t: t.look.background):
            self.background_on.setChecked(text.look.background is not None)
            self.background.setText(text.look.background or "#000000")
        if changed(lambda t: t.look.size):
            self.size.setValue(text.look.size)
        if changed(lambda t: t.end - t.start):
            self.seconds.setValue(text.end - text.start)
            self._filled_seconds = self.seconds.value()  # as rounded by the box
        self._shown = text

    def selected_text(self) -> TextOverlay | None:
        draft = self.session.draft
        if draft is None or not self.selected:
            return None
        return next((t for t in draft.texts if t.id == self.selected), None)

    # -- edits -------------------------------------------------------------------------
    def _apply(self, edit, done: str) -> bool:
        try:
            self.session.apply(edit)
        except ReelEditorError as exc:
            self.status.setText(str(exc).splitlines()[0])  # the words typed stay in the box
            return False
        self.status.setText(done)
        self.edited.emit()
        return True

    def add_at_playhead(self) -> bool:
        if self.session.draft is None:
            self.status.setText("Open or record a reel first")
            return False
        try:
            look = self._checked_look()
        except ReelEditorError as exc:
            self.status.setText(str(exc))
            return False
        at = float(self.playhead())
        text = TextOverlay(
            text=self.words.toPlainText(),
            start=at,
            end=at + self.seconds.value(),
            look=look,
            enter=self.enter_box.currentData(),
            exit=self.exit_box.currentData(),
        )
        if self._apply(lambda d, now: word_edits.add_text(d, text, now), f"Text at {at:.2f} s"):
            self.select(text.id)
            return True
        return False

    def apply_form(self) -> bool:
        text = self.selected_text()
        if text is None:
            self.status.setText("Select a text on the timeline first")
            return False
        try:
            look = self._checked_look()
        except ReelEditorError as exc:
            self.status.setText(str(exc))
            return False
        changes = dict(
            text=self.words.toPlainText(),
            look=look,
            enter=self.enter_box.currentData(),
            exit=self.exit_box.currentData(),
        )
        if self.seconds.value() != self._filled_seconds:  # Length left alone keeps the exact end
            changes["end"] = text.start + self.seconds.value()
        return self.update_text(text.id, "Text changed", **changes)

    def update_text(self, text_id: str, done: str, **changes) -> bool:
        return self._apply(lambda d, now: word_edits.update_text(d, text_id, now, **changes), done)

    def retime(self, text_id: str, start: float, end: float) -> bool:
        return self.update_text(text_id, f"Text at {start:.2f}-{end:.2f} s", start=start, end=end)

    def remove_selected(self) -> bool:
        text = self.selected_text()
        if text is None:
            self.status.setText("Select a text on the timeline first")
            return False
        ok = self._apply(lambda d, now: word_edits.remove_text(d, text.id, now), "Text removed")
        if ok:
            self.select("")
        return ok

    def select(self, text_id: str) -> None:
        self.selected = text_id
        text = self.selected_text()
        if text is not None:
            self._fill(text)
        self.apply_button.setEnabled(text is not None)
        self.remove_button.setEnabled(text is not None)
        self.selection_changed.emit(text_id if text is not None else "")

    def _on_session_changed(self, draft) -> None:
        if self.selected and self.selected_text() is None:  # undone, or another draft
            self.select("")
        text = self.selected_text()
        if text is not None and text != self._shown:  # retimed on the timeline, undone, placed
            self._fill(text, self._shown)
        self.add_button.setEnabled(draft is not None and bool(draft.segments))
        self.apply_button.setEnabled(self.selected_text() is not None)
        self.remove_button.setEnabled(self.selected_text() is not None)


def attach_text_editing(window) -> TextPanel:
    """The Text tab, the timeline's text bars and the preview's handles, wired together."""
    from reeleditor.ui.text_handles import TextHandles

    timeline = window.timeline.timeline
    panel = TextPanel(window.session, lambda: timeline.playhead)
    window.tabs.addTab(panel, "Text")
    handles = TextHandles(window.view, window.session, window.preview.pipeline.size)
    panel.handles = handles

    def show(text_id: str) -> None:
        timeline.select_text(text_id)
        handles.set_text(text_id)

    panel.selection_changed.connect(show)
    timeline.text_selected.connect(panel.select)
    timeline.text_dropped.connect(panel.retime)
    handles.edited.connect(
        lambda text_id, changes: panel.update_text(text_id, "Text placed", **changes)
    )

    def rescrub() -> None:  # from the camera to the reel's frame, to show the text
        draft = window.session.draft
        idle = not window.preview.scrubbing and not window.preview.playing
        if draft is not None and draft.segments and idle:
            window.timeline.scrub_to(timeline.playhead)

    panel.edited.connect(rescrub)
    return panel
