"""`reeleditor --self-test` (the installer's check) and `--startup-probe`, unfrozen."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import run_cli


@pytest.mark.slow
def test_the_self_test_runs_every_step_and_says_so_on_stdout():
    result = run_cli("--self-test", timeout=180)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["ok"] is True
    assert summary["frozen"] is False
    steps = [s["step"] for s in summary["steps"]]
    assert steps == ["record", "export", "sound", "speech", "publish", "poster", "window"]
    assert all(s["ok"] for s in summary["steps"]), summary
    assert "all steps passed" in result.stderr


def test_a_failed_step_is_named_and_the_exit_code_is_1(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the home folder should be")
    result = run_cli("--self-test", "--home", str(blocked), timeout=120)
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["ok"] is False
    assert [(s["step"], s["ok"]) for s in summary["steps"]] == [("record", False)]
    assert "failed at step 'record'" in result.stderr


def test_the_startup_probe_prints_the_first_paint_on_the_system_clock():
    before = time.monotonic()
    result = run_cli("--startup-probe", timeout=120)
    assert result.returncode == 0, result.stderr
    line = [x for x in result.stdout.splitlines() if x.startswith("main window shown ")]
    assert line, result.stdout
    shown = float(line[0].rsplit(" ", 1)[1])
    assert before < shown < time.monotonic()


def test_the_app_exits_cleanly_while_qt_still_logs_during_teardown(tmp_path):
    """Qt's plugin debugging talks while Python finalises; the app's Python message handler
    was still installed then and the exit crashed (SIGSEGV) every time."""
    result = run_cli(
        "--home",
        str(tmp_path),
        "--startup-probe",
        env={"QT_DEBUG_PLUGINS": "1"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "unloaded library" in result.stderr  # Qt's teardown messages, on its own handler
