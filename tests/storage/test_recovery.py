"""The crash sentinel: a clean exit leaves nothing; a killed run is reported next start."""

import re
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from reeleditor.storage.paths import AppPaths
from reeleditor.storage.recovery import RecoveredDraft, RecoveryReport, RunSentinel


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


# -- the recovery prompt's words -------------------------------------------------------------


def test_the_prompt_speaks_of_titles_and_lengths():
    report = RecoveryReport(
        crashed=True, drafts=(RecoveredDraft("My reel", 12.44, take_seconds=3.2),)
    )
    assert report
    assert report.text() == (
        "Your last session ended unexpectedly. We kept everything: “My reel” "
        "(12.4 s, including the take you were recording)."
    )
    calm = RecoveryReport(crashed=True)
    assert calm.text() == (
        "Your last session ended unexpectedly. We kept everything: your drafts were saved "
        "as you went."
    )
    assert not RecoveryReport(logs=Path("/x"))  # nothing recovered, no crash: no prompt
    mixed = RecoveryReport(lost=("Beach",), pending=("Park",))
    assert mixed.lines() == [
        "A recording was interrupted last time.",
        "A take in “Beach” could not be saved whole; the damaged file was kept beside the "
        "draft's media.",
        "A take in “Park” could not be recovered yet; reeleditor tries again the next time it "
        "starts.",
    ]


def _kill_when(cmd: list[str], ready, env=None) -> int:
    """Start `cmd`, read its stderr until `ready(line)`, SIGKILL it; returns its pid."""
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    watchdog = threading.Timer(60, proc.kill)  # a hang fails the test instead of stalling it
    watchdog.start()
    try:
        for line in proc.stderr:
            if ready(line):
                break
        else:
            pytest.fail("the child never got ready")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        watchdog.cancel()
        watchdog.join()
        proc.stdout.close()
        proc.stderr.close()
    return proc.pid


def _recorded_past(seconds: float):
    def ready(line: str) -> bool:
        done = re.search(r"\(([\d.]+)/\d+ s\)", line)
        return bool(done) and float(done.group(1)) >= seconds

    return ready


@pytest.mark.slow
def test_recover_after_crash_reports_a_killed_take_in_plain_words(reel_home):
    from reeleditor.app import recover_after_crash
    from reeleditor.storage.drafts import DraftStore

    paths = AppPaths.from_env().ensure()
    store = DraftStore(paths.drafts)
    record = [sys.executable, "-m", "reeleditor", "record", "--source", "testpattern"]
    record += ["--seconds", "30", "--mic", "none", "--width", "180", "--height", "320"]
    _kill_when([*record, "--title", "My reel"], _recorded_past(1.5))
    (draft,) = store.scan()[0]
    assert draft.segments == ()  # the take is only on disk, behind its marker
    # ... while the app, editing that draft, was killed too
    script = textwrap.dedent(f"""
        import sys
        from reeleditor.storage.recovery import RunSentinel
        s = RunSentinel({str(paths.runs)!r})
        s.start()
        s.update(draft_id={draft.id!r}, recording="media/seg.mp4")
        print("ready", file=sys.stderr, flush=True)
        import time; time.sleep(60)
    """)
    pid = _kill_when([sys.executable, "-c", script], lambda line: line.strip() == "ready")

    sentinel = RunSentinel(paths.runs)
    try:
        report = recover_after_crash(paths, store, sentinel)
    finally:
        sentinel.stop()
    recovered = store.load(draft.id)
    assert len(recovered.segments) == 1 and recovered.duration >= 1.4
    assert report.crashed and report.logs == paths.logs
    assert report.drafts == (
        RecoveredDraft("My reel", recovered.duration, recovered.segments[0].duration),
    )
    text = report.text()
    assert text == (
        "Your last session ended unexpectedly. We kept everything: “My reel” "
        f"({recovered.duration:.1f} s, including the take you were recording)."
    )
    assert draft.id not in text and str(pid) not in text and "process" not in text
    again = RunSentinel(paths.runs)
    try:
        assert not recover_after_crash(paths, store, again)  # dealt with: no prompt next time
    finally:
        again.stop()


