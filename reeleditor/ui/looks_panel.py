"""The looks strip (live thumbnails), the strength slider and the manual adjustments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSignalBlocker, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from reeleditor.core import edits
from reeleditor.core.draft import ADJUSTMENT_NAMES, Draft, Look
from reeleditor.media.looks import list_looks, look_thumbnails
from reeleditor.ui.session import DraftSession
from reeleditor.ui.workers import TaskRunner

THUMB_SIZE = QSize(54, 96)  # logical pixels; rendered at the screen's device pixel ratio
SETTLE_MS = 350  # keyboard and wheel changes settle this long before they become an edit


class SliderEdit(QObject):
    """Turns a slider's moves into previews while dragging and one edit per release.

    Drags preview on every step and commit once on release; keyboard, wheel and page
    clicks preview at once and commit after SETTLE_MS without another change, so an undo
    step is one gesture, not one pixel. Programmatic updates must block the slider's signals.
    """

    def __init__(
        self,
        slider: QSlider,
        preview: Callable[[int], None],
        commit: Callable[[int], None],
        settle_ms: int = SETTLE_MS,
    ) -> None:
        super().__init__(slider)
        self.slider = slider
        self._preview = preview
        self._commit = commit
        self._timer = QTimer(self, singleShot=True, interval=settle_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        slider.valueChanged.connect(self._on_slider_value_changed)
        slider.sliderReleased.connect(self._on_slider_released)

    @property
    def pending(self) -> bool:
        return self.slider.isSliderDown() or self._timer.isActive()

    def reset(self, value: int = 0) -> None:
        """Set `value` and commit it now (double-click, reset buttons)."""
        self.slider.setValue(value)
        self._timer.stop()
        self._commit(value)

    def cancel(self) -> None:
        self._timer.stop()

    def _on_slider_value_changed(self, value: int) -> None:
        self._preview(value)
        if not self.slider.isSliderDown():
            self._timer.start()

    def _on_slider_released(self) -> None:
        self._timer.stop()
        self._commit(self.slider.value())

    def _on_timer_timeout(self) -> None:
        self._commit(self.slider.value())


class StripScrollArea(QScrollArea):
    """A one-row strip: as tall as its row plus the scroll bar, which never covers it."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.setSizePolicy(self.sizePolicy().horizontalPolicy(), QSizePolicy.Fixed)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        row = self.widget().sizeHint().height() if self.widget() is not None else 0
        bar = self.horizontalScrollBar().sizeHint().height()
        return QSize(hint.width(), row + bar + 2 * self.frameWidth())

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), self.sizeHint().height())

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.LayoutRequest:  # the row's height changed (a new style)
            self.updateGeometry()
        return super().event(event)


def _with_adjustment(look: Look, name: str, value: float) -> Look:
    values = dict(look.adjustments)
    if value:
        values[name] = float(value)
    else:
        values.pop(name, None)
    return replace(look, adjustments=tuple(sorted(values.items())))


def _render_thumbnails(
    frame: np.ndarray, size: tuple[int, int], adjustments: tuple
) -> dict[str, QImage]:
    """Runs on a pool thread: every look on the frame, as QImages (QPixmap is GUI-only)."""
    images = {}
    for name, bgr in look_thumbnails(frame, size, 100.0, adjustments).items():
        bgr = np.ascontiguousarray(bgr)
        h, w = bgr.shape[:2]
        images[name] = QImage(bgr.data, w, h, bgr.strides[0], QImage.Format_BGR888).copy()
    return images


