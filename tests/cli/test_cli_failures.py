"""Failures cost nothing: one line on stderr, the traceback in the log, no draft left behind."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import av
import pytest

from reeleditor import cli
from reeleditor.core.draft import Segment
from reeleditor.storage import logs
from reeleditor.storage.drafts import DraftStore
from reeleditor.storage.paths import AppPaths
from tests.conftest import REPO, run_cli

SMALL = ("--width", "180", "--height", "320")


def _store() -> DraftStore:
    return DraftStore(AppPaths.from_env().ensure().drafts)


def _snapshot(store: DraftStore) -> tuple[str, list[str]]:
    """What a user sees (drafts list --json) and every file and folder under drafts/."""
    listed = run_cli("drafts", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    files = sorted(str(p.relative_to(store.root)) for p in store.root.rglob("*"))
    return listed.stdout, files


def _one_error_line(result, words: str) -> None:
    lines = result.stderr.splitlines()
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1 and lines[0].startswith("reeleditor: error: "), result.stderr
    assert words in lines[0], lines[0]
    assert result.stdout == ""


@pytest.mark.skipif(Path("/dev/video0").exists(), reason="this machine has a camera 0")
def test_failed_records_leave_nothing_behind(tmp_path, reel_home):
    store = _store()
    kept = store.create("Keep me")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a video")
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(os.urandom(4096))
    before = _snapshot(store)
    cases = [
        (["--source", "camera:0"], "no camera at index 0"),
        (["--source", "camera:7"], "no camera at index 7"),
        (["--source", f"file:{tmp_path / 'missing.mp4'}"], "missing.mp4 does not exist"),
        (["--source", f"file:{notes}"], "is not a video"),
        (["--source", f"file:{fake}"], "fake.mp4"),
        (["--source", "camera:0", "--draft", kept.id], "no camera at index 0"),
    ]
    for args, words in cases:
        result = run_cli("record", "--seconds", "1", *SMALL, *args)
        _one_error_line(result, words)  # OpenCV's own "[ WARN:0@..]" lines are not there
        assert _snapshot(store) == before, args
    log = (reel_home / "logs" / "reeleditor.log").read_text()
    assert "Traceback (most recent call last)" in log and "SourceError: no camera at index 7" in log
    assert "camera 7 did not open (OpenCV" in log  # what our camera code tried


def test_seconds_past_the_maximum_is_an_error_not_a_cap(reel_home):
    store = _store()
    draft = store.create("Nearly full")
    segments = tuple(Segment(media=f"media/seg-{i}.mp4", duration=40.0) for i in range(2))
    store.save(draft.with_changes(segments=segments))
    before = _snapshot(store)
    result = run_cli("record", "--source", "testpattern", "--seconds", "91", *SMALL)
    _one_error_line(result, "--seconds 91 is past the maximum of 90 s")
    result = run_cli("record", "--source", "testpattern", "--seconds", "10.5", "--draft", draft.id)
    _one_error_line(result, f"--seconds 10.5 is past the maximum: draft {draft.id} has 10.0 s left")
    assert "of its 90 s" in result.stderr
    assert _snapshot(store) == before


@pytest.mark.slow
def test_ctrl_c_keeps_what_was_recorded_and_prints_the_draft(reel_home):
    cmd = [sys.executable, "-m", "reeleditor", "record", "--source", "testpattern"]
    proc = subprocess.Popen(
        [*cmd, "--seconds", "30", "--mic", "none", *SMALL],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    watchdog = threading.Timer(60, proc.kill)  # a hang fails the test instead of stalling it
    watchdog.start()
    try:
        seen = []
        for line in proc.stderr:  # the non-tty progress line, "record  5% (1.5/30 s)": 1 a second
            seen.append(line)
            done = re.search(r"\(([\d.]+)/30 s\)", line)
            if done and float(done.group(1)) >= 1.5:
                break
        else:
            pytest.fail(f"no progress past 1.5 s: {seen}")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        watchdog.cancel()
        watchdog.join()
    assert proc.returncode == 130, err
    draft_id = out.strip()
    message = err.strip().splitlines()[-1]
    assert message.startswith("reeleditor: interrupted: kept ") and f"draft {draft_id}" in message
    kept = float(message.split("kept ")[1].split(" s")[0])
    draft = _store().load(draft_id)
    assert len(draft.segments) == 1 and 1.5 <= kept <= 5.0
    assert abs(draft.duration - kept) < 0.06
    with av.open(str(_store().media_path(draft, draft.segments[0]))) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert abs(frames / 30 - draft.duration) < 0.05
    assert not list(_store().root.glob("*/media/*.recording"))  # nothing left to salvage


def test_ctrl_c_into_an_existing_draft_before_any_frame_keeps_it_unchanged(reel_home, capsys):
    """Interrupted before a frame: a new draft is deleted again, an existing one untouched."""
    from reeleditor.commands import common

    store = _store()
    draft = store.create("Mine")
    real = common.first_interrupt_stops

    def pressed_at_once():
        manager = real()
        event = manager.__enter__()
        event.set()  # as if Ctrl+C came while the source was opening
        return _Entered(manager, event)

    before = _snapshot(store)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("reeleditor.commands.record.first_interrupt_stops", pressed_at_once)
        code = cli.main(["record", "--source", "testpattern", "--seconds", "5", *SMALL])
        assert code == 130
        captured = capsys.readouterr()
        assert captured.out == "" and "interrupted: nothing was recorded" in captured.err
        assert _snapshot(store) == before
        code = cli.main(
            ["record", "--source", "testpattern", "--seconds", "5", "--draft", draft.id]
        )
        captured = capsys.readouterr()
    logs.shutdown_logging()
    assert code == 130 and captured.out.strip() == draft.id
    assert f"interrupted: kept 0.0 s in draft {draft.id}" in captured.err
    assert store.load(draft.id).segments == ()


class _Entered:
    def __init__(self, manager, event):
        self.manager, self.event = manager, event

    def __enter__(self):
        return self.event

    def __exit__(self, *exc):
        return self.manager.__exit__(*exc)


def test_an_unexpected_error_is_one_line_and_its_traceback_is_in_the_log(
    reel_home, capsys, monkeypatch
):
    from reeleditor.commands import filters

    def broken(ctx, args):
        raise TypeError("a bug with token=abc123secret in it")

    monkeypatch.setattr(filters, "cmd_list", broken)
    try:
        assert cli.main(["filters", "list"]) == 1
    finally:
        logs.shutdown_logging()
    err = capsys.readouterr().err
    log_file = reel_home / "logs" / "reeleditor.log"
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("reeleditor: error: unexpected TypeError: ") and str(log_file) in err
    text = log_file.read_text()
    assert "filters crashed" in text and 'in broken\n    raise TypeError("a bug' in text
    assert "abc123secret" not in text


def test_doctor_names_the_log_and_crash_files_with_sizes(reel_home):
    result = run_cli("doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = {line.split(":", 1)[0]: line for line in result.stdout.splitlines() if ":" in line}
    log_file = reel_home / "logs" / "reeleditor.log"
    assert (
        lines["log file"].startswith(f"log file:    {log_file} (") and "bytes)" in lines["log file"]
    )
    assert lines["crash file"] == f"crash file:  {reel_home / 'logs' / 'crash.log'} (empty)"
    assert "problems:    none" in result.stdout
    report = json.loads(run_cli("doctor", "--json").stdout)
    assert report["log_file"]["path"] == str(log_file) and report["log_file"]["bytes"] > 0
    assert report["crash_file"]["bytes"] == 0 and report["problems"] == []


def _run_on_read_only_home(home: Path, *args: str):
    """Run the CLI with `home` truly read-only: chmod for a normal user; as root (whom chmod
    does not stop), a read-only bind mount in a private mount namespace of the child."""
    env = {**os.environ, "REELEDITOR_HOME": str(home)}
    command = [sys.executable, "-m", "reeleditor", *args]
    if os.geteuid() != 0:
        for folder in [home, *home.rglob("*")]:
            if folder.is_dir():
                folder.chmod(0o555)
        try:
            return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        finally:
            for folder in [home, *home.rglob("*")]:
                if folder.is_dir():
                    folder.chmod(0o755)
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("running as root without unshare: no honest way to make a folder read-only")
    probe = subprocess.run(
        [
            unshare,
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            f'mount --bind -o ro "{home}" "{home}" && touch "{home}/probe"',
        ],
        capture_output=True,
        text=True,
    )
    if "Read-only" not in probe.stderr:
        pytest.skip(f"cannot make a read-only mount here: {probe.stderr.strip()}")
    script = f'mount --bind -o ro "{home}" "{home}" && exec "$@"'
    return subprocess.run(
        [unshare, "--mount", "--propagation", "private", "sh", "-c", script, "sh", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_doctor_reports_a_read_only_home_and_still_reports_the_rest(reel_home):
    AppPaths.from_env().ensure()
    before = sorted(str(p) for p in reel_home.rglob("*"))
    result = _run_on_read_only_home(reel_home, "doctor")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == ""
    out = result.stdout
    for part in ("encoders:", "video with:", "log file:", "crash file:", "free disk:", "endpoint:"):
        assert part in out, part
    problems = out.split("problems:", 1)[1].splitlines()
    assert problems[0].strip() == "1"
    assert (
        problems[1].startswith(f"  - cannot write to {reel_home}: ") and "read-only" in problems[1]
    )
    as_json = _run_on_read_only_home(reel_home, "doctor", "--json")
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["encoders"]["libx264"] and "read-only" in report["problems"][0]
    # the other commands still refuse, with one line
    listed = _run_on_read_only_home(reel_home, "drafts", "list")
    _one_error_line(listed, f"cannot write to {reel_home / 'drafts'}")
    assert sorted(str(p) for p in reel_home.rglob("*")) == before
