"""The timeline under the preview: the widget, its buttons, and every edit it makes.

Each edit goes through DraftSession.apply (undoable, autosaved); a refusal is one line
in the status label and changes nothing. Scrubbing asks the PreviewController for a
still (decoded on the scrub thread, graded by the preview pipeline). Proxies, filmstrip
thumbnails, the waveform and the beats are made on the task runner.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from reeleditor.core import edits
from reeleditor.core.draft import DEFAULT_TRANSITION_SECONDS, TRANSITION_RANGE, TRANSITIONS, Draft
from reeleditor.core.errors import ReelEditorError
from reeleditor.core.timeline_geometry import drop_index, segment_at, trim_for_edge
from reeleditor.ui.timeline import LEFT, THUMB_SLOT, TimelineWidget, image_from_bgr

REVERSE_TICK_MS = 33  # J steps back a frame this often (30 fps backwards), twice as many at 2x
MAX_THUMBS = 40  # per segment, whatever the zoom


def _music_work(track: str, peaks_dir: Path):
    """(peaks, song seconds, tempo) of a cue's track, for the music lane (runner)."""
    from reeleditor.media.beats import track_tempo
    from reeleditor.media.music import cached_peaks, resolve_track
    from reeleditor.media.probe import probe

    path = resolve_track(track)
    peaks = cached_peaks(path, peaks_dir, 2000)
    return peaks, probe(path).duration, track_tempo(track)


def _thumbs_work(store, draft: Draft, counts: dict[str, int]):
    from reeleditor.media.filmstrip import filmstrip

    return {
        seg.id: filmstrip(store, draft, seg, counts[seg.id])
        for seg in draft.segments
        if seg.id in counts
    }


