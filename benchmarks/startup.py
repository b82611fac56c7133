"""Start-up of the frozen app to its main window, against a bare frozen PySide6 window.

Both are PyInstaller one-folder builds: dist/reeleditor/ (packaging/build.sh) and the bare
window (packaging/bare_window.py), frozen by this script in the same run with the same
PyInstaller. Each run is exec to the first paint (`--startup-probe` prints it on the
system-wide monotonic clock), offscreen, 5 alternating runs each, medians; the unfrozen
pair is measured beside them for reference.
Run: python benchmarks/startup.py [--runs 5] [--app dist/reeleditor/reeleditor]
Writes benchmarks/results/startup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BARE_SOURCE = REPO / "packaging" / "bare_window.py"
BARE_BUILD = REPO / "build" / "bare"
RESULTS = REPO / "benchmarks" / "results" / "startup.json"


def freeze_bare() -> Path:
    """The bare window, frozen now (a stale copy from another PyInstaller would mislead)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            str(BARE_SOURCE),
            "--onedir",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--name",
            "bare_window",
            "--distpath",
            str(BARE_BUILD / "dist"),
            "--workpath",
            str(BARE_BUILD / "work"),
            "--specpath",
            str(BARE_BUILD),
        ],
        check=True,
    )
    return BARE_BUILD / "dist" / "bare_window" / "bare_window"


def first_paint(cmd: list[str], env: dict) -> float:
    """Seconds from exec to the first paint the child reports."""
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("main window shown ")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"{cmd[0]} did not show its window: {proc.stderr[-2000:]}")
    return float(lines[0].rsplit(" ", 1)[1]) - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--app", default=str(REPO / "dist" / "reeleditor" / "reeleditor"))
    args = parser.parse_args()
    if not Path(args.app).is_file():
        raise SystemExit(f"{args.app} is missing: run packaging/build.sh first")
    bare = freeze_bare()

    home = tempfile.mkdtemp(prefix="reeleditor-startup-")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "REELEDITOR_HOME": home}
    from reeleditor.core.settings import Settings
    from reeleditor.storage.paths import AppPaths
    from reeleditor.storage.settings import save_settings

    # no camera probing: the test pattern, as on a machine without a camera
    save_settings(AppPaths.from_env(home).ensure().settings_file, Settings(camera="testpattern"))
    commands = {
        "frozen_app": [args.app, "--startup-probe"],
        "frozen_bare": [str(bare)],
        "source_app": [sys.executable, "-m", "reeleditor", "--startup-probe"],
        "source_bare": [sys.executable, str(BARE_SOURCE)],
    }
    for cmd in commands.values():  # once each, untimed: the page cache holds both builds
        first_paint(cmd, env)
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):  # alternating, so a busy moment hits both alike
        for name, cmd in commands.items():
            runs[name].append(round(first_paint(cmd, env), 3))
    medians = {name: round(statistics.median(v), 3) for name, v in runs.items()}
    result = {
        "what": "exec to the main window's first paint, offscreen, median of alternating runs",
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "runs": runs,
        "median_s": medians,
        "frozen_ratio": round(medians["frozen_app"] / medians["frozen_bare"], 2),
        "target_s": 2.0,
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for name, value in medians.items():
        print(f"{name:12} {value:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in runs[name])})")
    print(f"frozen app / frozen bare window: {result['frozen_ratio']}x; target <= 2 s")


if __name__ == "__main__":
    main()
