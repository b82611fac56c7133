"""The crash sentinel: a clean exit leaves nothing; a killed run is reported next start."""

import signal
import subprocess
import sys
import textwrap

from reeleditor.storage.paths import AppPaths
from reeleditor.storage.recovery import RunSentinel


def test_clean_exit_leaves_no_sentinel(reel_home):
    runs = AppPaths.from_env().ensure().runs
    first = RunSentinel(runs)
    assert first.start() == []
    first.update(draft_id="abc")
    first.stop()
    assert list(runs.iterdir()) == []
    second = RunSentinel(runs)
    assert second.start() == []
    second.stop()


def test_running_instance_is_not_stale(reel_home):
    runs = AppPaths.from_env().ensure().runs
    first = RunSentinel(runs)
    first.start()
    second = RunSentinel(runs)
    second.name = "other"  # same pid in tests: give it its own files
    second.path = runs / "other.json"
    second._lock.path = runs / "other.lock"
    try:
        assert second.start() == []
    finally:
        second.stop()
        first.stop()


def test_killed_run_is_reported_with_what_it_was_doing(reel_home):
    runs = AppPaths.from_env().ensure().runs
    script = textwrap.dedent(f"""
        import sys, time
        from reeleditor.storage.recovery import RunSentinel
        s = RunSentinel({str(runs)!r})
        s.start()
        s.update(draft_id="d123", recording="media/seg-0003.mp4")
        print("ready", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    sentinel = RunSentinel(runs)
    stale = sentinel.start()
    try:
        assert len(stale) == 1
        run = stale[0]
        assert run.pid == proc.pid and run.draft_id == "d123"
        assert "did not close cleanly" in run.describe() and "recording" in run.describe()
        RunSentinel.dismiss(run)
        assert sentinel.find_stale() == []
    finally:
        sentinel.stop()
