"""Takes the README's screenshots of the real app window under Xvfb (the xcb platform).

Run: xvfb-run -a -s "-screen 0 1600x1000x24" python scripts/screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "docs"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    os.environ["REELEDITOR_HOME"] = tempfile.mkdtemp(prefix="reeleditor-shots-")

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from reeleditor.app import create_main_window
    from reeleditor.core.draft import Look, MusicCue
    from reeleditor.core.settings import Settings
    from reeleditor.media.sources.testpattern import TestPatternSource
    from reeleditor.media.take import record_take
    from reeleditor.storage.drafts import DraftStore
    from reeleditor.storage.paths import AppPaths
    from reeleditor.storage.settings import save_settings
    from reeleditor.ui.theme import apply_theme

    paths = AppPaths.from_env().ensure()
    save_settings(paths.settings_file, Settings(camera="testpattern", show_fps=True))
    store = DraftStore(paths.drafts)
    source = TestPatternSource(1080, 1920, 30).open()
    try:  # a few drafts so the gallery has something to show
        for title, look, seconds in (
            ("Beach day", "golden", (1.5, 1.0)),
            ("Morning run", "vivid", (1.2,)),
            ("Night walk", "noir", (1.0, 0.8, 0.6)),
        ):
            draft = store.create(title)
            for s in seconds:
                for _ in record_take(store, draft.id, source, source.audio, s):
                    pass
            with store.locked(draft.id):
                draft = store.load(draft.id).with_changes(
                    look=Look(look, 100.0), music=MusicCue("library:sunny-day", start=6.0)
                )
                store.save(draft)
            from reeleditor.media.thumbnails import refresh_thumbnail

            refresh_thumbnail(store, draft)
    finally:
        source.close()
    store.close()

    app = QApplication(sys.argv)
    apply_theme(app)
    window, sentinel = create_main_window()
    window.resize(1440, 900)
    window.show()
    steps = []

    def shoot(name, widget=None):
        def run():
            target = widget() if callable(widget) else window
            target.grab().save(str(out / f"{name}.png"))
            print(out / f"{name}.png")

        return run

    def choose_look():
        window.tabs.setCurrentWidget(window.looks_panel)
        window.looks_panel.look_buttons["cinema"].click()

    def open_music():
        window.tabs.setCurrentWidget(window.music_panel)

    steps = [
        (1500, choose_look),
        (2500, shoot("main-window")),
        (0, shoot("looks-strip", lambda: window.looks_panel)),
        (0, open_music),
        (1500, shoot("music-panel", lambda: window.music_panel)),
        (0, shoot("drafts-gallery", lambda: window.drafts_panel)),
        (0, lambda: (window.close(), sentinel.stop(), app.quit())),
    ]
    delay = 0
    for wait, step in steps:
        delay += wait
        QTimer.singleShot(delay, step)
    app.exec()


if __name__ == "__main__":
    main()