class TimelinePanel(QWidget):
    """The timeline and its controls; `play_requested(t)` asks the window to play from t."""

    play_requested = Signal(float)

    def __init__(self, session, preview, runner, peaks_dir: Path, parent=None) -> None:
        super().__init__(parent)
        self.session, self.preview, self.runner = session, preview, runner
        self.store = session.store
        self.peaks_dir = Path(peaks_dir)
        self.timeline = TimelineWidget()
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.timeline)
        self.scroll.setWidgetResizable(False)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.scroll.setFixedHeight(self.timeline.height() + 18)
        self.zoom_out = QPushButton("−")
        self.zoom_in = QPushButton("+")
        self.fit_button = QPushButton("Fit")
        self.fit_button.setToolTip("Zoom to show the whole reel")
        self.split_button = QPushButton("Split")
        self.split_button.setToolTip("Split at the playhead (S)")
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play or pause from the playhead (Space; J/K/L shuttle)")
        self.transition = QComboBox()
        self.transition.setObjectName("transitionKind")
        for name in TRANSITIONS:
            self.transition.addItem(name.capitalize() if name != "dip" else "Dip to black", name)
        self.transition_seconds = QDoubleSpinBox(suffix=" s", decimals=1, singleStep=0.1)
        self.transition_seconds.setRange(*TRANSITION_RANGE)
        self.transition_seconds.setValue(DEFAULT_TRANSITION_SECONDS)
        self.transition_label = QLabel("Transition after segment –")
        self.time_label = QLabel("0.00 s")
        self.status = QLabel("")
        self.status.setObjectName("timelineStatus")
        self.status.setWordWrap(True)  # a long message wraps rather than widen the window
        for w, tip in ((self.zoom_out, "Zoom out (−)"), (self.zoom_in, "Zoom in (+)")):
            # narrow, with the theme's side padding taken off (#zoomButton): at 28 px with
            # it, the glyph was clipped to a dot and a bar
            w.setObjectName("zoomButton")
            w.setToolTip(tip)
            w.setFixedWidth(30)
        row = QHBoxLayout()
        for w in (
            self.zoom_out,
            self.zoom_in,
            self.fit_button,
            self.split_button,
            self.play_button,
        ):
            row.addWidget(w)
        row.addWidget(self.time_label)
        row.addStretch(1)
        row.addWidget(self.transition_label)
        row.addWidget(self.transition)
        row.addWidget(self.transition_seconds)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.scroll)
        layout.addWidget(self.status)
        self._reverse = QTimer(self, interval=REVERSE_TICK_MS)
        self._reverse.timeout.connect(self._on_reverse_tick)
        self._reverse_rate = 0
        self._thumbs_timer = QTimer(self, singleShot=True, interval=150)
        self._thumbs_timer.timeout.connect(self._refresh_thumbs)
        self._proxy_key: tuple | None = None
        self._proxy_task = None
        self._music_key: str | None = None
        self._draft_id: str | None = None
        self._tempo = None
        self._thumbs_generation = 0
        self._connect()
        self._on_session_changed(session.draft)

    def _connect(self) -> None:
        t = self.timeline
        t.scrubbed.connect(self._on_timeline_scrubbed)
        t.trim_dropped.connect(self._on_timeline_trim_dropped)
        t.move_dropped.connect(self._on_timeline_move_dropped)
        t.boundary_clicked.connect(self._on_timeline_boundary_clicked)
        t.selected.connect(self._on_timeline_selected)
        t.key_action.connect(self._on_timeline_key_action)
        t.zoom_changed.connect(lambda _pps: self._thumbs_timer.start())
        self.zoom_in.clicked.connect(lambda: t.set_zoom(t.pps * 1.5))
        self.zoom_out.clicked.connect(lambda: t.set_zoom(t.pps / 1.5))
        self.fit_button.clicked.connect(self.fit)
        self.split_button.clicked.connect(self.split)
        self.play_button.clicked.connect(self.toggle_play)
        self.transition.activated.connect(lambda _i: self._apply_transition())
        self.transition_seconds.editingFinished.connect(self._apply_transition)
        self.session.changed.connect(self._on_session_changed)
        p = self.preview
        p.playback_position.connect(self._on_preview_playback_position)
        p.playback_started.connect(lambda: self.play_button.setText("Pause"))
        p.playback_ended.connect(lambda: self.play_button.setText("Play"))

    # -- the draft ------------------------------------------------------------------------
    def _on_session_changed(self, draft: Draft | None) -> None:
        self.preview.pipeline.set_words(draft)  # before the re-scrub below shows the edit
        self.timeline.set_draft(draft)
        enabled = draft is not None and bool(draft.segments)
        for w in (self.split_button, self.play_button, self.transition, self.transition_seconds):
            w.setEnabled(enabled)
        self._load_transition()
        self._show_time()
        if draft is None or not draft.segments:
            self.preview.show_camera()  # no reel to show a frame of
            return
        if draft.id != self._draft_id:  # another draft: show all of it, once laid out
            self._draft_id = draft.id
            QTimer.singleShot(0, self.fit)
        self._refresh_music(draft)
        self._refresh_proxies(draft)
        self._thumbs_timer.start()
        if self.preview.scrubbing:  # an edit shows its result at once
            self.preview.show_frame(draft, self.timeline.playhead)

    def _refresh_proxies(self, draft: Draft) -> None:
        from reeleditor.media.proxies import build_proxies

        key = (draft.id, tuple(sorted({(s.media, s.fit, s.kind) for s in draft.segments})))
        if key == self._proxy_key:
            return
        self._proxy_key = key
        if self._proxy_task is not None:
            self._proxy_task.cancel()
        store = self.store
        self._proxy_task = self.runner.start(
            "proxies",
            lambda: build_proxies(store, draft),
            on_finished=lambda _n: self._thumbs_timer.start(),  # sharper, faster thumbnails
            on_failed=lambda msg: self.status.setText(f"Scrubbing uses the originals: {msg}"),
            on_done=self._on_proxy_task_done,
        )

    def _on_proxy_task_done(self) -> None:
        # drop the finished task, so nothing it held outlives it (the runner's promise)
        if getattr(self.sender(), "parent_task", None) is self._proxy_task:
            self._proxy_task = None

    def _refresh_music(self, draft: Draft) -> None:
        track = draft.music.track if draft.music else None
        if track != self._music_key:
            self._music_key, self._tempo = track, None
            self.timeline.set_music(None, 0.0, [])
            if track is not None:
                self.runner.start(
                    "timeline music",
                    lambda: _music_work(track, self.peaks_dir),
                    on_finished=lambda result, t=track: self._on_music_ready(t, *result),
                    on_failed=lambda msg: self.status.setText(f"No waveform: {msg}"),
                )
            return
        self._show_beats()

    def _on_music_ready(self, track: str, peaks, seconds: float, tempo) -> None:
        if track != self._music_key:
            return  # another song was chosen meanwhile
        self._tempo = tempo
        self.timeline.peaks, self.timeline.song_seconds = peaks, seconds
        self._show_beats()

    def _show_beats(self) -> None:
        from reeleditor.media.beats import reel_beats

        draft = self.session.draft
        t = self.timeline
        if draft is None or draft.music is None or self._tempo is None:
            t.set_music(t.peaks, t.song_seconds, [])
            return
        t.set_music(t.peaks, t.song_seconds, reel_beats(draft.music, self._tempo, draft.duration))

    def _refresh_thumbs(self) -> None:
        draft = self.session.draft
        if draft is None or not draft.segments:
            return
        t = self.timeline
        counts = {
            span_seg.id: max(1, min(MAX_THUMBS, round(span_seg.length * t.pps / THUMB_SLOT)))
            for span_seg in draft.segments
        }
        self._thumbs_generation += 1
        generation, store = self._thumbs_generation, self.store
        self.runner.start(
            "filmstrip",
            lambda: _thumbs_work(store, draft, counts),
            on_finished=lambda result: self._on_thumbs_ready(generation, result),
            on_failed=lambda msg: self.status.setText(f"No thumbnails: {msg}"),
        )

    def _on_thumbs_ready(self, generation: int, result: dict) -> None:
        if generation == self._thumbs_generation:
            self.timeline.thumbs = {k: [image_from_bgr(a) for a in v] for k, v in result.items()}
            self.timeline.update()

    def fit(self) -> None:
        """Zoom so the whole reel fits the visible width."""
        t = self.timeline
        room = self.scroll.viewport().width() - 2 * LEFT - 2
        t.set_zoom(room / max(t.duration, 1.0))

    # -- scrubbing and playback -----------------------------------------------------------
    def scrub_to(self, seconds: float) -> None:
        """Move the playhead to `seconds` and show that frame (the creator's click)."""
        self.timeline.set_playhead(seconds)
        self._on_timeline_scrubbed(self.timeline.playhead)

    def _on_timeline_scrubbed(self, seconds: float) -> None:
        self._reverse.stop()
        draft = self.session.draft
        if draft is not None and draft.segments:
            self.preview.show_frame(draft, seconds)
        self._show_time()

    def _on_preview_playback_position(self, seconds: float) -> None:
        self.timeline.set_playhead(seconds)
        self.scroll.ensureVisible(round(self.timeline.x_of(seconds)), 0, 80, 0)  # follow it
        self._show_time()

    def toggle_play(self) -> None:
        """Space: play from the playhead, or pause where it is (showing that frame)."""
        if self.preview.playing or self._reverse.isActive():
            self.pause()
        else:
            self._reverse.stop()
            start = self.timeline.playhead
            if start >= self.timeline.duration - 1 / 30:
                start = 0.0  # at the end: from the top, as players do
            self.play_requested.emit(start)

    def pause(self) -> None:
        self._reverse.stop()
        self._reverse_rate = 0
        if self.preview.playing:
            self.preview.stop_playback()
        draft = self.session.draft
        if draft is not None and draft.segments:
            self.preview.show_frame(draft, self.timeline.playhead)

    def _on_timeline_key_action(self, name: str) -> None:
        if name == "play":
            self.toggle_play()
        elif name == "k":
            self.pause()
        elif name == "l":
            self._reverse.stop()
            self._reverse_rate = 0
            if not self.preview.playing:
                self.play_requested.emit(self.timeline.playhead)
        elif name == "j":
            if self.preview.playing:
                self.preview.stop_playback()
            self._reverse_rate = min(4, max(1, self._reverse_rate * 2))  # J again: faster
            self._reverse.start()
        elif name == "split":
            self.split()
        elif name == "zoom_in":
            self.timeline.set_zoom(self.timeline.pps * 1.5)
        elif name == "zoom_out":
            self.timeline.set_zoom(self.timeline.pps / 1.5)

    def _on_reverse_tick(self) -> None:
        draft = self.session.draft
        t = self.timeline.playhead - self._reverse_rate / (draft.fps if draft else 30)
        if draft is None or t <= 0:
            self._reverse.stop()
            self._reverse_rate = 0
            t = 0.0
        self.timeline.set_playhead(t)
        if draft is not None and draft.segments:
            self.preview.show_frame(draft, self.timeline.playhead)
        self._show_time()

    def _show_time(self) -> None:
        self.time_label.setText(f"{self.timeline.playhead:.2f} / {self.timeline.duration:.2f} s")

    # -- edits ----------------------------------------------------------------------------
    def _apply(self, edit, done: str = "") -> bool:
        try:
            self.session.apply(edit)
        except ReelEditorError as exc:
            self.status.setText(str(exc))
            return False
        self.status.setText(done)
        return True

    def split(self) -> None:
        at = self.timeline.playhead
        self._apply(lambda d, now: edits.split_segment(d, at, now), f"Split at {at:.2f} s")

    def _on_timeline_trim_dropped(self, index: int, edge: str, seconds: float) -> None:
        draft = self.session.draft
        if draft is None or index >= len(draft.segments):
            return
        seg = draft.segments[index]
        try:
            trim_in, trim_out = trim_for_edge(draft, index, edge, seconds)
        except ReelEditorError as exc:
            self.status.setText(str(exc))
            return
        if (trim_in, trim_out) != (seg.trim_in, seg.trim_out):
            self._apply(
                lambda d, now: edits.trim_segment(d, seg.id, trim_in, trim_out, now),
                f"Segment {index + 1} trimmed",
            )

    def _on_timeline_move_dropped(self, index: int, seconds: float) -> None:
        draft = self.session.draft
        if draft is None or index >= len(draft.segments):
            return
        target = drop_index(draft, index, seconds)
        if target != index:
            seg_id = draft.segments[index].id
            if self._apply(lambda d, now: edits.move_segment(d, seg_id, target, now)):
                self.timeline.select(target)
                self.status.setText(f"Segment {index + 1} moved to {target + 1}")

    def _on_timeline_selected(self, index: int) -> None:
        self._load_transition()

    def _on_timeline_boundary_clicked(self, boundary: int) -> None:
        self.timeline.select(boundary)
        self._load_transition()
        self.transition.setFocus()

    def _selected_boundary(self) -> int | None:
        draft = self.session.draft
        index = self.timeline.selection
        if index < 0 and draft is not None:
            index = segment_at(draft, self.timeline.playhead) or 0
        if draft is None or not 0 <= index < len(draft.segments) - 1:
            return None
        return index

    def _load_transition(self) -> None:
        b = self._selected_boundary()
        draft = self.session.draft
        usable = b is not None
        self.transition.setEnabled(usable)
        self.transition_seconds.setEnabled(usable)
        if not usable:
            # short: the row's width is the window's minimum; the hint says the rest
            self.transition_label.setText("Transition –")
            self.transition_label.setToolTip("Select a segment with one after it")
            return
        self.transition_label.setToolTip("")
        seg = draft.segments[b]
        self.transition_label.setText(f"Transition {b + 1}→{b + 2}")
        self.transition.setCurrentIndex(self.transition.findData(seg.transition))
        if seg.transition != "cut":
            self.transition_seconds.setValue(seg.transition_seconds)

    def _apply_transition(self) -> None:
        b = self._selected_boundary()
        if b is None:
            return
        name = self.transition.currentData()
        seconds = None if name == "cut" else round(self.transition_seconds.value(), 3)
        seg = self.session.draft.segments[b]
        if (name, seconds or 0.0) == (seg.transition, seg.transition_seconds):
            return
        number = b + 1
        ok = self._apply(
            lambda d, now: edits.set_transition(d, number, name, seconds, now),
            f"{name.capitalize()} after segment {number}",
        )
        if not ok:
            self._load_transition()  # the refused choice is not left showing
