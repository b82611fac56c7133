"""Preview smoothness and start-up, offscreen, on the 1080x1920 test pattern with a look on.

Measures frames shown per second over 10 s and the GUI event loop's p99 latency (a 5 ms
timer probe), then both again while recording; and start-up (process start to main window
shown) beside a bare PySide6 window in the same run.
Run: python benchmarks/preview.py [--seconds 10] [--look cinema] [--startups 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BARE = textwrap.dedent("""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow
    app = QApplication([])
    w = QMainWindow()
    w.resize(1280, 860)
    w.show()
    QTimer.singleShot(0, lambda: (print("shown", flush=True), app.quit()))
    app.exec()
""")
APP = textwrap.dedent("""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from reeleditor.app import create_main_window
    from reeleditor.ui.theme import apply_theme
    app = QApplication([])
    apply_theme(app)
    window, sentinel = create_main_window()
    window.show()
    def done():
        print("shown", flush=True)
        window.close()
        sentinel.stop()
        app.quit()
    QTimer.singleShot(0, done)
    app.exec()
""")


def startup(code: str, env: dict) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t0
    proc.wait()
    assert line.strip() == "shown", "the window did not show"
    return elapsed


def measure(app, window, seconds: float) -> tuple[float, float]:
    """(frames shown per second, p99 event-loop latency in ms) over `seconds`."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    shown = []
    window.view.frame_shown.connect(lambda: shown.append(time.monotonic()))
    lateness = []
    clock = QElapsedTimer()
    clock.start()
    expected = [clock.elapsed() + 5]

    def probe():
        now = clock.elapsed()
        lateness.append(max(0, now - expected[0]))
        expected[0] = now + 5

    timer = QTimer(interval=5)
    timer.timeout.connect(probe)
    timer.start()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    timer.stop()
    window.view.frame_shown.disconnect()
    fps = (len(shown) - 1) / (shown[-1] - shown[0]) if len(shown) > 1 else 0.0
    return fps, statistics.quantiles(lateness, n=100)[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--look", default="cinema")
    parser.add_argument("--startups", type=int, default=5)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="reeleditor-bench-")
    os.environ["REELEDITOR_HOME"] = home

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from reeleditor.app import create_main_window
    from reeleditor.core import edits
    from reeleditor.core.draft import Look
    from reeleditor.core.settings import Settings
    from reeleditor.storage.paths import AppPaths
    from reeleditor.storage.settings import save_settings

    paths = AppPaths.from_env().ensure()
    save_settings(paths.settings_file, Settings(camera="testpattern"))
    env = {**os.environ}
    bare = [startup(BARE, env) for _ in range(args.startups)]
    ours = [startup(APP, env) for _ in range(args.startups)]

    app = QApplication([])
    window, sentinel = create_main_window()
    window.show()
    ready = QEventLoop()
    window.preview.camera_opened.connect(ready.quit)
    if window.source is None:
        ready.exec()  # the camera opens on a worker thread
    window.session.apply(lambda d, now: edits.set_look(d, Look(args.look), now))
    warm = QEventLoop()
    QTimer.singleShot(1000, warm.quit)
    warm.exec()
    fps, p99 = measure(app, window, args.seconds)
    window.start_recording()
    rec_fps, rec_p99 = measure(app, window, args.seconds)
    window.recorder.stop_and_wait()
    recorded = window.session.draft.duration
    window.close()
    sentinel.stop()

    b, o = statistics.median(bare), statistics.median(ours)
    print(f"preview, 1080x1920 test pattern @ 30 fps, look '{args.look}', {args.seconds:g} s:")
    print(f"  idle:      {fps:5.1f} frames shown/s, event loop p99 latency {p99:5.1f} ms")
    print(
        f"  recording: {rec_fps:5.1f} frames shown/s, event loop p99 latency {rec_p99:5.1f} ms "
        f"(recorded {recorded:.1f} s)"
    )
    print(
        f"start-up to window shown (median of {args.startups}): reeleditor {o:.2f} s, "
        f"bare PySide6 window {b:.2f} s, ratio {o / b:.2f}x"
    )


if __name__ == "__main__":
    main()