# -- each take outcome in its own words --------------------------------------------------------


def _interrupted_take(store, title: str, kind: str) -> str:
    """A draft with a take whose recording process is gone: 'recorded', 'damaged', 'empty'."""
    from reeleditor.media.sources.testpattern import TestPatternSource
    from reeleditor.media.take import record_take

    draft = store.create(title, width=180, height=320)
    if kind == "recorded":
        source = TestPatternSource(180, 320, 30).open()
        try:
            gen = record_take(store, draft.id, source, source.audio, 0.5, commit=False)
            try:
                while True:
                    next(gen)
            except StopIteration as stop:
                take = stop.value
        finally:
            source.close()
        take.journal.release()  # as a process killed before its session saved the take
    else:
        media = store.folder(draft.id) / "media"
        media.mkdir(parents=True, exist_ok=True)
        (media / "seg-1.mp4.recording").touch()
        if kind == "damaged":
            (media / "seg-1.mp4").write_bytes(b"not a video at all")
    store.release(draft.id)
    return draft.id


def _recover(store):
    from reeleditor.app import recover_after_crash

    sentinel = RunSentinel(AppPaths.from_env().ensure().runs)
    try:
        return recover_after_crash(AppPaths.from_env(), store, sentinel)
    finally:
        sentinel.stop()


def test_recovered_take_is_kept_and_said_so(store):
    from reeleditor.media.take import TakeOutcome, recover_takes

    _interrupted_take(store, "Kept", "recorded")
    (result,) = recover_takes(store)
    assert result.outcome is TakeOutcome.RECOVERED and result.segment is not None


def test_an_empty_take_is_no_loss_and_no_prompt(store):
    from reeleditor.media.take import TakeOutcome, recover_takes

    _interrupted_take(store, "Nothing", "empty")
    (result,) = recover_takes(store)
    assert result.outcome is TakeOutcome.EMPTY
    _interrupted_take(store, "Nothing again", "empty")
    assert not _recover(store)


def test_a_damaged_take_is_told_as_lost(store):
    from reeleditor.media.take import TakeOutcome, recover_takes

    draft_id = _interrupted_take(store, "Broken", "damaged")
    (result,) = recover_takes(store)
    assert result.outcome is TakeOutcome.DAMAGED
    assert (store.folder(draft_id) / "media" / "seg-1.mp4.damaged").exists()
    _interrupted_take(store, "Broken too", "damaged")
    assert _recover(store).lines() == [
        "A recording was interrupted last time.",
        "A take in “Broken too” could not be saved whole; the damaged file was kept beside "
        "the draft's media.",
    ]


def test_a_take_that_cannot_be_saved_now_is_tried_again(store, monkeypatch):
    import reeleditor.media.take as take
    from reeleditor.core.errors import DraftLockedError

    def locked(*args):
        raise DraftLockedError("the draft is open in another reeleditor")

    monkeypatch.setattr(take, "commit_segment", locked)
    _interrupted_take(store, "Busy", "recorded")
    assert _recover(store).lines() == [
        "A recording was interrupted last time.",
        "A take in “Busy” could not be recovered yet; reeleditor tries again the next time it "
        "starts.",
    ]
    monkeypatch.undo()
    (result,) = take.recover_takes(store)  # the marker stayed for the next start
    assert result.outcome is take.TakeOutcome.RECOVERED


def test_kept_and_lost_together_never_say_everything(store):
    kept_id = _interrupted_take(store, "Kept", "recorded")
    _interrupted_take(store, "Broken", "damaged")
    report = _recover(store)
    seconds = store.load(kept_id).duration
    assert report.lines() == [
        "A recording was interrupted last time.",
        f"We kept “Kept” ({seconds:.1f} s, including the take you were recording).",
        "A take in “Broken” could not be saved whole; the damaged file was kept beside the "
        "draft's media.",
    ]
    assert "everything" not in report.text()
