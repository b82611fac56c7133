"""The main window: drafts on the left, the camera and recording in the middle, tools right."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from reeleditor.core import edits
from reeleditor.core.draft import Look
from reeleditor.core.settings import Settings
from reeleditor.storage.drafts import DraftStore
from reeleditor.storage.media_cache import MediaCache
from reeleditor.storage.paths import AppPaths
from reeleditor.ui.drafts_panel import DraftsPanel
from reeleditor.ui.editor_panel import EditorPanel
from reeleditor.ui.gallery_actions import GalleryActions
from reeleditor.ui.music_player import MusicPlayer
from reeleditor.ui.preview import CameraView
from reeleditor.ui.preview_controller import PreviewController
from reeleditor.ui.published_panel import PublishedPanel, local_reels
from reeleditor.ui.record_panel import RecordPanel
from reeleditor.ui.record_screen import RecordScreen
from reeleditor.ui.recording import RecordingController
from reeleditor.ui.session import DraftSession, SaveState
from reeleditor.ui.text_panel import attach_text_editing
from reeleditor.ui.theme import icon
from reeleditor.ui.timeline_panel import TimelinePanel
from reeleditor.ui.uploads_panel import UploadController, UploadsPanel
from reeleditor.ui.voice_panel import attach_voice_panel
from reeleditor.ui.workers import TaskRunner
from reeleditor.upload.credentials import resolve_token

SAVE_STATE_TEXT = {
    SaveState.SAVED: "All changes saved",
    SaveState.SAVING: "Saving…",
    SaveState.UNSAVED: "Edited",
    SaveState.FAILED: "Not saved: retrying",
}

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """Composes the panels around one DraftSession; every service comes in the constructor."""

    def __init__(
        self,
        store: DraftStore,
        paths: AppPaths,
        settings: Settings | None = None,
        sentinel=None,
        recovery: list[str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store, self.paths = store, paths
        self.settings = settings or Settings()
        self.sentinel = sentinel
        self.setWindowTitle("reeleditor")
        self.resize(1280, 860)
        self.runner = TaskRunner(self)
        self.runner.error.connect(self._on_runner_error)
        self.session = DraftSession(store, self.runner, self)
        self.music = MusicPlayer(self)
        self.preview = PreviewController(store, self.runner, self.music, self.settings, self)
        self.recorder = RecordingController(self.session, self.runner, self.music, sentinel, self)
        self.last_error = ""
        self.recovery_box: QMessageBox | None = None
        self._build()
        self._connect()
        self.record_screen = RecordScreen(
            self.record_panel,
            self.preview,
            self.recorder,
            self.session,
            self.runner,
            self.settings,
            paths.settings_file,
            self,
        )
        self.record_screen.settings_changed.connect(self._on_record_screen_settings_changed)
        self.record_screen.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.voice_panel = attach_voice_panel(self)  # needs the record screen's microphone
        self.preview.start()
        self._open_initial_draft()
        self.refresh_drafts()
        self.uploads.resume_unfinished()
        if recovery:
            QTimer.singleShot(0, lambda: self._show_recovery(recovery))

    @property
    def source(self):
        """The open camera (or its stand-in), from the preview controller."""
        return self.preview.source

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        from reeleditor.ui.looks_panel import LooksPanel
        from reeleditor.ui.music_panel import MusicPanel

        self.drafts_panel = DraftsPanel(self.store)
        self.gallery = GalleryActions(
            self.store, self.session, self.runner, self, self.refresh_drafts, self.open_draft
        )
        self.view = CameraView(self.preview.pipeline)
        self.view.show_fps = self.settings.show_fps
        self.record_panel = RecordPanel()
        self.record_panel.overlay.attach(self.view)  # countdown and REC badge on the preview
        self.editor_panel = EditorPanel(self.session)
        self.timeline = TimelinePanel(
            self.session, self.preview, self.runner, self.paths.cache / "peaks"
        )
        self.looks_panel = LooksPanel(self.session, self.runner)
        self.music_panel = MusicPanel(self.session, self.runner, self.paths.cache / "peaks")
        self.uploads = UploadController(self.paths, self.store, self.runner, self.settings, self)
        self.uploads_panel = UploadsPanel(self.uploads)
        self.feed_panel = PublishedPanel(
            self.runner,
            MediaCache(self.paths.media_cache),
            lambda: self.settings.endpoint,
            token_for=lambda endpoint: resolve_token(self.uploads.tokens, endpoint),
            local=lambda: local_reels(self.uploads.queue, self.store),
        )
        self.feed_panel.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.uploads.finished.connect(self._on_uploads_finished)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.looks_panel, "Looks")
        self.tabs.addTab(self.music_panel, "Music")
        self.tabs.addTab(self.editor_panel, "Edit")
        self.text_panel = attach_text_editing(self)  # the Text tab, text bars, handles
        self.tabs.addTab(self.uploads_panel, "Uploads")
        self.tabs.addTab(self.feed_panel, "Published")
        self.tabs.currentChanged.connect(self._on_tabs_changed)
        self.title_label = QLabel("New reel: press Record")
        self.title_label.setObjectName("draftTitle")
        center = QWidget()
        column = QVBoxLayout(center)
        column.addWidget(self.title_label)
        column.addWidget(self.view, 1)
        column.addWidget(self.timeline)
        column.addWidget(self.record_panel)
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.drafts_panel)
        splitter.addWidget(center)
        splitter.addWidget(self.tabs)
        splitter.setSizes([260, 560, 420])
        self.setCentralWidget(splitter)
        self.save_label = QLabel("")
        self.save_label.setObjectName("saveState")
        self.statusBar().addPermanentWidget(self.save_label)
        self._build_actions()

    def _build_actions(self) -> None:
        bar = QToolBar("Main")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.addToolBar(bar)

        def action(text, slot, shortcut=None, enabled=True):
            act = QAction(text, self)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            act.triggered.connect(slot)
            act.setEnabled(enabled)
            self.addAction(act)
            return act

        self.new_action = action("New reel", self.new_draft, QKeySequence.New)
        self.undo_action = action("Undo", self.session.undo, QKeySequence.Undo, False)
        self.redo_action = action("Redo", self.session.redo, "Ctrl+Shift+Z", False)
        self.export_action = action("Export…", self.export_current, "Ctrl+E")
        self.publish_action = action("Publish", self.publish_current, "Ctrl+U")
        self.settings_action = action("Settings…", self.open_settings, QKeySequence.Preferences)
        self.history_action = action("History…", self.open_history, "Ctrl+H")
        self.record_action = action("Record", self._on_space, Qt.Key_Space)
        self.delete_last_action = action("Delete last segment", self.delete_last, Qt.Key_Backspace)
        self.mirror_action = action("Mirror preview", self._on_mirror_toggled)
        self.mirror_action.setCheckable(True)
        self.mirror_action.setChecked(self.preview.mirror)
        self.fps_action = action("Show frame rate", self._on_fps_toggled)
        self.fps_action.setCheckable(True)
        self.fps_action.setChecked(self.view.show_fps)
        self.fill_action = action("Fill preview", self._on_fill_toggled)
        self.fill_action.setCheckable(True)
        for act, name in (
            (self.new_action, "camera"),
            (self.undo_action, "undo"),
            (self.redo_action, "redo"),
            (self.export_action, "export"),
            (self.publish_action, "upload"),
            (self.history_action, "folder"),
            (self.settings_action, "settings"),
            (self.delete_last_action, "delete-last"),
        ):
            act.setIcon(icon(name))
        self.tabs.setTabIcon(0, icon("look"))
        self.tabs.setTabIcon(1, icon("music"))
        self.tabs.setTabIcon(3, icon("upload"))
        self.record_panel.record_button.setIcon(icon("record"))
        self.record_panel.delete_button.setIcon(icon("delete-last"))
        self.editor_panel.play_button.setIcon(icon("play"))
        for act in (
            self.new_action,
            self.undo_action,
            self.redo_action,
            self.export_action,
            self.publish_action,
            self.history_action,
            self.mirror_action,
            self.fill_action,
            self.fps_action,
            self.settings_action,
        ):
            bar.addAction(act)

    def _connect(self) -> None:
        s = self.session
        s.changed.connect(self._on_session_changed)
        s.save_state.connect(self._on_session_save_state)
        s.save_failed.connect(self._on_session_save_failed)
        s.undo_available.connect(self.undo_action.setEnabled)
        s.redo_available.connect(self.redo_action.setEnabled)
        self.record_panel.start_requested.connect(self.start_recording)
        self.record_panel.stop_requested.connect(self.recorder.stop)
        self.record_panel.delete_last_requested.connect(self.delete_last)
        self.recorder.recording_changed.connect(self._on_recorder_changed)
        self.recorder.elapsed.connect(self._on_recorder_elapsed)
        self.recorder.failed.connect(self.show_error)
        self.recorder.take_added.connect(self._on_recorder_take_added)
        d = self.drafts_panel
        g = self.gallery
        d.open_requested.connect(self.open_draft)
        d.rename_requested.connect(g.rename)
        d.duplicate_requested.connect(g.duplicate)
        d.delete_requested.connect(g.delete)
        d.export_bundle_requested.connect(g.export_bundle)
        d.import_bundle_requested.connect(g.import_bundle)
        d.files_dropped.connect(self._on_drafts_files_dropped)
        d.problems_found.connect(lambda ps: self.statusBar().showMessage(ps[0].describe(), 15000))
        self.editor_panel.play_requested.connect(self.play_reel)
        self.editor_panel.stop_requested.connect(self.stop_playback)
        self.timeline.play_requested.connect(self.play_reel)
        self.timeline.timeline.selected.connect(self.editor_panel.segments.setCurrentRow)
        p = self.preview
        p.camera_opened.connect(self._on_preview_camera_opened)
        p.notice.connect(self._on_preview_notice)
        p.failed.connect(self.show_error)
        p.playback_ended.connect(self.editor_panel.playback_ended)
        if hasattr(self.looks_panel, "look_previewed"):
            self.looks_panel.look_previewed.connect(self.preview.set_look)
        self._thumbs_timer = QTimer(self, interval=1000)  # the looks strip follows the camera
        self._thumbs_timer.timeout.connect(self._on_thumbs_tick)
        self._thumbs_timer.start()

    # -- camera ---------------------------------------------------------------------------
    @Slot(object)
    def _on_preview_camera_opened(self, source) -> None:
        self.view.notice = source.notice or ""

    @Slot(str)
    def _on_preview_notice(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)

    def _on_tabs_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.feed_panel:
            self.uploads.ensure_local_cloud()
            self.feed_panel.refresh()

    def _on_thumbs_tick(self) -> None:
        frame = self.source.latest() if self.source is not None else None
        if frame is not None and self.tabs.currentWidget() is self.looks_panel:
            self.looks_panel.set_source_frame(frame.image)

    def audio_input(self):
        """What the next take records: the record screen's (metered) microphone."""
        return self.record_screen.audio_input()

    @Slot(object)
    def _on_record_screen_settings_changed(self, settings: Settings) -> None:
        self.settings = settings  # saved already; the dialog starts from these next time

    # -- drafts ---------------------------------------------------------------------------
    def refresh_drafts(self) -> None:
        if self.runner.closed:
            return
        self.runner.start(
            "scan",
            self.store.scan,
            storage=True,
            on_finished=self._on_scan_task_finished,
        )

    @Slot(object)
    def _on_scan_task_finished(self, scanned) -> None:
        drafts, problems = scanned
        self.drafts_panel.refresh(
            drafts, problems, self.session.draft.id if self.session.draft else None
        )

    @Slot(list)
    def _on_recorder_take_added(self, _segments: list) -> None:
        self.refresh_drafts()

    @Slot(str, str)
    def _on_uploads_finished(self, _entry_id: str, error: str) -> None:
        if not error:
            self.feed_panel.reel_published()  # shown at once, followed until ready

    def _open_initial_draft(self) -> None:
        """Carry on with the last edited draft; a first-time user gets a fresh one."""
        drafts, _problems = self.store.scan()
        for draft in drafts:
            try:
                self.open_draft(draft.id, quiet=True)
                return
            except Exception:  # open in another window: try the next
                log.info("draft %s not opened at start", draft.id, exc_info=True)
                continue
        self.new_draft()

    def new_draft(self) -> None:
        s = self.settings
        draft = self.store.create(width=s.width, height=s.height, fps=s.fps)
        self.open_draft(draft.id)
        self.refresh_drafts()

    def _on_drafts_files_dropped(self, paths: list) -> None:
        """Clips dropped on the gallery make a new draft of them (copied in off this thread)."""
        self.new_draft()
        self.editor_panel.add_files(paths)

    def open_draft(self, draft_id: str, quiet: bool = False) -> None:
        if self.recorder.recording:
            return
        self.stop_playback()
        self._discard_if_untouched()
        try:
            self.session.open(draft_id)
        except Exception as exc:
            if quiet:
                raise
            log.warning("draft %s not opened", draft_id, exc_info=True)
            self.show_error(str(exc))
            return
        if self.sentinel is not None:
            self.sentinel.update(draft_id=draft_id)

    def _discard_if_untouched(self) -> None:
        """A new reel nobody recorded into or edited is not worth keeping in the gallery."""
        draft = self.session.draft
        if (
            draft is not None
            and not draft.segments
            and draft.updated == draft.created
            and (not self.session.dirty)
        ):
            self.session.close()
            self.store.delete(draft.id)

    # -- recording ------------------------------------------------------------------------
    def start_recording(self) -> None:
        self.stop_playback()
        if self.session.draft is None:
            self.new_draft()
        draft = self.session.draft
        if draft is not None and draft.remaining < 0.1:
            self.show_error(
                f"“{draft.title}” is full ({draft.max_duration:.0f} s): delete a "
                "segment or start a new reel"
            )
            return
        seconds = self.record_panel.take_seconds  # the timer: 0 records until stopped
        if not self.recorder.start(self.source, self.audio_input(), seconds):
            self.show_error("the camera is not ready yet")

    def delete_last(self) -> None:
        if self.session.draft is not None and self.session.draft.segments:
            self.session.apply(edits.remove_last_segment)

    @Slot(bool)
    def _on_recorder_changed(self, recording: bool) -> None:
        self.record_panel.set_recording(recording)
        # what would change the segments, the camera or the draft under a take waits for it
        for act in (
            self.new_action,
            self.export_action,
            self.publish_action,
            self.history_action,
            self.settings_action,
            self.delete_last_action,
            self.undo_action,
            self.redo_action,
        ):
            act.setEnabled(not recording)
        for panel in (self.drafts_panel, self.editor_panel, self.timeline):
            panel.setEnabled(not recording)
        if not recording:
            self.undo_action.setEnabled(self.session.can_undo)
            self.redo_action.setEnabled(self.session.can_redo)
            self._show_lengths(0.0)

    @Slot(float)
    def _on_recorder_elapsed(self, seconds: float) -> None:
        self._show_lengths(seconds)

    def _show_lengths(self, recording: float) -> None:
        draft = self.session.draft
        lengths = [s.length for s in draft.segments] if draft else []
        maximum = draft.max_duration if draft else 90.0
        self.record_panel.show_progress(lengths, recording, maximum)

    # -- playback -------------------------------------------------------------------------
    @Slot(float)
    def play_reel(self, start: float = 0.0) -> None:
        draft = self.session.draft
        if draft is None or self.recorder.recording or not self.preview.play(draft, start):
            self.editor_panel.playback_ended()

    @Slot()
    def stop_playback(self) -> None:
        self.preview.stop_playback()

    # -- session --------------------------------------------------------------------------
    def _on_session_changed(self, draft) -> None:
        if draft is None:
            self.title_label.setText("New reel: press Record")
            self.preview.set_look(Look())
        else:
            self.title_label.setText(f"{draft.title}  ·  {draft.duration:.1f} s")
            self.preview.set_look(draft.look)
        self._show_lengths(0.0)

    @Slot(object)
    def _on_session_save_state(self, state: SaveState) -> None:
        self.save_label.setText(SAVE_STATE_TEXT[state])
        if state is SaveState.SAVED:
            self._refresh_thumbnail_later()

    @Slot(str)
    def _on_session_save_failed(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)

    def _refresh_thumbnail_later(self) -> None:
        from reeleditor.media.thumbnails import refresh_thumbnail

        draft = self.session.draft
        if draft is not None and draft.segments:
            self.runner.start(
                "thumbnail",
                lambda: refresh_thumbnail(self.store, draft),
                on_finished=self._on_thumbnail_task_finished,
                on_failed=self._on_thumbnail_task_failed,
            )

    @Slot(object)
    def _on_thumbnail_task_finished(self, _path) -> None:
        self.refresh_drafts()

    @Slot(str)
    def _on_thumbnail_task_failed(self, message: str) -> None:
        log.info("thumbnail not refreshed: %s", message)  # never worth a dialog

    # -- export and settings --------------------------------------------------------------
    def export_current(self) -> None:
        from reeleditor.ui.export_dialog import ExportDialog, default_export_folder

        draft = self.session.draft
        if draft is None or not draft.segments:
            self.show_error("record something first: there is nothing to export yet")
            return
        previous = getattr(self, "export_dialog", None)
        if previous is not None:
            if previous.task is not None:  # an export is running: show it, never a second
                previous.show()
                previous.raise_()
                return
            previous.deleteLater()  # closed dialogs are hidden, not freed: free the last one
        self.session.flush()
        self.export_dialog = ExportDialog(
            self.store,
            draft,
            self.runner,
            default_export_folder(),
            self.settings.export_preset,
            self,
        )
        self.export_dialog.open()

    def open_history(self) -> None:
        from reeleditor.ui.history_dialog import HistoryDialog

        if self.session.draft is None or self.recorder.recording:
            return
        self.session.flush()
        if getattr(self, "history_dialog", None) is not None:
            self.history_dialog.deleteLater()
        self.history_dialog = HistoryDialog(self.session, self)
        self.history_dialog.open()

    def publish_current(self) -> None:
        if self.recorder.recording:
            return
        draft = self.session.draft
        if draft is None or not draft.segments:
            self.show_error("record something first: there is nothing to publish yet")
            return
        self.session.flush()
        self.tabs.setCurrentWidget(self.uploads_panel)
        if not self.uploads.publish(self.session.draft, self.show_error):
            self.statusBar().showMessage("This reel is already being published", 5000)

    def open_settings(self) -> None:
        from reeleditor.storage.settings import save_settings
        from reeleditor.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(
            self.settings,
            self.paths.data,
            parent=self,
            token_store=lambda token: self.uploads.offer_token(
                dialog.endpoint_edit.text().strip(), token
            ),
        )
        if dialog.exec():
            old = self.settings
            self.settings = dialog.result_settings()
            save_settings(self.paths.settings_file, self.settings)
            self.uploads.reconfigure(self.settings)  # new endpoint or token: uploads restart
            self.preview.set_mirror(self.settings.mirror_preview)
            self.mirror_action.setChecked(self.settings.mirror_preview)
            self.view.show_fps = self.settings.show_fps
            self.fps_action.setChecked(self.settings.show_fps)
            self.record_screen.set_settings(self.settings)
            if (old.camera, old.width, old.height, old.fps) != (
                self.settings.camera,
                self.settings.width,
                self.settings.height,
                self.settings.fps,
            ):
                self.preview.open_camera(self.settings)

    def _on_space(self) -> None:
        """Space plays and pauses the reel in the Edit and Text tabs; elsewhere it records."""
        editing = self.tabs.currentWidget() in (self.editor_panel, self.text_panel)
        if editing and not self.recorder.recording:
            self.timeline.toggle_play()
        else:
            self.record_panel.toggle()

    def _on_mirror_toggled(self) -> None:
        self.preview.set_mirror(self.mirror_action.isChecked())

    def _on_fps_toggled(self) -> None:
        self.view.show_fps = self.fps_action.isChecked()

    def _on_fill_toggled(self) -> None:
        self.view.fill = self.fill_action.isChecked()

    # -- errors and recovery --------------------------------------------------------------
    @Slot(str, str)
    def _on_runner_error(self, name: str, message: str) -> None:
        self.show_error(message)

    def show_error(self, message: str) -> None:
        """A plain dialog: what happened and what to do; never blocks the event loop."""
        self.last_error = message
        box = QMessageBox(QMessageBox.Warning, "reeleditor", message, QMessageBox.Ok, self)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()

    def _show_recovery(self, report) -> None:
        from reeleditor.ui.recovery_dialog import RecoveryDialog

        self.recovery_box = RecoveryDialog(report, self)
        self.recovery_box.open()

    # -- closing --------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        self.recorder.stop_and_wait()
        self.stop_playback()
        self.runner.shutdown()
        self.record_screen.close()
        self.uploads.close()
        self._discard_if_untouched()
        self.session.close()
        self.preview.close()
        self.store.close()
        super().closeEvent(event)
