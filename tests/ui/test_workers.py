"""The task runner: results on the GUI thread, cancel at a yield, nothing kept after done."""

from __future__ import annotations

import gc
import threading
import weakref

from reeleditor.core.progress import Progress
from reeleditor.ui.workers import Task, TaskSignals


class Payload:
    """Stands for what a task's closure holds (a frame, a draft)."""


def test_finished_tasks_and_what_they_held_are_freed(qtbot, runner):
    held, started = [], []
    for _ in range(50):
        payload = Payload()
        held.append(weakref.ref(payload))
        task = runner.start("work", lambda p=payload: p, on_finished=lambda _r: None)
        started += [weakref.ref(task), weakref.ref(task.signals)]
        del payload, task
    qtbot.waitUntil(lambda: not runner.busy, timeout=10_000)
    qtbot.wait(10)  # the last `done` slots run
    gc.collect()
    alive = sum(1 for ref in held if ref() is not None)
    # this runner's own tasks: a window an earlier test closed may still hold one of its own
    tasks = sum(1 for ref in started if ref() is not None)
    assert all(type(ref()) in (Task, TaskSignals, type(None)) for ref in started)
    assert alive == 0 and tasks == 0, f"{alive} payloads and {tasks} tasks outlived their run"


def test_results_arrive_on_the_gui_thread(qtbot, runner):
    seen = []

    def work():
        yield Progress("step", 1, 2, "half")
        return threading.current_thread().name

    task = runner.start(
        "work",
        work,
        on_progress=lambda p: seen.append(("progress", threading.current_thread())),
        on_finished=lambda name: seen.append(("finished", threading.current_thread(), name)),
    )
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5_000)
    assert all(entry[1] is threading.main_thread() for entry in seen)
    assert seen[1][2] != threading.main_thread().name  # the work itself ran on the pool
    assert task.wait(1) and task.result == seen[1][2]


def test_cancel_closes_the_generator_at_a_yield(qtbot, runner):
    closed = threading.Event()
    started = threading.Event()

    def work():
        try:
            while True:
                started.set()
                yield Progress("loop", 0, 0, "")
        finally:
            closed.set()

    cancelled = []
    task = runner.start("loop", work, on_cancelled=lambda: cancelled.append(True))
    assert started.wait(5)
    task.cancel()
    qtbot.waitUntil(lambda: cancelled == [True], timeout=5_000)
    assert closed.is_set()


def test_on_done_is_called_for_a_task_that_ended_before_start_returned(qtbot, runner):
    class InlineLane:  # the pool ran the task before `start` returned
        def start(self, fn) -> None:
            thread = threading.Thread(target=fn)
            thread.start()
            thread.join()

        def waitForDone(self, _ms: int = 0) -> bool:  # QThreadPool's name
            return True

    runner.work_lane = InlineLane()
    done = []
    task = runner.start("quick", lambda: 1, on_done=lambda: done.append(True))
    assert task.wait(0)
    qtbot.waitUntil(lambda: done == [True], timeout=5_000)
