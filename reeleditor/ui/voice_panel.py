"""The voice-over panel in the Edit tab: record narration while the reel plays, add a file,
each voice-over's volume, the track volumes and how far the music ducks under the voice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
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

from reeleditor.core import edits, word_edits
from reeleditor.core.draft import Draft
from reeleditor.ui.looks_panel import SliderEdit
from reeleditor.ui.session import DraftSession
from reeleditor.ui.voice_mix import MixedSound
from reeleditor.ui.workers import Task, TaskRunner

AUDIO_FILTER = "Audio (*.wav *.mp3 *.m4a *.aac *.ogg *.opus *.flac)"
MAX_DUCK_DB = 24

log = logging.getLogger(__name__)


def _percent_slider(name: str, maximum: int = 200) -> QSlider:
    slider = QSlider(Qt.Horizontal, minimum=0, maximum=maximum, pageStep=10)
    slider.setAccessibleName(name)
    return slider


class VoiceRow(QWidget):
    """One voice-over in the list: where it starts, how long, its volume, a remove button."""

    def __init__(
        self,
        voice,
        on_volume: Callable[[str, int], None],
        on_remove: Callable[[str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.voice_id = voice.id
        self.label = QLabel()
        self.volume = _percent_slider("Voice-over volume")
        self.percent = QLabel(objectName="mutedLabel")
        self.percent.setMinimumWidth(40)
        self._edit = SliderEdit(
            self.volume,
            lambda v: self.percent.setText(f"{v} %"),
            lambda v: on_volume(self.voice_id, v),
        )
        self.remove_button = QPushButton("Remove")
        self.remove_button.setAccessibleName("Remove voice-over")
        self.remove_button.clicked.connect(lambda: on_remove(self.voice_id))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.label)
        layout.addWidget(self.volume, 1)
        layout.addWidget(self.percent)
        layout.addWidget(self.remove_button)
        self.show_voice(voice)

    def show_voice(self, voice) -> None:
        self.label.setText(f"{voice.at:.2f} s  ·  {voice.duration:.2f} s")
        if not self._edit.pending:  # the creator's drag wins over the recipe's echo
            self.volume.blockSignals(True)
            self.volume.setValue(round(voice.volume * 100))
            self.volume.blockSignals(False)
            self.percent.setText(f"{self.volume.value()} %")


class VoicePanel(QWidget):
    """Edits `draft.voiceovers`, the track volumes and `draft.duck_db`, all undoably.

    Recording: the reel plays from the playhead (`play_requested`) while the microphone
    (`audio_input()`) is recorded on the runner; Stop, or the reel's end, keeps what came
    and adds it as a voice-over at the playhead's time.
    """

    play_requested = Signal(float)
    stop_requested = Signal()

    def __init__(
        self,
        session: DraftSession,
        runner: TaskRunner,
        playhead: Callable[[], float],
        audio_input: Callable[[], object],
        reel_clock: Callable[[], float | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.runner = session, runner
        self.playhead, self.audio_input, self.reel_clock = playhead, audio_input, reel_clock
        self.recorder = None  # the NarrationRecorder while recording
        self._record_task: Task | None = None
        self.record_button = QPushButton("Record voice-over")
        self.record_button.setCheckable(True)
        self.record_button.toggled.connect(self._on_record_toggled)
        self.add_button = QPushButton("Add voice-over file…")
        self.add_button.clicked.connect(self._on_add_clicked)
        self.voices = QListWidget()
        self.voices.setObjectName("voiceList")
        self.rows: list[VoiceRow] = []  # one per voice-over, in the list's order
        self.original_volume = _percent_slider("Original sound volume")
        self._original_edit = SliderEdit(self.original_volume, lambda _v: None, self._commit_orig)
        self.music_volume = _percent_slider("Music volume")
        self._music_edit = SliderEdit(self.music_volume, lambda _v: None, self._commit_music)
        self.duck = _percent_slider("Duck music under voice", MAX_DUCK_DB)
        self.duck.setPageStep(3)
        self._duck_edit = SliderEdit(self.duck, lambda _v: None, self._commit_duck)
        self.status = QLabel("")
        self.status.setObjectName("voiceStatus")
        self.status.setWordWrap(True)

        title = QLabel("Voice-over")
        title.setObjectName("panelTitle")
        buttons = QHBoxLayout()
        buttons.addWidget(self.record_button)
        buttons.addWidget(self.add_button)
        self._values: dict[QSlider, tuple[QLabel, str]] = {}
        self.voices.setMaximumHeight(150)  # a few rows; the editor's controls stay in view
        form = QFormLayout()
        for name, slider, unit in (
            ("Original sound", self.original_volume, "%"),
            ("Music", self.music_volume, "%"),
            ("Duck music under voice", self.duck, "dB"),
        ):
            value = QLabel(objectName="mutedLabel")
            value.setMinimumWidth(44)
            self._values[slider] = (value, unit)
            slider.valueChanged.connect(lambda _v, s=slider: self._show_value(s))
            line = QHBoxLayout()
            line.addWidget(slider, 1)
            line.addWidget(value)
            form.addRow(name, line)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(title)
        layout.addLayout(buttons)
        layout.addWidget(self.voices)
        layout.addLayout(form)
        layout.addWidget(self.status)
        session.changed.connect(self._on_session_changed)
        self._on_session_changed(session.draft)

    # -- showing the draft ----------------------------------------------------------------
    @Slot(object)
    def _on_session_changed(self, draft: Draft | None) -> None:
        voices = draft.voiceovers if draft else ()
        if [r.voice_id for r in self.rows] == [v.id for v in voices]:
            for row, voice in zip(self.rows, voices, strict=True):
                row.show_voice(voice)  # in place: a slider being dragged stays alive
        else:
            self.voices.clear()
            self.rows = []
            for voice in voices:
                row = VoiceRow(voice, self._commit_voice, self._remove_voice)
                item = QListWidgetItem()
                item.setSizeHint(row.sizeHint())
                self.voices.addItem(item)
                self.voices.setItemWidget(item, row)
                self.rows.append(row)
        has = draft is not None
        self.record_button.setEnabled(has and bool(draft.segments))
        self.add_button.setEnabled(has)
        for slider, value in (
            (self.original_volume, draft.original_volume * 100 if has else 100),
            (self.music_volume, draft.music.volume * 100 if has and draft.music else 100),
            (self.duck, draft.duck_db if has else 0),
        ):
            slider.blockSignals(True)  # the recipe's echo is not an edit
            slider.setValue(round(value))
            slider.blockSignals(False)
            self._show_value(slider)
        self.original_volume.setEnabled(has)
        self.music_volume.setEnabled(has and draft.music is not None)
        self.duck.setEnabled(has)

    def _show_value(self, slider: QSlider) -> None:
        label, unit = self._values[slider]
        label.setText(f"{slider.value()} {unit}")

    # -- edits ----------------------------------------------------------------------------
    def _commit_voice(self, voice_id: str, value: int) -> None:
        if self.session.draft is not None:
            self.session.apply(
                lambda d, now: word_edits.set_voiceover_volume(d, voice_id, value / 100, now)
            )

    def _remove_voice(self, voice_id: str) -> None:
        # after the click's handler returns: the edit rebuilds the rows, this button too.
        # The file stays in media/: undo brings the voice-over back.
        def remove() -> None:
            if self.session.draft is not None:
                self.session.apply(lambda d, now: word_edits.remove_voiceover(d, voice_id, now))

        QTimer.singleShot(0, remove)

    def _commit_orig(self, value: int) -> None:
        self.session.apply(lambda d, now: edits.set_original_volume(d, value / 100, now))

    def _commit_music(self, value: int) -> None:
        draft = self.session.draft
        if draft is not None and draft.music is not None:
            cue = replace(draft.music, volume=value / 100)
            self.session.apply(lambda d, now: edits.set_music(d, cue, now))

    def _commit_duck(self, value: int) -> None:
        self.session.apply(lambda d, now: word_edits.set_duck(d, float(value), now))

    @Slot()
    def _on_add_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Add a voice-over", "", AUDIO_FILTER)
        if path:
            self.add_file(Path(path))

    def add_file(self, path: Path) -> Task | None:
        """Check and copy `path` into the draft on the runner; it starts at the playhead."""
        draft = self.session.draft
        if draft is None:
            return None
        store, draft_id, at = self.session.store, draft.id, self._start_time(draft)
        self.status.setText(f"Adding {Path(path).name}…")

        def work():
            from reeleditor.media.voiceover import import_voiceover

            return (yield from import_voiceover(store, draft_id, path, at))

        return self.runner.start(
            "add voice-over", work, on_finished=self._add_voice, on_failed=self.status.setText
        )

    def _start_time(self, draft: Draft) -> float:
        at = max(0.0, self.playhead())
        return 0.0 if at >= draft.duration - 0.05 else round(at, 3)

    @Slot(object)
    def _add_voice(self, voice) -> None:
        if voice is None:
            self.status.setText("Nothing was recorded")
            return
        draft = self.session.draft
        if draft is None or not (self.session.store.folder(draft.id) / voice.media).is_file():
            self.status.setText("The draft closed before the voice-over was added")
            return
        self.session.apply(lambda d, now: word_edits.add_voiceover(d, voice, now))
        self.status.setText(f"Voice-over at {voice.at:.2f} s, {voice.duration:.2f} s long")

    # -- recording ------------------------------------------------------------------------
    @property
    def recording(self) -> bool:
        return self._record_task is not None

    @Slot(bool)
    def _on_record_toggled(self, on: bool) -> None:
        if on and not self.recording:
            self._start_recording()
        elif not on and self.recorder is not None:
            self.recorder.stop()  # the task ends at its next read and keeps what came

    def _start_recording(self) -> None:
        from reeleditor.media.voiceover import NarrationRecorder

        draft = self.session.draft
        if draft is None or not draft.segments:
            self.record_button.setChecked(False)
            return
        at = self._start_time(draft)
        audio = self.audio_input()
        # playback first: the recorder then reads the new player's clock, not the last one's
        self.play_requested.emit(at)
        self.recorder = NarrationRecorder(
            self.session.store, draft.id, audio, at, draft.duration - at, self.reel_clock
        )
        self.status.setText(getattr(audio, "notice", None) or "Recording the voice-over…")
        self._record_task = self.runner.start(
            "record voice-over",
            self.recorder.run,
            on_finished=self._on_record_finished,
            on_failed=self._on_record_failed,
            on_done=self._on_record_done,
        )

    @Slot()
    def playback_ended(self) -> None:
        """The reel stopped playing (its end, or Stop elsewhere): the recording ends too."""
        if self.recorder is not None:
            self.recorder.stop()

    @Slot(object)
    def _on_record_finished(self, voice) -> None:
        self._add_voice(voice)

    @Slot(str)
    def _on_record_failed(self, message: str) -> None:
        self.status.setText(f"The voice-over was not recorded: {message}")

    @Slot()
    def _on_record_done(self) -> None:
        self.recorder, self._record_task = None, None
        self.record_button.blockSignals(True)
        self.record_button.setChecked(False)
        self.record_button.blockSignals(False)
        self.stop_requested.emit()


def attach_voice_panel(window) -> VoicePanel:
    """Put the panel under the editor's and wire it to the window's playback and sound.

    Here rather than in main_window.py, which is at its size limit: the window calls this
    once, after its record screen (the microphone's owner) exists.
    """
    panel = VoicePanel(
        window.session,
        window.runner,
        playhead=lambda: window.timeline.timeline.playhead,
        audio_input=window.audio_input,
        reel_clock=lambda: getattr(window.preview.player, "clock_zero", None),
    )
    window.editor_panel.add_section(panel)
    panel.play_requested.connect(window.play_reel)
    panel.stop_requested.connect(window.stop_playback)
    window.preview.playback_ended.connect(panel.playback_ended)
    mixed = MixedSound(
        window.preview, window.runner, window.music, window.store, window.paths.cache / "mixes"
    )
    window.preview.mixed = mixed
    window.session.changed.connect(mixed.prepare)
    return panel
