"""The GUI's composition root: paths, crash sentinel, store, QApplication, main window."""

from __future__ import annotations

import sys

from reeleditor.core.errors import ReelEditorError


def run_app(home: str | None = None, argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from reeleditor.storage.drafts import DraftStore
    from reeleditor.storage.paths import AppPaths
    from reeleditor.storage.recovery import RunSentinel
    from reeleditor.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("reeleditor")
    try:
        paths = AppPaths.from_env(home).ensure()
    except ReelEditorError as exc:
        print(f"reeleditor: error: {exc}", file=sys.stderr)
        QMessageBox.critical(None, "reeleditor cannot start", str(exc))
        return 1
    sentinel = RunSentinel(paths.runs)
    stale = sentinel.start()
    store = DraftStore(paths.drafts)
    window = MainWindow(store)
    window.show()
    for run in stale:
        window.statusBar().showMessage(run.describe())
        RunSentinel.dismiss(run)
    try:
        return app.exec()
    finally:
        store.close()
        sentinel.stop()
