"""Hands-free capture on the record screen: take length, Align ghost, guides, meter, devices."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from reeleditor.core.settings import Settings
from reeleditor.ui.device_names import NO_MICROPHONE, camera_text, microphone_text
from reeleditor.ui.record_panel import RecordPanel
from reeleditor.ui.workers import Task, TaskRunner

GHOST_SIZE = (270, 480)  # decoded at about the preview's size: it is drawn at 40 % anyway
METER_MS = 50  # the meter's refresh: 20 a second reads as live without costing anything

log = logging.getLogger(__name__)


def bgr_to_qimage(bgr: np.ndarray) -> QImage:
    """A QImage that owns a copy of the pixels (the array may go away)."""
    h, w = bgr.shape[:2]
    data = np.ascontiguousarray(bgr)
    return QImage(data.data, w, h, data.strides[0], QImage.Format_BGR888).copy()


class RecordScreen(QObject):
    """Runs the record screen's hands-free tools around one RecordPanel.

    The panel holds the widgets; this object does what they ask, with the services the
    main window hands it: the preview controller (camera), the recorder (is a take
    running?), the session (the previous take), the runner (decoding, opening devices).

    Signals: `settings_changed(object)` the new Settings, already saved to the settings file;
    `message(str)` one line for the status bar (a refused switch, a device that failed).
    """

    settings_changed = Signal(object)
    message = Signal(str)

    def __init__(
        self,
        panel: RecordPanel,
        preview,
        recorder,
        session,
        runner: TaskRunner,
        settings: Settings,
        settings_path: Path,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.panel, self.preview, self.recorder = panel, preview, recorder
        self.session, self.runner = session, runner
        self.settings, self.settings_path = settings, Path(settings_path)
        self.overlay = panel.overlay
        self.overlay.ghost_mirrored = lambda: bool(self.preview.mirror)
        self.metered = None  # the MeteredInput the meter and the next take share
        self.cameras: list[str] = []
        self.microphones: list[str] = []
        self._ghost_key = None
        self._ghost_task: Task | None = None
        self._mic_task: Task | None = None
        self._mic_serial = 0
        self._closed = False
        self._meter_timer = QTimer(self, interval=METER_MS)
        self._meter_timer.timeout.connect(self._on_meter_timer_timeout)
        self._apply_settings_to_panel()
        self._fill_pickers()
        p = panel
        p.length.activated.connect(self._on_length_activated)
        p.align_button.toggled.connect(self._on_guides_toggled)
        p.grid_button.toggled.connect(self._on_guides_toggled)
        p.safe_button.toggled.connect(self._on_guides_toggled)
        p.camera_combo.activated.connect(self._on_camera_activated)
        p.microphone_combo.activated.connect(self._on_microphone_activated)
        session.changed.connect(self._on_session_changed)
        preview.camera_opened.connect(self._on_preview_camera_opened)
        self._meter_timer.start()
        self.scan_devices()

    # -- settings -------------------------------------------------------------------------
    def _apply_settings_to_panel(self) -> None:
        s, p = self.settings, self.panel
        p.set_take_seconds(s.take_seconds)
        for button, on in (
            (p.align_button, s.align_ghost),
            (p.grid_button, s.show_grid),
            (p.safe_button, s.show_safe_zones),
        ):
            button.blockSignals(True)
            button.setChecked(on)
            button.blockSignals(False)
        self.overlay.set_guides(s.align_ghost, s.show_grid, s.show_safe_zones)

    def _save(self, **changes) -> None:
        from reeleditor.storage.settings import save_settings

        new = replace(self.settings, **changes)
        if new == self.settings:
            return
        self.settings = new
        try:
            save_settings(self.settings_path, new)
        except OSError as exc:
            log.warning("settings not saved", exc_info=True)
            self.message.emit(f"settings not saved: {exc}")
        self.settings_changed.emit(new)

    def set_settings(self, settings: Settings) -> None:
        """The settings changed elsewhere (the dialog): follow them."""
        old, self.settings = self.settings, settings
        self._apply_settings_to_panel()
        self._fill_pickers()
        if old.microphone != settings.microphone:
            self._open_monitor()

    @Slot(int)
    def _on_length_activated(self, _index: int) -> None:
        self._save(take_seconds=int(self.panel.take_seconds))

    @Slot(bool)
    def _on_guides_toggled(self, _on: bool) -> None:
        p = self.panel
        align, grid, safe = (
            p.align_button.isChecked(),
            p.grid_button.isChecked(),
            p.safe_button.isChecked(),
        )
        self.overlay.set_guides(align, grid, safe)
        self._save(align_ghost=align, show_grid=grid, show_safe_zones=safe)
        if align:
            self._refresh_ghost()

    # -- Align: the previous take's last frame ----------------------------------------------
    @Slot(object)
    def _on_session_changed(self, _draft) -> None:
        if self.panel.align_button.isChecked():
            self._refresh_ghost()

    def _refresh_ghost(self) -> None:
        from reeleditor.media.thumbnails import last_frame

        draft = self.session.draft
        if draft is None or not draft.segments:
            self._ghost_key = None
            self.overlay.set_ghost(None)
            return
        seg = draft.segments[-1]
        key = (draft.id, seg.id, seg.media, seg.trim_out)
        if key == self._ghost_key or self.runner.closed:
            return
        self._ghost_key = key
        path, until = self.session.store.media_path(draft, seg), seg.trim_out
        self._ghost_task = self.runner.start(
            "align frame",
            lambda: last_frame(path, until, size=GHOST_SIZE),
            on_finished=self._on_ghost_task_finished,
            on_failed=self._on_ghost_task_failed,
        )

    @Slot(object)
    def _on_ghost_task_finished(self, bgr) -> None:
        if self._ghost_task is None or self.sender() is not self._ghost_task.signals:
            return  # an older take's frame, asked for before the newest
        self._ghost_task = None
        self.overlay.set_ghost(bgr_to_qimage(bgr))

    @Slot(str)
    def _on_ghost_task_failed(self, message: str) -> None:
        self._ghost_key = None
        self.overlay.set_ghost(None)
        self.message.emit(f"Align: {message}")

    # -- devices --------------------------------------------------------------------------
    def scan_devices(self) -> None:
        """List cameras and microphones off the GUI thread; the pickers fill when it ends."""

        def scan() -> tuple[list[str], list[str]]:
            from reeleditor.media.devices import list_cameras
            from reeleditor.media.microphone import list_microphones

            cams = [f"camera:{c['index']}" for c in list_cameras()]
            return cams, [m["name"] for m in list_microphones()]

        self.runner.start(
            "devices",
            scan,
            on_finished=self._on_devices_task_finished,
            on_failed=lambda text: log.info("devices not listed: %s", text),
        )

    @Slot(object)
    def _on_devices_task_finished(self, found) -> None:
        self.cameras, self.microphones = found
        self._fill_pickers()

    def _fill_pickers(self) -> None:
        cams = ["auto", "testpattern", *self.cameras]
        mics = ["auto", "none", *self.microphones]
        for combo, values, current, text in (
            (self.panel.camera_combo, cams, self.settings.camera, camera_text),
            (self.panel.microphone_combo, mics, self.settings.microphone, microphone_text),
        ):
            if current not in values:
                values.append(current)  # what the settings name stays choosable
            combo.blockSignals(True)
            combo.clear()
            for value in values:
                combo.addItem(text(value), value)
            combo.setCurrentIndex(values.index(current))
            combo.blockSignals(False)

    def _refuse_while_recording(self, combo, current: str, what: str) -> bool:
        if not self.recorder.recording:
            return False
        combo.setCurrentIndex(max(0, combo.findData(current)))
        self.message.emit(f"Stop recording to switch the {what}")
        return True

    @Slot(int)
    def _on_camera_activated(self, index: int) -> None:
        value = self.panel.camera_combo.itemData(index)
        if self._refuse_while_recording(self.panel.camera_combo, self.settings.camera, "camera"):
            return
        if value and value != self.settings.camera:
            self.switch_camera(value)

    def switch_camera(self, value: str) -> bool:
        """Open another camera (refused during a take); the preview shows it once open."""
        if self.recorder.recording:
            self.message.emit("Stop recording to switch the camera")
            return False
        self._save(camera=value)
        self.preview.open_camera(self.settings)
        return True

    @Slot(int)
    def _on_microphone_activated(self, index: int) -> None:
        value = self.panel.microphone_combo.itemData(index)
        combo = self.panel.microphone_combo
        if self._refuse_while_recording(combo, self.settings.microphone, "microphone"):
            return
        if value and value != self.settings.microphone:
            self.switch_microphone(value)

    def switch_microphone(self, value: str) -> bool:
        """Use another microphone from the next take on (refused during a take)."""
        if self.recorder.recording:
            self.message.emit("Stop recording to switch the microphone")
            return False
        self._save(microphone=value)
        self._open_monitor()
        return True

    # -- the microphone and its meter -----------------------------------------------------
    @Slot(object)
    def _on_preview_camera_opened(self, _source) -> None:
        if self.settings.microphone == "auto" or self.metered is None:
            self._open_monitor()  # "auto" hears the source's own sound when it has one

    def _open_monitor(self) -> None:
        """Start the input the meter shows and the next take records (off the GUI thread)."""
        from reeleditor.media.levels import MeteredInput

        if self._closed or self.recorder.recording:
            return
        self._release_monitor()
        self._mic_serial += 1
        choice = self.settings.microphone
        if choice == "none":
            self.panel.meter.set_unavailable(NO_MICROPHONE)
            return
        source = self.preview.source
        if choice == "auto" and source is not None and source.audio is not None:
            self.metered = MeteredInput(source.audio)
            self.metered.start()
            return
        serial = self._mic_serial

        def work():
            from reeleditor.media.microphone import open_microphone

            metered = MeteredInput(open_microphone(None if choice == "auto" else choice))
            metered.start()
            return serial, metered

        self._mic_task = self.runner.start(
            "microphone", work, on_finished=self._on_mic_task_finished
        )

    @Slot(object)
    def _on_mic_task_finished(self, result) -> None:
        serial, metered = result
        self._mic_task = None
        if self._closed or serial != self._mic_serial or self.recorder.recording:
            metered.stop()  # another choice came since: this one is not wanted
            return
        self._release_monitor()
        self.metered = metered
        if metered.notice:
            self.message.emit(metered.notice)

    def _release_monitor(self) -> None:
        metered, self.metered = self.metered, None
        if metered is not None:
            try:
                metered.stop()
            except Exception:  # a device gone already: nothing left to stop
                log.info("microphone did not stop cleanly", exc_info=True)

    def audio_input(self):
        """What the next take records: the meter's input, or silence for "none"."""
        from reeleditor.media.microphone import SilenceInput, open_microphone

        if self.settings.microphone == "none":
            return SilenceInput()
        if self.metered is not None:
            return self.metered
        source = self.preview.source  # the meter's input is still opening: open one now
        if self.settings.microphone == "auto" and source is not None and source.audio:
            return source.audio
        mic = open_microphone(
            None if self.settings.microphone == "auto" else self.settings.microphone
        )
        if mic.notice:
            self.message.emit(mic.notice)
        return mic

    @Slot()
    def _on_meter_timer_timeout(self) -> None:
        if self.settings.microphone == "none":
            self.panel.meter.set_unavailable(NO_MICROPHONE)
            return
        level = self.metered.monitor() if self.metered is not None else None
        if level is None:
            self.panel.meter.set_unavailable("Microphone starting…")
        else:
            self.panel.meter.set_level(*level)

    def close(self) -> None:
        """Stop the meter and the microphone (after the runner has shut down)."""
        self._closed = True
        self._meter_timer.stop()
        self._release_monitor()
        task, self._mic_task = self._mic_task, None
        if task is not None and task.wait(0) and task.result is not None:
            task.result[1].stop()  # opened while closing: its signal will not come now
