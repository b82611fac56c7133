"""Drives the real main window through a seeded random walk of what a creator clicks.

Shared by the CI soak (tests/soak/test_gui_soak.py, a few thousand actions) and the long
soak (benchmarks/soak.py, 30 minutes). Every action goes through the widgets or the actions
a user triggers; waits run the event loop (QTest.qWait), never sleep.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

TAKE_SECONDS = 0.3


def rss_mib() -> float:
    """Resident memory of this process (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def wait_until(predicate: Callable[[], bool], timeout_ms: int = 10_000) -> None:
    deadline = time.monotonic() + timeout_ms / 1000
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        QTest.qWait(5)


class SoakDriver:
    """One random walk over the window; `errors` collects what it showed the user."""

    def __init__(self, window, seed: int = 1) -> None:
        self.window = window
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()
        self.errors: list[str] = []
        # What a user would see as a dialog. Signals connected before the driver existed
        # (recorder.failed, preview.failed) still reach the window's own show_error, which
        # sets `last_error`: `step` collects that too, so no error path is invisible here.
        window.show_error = self._record_error
        window.last_error = ""
        window.gallery.ask_title = lambda current: f"Soak {self.rng.randrange(10_000)}"
        window.gallery.confirm_delete = lambda title: True
        self.actions: list[tuple[Callable[[], None], int]] = [
            (self.look, 30),
            (self.strength, 15),
            (self.undo, 10),
            (self.redo, 8),
            (self.tab, 5),
            (self.music, 4),
            (self.open_draft, 4),
            (self.rename, 2),
            (self.record, 2),
            (self.duplicate, 1),
            (self.delete_last, 1),
            (self.new_reel, 1),
            (self.export_and_cancel, 1),
        ]

    def _record_error(self, message: str) -> None:
        self.errors.append(message)
        self.window.last_error = ""

    # -- the walk --------------------------------------------------------------------------
    def step(self) -> str:
        functions, weights = zip(*self.actions, strict=True)
        action = self.rng.choices(functions, weights)[0]
        action()
        self.counts[action.__name__] += 1
        QTest.qWait(1)  # let queued signals land, as a user's next click would
        self._collect_window_errors()
        return action.__name__

    def _collect_window_errors(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        if self.window.last_error:
            self.errors.append(self.window.last_error)
            self.window.last_error = ""
            for box in self.window.findChildren(QMessageBox):
                if box is not self.window.recovery_box:
                    box.close()

    def run(self, actions: int | None = None, seconds: float | None = None, on_step=None):
        done, start = 0, time.monotonic()
        while (actions is None or done < actions) and (
            seconds is None or time.monotonic() - start < seconds
        ):
            self.step()
            done += 1
            if on_step is not None:
                on_step(done)
        return done

    def settle(self) -> None:
        """Wait for autosave and background work, as a user pausing would."""
        w = self.window
        wait_until(lambda: not w.recorder.recording, 15_000)
        wait_until(lambda: not w.session.dirty, 15_000)
        self._collect_window_errors()

    # -- actions ---------------------------------------------------------------------------
    def look(self) -> None:
        panel = self.window.looks_panel
        self.window.tabs.setCurrentWidget(panel)
        name = self.rng.choice(sorted(panel.look_buttons))
        panel.look_buttons[name].click()

    def strength(self) -> None:
        slider = self.window.looks_panel.strength_slider
        if not slider.isEnabled():
            return
        slider.setSliderDown(True)
        slider.setValue(self.rng.randrange(0, 101))
        slider.setSliderDown(False)  # released: the edit commits now

    def undo(self) -> None:
        if self.window.undo_action.isEnabled():
            self.window.undo_action.trigger()

    def redo(self) -> None:
        if self.window.redo_action.isEnabled():
            self.window.redo_action.trigger()

    def tab(self) -> None:
        tabs = self.window.tabs
        tabs.setCurrentIndex(self.rng.randrange(tabs.count()))

    def music(self) -> None:
        panel = self.window.music_panel
        self.window.tabs.setCurrentWidget(panel)
        row = self.rng.randrange(panel.track_list.count())
        panel.track_list.setCurrentRow(row)

    def _gallery_ids(self) -> list[str]:
        items = self.window.drafts_panel.list
        return [items.item(i).data(Qt.UserRole) for i in range(items.count())]

    def open_draft(self) -> None:
        ids = self._gallery_ids()
        if ids:
            self.window.drafts_panel.open_requested.emit(self.rng.choice(ids))

    def rename(self) -> None:
        ids = self._gallery_ids()
        if ids:
            self.window.drafts_panel.rename_requested.emit(self.rng.choice(ids))

    def duplicate(self) -> None:
        ids = self._gallery_ids()
        if ids and len(ids) < 12:  # a creator's gallery, not an ever-growing one
            self.window.drafts_panel.duplicate_requested.emit(self.rng.choice(ids))

    def new_reel(self) -> None:
        if len(self._gallery_ids()) < 12:
            self.window.new_action.trigger()

    def delete_last(self) -> None:
        if self.window.delete_last_action.isEnabled():
            self.window.delete_last_action.trigger()

    def record(self) -> None:
        w = self.window
        draft = w.session.draft
        if draft is None or draft.remaining < 1.0 or w.recorder.recording:
            return
        w.record_panel.countdown.setCurrentIndex(0)
        w.record_panel.toggle()
        wait_until(lambda: w.recorder.recording, 10_000)
        QTest.qWait(int(TAKE_SECONDS * 1000))
        w.record_panel.toggle()
        wait_until(lambda: not w.recorder.recording, 15_000)

    def export_and_cancel(self) -> None:
        w = self.window
        draft = w.session.draft
        if draft is None or not draft.segments:
            return
        w.export_current()
        dialog = w.export_dialog
        # into the test's home, never the real Videos folder of whoever runs the soak
        dialog.path.setText(str(Path(os.environ["REELEDITOR_HOME"]) / "soak-export.mp4"))
        dialog.export_button.click()
        wait_until(lambda: dialog.task is None or dialog.progress.value() > 0, 20_000)
        if dialog.task is not None:
            dialog.cancel_button.click()
        wait_until(lambda: dialog.task is None, 20_000)
        dialog.close()
