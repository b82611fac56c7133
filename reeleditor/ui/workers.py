"""Runs service generators off the GUI thread and turns their yields into Qt signals.

Two lanes, as Anki does it: one thread for storage (saves never interleave) and a pool for
long work (recording, playback, export, upload). This is the one way background results
reach the GUI: queued signals, so slots run on the GUI thread (mark them `@Slot`); every
error reaches one place (`TaskRunner.error`) unless the caller handles it, and is logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from reeleditor.core.errors import ReelEditorError
from reeleditor.core.progress import Progress

log = logging.getLogger(__name__)


class TaskSignals(QObject):
    progress = Signal(object)  # Progress
    finished = Signal(object)  # the generator's return value
    failed = Signal(str)  # one line for the user
    cancelled = Signal()
    done = Signal()  # after any of the three above


class Task:
    """One generator (or plain callable) run on a pool thread; cancel closes it at a yield.

    A plain object handed to the pool as a callable, not a QRunnable: a QRunnable passed to
    `QThreadPool.start` is owned by C++ from then on, so with auto-delete off its Python
    side (and everything its closure holds: frames, drafts) was never freed. The GUI soak
    found it as ~0.5 MiB of growth per action.
    """

    def __init__(
        self,
        work: Callable[[], Generator[Progress, None, Any] | Any],
        name: str,
        storage: bool = False,
    ) -> None:
        self.name = name
        self.work = work
        self.storage = storage  # on the storage lane: never cancelled (a save must land)
        self.result: Any = None  # the return value, readable once `wait` returns True
        self.signals = TaskSignals()
        self.signals.parent_task = self  # for the runner's `done` slot (sender() -> task)
        self._cancel = threading.Event()
        self._finished = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelling(self) -> bool:
        return self._cancel.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)

    def run(self) -> None:
        try:
            result = self.work()
            if isinstance(result, Generator):
                result = self._drive(result)
            self.result = result
            if self._cancel.is_set():
                self._emit(self.signals.cancelled)
            else:
                self._emit(self.signals.finished, result)
        except ReelEditorError as exc:
            log.warning("%s failed: %s", self.name, exc, exc_info=True)
            self._emit(self.signals.failed, str(exc))
        except Exception as exc:  # an unexpected error still reaches the user, named
            log.exception("%s failed", self.name)
            self._emit(self.signals.failed, f"{self.name} failed: {type(exc).__name__}: {exc}")
        finally:
            self._finished.set()
            self._emit(self.signals.done)

    @staticmethod
    def _emit(signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:
            pass  # the app is closing and the receiver is gone: nobody is left to tell

    def _drive(self, gen: Generator) -> Any:
        try:
            while True:
                if self._cancel.is_set():
                    gen.close()  # `finally:` in the work runs now, not at garbage collection
                    return None
                self._emit(self.signals.progress, next(gen))
        except StopIteration as stop:
            return stop.value


class TaskRunner(QObject):
    """Starts tasks on their lane and keeps them alive until they are done."""

    error = Signal(str, str)  # task name, message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.storage_lane = QThreadPool(self)
        self.storage_lane.setMaxThreadCount(1)
        self.work_lane = QThreadPool(self)
        self.work_lane.setMaxThreadCount(4)
        self._tasks: set[Task] = set()
        self.closed = False

    def start(
        self,
        name: str,
        work: Callable,
        *,
        storage: bool = False,
        on_progress=None,
        on_finished=None,
        on_failed=None,
        on_cancelled=None,
        on_done=None,
    ) -> Task:
        """Run `work` on its lane. Every hook is connected before the pool gets the task:
        a run that ends at once still reaches them (`on_done` after any of the others)."""
        task = Task(work, name, storage)
        s = task.signals
        if on_progress:
            s.progress.connect(on_progress)
        if on_finished:
            s.finished.connect(on_finished)
        s.failed.connect(on_failed if on_failed else lambda msg, n=name: self.error.emit(n, msg))
        if on_cancelled:
            s.cancelled.connect(on_cancelled)
        s.done.connect(self._on_task_done)
        if on_done:
            s.done.connect(on_done)
        self._tasks.add(task)
        (self.storage_lane if storage else self.work_lane).start(task.run)
        return task

    @Slot()
    def _on_task_done(self) -> None:
        self._tasks.discard(getattr(self.sender(), "parent_task", None))

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Cancel long work and wait for everything (saves included) to finish."""
        self.closed = True
        for task in list(self._tasks):
            if not task.storage:
                task.cancel()
        self.work_lane.waitForDone(timeout_ms)
        self.storage_lane.waitForDone(timeout_ms)