class LooksPanel(QWidget):
    """Chooses the draft's look: thumbnails, strength, adjustments; every change undoable.

    Signals: `look_previewed(Look)` while a slider moves and once more when it is
    committed (the committed look also arrives through `session.changed`).
    Slot: `set_source_frame(bgr)` feeds the thumbnails a camera or preview frame.
    """

    look_previewed = Signal(object)

    def __init__(
        self, session: DraftSession, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.runner = runner
        self._thumbs_busy = False
        self._pending_frame: np.ndarray | None = None
        self._last_frame: np.ndarray | None = None  # re-rendered when the adjustments change
        self._thumb_adjustments: tuple = ()
        self._thumb_ratio = 1.0
        self.look_titles = {info["name"]: info["title"] for info in list_looks()}

        self.look_buttons: dict[str, QToolButton] = {}
        self.look_group = QButtonGroup(self)
        strip = QWidget()
        strip_layout = QHBoxLayout(strip)
        strip_layout.setContentsMargins(0, 0, 0, 0)
        placeholder = QPixmap(THUMB_SIZE)
        placeholder.fill(QColor("#2a2d35"))
        for info in list_looks():
            button = QToolButton(objectName="lookButton", checkable=True, text=info["title"])
            button.setToolButtonStyle(Qt.ToolButtonTextUnderIcon)
            button.setIconSize(THUMB_SIZE)
            button.setIcon(placeholder)
            button.setToolTip(info["description"])
            button.setProperty("lookName", info["name"])
            self.look_group.addButton(button)
            self.look_buttons[info["name"]] = button
            strip_layout.addWidget(button)
        strip_layout.addStretch(1)
        self.look_group.buttonClicked.connect(self._on_look_group_clicked)
        self.strip_scroll = scroll = StripScrollArea(widgetResizable=True)
        scroll.setObjectName("looksStrip")
        scroll.setWidget(strip)
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        scroll.viewport().installEventFilter(self)  # a mouse's wheel scrolls the strip sideways

        self.strength_slider = QSlider(Qt.Horizontal, minimum=0, maximum=100)
        self.strength_slider.setAccessibleName("Look strength")
        self.strength_label = QLabel(objectName="mutedLabel")
        self.strength_edit = SliderEdit(
            self.strength_slider, self._on_strength_preview, self._on_strength_commit
        )
        self.strength_slider.valueChanged.connect(lambda v: self.strength_label.setText(f"{v} %"))
        strength_row = QHBoxLayout()
        strength_row.addWidget(QLabel("Strength"))
        strength_row.addWidget(self.strength_slider, 1)
        strength_row.addWidget(self.strength_label)

        self.adjustments_toggle = QToolButton(
            objectName="sectionToggle", text="Adjustments", checkable=True
        )
        self.adjustments_toggle.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.adjustments_toggle.setArrowType(Qt.RightArrow)
        self.adjustments_toggle.toggled.connect(self._on_adjustments_toggle_toggled)
        self.reset_all_button = QToolButton(text="Reset all")
        self.reset_all_button.clicked.connect(self._on_reset_all_clicked)
        self.adjustments_box = QWidget()
        self.adjustments_box.setVisible(False)
        grid = QGridLayout(self.adjustments_box)
        grid.setContentsMargins(0, 0, 0, 0)
        self.adjustment_sliders: dict[str, QSlider] = {}
        self.adjustment_labels: dict[str, QLabel] = {}
        self.reset_buttons: dict[str, QToolButton] = {}
        self._adjustment_edits: dict[str, SliderEdit] = {}
        for row, name in enumerate(ADJUSTMENT_NAMES):
            self._add_adjustment_row(grid, row, name)
        grid.addWidget(self.reset_all_button, len(ADJUSTMENT_NAMES), 0, 1, 4, Qt.AlignRight)

        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(strength_row)
        layout.addWidget(self.adjustments_toggle, 0, Qt.AlignLeft)
        layout.addWidget(self.adjustments_box)
        layout.addStretch(1)

        session.changed.connect(self._on_session_changed)
        self._on_session_changed(session.draft)

    def _add_adjustment_row(self, grid: QGridLayout, row: int, name: str) -> None:
        slider = QSlider(Qt.Horizontal, minimum=-100, maximum=100)
        slider.setAccessibleName(name.capitalize())
        slider.setToolTip("Double-click to reset")
        slider.installEventFilter(self)
        label = QLabel("0", objectName="mutedLabel")
        label.setMinimumWidth(label.fontMetrics().horizontalAdvance("-100 "))
        label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        slider.valueChanged.connect(lambda v, lab=label: lab.setText(str(v)))
        reset = QToolButton(text="↺", toolTip=f"Reset {name} to 0")
        edit = SliderEdit(
            slider,
            lambda v, n=name: self._on_adjustment_preview(n, v),
            lambda v, n=name: self._on_adjustment_commit(n, v),
        )
        reset.clicked.connect(lambda _checked=False, e=edit: e.reset(0))
        grid.addWidget(QLabel(name.capitalize()), row, 0)
        grid.addWidget(slider, row, 1)
        grid.addWidget(label, row, 2)
        grid.addWidget(reset, row, 3)
        self.adjustment_sliders[name] = slider
        self.adjustment_labels[name] = label
        self.reset_buttons[name] = reset
        self._adjustment_edits[name] = edit

    # -- thumbnails -----------------------------------------------------------------------
    @Slot(object)
    def set_source_frame(self, bgr: np.ndarray) -> None:
        """Render every look on this BGR frame, off the GUI thread.

        While a render is in flight only the newest frame is kept (older ones are dropped),
        so a fast feed never queues work.
        """
        if bgr.ndim != 3 or bgr.shape[2] != 3 or bgr.dtype != np.uint8:
            raise ValueError(f"expected a BGR uint8 frame, got {bgr.shape} {bgr.dtype}")
        if self._thumbs_busy:
            self._pending_frame = bgr
            return
        self._start_thumbnails(bgr)

    def _start_thumbnails(self, bgr: np.ndarray) -> None:
        # the caller may reuse its buffer while we work; our own last frame stays as it is
        frame = bgr if bgr is self._last_frame else bgr.copy()
        ratio = self.devicePixelRatioF()
        size = (round(THUMB_SIZE.width() * ratio), round(THUMB_SIZE.height() * ratio))
        draft = self.session.draft
        adjustments = draft.look.adjustments if draft is not None else ()
        self._last_frame, self._thumb_adjustments = frame, adjustments
        self._thumbs_busy = True
        self._thumb_ratio = ratio  # one render in flight at a time: its ratio
        self.runner.start(
            "look thumbnails",
            lambda: _render_thumbnails(frame, size, adjustments),
            on_finished=self._on_thumbnails_finished,
            on_failed=self._on_thumbnails_failed,
        )

    @Slot(object)
    def _on_thumbnails_finished(self, images: dict[str, QImage]) -> None:
        for name, image in images.items():
            button = self.look_buttons.get(name)
            if button is not None:
                pixmap = QPixmap.fromImage(image)
                pixmap.setDevicePixelRatio(self._thumb_ratio)
                button.setIcon(pixmap)
        self._next_thumbnails()

    @Slot(str)
    def _on_thumbnails_failed(self, message: str) -> None:
        self.runner.error.emit("look thumbnails", message)  # the one place errors are shown
        self._next_thumbnails()

    def _next_thumbnails(self) -> None:
        self._thumbs_busy = False
        frame, self._pending_frame = self._pending_frame, None
        if frame is not None:
            self._start_thumbnails(frame)

    @property
    def thumbnails_busy(self) -> bool:
        return self._thumbs_busy

    # -- edits ----------------------------------------------------------------------------
    def _current_look(self) -> Look | None:
        return None if self.session.draft is None else self.session.draft.look

    def _commit(self, look: Look) -> None:
        if self.session.draft is None:
            return
        self.session.apply(lambda d, now: edits.set_look(d, look, now))
        self.look_previewed.emit(self.session.draft.look)

    def _on_look_group_clicked(self, button: QToolButton) -> None:
        look = self._current_look()
        name = button.property("lookName")
        self._reveal_current_look()  # a half-shown thumbnail comes fully into view
        if look is None or name == look.name:
            return
        # a newly chosen look starts at full strength; the adjustments stay
        self._commit(replace(look, name=name, strength=100.0))

    def _on_strength_preview(self, value: int) -> None:
        look = self._current_look()
        if look is not None:
            self.look_previewed.emit(replace(look, strength=float(value)))

    def _on_strength_commit(self, value: int) -> None:
        look = self._current_look()
        if look is not None:
            self._commit(replace(look, strength=float(value)))

    def _on_adjustment_preview(self, name: str, value: int) -> None:
        look = self._current_look()
        if look is not None:
            self.look_previewed.emit(_with_adjustment(look, name, value))

    def _on_adjustment_commit(self, name: str, value: int) -> None:
        look = self._current_look()
        if look is not None:
            self._commit(_with_adjustment(look, name, value))

    def _on_reset_all_clicked(self) -> None:
        look = self._current_look()
        for edit in self._adjustment_edits.values():
            edit.cancel()
        if look is not None:
            self._commit(replace(look, adjustments=()))

    def _on_adjustments_toggle_toggled(self, expanded: bool) -> None:
        self.adjustments_box.setVisible(expanded)
        self.adjustments_toggle.setArrowType(Qt.DownArrow if expanded else Qt.RightArrow)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Wheel and watched is self.strip_scroll.viewport():
            return self._scroll_strip(event)
        if event.type() == QEvent.MouseButtonDblClick:
            for name, slider in self.adjustment_sliders.items():
                if slider is watched:
                    self._adjustment_edits[name].reset(0)
                    return True
        return super().eventFilter(watched, event)

    # -- the strip ------------------------------------------------------------------------
    def _scroll_strip(self, event: QWheelEvent) -> bool:
        """A vertical wheel turn moves the strip sideways (a touchpad's sideways swipe
        already does, through the scroll area itself)."""
        pixels, angle = event.pixelDelta(), event.angleDelta()
        if abs(angle.y()) <= abs(angle.x()):
            return False
        bar = self.strip_scroll.horizontalScrollBar()
        thumb = THUMB_SIZE.width() + 12  # a wheel's notch (120) moves about one thumbnail
        step = pixels.y() if not pixels.isNull() else angle.y() * thumb // 120
        bar.setValue(bar.value() - step)
        return True

    def _reveal_current_look(self) -> None:
        button = self.look_group.checkedButton()
        if button is not None:
            self.strip_scroll.ensureWidgetVisible(button, 24, 0)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._reveal_current_look()  # laid out only now: the active look may have been off

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._reveal_current_look()

    # -- the model ------------------------------------------------------------------------
    def _on_session_changed(self, draft: Draft | None) -> None:
        """Show the draft's look (after an edit, undo or reload) without editing it back."""
        for widget in (self.strength_slider, self.adjustments_box, *self.look_buttons.values()):
            widget.setEnabled(draft is not None)
        look = draft.look if draft is not None else Look()
        button = self.look_buttons.get(look.name)
        if button is not None:
            button.setChecked(True)
            self._reveal_current_look()
        elif self.look_group.checkedButton() is not None:
            self.look_group.setExclusive(False)  # an unknown look: nothing highlighted
            self.look_group.checkedButton().setChecked(False)
            self.look_group.setExclusive(True)
        self._show_value(self.strength_slider, self.strength_edit, round(look.strength))
        self.strength_label.setText(f"{self.strength_slider.value()} %")
        for name, slider in self.adjustment_sliders.items():
            self._show_value(slider, self._adjustment_edits[name], round(look.adjustment(name)))
            self.adjustment_labels[name].setText(str(slider.value()))
        if self._last_frame is not None and look.adjustments != self._thumb_adjustments:
            self.set_source_frame(self._last_frame)  # thumbnails show the adjustments too

    @staticmethod
    def _show_value(slider: QSlider, edit: SliderEdit, value: int) -> None:
        if edit.pending:
            return  # the user's hand wins: their release (or the settle timer) commits
        with QSignalBlocker(slider):
            slider.setValue(value)
