"""The GUI's composition root: paths, settings, crash recovery, QApplication, main window."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from reeleditor.core.errors import ReelEditorError

if TYPE_CHECKING:
    from reeleditor.storage.recovery import RecoveryReport

log = logging.getLogger(__name__)


def recover_after_crash(paths, store, sentinel) -> RecoveryReport:
    """Salvage killed takes and notice a run that ended badly: what the recovery prompt says.

    The prompt speaks of titles and lengths; the ids, file names and process ids go to
    the log, for whoever reads a crash report.
    """
    from reeleditor.media.take import TakeOutcome, recover_takes
    from reeleditor.storage.recovery import RecoveredDraft, RecoveryReport, RunSentinel

    stale = sentinel.start()
    takes: dict[str, float] = {}  # draft id -> seconds salvaged into it
    lost: list[str] = []
    pending: list[str] = []
    for result in recover_takes(store):
        log.warning("recovery: %s", result.message)
        if result.outcome is TakeOutcome.RECOVERED:
            takes[result.draft_id] = takes.get(result.draft_id, 0.0) + result.segment.duration
        elif result.outcome is TakeOutcome.RETRY:
            pending.append(_title(store, result.draft_id))
        elif result.outcome is TakeOutcome.DAMAGED:
            lost.append(_title(store, result.draft_id))
        # EMPTY: the take had recorded nothing, so nothing was lost and nothing is said
    edited = []
    for run in stale:
        log.warning("recovery: %s", run.describe())
        if run.draft_id and run.draft_id not in takes and run.draft_id not in edited:
            edited.append(run.draft_id)
        RunSentinel.dismiss(run)
    drafts = []
    for draft_id in [*takes, *edited]:
        try:
            draft = store.load(draft_id)
        except ReelEditorError:
            log.warning("recovery: draft %s does not load", draft_id, exc_info=True)
            continue
        drafts.append(RecoveredDraft(draft.title, draft.duration, takes.get(draft_id)))
    return RecoveryReport(bool(stale), tuple(drafts), tuple(lost), tuple(pending), paths.logs)


def _title(store, draft_id: str) -> str:
    try:
        return store.load(draft_id).title
    except ReelEditorError:
        log.warning("recovery: draft %s does not load", draft_id, exc_info=True)
        return "a draft"


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


def _on_first_paint(window, then) -> None:
    """Call `then()` once, after the window's first paint has reached the screen."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint and not self.property("seen"):
                self.setProperty("seen", True)
                # queued: the paint this event starts must finish before we look
                QTimer.singleShot(0, then)
            return False

    window._first_paint = FirstPaint(window)  # lives as long as the window
    window.installEventFilter(window._first_paint)


def open_main_window_once(home: str | None = None) -> float:
    """The self-test's window step: the main window shown, painted and closed again.

    Returns the seconds from here to the first paint. Raises when the window cannot be
    made or never paints within 30 s (the frozen app's missing Qt plugin, say).
    """
    import time

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from reeleditor.ui.theme import apply_theme

    started = time.monotonic()
    app = QApplication.instance() or QApplication(["reeleditor"])
    apply_theme(app)
    window, sentinel = create_main_window(home)
    painted: list[float] = []
    try:
        _on_first_paint(window, lambda: (painted.append(time.monotonic()), app.quit()))
        QTimer.singleShot(30_000, app.quit)
        window.show()
        app.exec()
        window.close()
    finally:
        sentinel.stop()
    window.deleteLater()
    if not painted:
        raise ReelEditorError("the main window was not painted within 30 s")
    return painted[0] - started


def run_app(
    home: str | None = None, argv: list[str] | None = None, startup_probe: bool = False
) -> int:
    """The GUI. With `startup_probe`, quit after the first paint and print its
    time.monotonic() on stdout (benchmarks/startup.py: the clock is system-wide)."""
    import time

    started = time.monotonic()
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication, QMessageBox

    from reeleditor.storage.logs import setup_logging
    from reeleditor.storage.paths import AppPaths
    from reeleditor.ui.theme import apply_theme

    setup_logging(AppPaths.from_env(home).logs)
    qInstallMessageHandler(_log_qt_message)
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("reeleditor")
    app.setOrganizationName("reeleditor")
    apply_theme(app)
    try:
        window, sentinel = create_main_window(home)
    except ReelEditorError as exc:
        log.warning("the app cannot start: %s", exc, exc_info=True)
        print(f"reeleditor: error: {exc}", file=sys.stderr)
        QMessageBox.critical(None, "reeleditor cannot start", str(exc))
        return 1

    def shown() -> None:
        # the log line is what the .deb's start-up check (packaging/deb-smoke.sh) waits for
        log.info("main window shown, %.2f s after the app started", time.monotonic() - started)
        if startup_probe:
            print(f"main window shown {time.monotonic():.6f}", flush=True)
            window.close()
            app.quit()

    _on_first_paint(window, shown)
    window.show()
    try:
        return app.exec()
    finally:
        sentinel.stop()
        # Qt still talks while Python finalises (the QApplication's destructor unloads the
        # plugins and warns about what is left): a Python handler called then crashes the
        # exit (QT_DEBUG_PLUGINS=1 made it every time), so Qt's own handler takes over here
        qInstallMessageHandler(None)


def _log_qt_message(mode, context, message: str) -> None:
    """Qt's own warnings go to the log with ours (they name the Qt class that complained)."""
    from PySide6.QtCore import QtMsgType

    level = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
    }.get(mode, logging.ERROR)
    logging.getLogger("reeleditor.qt").log(level, "%s", message)
