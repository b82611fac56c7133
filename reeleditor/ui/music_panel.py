"""Chooses the reel's music: library or imported song, the part that plays, volumes, fades."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from reeleditor.core import edits
from reeleditor.core.draft import Draft, MusicCue
from reeleditor.core.errors import MediaError
from reeleditor.media.music import (
    LIBRARY_PREFIX,
    cached_peaks,
    library,
    resolve_track,
    track_reference,
)
from reeleditor.media.probe import probe
from reeleditor.ui.looks_panel import SliderEdit
from reeleditor.ui.session import DraftSession
from reeleditor.ui.waveform import WaveformWidget
from reeleditor.ui.workers import TaskRunner

AUDIO_FILTER = "Audio (*.mp3 *.m4a *.aac *.ogg *.opus *.flac *.wav)"
MAX_FADE = 10.0  # seconds
TRACK_ROLE = Qt.UserRole  # the item's cue track: 'library:NAME', a path, or None


def _load_song(path: Path, cache_dir: Path) -> tuple[np.ndarray, float]:
    """Runs on a pool thread: peaks (decoding the whole file the first time) and length."""
    peaks = cached_peaks(path, cache_dir)
    return peaks, probe(path).duration


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _one_line(message: str) -> str:
    return " ".join(message.split())


class MusicPanel(QWidget):
    """Edits `draft.music` and `draft.original_volume` through the session, undoably.

    Signals: `error(str)` with a one-line message (also shown in the panel) and
    `cue_previewed(MusicCue)` while the waveform window is dragged.
    """

    error = Signal(str)
    cue_previewed = Signal(object)

    def __init__(
        self,
        session: DraftSession,
        runner: TaskRunner,
        cache_dir: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.runner = runner
        self.cache_dir = Path(cache_dir)
        self._request = 0  # only the newest song load may show its result
        self._song_loads: dict = {}  # a load task's signals -> (request, track, choose)
        self._loading: str | None = None  # the track being loaded, if any
        self._choosing = False  # ... and whether it becomes the draft's music when loaded
        self._shown_track: str | None = None  # the track whose peaks the waveform shows

        self.track_list = QListWidget()
        self.track_list.setAccessibleName("Music")
        self.track_list.setSpacing(2)
        self._add_item("No music", None, "The reel keeps only its own sound")
        for track in library():
            bpm = f"{track.bpm} BPM" if track.bpm else ""
            text = "  ·  ".join(part for part in (track.title, bpm, track.mood) if part)
            self._add_item(text, LIBRARY_PREFIX + track.name, f"{_clock(track.seconds)}")
        self.track_list.currentItemChanged.connect(self._on_track_list_current_changed)
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip(
            "Use a song of your own (mp3, m4a, aac, ogg, opus, flac, wav)"
        )
        self.import_button.clicked.connect(self._on_import_button_clicked)

        self.status_label = QLabel(objectName="mutedLabel")
        self.error_label = QLabel(objectName="errorLabel", wordWrap=True)
        self.error_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.error_label.hide()

        self.waveform = WaveformWidget()
        self.waveform.window_moved.connect(self._on_waveform_window_moved)
        self.waveform.window_released.connect(self._on_waveform_window_released)
        self.position_label = QLabel(objectName="mutedLabel")

        self.music_volume = QSlider(Qt.Horizontal, minimum=0, maximum=200, pageStep=10)
        self.music_volume.setAccessibleName("Music volume")
        self.music_volume_label = QLabel(objectName="mutedLabel")
        self.music_volume.valueChanged.connect(lambda v: self.music_volume_label.setText(f"{v} %"))
        self._music_volume_edit = SliderEdit(
            self.music_volume, lambda _v: None, self._on_music_volume_commit
        )
        self.original_volume = QSlider(Qt.Horizontal, minimum=0, maximum=200, pageStep=10)
        self.original_volume.setAccessibleName("Original sound volume")
        self.original_volume_label = QLabel(objectName="mutedLabel")
        self.original_volume.valueChanged.connect(
            lambda v: self.original_volume_label.setText(f"{v} %")
        )
        self._original_volume_edit = SliderEdit(
            self.original_volume, lambda _v: None, self._on_original_volume_commit
        )
        self.fade_in = self._fade_box("Fade in")
        self.fade_in.valueChanged.connect(self._on_fade_in_value_changed)
        self.fade_out = self._fade_box("Fade out")
        self.fade_out.valueChanged.connect(self._on_fade_out_value_changed)

        top = QHBoxLayout()
        top.addWidget(QLabel("Music"), 1)
        top.addWidget(self.import_button)
        form = QFormLayout()
        form.addRow("Music volume", self._row(self.music_volume, self.music_volume_label))
        form.addRow("Original sound", self._row(self.original_volume, self.original_volume_label))
        form.addRow("Fade in", self.fade_in)
        form.addRow("Fade out", self.fade_out)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.track_list, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.waveform)
        layout.addWidget(self.position_label)
        layout.addWidget(self.status_label)
        layout.addLayout(form)

        session.changed.connect(self._on_session_changed)
        self._on_session_changed(session.draft)

    # -- building ------------------------------------------------------------------------
    def _add_item(self, text: str, track: str | None, tip: str = "") -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setData(TRACK_ROLE, track)
        item.setToolTip(tip)
        self.track_list.addItem(item)
        return item

    @staticmethod
    def _row(slider: QSlider, label: QLabel) -> QHBoxLayout:
        label.setMinimumWidth(label.fontMetrics().horizontalAdvance("200 % "))
        row = QHBoxLayout()
        row.addWidget(slider, 1)
        row.addWidget(label)
        return row

    @staticmethod
    def _fade_box(name: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox(minimum=0.0, maximum=MAX_FADE, singleStep=0.5, decimals=1)
        box.setSuffix(" s")
        box.setAccessibleName(name)
        box.setKeyboardTracking(False)  # typing "2.5" is one edit, not three
        return box

    # -- public --------------------------------------------------------------------------
    def selected_track_path(self) -> Path | None:
        """The file of the draft's music, for playback (None: no music or it is missing)."""
        draft = self.session.draft
        if draft is None or draft.music is None:
            return None
        try:
            return resolve_track(draft.music.track)
        except MediaError:
            return None

    def ask_for_audio_file(self) -> str | None:
        """The import dialog (tests replace this method)."""
        path, _ = QFileDialog.getOpenFileName(self, "Import music", "", AUDIO_FILTER)
        return path or None

    @property
    def loading(self) -> bool:
        return self._loading is not None

    # -- choosing a song -----------------------------------------------------------------
    def _on_import_button_clicked(self) -> None:
        path = self.ask_for_audio_file()
        if not path:
            return
        try:
            track = track_reference(path)
        except MediaError as exc:
            self._show_error(str(exc))
            return
        self._choose(track)

    def _on_track_list_current_changed(self, item: QListWidgetItem | None, _previous) -> None:
        if item is not None:
            self._choose(item.data(TRACK_ROLE))

    def _choose(self, track: str | None) -> None:
        draft = self.session.draft
        if draft is None:
            return
        current = draft.music.track if draft.music else None
        if track == current:
            self._request += 1  # a song still loading for another choice is forgotten
            self._loading, self._choosing = None, False
            self.status_label.clear()
            self._on_session_changed(draft)  # reloads the waveform if it was superseded
            return
        if track is None:
            self._request += 1
            self._loading, self._choosing = None, False
            self.session.apply(lambda d, now: edits.set_music(d, None, now))
            return
        self._load(track, choose=True)

    def _load(self, track: str, choose: bool) -> None:
        """Decode (or read cached) peaks on the runner; a choice applies once they load."""
        self._request += 1
        request = self._request
        self._loading, self._choosing = track, choose
        try:
            path = resolve_track(track)
        except MediaError as exc:
            self._on_song_failed(request, track, choose, str(exc))
            return
        self.status_label.setText(f"Loading {path.name}…")
        task = self.runner.start(
            "music waveform",
            lambda: _load_song(path, self.cache_dir),
            on_finished=self._on_song_task_finished,
            on_failed=self._on_song_task_failed,
        )
        self._song_loads[task.signals] = (request, track, choose)

    @Slot(object)
    def _on_song_task_finished(self, result) -> None:
        request = self._song_loads.pop(self.sender(), None)
        if request is not None:
            self._on_song_loaded(*request, result)

    @Slot(str)
    def _on_song_task_failed(self, message: str) -> None:
        request = self._song_loads.pop(self.sender(), None)
        if request is not None:
            self._on_song_failed(*request, message)

    def _on_song_loaded(self, request: int, track: str, choose: bool, result) -> None:
        if request != self._request:
            return
        self._loading, self._choosing = None, False
        self.status_label.clear()
        self._show_error("")
        peaks, seconds = result
        self._shown_track = track
        self.waveform.set_song(peaks, seconds)
        draft = self.session.draft
        if choose and draft is not None:
            old = draft.music
            cue = MusicCue(track) if old is None else replace(old, track=track, start=0.0)
            self.session.apply(lambda d, now: edits.set_music(d, cue, now))
        elif draft is not None:
            self._on_session_changed(draft)

    def _on_song_failed(self, request: int, track: str, choose: bool, message: str) -> None:
        if request != self._request:
            return
        self._loading, self._choosing = None, False
        self.status_label.clear()
        self._show_error(message)
        draft = self.session.draft
        if choose:
            self._sync_list(draft)  # the draft's music is left as it was
        else:
            self._shown_track = track
            self.waveform.set_song(None, 0.0, "This song cannot be played")

    def _show_error(self, message: str) -> None:
        message = _one_line(message)
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))
        if message:
            self.error.emit(message)

    # -- cue edits -----------------------------------------------------------------------
    def _edit_cue(self, **changes) -> None:
        draft = self.session.draft
        if draft is None or draft.music is None:
            return
        cue = replace(draft.music, **changes)
        self.session.apply(lambda d, now: edits.set_music(d, cue, now))

    def _on_waveform_window_moved(self, start: float) -> None:
        draft = self.session.draft
        if draft is not None and draft.music is not None:
            self._show_position(start, draft.duration)
            self.cue_previewed.emit(replace(draft.music, start=round(start, 2)))

    def _on_waveform_window_released(self, start: float) -> None:
        self._edit_cue(start=round(start, 2))
        draft = self.session.draft
        if draft is not None and draft.music is not None:
            self.cue_previewed.emit(draft.music)

    def _on_music_volume_commit(self, value: int) -> None:
        self._edit_cue(volume=value / 100)

    def _on_original_volume_commit(self, value: int) -> None:
        if self.session.draft is not None:
            self.session.apply(lambda d, now: edits.set_original_volume(d, value / 100, now))

    def _on_fade_in_value_changed(self, value: float) -> None:
        self._edit_cue(fade_in=round(value, 2))

    def _on_fade_out_value_changed(self, value: float) -> None:
        self._edit_cue(fade_out=round(value, 2))

    # -- the model -----------------------------------------------------------------------
    def _on_session_changed(self, draft: Draft | None) -> None:
        """Show the draft's music (after an edit, undo or reload) without editing it back."""
        music = draft.music if draft is not None else None
        self.setEnabled(draft is not None)
        for widget in (self.music_volume, self.fade_in, self.fade_out, self.waveform):
            widget.setEnabled(music is not None)
        if not self._choosing:
            self._sync_list(draft)
        self._show_slider(self._original_volume_edit, draft.original_volume if draft else 1.0)
        self.original_volume_label.setText(f"{self.original_volume.value()} %")
        if music is None:
            if not self._choosing:
                self._request += 1  # nothing loading is wanted any more
                self._loading = None
            self._shown_track = None
            self.waveform.set_song(None, 0.0, "No music")
            self.position_label.clear()
            return
        self._show_slider(self._music_volume_edit, music.volume)
        self.music_volume_label.setText(f"{self.music_volume.value()} %")
        for box, value in ((self.fade_in, music.fade_in), (self.fade_out, music.fade_out)):
            with QSignalBlocker(box):
                box.setValue(value)
        if music.track != self._shown_track and music.track != self._loading:
            self.waveform.set_song(None, 0.0, "Loading…")
            self._load(music.track, choose=False)
        self.waveform.set_window(music.start, draft.duration)
        self._show_position(self.waveform.start, draft.duration)

    def _sync_list(self, draft: Draft | None) -> None:
        track = draft.music.track if draft is not None and draft.music else None
        item = self._item_for(track)
        if item is None and track is not None and not track.startswith(LIBRARY_PREFIX):
            item = self._add_item(Path(track).name, track, track)
        with QSignalBlocker(self.track_list):
            self.track_list.setCurrentItem(item)

    def _item_for(self, track: str | None) -> QListWidgetItem | None:
        for row in range(self.track_list.count()):
            item = self.track_list.item(row)
            if item.data(TRACK_ROLE) == track:
                return item
        return None

    def _show_slider(self, edit: SliderEdit, value: float) -> None:
        if edit.pending:
            return  # the user's hand wins: their release commits
        with QSignalBlocker(edit.slider):
            edit.slider.setValue(round(value * 100))

    def _show_position(self, start: float, reel_seconds: float) -> None:
        if not self.waveform.has_song:
            self.position_label.clear()
            return
        end = min(self.waveform.song_seconds, start + max(1.0, reel_seconds))
        self.position_label.setText(
            f"Plays {_clock(start)} – {_clock(end)} of {_clock(self.waveform.song_seconds)}"
        )
