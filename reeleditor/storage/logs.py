"""The crash trail a user can send: a rotating log of every layer and faulthandler's file.

`setup_logging(paths)` is called once by the GUI and once by the CLI. Everything logged
under `reeleditor.*` goes to `<logs>/reeleditor.log` (1 MiB x 5), uncaught exceptions on
any thread are logged with their traceback, and a hard crash (a segfault, a Qt abort)
makes faulthandler write every thread's stack to `<logs>/crash.log`. A filter redacts
tokens and other users' home folders before a line reaches the file.
"""

from __future__ import annotations

import faulthandler
import getpass
import logging
import logging.handlers
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

LOG_FILE = "reeleditor.log"
CRASH_FILE = "crash.log"
MAX_BYTES = 1024 * 1024
BACKUPS = 5
LOGGER = "reeleditor"

log = logging.getLogger(__name__)

# -- redaction ---------------------------------------------------------------------------
REDACTED = "[redacted]"
_SECRET_WORDS = r"[\w-]*(?:token|secret|passw(?:or)?d|api[_-]?key|authorization|cookie)[\w-]*"
_PATTERNS = [
    # token=abc, "token": "abc", 'api_key': 'abc', Authorization: Bearer abc (query
    # strings, JSON, reprs, headers)
    (
        re.compile(
            rf"(?i)(\b{_SECRET_WORDS}[\"']?\s*[=:]\s*[\"']?)"
            r"(?:(?:Bearer|Basic|Token)\s+)?[^\s\"'&,;)}\]]+"
        ),
        r"\1" + REDACTED,
    ),
    # "Bearer abc" anywhere else
    (re.compile(r"\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{4,}"), r"\1\2" + REDACTED),
]


def _home_patterns(user: str) -> list[tuple[re.Pattern, str]]:
    """Other users' home folders become <user>; this user's own stay readable."""
    keep = re.escape(user)
    return [
        # only at the root of a path: /tmp/run/home/drafts is nobody's home folder
        (re.compile(rf"(?<![\w.~/-])(/home/|/Users/)(?!{keep}(?:/|$))[^/\s\"']+"), r"\1<user>"),
        (re.compile(rf"(?i)([A-Z]:\\+Users\\+)(?!{keep}(?:\\|$))[^\\\s\"']+"), r"\1<user>"),
    ]


def _current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment or the password database
        return Path.home().name


