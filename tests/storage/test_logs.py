"""The crash trail: every layer's log in one rotating file, redacted; hard crashes on file."""

import logging
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from reeleditor.storage import logs
from reeleditor.storage.logs import RedactingFilter, redact, setup_logging


@pytest.fixture
def trail(tmp_path):
    files = setup_logging(tmp_path / "logs")
    yield files
    logs.shutdown_logging()


def _flush():
    for handler in logging.getLogger("reeleditor").handlers:
        handler.flush()


@pytest.mark.parametrize(
    "text, secret",
    [
        ("Authorization: Bearer abc.DEF-123_xyz", "abc.DEF-123_xyz"),
        ("headers {'Authorization': 'Bearer sk_live_42abc', 'Tus-Resumable': '1.0.0'}", "sk_live"),
        ("GET http://h/files/?token=s3cr3t-v4lue&x=1", "s3cr3t"),
        ('{"token": "abcd1234", "name": "a"}', "abcd1234"),
        ("upload_token=qwerty99; then", "qwerty99"),
        ("password=hunter2 and more", "hunter2"),
        ("api_key: ZYX987", "ZYX987"),
        ("sent Bearer opaque0123 upstream", "opaque0123"),
    ],
)
def test_tokens_never_survive_redaction(text, secret):
    cleaned = redact(text, user="me")
    assert secret not in cleaned and "[redacted]" in cleaned, cleaned


def test_other_users_homes_are_hidden_and_ours_is_kept():
    text = (
        "opened /home/alice/Videos/a.mp4, /home/me/b.mp4, /Users/carol/c.mov, "
        r"C:\Users\bob\Videos\d.mp4 and 'C:\\Users\\dave\\e.mp4' and /home/me"
    )
    cleaned = redact(text, user="me")
    for other in ("alice", "carol", "bob", "dave"):
        assert other not in cleaned
    assert "/home/<user>/Videos/a.mp4" in cleaned and r"C:\Users\<user>\Videos" in cleaned
    assert "/home/me/b.mp4" in cleaned and cleaned.endswith("/home/me")


def test_a_folder_named_home_inside_a_path_is_not_a_home_folder():
    line = "could not write /tmp/run/home/drafts/1a/thumb.jpg"
    assert redact(line, user="me") == line


def test_words_that_are_not_secrets_stay():
    text = "took 3 tokens, exported reel.mp4 at 1080x1920 (token bucket full)"
    assert redact(text, user="me") == text


def test_every_layer_logs_to_one_file_with_tracebacks_and_redacted(trail):
    assert trail.problem is None
    logging.getLogger("reeleditor.media.recorder").info("media says hi")
    logging.getLogger("reeleditor.upload.tus").warning(
        "PATCH with %s failed", {"Authorization": "Bearer tok_SECRET_1"}
    )
    try:
        raise OSError("cannot open /home/alice/private/file.mp4?token=tok_SECRET_2")
    except OSError:
        logging.getLogger("reeleditor.storage.drafts").exception("a handled fault")
    logging.getLogger("someone.else").warning("not ours")
    _flush()
    text = trail.log.read_text()
    assert "media says hi" in text and "reeleditor.media.recorder" in text
    assert "PATCH with" in text and "a handled fault" in text
    assert "Traceback (most recent call last)" in text and "OSError: cannot open" in text
    assert "tok_SECRET" not in text and "alice" not in text
    assert "not ours" not in text


def test_redaction_applies_to_exception_text_rendered_by_a_formatter():
    record = logging.LogRecord(
        "reeleditor.x", logging.ERROR, __file__, 1, "failed", (), _exc_info("token=abc12345")
    )
    assert RedactingFilter(user="me").filter(record)
    rendered = logging.Formatter().format(record)
    assert "abc12345" not in rendered and "token=[redacted]" in rendered


def _exc_info(message):
    try:
        raise RuntimeError(message)
    except RuntimeError:
        return sys.exc_info()


