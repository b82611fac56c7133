"""The long GUI soak: the real window clicked through for N minutes, RSS tracked.

Run: QT_QPA_PLATFORM=offscreen python benchmarks/soak.py [--minutes 30] [--out FILE]

The same random walk as the CI soak (tests/soak/gui_driver.py), for much longer. Its
baseline is the bare-window RSS measured in the same run: the figure to read is how far the
app grows past what it needed after warm-up, per thousand actions. Writes a JSON summary
(and prints a table) so benchmarks/README.md can quote it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=30)
    parser.add_argument("--sample-every", type=int, default=250, help="actions per RSS sample")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON summary here")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="reel-soak-"))
    os.environ["REELEDITOR_HOME"] = str(home)

    from importlib.metadata import version

    from PySide6.QtWidgets import QApplication, QWidget

    from reeleditor.app import create_main_window
    from reeleditor.core.settings import Settings
    from reeleditor.storage.paths import AppPaths
    from reeleditor.storage.settings import save_settings
    from reeleditor.ui.theme import apply_theme
    from tests.soak.gui_driver import SoakDriver, rss_mib, wait_until

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)
    bare = QWidget()
    bare.show()
    app.processEvents()
    bare_rss = rss_mib()
    bare.close()

    paths = AppPaths.from_env().ensure()
    save_settings(paths.settings_file, Settings(camera="testpattern", width=360, height=640))
    window, sentinel = create_main_window()
    window.show()
    wait_until(lambda: window.source is not None)
    driver = SoakDriver(window, seed=args.seed)
    samples: list[tuple[int, float, float]] = []
    start = time.monotonic()

    def on_step(done: int) -> None:
        if done % args.sample_every == 0:
            samples.append((done, round(time.monotonic() - start, 1), round(rss_mib(), 1)))
            print(
                f"{done:7d} actions  {samples[-1][1]:7.0f} s  RSS {samples[-1][2]:7.1f} MiB",
                file=sys.stderr,
                flush=True,
            )

    actions = driver.run(seconds=args.minutes * 60, on_step=on_step)
    driver.settle()
    end_rss = rss_mib()
    window.close()
    sentinel.stop()

    warm = [s for s in samples if s[0] >= 1000] or samples
    first, last = warm[0], warm[-1]
    per_k = (last[2] - first[2]) / max(1, (last[0] - first[0]) / 1000)
    summary = {
        "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "pyside6": version("PySide6-Essentials"),
        "minutes": round((time.monotonic() - start) / 60, 1),
        "actions": actions,
        "counts": dict(driver.counts),
        "errors": driver.errors,
        "bare_window_rss_mib": round(bare_rss, 1),
        "rss_after_1000_mib": first[2],
        "rss_end_mib": round(end_rss, 1),
        "growth_per_1000_actions_after_warmup_mib": round(per_k, 2),
        "samples": samples,
    }
    text = json.dumps(summary, indent=1)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0 if not driver.errors else 1


if __name__ == "__main__":
    sys.exit(main())