def redact(text: str, user: str | None = None) -> str:
    """`text` without tokens, passwords or other users' home folders."""
    for pattern, repl in _PATTERNS + _home_patterns(user or _current_user()):
        text = pattern.sub(repl, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, traceback and stack before any handler formats it."""

    def __init__(self, user: str | None = None) -> None:
        super().__init__()
        self.user = user or _current_user()
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format in a log call: keep the raw text, not lose the line
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = redact(message, self.user), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.user)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.user)
        return True


# -- set-up --------------------------------------------------------------------------------
@dataclass(frozen=True)
class LogFiles:
    """Where this process logs; `problem` says why the file log is off (None when on)."""

    folder: Path
    log: Path
    crash: Path
    problem: str | None = None


def log_files(folder: Path) -> LogFiles:
    folder = Path(folder)
    return LogFiles(folder, folder / LOG_FILE, folder / CRASH_FILE)


_state: dict = {}  # the one handler and crash file of this process
_lock = threading.Lock()


def setup_logging(folder: Path, *, level: int = logging.INFO) -> LogFiles:
    """Log `reeleditor.*` to `folder`, route uncaught exceptions and hard crashes there.

    Idempotent per folder; a second call with another folder moves the trail there (tests
    give each run its own home). Never raises: a folder that cannot be written leaves the
    log off and says so in `LogFiles.problem` (`reeleditor doctor` reports it).
    """
    files = log_files(folder)
    with _lock:
        current = _state.get("files")
        if current is not None and current.folder == files.folder:
            return current
        _teardown_locked()
        logger = logging.getLogger(LOGGER)
        logger.setLevel(level)
        try:
            files.folder.mkdir(parents=True, exist_ok=True)
            _rotate_crash_file(files.crash)
            handler = logging.handlers.RotatingFileHandler(
                files.log, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
            )
            crash = open(files.crash, "a", encoding="utf-8")  # noqa: SIM115 (open for life)
        except OSError as exc:
            # without a file, keep records off the terminal: the CLI prints one line per error
            handler = logging.NullHandler()
            crash = None
            files = LogFiles(files.folder, files.log, files.crash, exc.strerror or str(exc))
        handler.addFilter(RedactingFilter())
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(process)d %(threadName)s %(levelname)s %(name)s: %(message)s"
            )
        )
        logger.addHandler(handler)
        if crash is not None:
            faulthandler.enable(file=crash, all_threads=True)
        _state.update(files=files, handler=handler, crash=crash)
        _install_hooks()
    if files.problem is None:
        log.info(
            "reeleditor %s started: %s (Python %s)",
            _version(),
            " ".join(sys.argv[1:]) or "app",
            sys.version.split()[0],
        )
    return files


def current_files() -> LogFiles | None:
    """The files `setup_logging` set up in this process, if it was called."""
    return _state.get("files")


def shutdown_logging() -> None:
    """Detach the handler and close the crash file (tests; the app keeps both for life)."""
    with _lock:
        _teardown_locked()


def _teardown_locked() -> None:
    handler = _state.pop("handler", None)
    if handler is not None:
        logging.getLogger(LOGGER).removeHandler(handler)
        handler.close()
    crash = _state.pop("crash", None)
    if crash is not None:
        if faulthandler.is_enabled():
            faulthandler.disable()
        crash.close()
    _state.pop("files", None)


def _rotate_crash_file(path: Path) -> None:
    """Keep one older crash file; faulthandler only appends, so bound it at start."""
    try:
        if path.stat().st_size > MAX_BYTES:
            path.replace(path.with_name(path.name + ".1"))
    except FileNotFoundError:
        pass


def _version() -> str:
    from reeleditor import __version__

    return __version__


# -- uncaught exceptions ---------------------------------------------------------------
_previous_hooks: dict = {}


def _excepthook(exc_type, exc, tb) -> None:
    if not issubclass(exc_type, KeyboardInterrupt):
        logging.getLogger(LOGGER).critical("uncaught exception", exc_info=(exc_type, exc, tb))
    _previous_hooks.get("sys", sys.__excepthook__)(exc_type, exc, tb)


def _thread_excepthook(args) -> None:
    if args.exc_type is not SystemExit:
        name = args.thread.name if args.thread is not None else "?"
        logging.getLogger(LOGGER).critical(
            "uncaught exception in thread %s",
            name,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )
    _previous_hooks.get("thread", threading.__excepthook__)(args)


def _install_hooks() -> None:
    """Chain in front of whatever hooks are there (pytest's, Qt's), once per hook."""
    if sys.excepthook is not _excepthook:
        _previous_hooks["sys"] = sys.excepthook
        sys.excepthook = _excepthook
    if threading.excepthook is not _thread_excepthook:
        _previous_hooks["thread"] = threading.excepthook
        threading.excepthook = _thread_excepthook


def describe_file(path: Path) -> str:
    """'PATH (12.3 KiB)', 'PATH (empty)' or 'PATH (not written yet)' for doctor."""
    try:
        size = path.stat().st_size
    except OSError:
        return f"{path} (not written yet)"
    if size == 0:
        return f"{path} (empty)"
    for unit in ("bytes", "KiB", "MiB"):
        if size < 1024 or unit == "MiB":
            shown = f"{size}" if unit == "bytes" else f"{size:.1f}"
            return f"{path} ({shown} {unit})"
        size /= 1024
    return str(path)