def test_uncaught_exception_in_a_thread_reaches_the_log(trail, monkeypatch):
    quiet = []
    monkeypatch.setattr(logs, "_previous_hooks", {"thread": quiet.append})
    logs._install_hooks()

    def boom():
        raise ValueError("thread went wrong")

    worker = threading.Thread(target=boom, name="probe-thread")
    worker.start()
    worker.join()
    _flush()
    text = trail.log.read_text()
    assert "uncaught exception in thread probe-thread" in text
    assert "ValueError: thread went wrong" in text
    assert len(quiet) == 1  # the previous hook still ran


def test_the_log_rotates_at_one_mebibyte_keeping_five(trail):
    handler = next(
        h
        for h in logging.getLogger("reeleditor").handlers
        if isinstance(h, logging.handlers.RotatingFileHandler)
    )
    assert (handler.maxBytes, handler.backupCount) == (1024 * 1024, 5)
    line = "x" * 1000
    for _ in range(1200):  # about 1.2 MB
        logging.getLogger("reeleditor.test").info(line)
    _flush()
    assert trail.log.with_name(trail.log.name + ".1").is_file()
    assert trail.log.stat().st_size < 1024 * 1024


def test_an_unwritable_folder_leaves_the_log_off_and_says_why(tmp_path, capfd):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    files = setup_logging(blocker / "logs")  # a folder under a file can never be made
    try:
        assert files.problem is not None
        logging.getLogger("reeleditor.test").error("must not reach the terminal")
        assert "must not reach the terminal" not in capfd.readouterr().err
    finally:
        logs.shutdown_logging()


def test_uncaught_exception_and_a_hard_crash_are_on_file(tmp_path):
    folder = tmp_path / "logs"
    script = textwrap.dedent(f"""
        import faulthandler, sys
        from reeleditor.storage.logs import setup_logging
        setup_logging({str(folder)!r})
        if sys.argv[1] == "raise":
            raise KeyError("uncaught at top level")
        faulthandler._sigsegv()
    """)
    raised = subprocess.run(
        [sys.executable, "-c", script, "raise"], capture_output=True, text=True, timeout=60
    )
    assert raised.returncode == 1 and "KeyError" in raised.stderr  # Python's own hook still runs
    text = (folder / "reeleditor.log").read_text()
    assert "CRITICAL" in text and "KeyError: 'uncaught at top level'" in text

    crashed = subprocess.run(
        [sys.executable, "-c", script, "segv"], capture_output=True, text=True, timeout=60
    )
    assert crashed.returncode != 0
    crash = (folder / "crash.log").read_text()
    assert "Fatal Python error: Segmentation fault" in crash and "File " in crash


def test_describe_file_names_size_or_absence(tmp_path):
    path = tmp_path / "x.log"
    assert logs.describe_file(path) == f"{path} (not written yet)"
    path.write_text("")
    assert logs.describe_file(path) == f"{path} (empty)"
    path.write_bytes(b"a" * 300)
    assert logs.describe_file(path) == f"{path} (300 bytes)"
    path.write_bytes(b"a" * 3 * 1024)
    assert logs.describe_file(path) == f"{path} (3.0 KiB)"
    assert Path(logs.log_files(tmp_path).crash).name == "crash.log"


def test_qt_warnings_go_to_the_log(caplog):
    qtcore = pytest.importorskip("PySide6.QtCore")
    from reeleditor.app import _log_qt_message

    previous = qtcore.qInstallMessageHandler(_log_qt_message)
    try:
        with caplog.at_level("INFO", logger="reeleditor"):
            qtcore.qWarning("QWidget::repaint: Recursive repaint detected")
    finally:
        qtcore.qInstallMessageHandler(previous)
    record = next(r for r in caplog.records if r.name == "reeleditor.qt")
    assert record.levelname == "WARNING" and "Recursive repaint" in record.getMessage()
