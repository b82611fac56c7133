"""The GUI's composition root: paths, settings, crash recovery, QApplication, main window."""

from __future__ import annotations

import sys

from reeleditor.core.errors import ReelEditorError


def recover_after_crash(paths, store, sentinel) -> list[str]:
    """Salvage killed takes and report runs that ended badly: lines for the recovery prompt."""
    from reeleditor.media.take import recover_takes
    from reeleditor.storage.recovery import RunSentinel

    lines = []
    stale = sentinel.start()
    for result in recover_takes(store):
        title = ""
        if result.segment is not None:
            try:
                title = f" “{store.load(result.draft_id).title}”"
            except ReelEditorError:
                pass
        lines.append(
            result.message.replace(f"draft {result.draft_id}", f"draft{title} ({result.draft_id})")
        )
    for run in stale:
        if not lines:
            lines.append(run.describe() + "; your drafts were saved as you went")
        RunSentinel.dismiss(run)
    return lines


def create_main_window(home: str | None = None):
    """Everything the app needs, wired; returns (window, sentinel). QApplication must exist."""
    from reeleditor.storage.drafts import DraftStore
    from reeleditor.storage.paths import AppPaths
    from reeleditor.storage.recovery import RunSentinel
    from reeleditor.storage.settings import load_settings
    from reeleditor.ui.main_window import MainWindow

    paths = AppPaths.from_env(home).ensure()
    settings, warning = load_settings(paths.settings_file)
    store = DraftStore(paths.drafts)
    sentinel = RunSentinel(paths.runs)
    recovery = recover_after_crash(paths, store, sentinel)
    window = MainWindow(store, paths, settings, sentinel, recovery)
    if warning:
        window.statusBar().showMessage(warning, 15000)
    return window, sentinel


def run_app(home: str | None = None, argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from reeleditor.ui.theme import apply_theme

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("reeleditor")
    app.setOrganizationName("reeleditor")
    apply_theme(app)
    try:
        window, sentinel = create_main_window(home)
    except ReelEditorError as exc:
        print(f"reeleditor: error: {exc}", file=sys.stderr)
        QMessageBox.critical(None, "reeleditor cannot start", str(exc))
        return 1
    window.show()
    try:
        return app.exec()
    finally:
        sentinel.stop()
