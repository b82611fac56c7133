"""The editor: segments (add from disk, reorder, trim, speed, delete), playback, the cover."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from reeleditor.core import edits
from reeleditor.core.draft import SPEEDS, Draft
from reeleditor.ui.captions_panel import CaptionsPanel
from reeleditor.ui.drafts_panel import dropped_files
from reeleditor.ui.session import DraftSession

CLIP_FILTER = "Videos and photos (*.mp4 *.mov *.mkv *.webm *.m4v *.jpg *.jpeg *.png)"


def _import_all(store, draft_id: str, paths: list[str]):
    """Copy each file into the draft (a Progress generator); returns (segments, problems)."""
    from reeleditor.core.errors import ReelEditorError
    from reeleditor.media.clips import import_media

    segments, problems = [], []
    for path in paths:
        try:
            segment, _info = yield from import_media(store, draft_id, path)
            segments.append(segment)
        except ReelEditorError as exc:
            problems.append(str(exc))
    return segments, problems


class EditorPanel(QWidget):
    """Edits the session's segments; playback itself is the main window's (it owns the view)."""

    play_requested = Signal(float)  # from this many seconds into the reel
    stop_requested = Signal()

    def __init__(self, session: DraftSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._updating = False
        self.segments = QListWidget()
        self.segments.setObjectName("segmentList")
        self.segments.setDragDropMode(QAbstractItemView.InternalMove)
        self.segments.model().rowsMoved.connect(self._on_segments_moved)
        self.segments.currentRowChanged.connect(self._on_segments_current_changed)
        self.trim_in = QDoubleSpinBox(suffix=" s", decimals=2, singleStep=0.1)
        self.trim_out = QDoubleSpinBox(suffix=" s", decimals=2, singleStep=0.1)
        self.trim_in.editingFinished.connect(self._on_trim_edited)
        self.trim_out.editingFinished.connect(self._on_trim_edited)
        self.speed = QComboBox()
        self.speed.setObjectName("segmentSpeed")
        for value in SPEEDS:
            self.speed.addItem(f"{value:g}x", value)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.activated.connect(self._on_speed_activated)
        self.add_button = QPushButton("Add clip…")
        self.add_button.setObjectName("addClip")
        self.add_button.clicked.connect(self._on_add_clicked)
        self.clip_status = QLabel("")
        self.clip_status.setObjectName("clipStatus")
        self.clip_status.setWordWrap(True)
        self.setAcceptDrops(True)  # files dropped on the segment list land here
        self.delete_button = QPushButton("Delete segment")
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.play_button = QPushButton("Play reel")
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.cover_slider = QSlider(Qt.Horizontal)
        self.cover_slider.setRange(0, 0)
        self.cover_label = QLabel("Cover: first frame that is not black")
        self.cover_button = QPushButton("Use as cover")
        self.cover_button.clicked.connect(self._on_cover_clicked)
        self.auto_cover_button = QPushButton("Automatic cover")
        self.auto_cover_button.clicked.connect(self._on_auto_cover_clicked)

        trims = QFormLayout()
        trims.addRow("Start at", self.trim_in)
        trims.addRow("End at", self.trim_out)
        trims.addRow("Speed", self.speed)
        cover_row = QHBoxLayout()
        cover_row.addWidget(self.cover_button)
        cover_row.addWidget(self.auto_cover_button)
        title = QLabel("Segments (drag to reorder)")
        title.setObjectName("panelTitle")
        # The sections sit in a scroll area: stacked with the Captions and Voice-over panels
        # they are taller than a 768 px screen, and without it the window could not be smaller
        self.body = QWidget()
        layout = QVBoxLayout(self.body)
        layout.addWidget(title)
        layout.addWidget(self.segments, 1)
        layout.addWidget(self.add_button)
        layout.addWidget(self.clip_status)
        layout.addLayout(trims)
        layout.addWidget(self.delete_button)
        layout.addWidget(self.play_button)
        layout.addWidget(QLabel("Cover"))
        layout.addWidget(self.cover_slider)
        layout.addWidget(self.cover_label)
        layout.addLayout(cover_row)
        self.captions_panel = CaptionsPanel(session)  # recognition runs on session.runner
        layout.addWidget(self.captions_panel)
        scroll = QScrollArea()
        scroll.setObjectName("editScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setWidget(self.body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        session.changed.connect(self._on_session_changed)
        self._on_session_changed(session.draft)

    def add_section(self, widget: QWidget) -> None:
        """Put `widget` (the Voice-over panel) at the bottom, inside the scrolled part."""
        self.body.layout().addWidget(widget)

    def _on_session_changed(self, draft: Draft | None) -> None:
        self._updating = True
        try:
            row = self.segments.currentRow()
            self.segments.clear()
            enabled = draft is not None
            self.add_button.setEnabled(enabled)
            for w in (
                self.delete_button,
                self.play_button,
                self.cover_slider,
                self.cover_button,
                self.auto_cover_button,
                self.trim_in,
                self.trim_out,
                self.speed,
            ):
                w.setEnabled(enabled and bool(draft.segments) if draft else False)
            if draft is None:
                return
            missing = set(self.session.store.missing_segments(draft))
            for n, seg in enumerate(draft.segments, 1):
                flag = "  ⚠ missing" if seg.id in missing else ""
                speed = "" if seg.speed == 1.0 else f"  {seg.speed:g}x"
                item = QListWidgetItem(f"{n}. {seg.length:.1f} s{speed}{flag}")
                item.setData(Qt.UserRole, seg.id)
                self.segments.addItem(item)
            if draft.segments:
                self.segments.setCurrentRow(min(max(row, 0), len(draft.segments) - 1))
            self.cover_slider.setRange(0, int(draft.duration * 10))
            if draft.cover_time is None:
                self.cover_label.setText("Cover: first frame that is not black")
            else:
                self.cover_label.setText(f"Cover: {draft.cover_time:.1f} s")
                self.cover_slider.setValue(int(draft.cover_time * 10))
        finally:
            self._updating = False
        self._load_trims()

    # -- clips from disk ------------------------------------------------------------------
    def _on_add_clicked(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add clip", "", CLIP_FILTER)
        if paths:
            self.add_files(paths)

    def dragEnterEvent(self, event) -> None:
        if self.session.draft is not None and dropped_files(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = dropped_files(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.add_files(paths)

    def add_files(self, paths: list[str]) -> None:
        """Copy `paths` into the open draft off the GUI thread, then append them (undoable)."""
        draft = self.session.draft
        if draft is None:
            self.clip_status.setText("Open a draft first")
            return
        store, draft_id = self.session.store, draft.id
        self.clip_status.setText("Adding…")
        self.session.runner.start(
            "add clip",
            lambda: _import_all(store, draft_id, list(paths)),
            on_progress=lambda p: self.clip_status.setText(p.describe()),
            on_finished=lambda result: self._on_import_finished(draft_id, *result),
            on_failed=self.clip_status.setText,
        )

    def _on_import_finished(self, draft_id: str, segments: list, problems: list) -> None:
        draft = self.session.draft
        if segments and draft is not None and draft.id == draft_id:

            def append(d: Draft, now: float) -> Draft:
                for segment in segments:
                    d = edits.insert_segment(d, segment, len(d.segments), now)
                return d

            self.session.apply(append)
        added = f"Added {len(segments)} clip(s)" if segments else ""
        self.clip_status.setText("; ".join(filter(None, [added, *problems])))

    def _current_segment(self):
        draft = self.session.draft
        row = self.segments.currentRow()
        if draft is None or not 0 <= row < len(draft.segments):
            return None
        return draft.segments[row]

    def _on_segments_current_changed(self, _row: int) -> None:
        if not self._updating:
            self._load_trims()

    def _load_trims(self) -> None:
        seg = self._current_segment()
        if seg is None:
            return
        for box in (self.trim_in, self.trim_out):
            box.blockSignals(True)
            box.setRange(0, seg.duration)
        self.trim_in.setValue(seg.trim_in)
        self.trim_out.setValue(seg.duration if seg.trim_out is None else seg.trim_out)
        for box in (self.trim_in, self.trim_out):
            box.blockSignals(False)
        self.speed.setCurrentIndex(self.speed.findData(seg.speed))

    def _on_speed_activated(self, index: int) -> None:
        seg = self._current_segment()
        speed = self.speed.itemData(index)
        if seg is not None and speed != seg.speed:
            self.session.apply(lambda d, now: edits.set_speed(d, seg.id, speed, now))

    def _on_trim_edited(self) -> None:
        seg = self._current_segment()
        if seg is None:
            return
        start, end = self.trim_in.value(), self.trim_out.value()
        if end - start < 0.1:
            self._load_trims()  # refuse a trim that leaves nothing; show the old values
            return
        trim_out = None if end >= seg.duration - 1e-3 else end
        if (start, trim_out) != (seg.trim_in, seg.trim_out):
            self.session.apply(lambda d, now: edits.trim_segment(d, seg.id, start, trim_out, now))

    def _on_segments_moved(self, *_args) -> None:
        if self._updating or self.session.draft is None:
            return
        order = [self.segments.item(i).data(Qt.UserRole) for i in range(self.segments.count())]

        def reorder(draft: Draft, now: float) -> Draft:
            by_id = {s.id: s for s in draft.segments}
            return draft.with_changes(segments=tuple(by_id[i] for i in order), updated=now)

        self.session.apply(reorder)

    def _on_delete_clicked(self) -> None:
        seg = self._current_segment()
        if seg is not None:
            self.session.apply(lambda d, now: edits.remove_segment(d, seg.id, now))

    def _on_play_toggled(self, playing: bool) -> None:
        if playing:
            self.play_button.setText("Stop")
            self.play_requested.emit(0.0)
        else:
            self.play_button.setText("Play reel")
            self.stop_requested.emit()

    def playback_ended(self) -> None:
        self.play_button.blockSignals(True)
        self.play_button.setChecked(False)
        self.play_button.setText("Play reel")
        self.play_button.blockSignals(False)

    def _on_cover_clicked(self) -> None:
        t = self.cover_slider.value() / 10
        self.session.apply(lambda d, now: edits.set_cover_time(d, t, now))

    def _on_auto_cover_clicked(self) -> None:
        self.session.apply(lambda d, now: edits.set_cover_time(d, None, now))
