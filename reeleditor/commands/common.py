"""Shared command-line plumbing: the app context, JSON output, the progress line."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
import time
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TextIO

from reeleditor.core.progress import Progress
from reeleditor.storage.drafts import DraftStore
from reeleditor.storage.paths import AppPaths
from reeleditor.storage.settings import load_settings


@dataclass
class Context:
    """What every command needs, made on first use so `--help` stays fast."""

    home: str | None = None
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)

    @cached_property
    def paths(self) -> AppPaths:
        return AppPaths.from_env(self.home).ensure()

    @cached_property
    def store(self) -> DraftStore:
        return DraftStore(self.paths.drafts)

    @cached_property
    def settings(self):
        settings, warning = load_settings(self.paths.settings_file)
        if warning:
            self.warn(warning)
        return settings

    def out(self, text: str = "") -> None:
        print(text, file=self.stdout)

    def warn(self, text: str) -> None:
        print(f"reeleditor: {text}", file=self.stderr)

    def json(self, value: Any) -> None:
        json.dump(value, self.stdout, indent=2, ensure_ascii=False, default=str)
        self.stdout.write("\n")


class ProgressLine:
    """Redraws one progress line on stderr, at most a few times a second."""

    def __init__(self, stream: TextIO, min_interval: float = 0.2) -> None:
        self.stream = stream
        # a log file gets a line a second, a terminal a redraw five times a second
        self.min_interval = min_interval if getattr(stream, "isatty", lambda: False)() else 1.0
        self._last = 0.0
        self._width = 0
        self._tty = getattr(stream, "isatty", lambda: False)()

    def show(self, progress: Progress, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.min_interval:
            return
        self._last = now
        text = progress.describe()
        if self._tty:
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self._tty and self._width:
            self.stream.write("\n")
            self.stream.flush()


@contextlib.contextmanager
def first_interrupt_stops() -> Iterator[threading.Event]:
    """Ctrl+C once sets the event (the work ends at its next step, keeping what it did);
    a second Ctrl+C interrupts as usual. Only the main thread can take SIGINT."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def on_sigint(signum, frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def drive(
    work: Generator[Progress, None, Any] | Iterable[Progress],
    stderr: TextIO,
    stop: threading.Event | None = None,
) -> Any:
    """Run a Progress generator to its end, drawing the line; returns its return value.

    When `stop` is set (see `first_interrupt_stops`) the generator is closed at its next
    yield, so its `finally:` keeps what it did, and KeyboardInterrupt is raised.
    """
    line = ProgressLine(stderr)
    it = iter(work)
    try:
        while True:
            line.show(next(it))
            if stop is not None and stop.is_set():
                raise KeyboardInterrupt
    except StopIteration as stop_iteration:
        return stop_iteration.value
    except KeyboardInterrupt:
        close = getattr(it, "close", None)
        if close:
            close()  # run the generator's cleanup now, not at garbage collection
        raise
    finally:
        line.done()
