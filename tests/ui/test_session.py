"""DraftSession and the task runner: undo/redo, autosave off the GUI thread, errors."""

import threading

import pytest

from reeleditor.core import edits
from reeleditor.core.draft import Look
from reeleditor.core.progress import Progress
from reeleditor.ui.session import DraftSession, SaveState
from tests.factories import drain


@pytest.fixture
def session(store, runner):
    draft = store.create("session")
    store.release(draft.id)
    session = DraftSession(store, runner)
    session.open(draft.id)
    yield session
    session.close()


def test_edits_undo_redo_and_autosave_within_two_seconds(qtbot, session, store):
    states = []
    session.save_state.connect(states.append)
    session.apply(lambda d, now: edits.set_look(d, Look("warm"), now))
    session.apply(lambda d, now: edits.set_title(d, "renamed", now))
    assert session.draft.title == "renamed" and session.dirty
    with qtbot.waitSignal(
        session.save_state, timeout=2000, check_params_cb=lambda s: s is SaveState.SAVED
    ):
        pass
    assert store.load(session.draft.id).title == "renamed"
    assert SaveState.SAVING in states and session.state is SaveState.SAVED
    session.undo()
    assert session.draft.title == "session" and session.draft.look.name == "warm"
    session.undo()
    assert session.draft.look.name == "none"
    session.redo()
    assert session.draft.look.name == "warm"
    qtbot.waitUntil(lambda: not session.dirty, timeout=2000)
    assert store.load(session.draft.id).look.name == "warm"


def test_saves_run_off_the_gui_thread(qtbot, session, store, monkeypatch):
    threads = []
    real_save = store.save

    def spy(draft):
        threads.append(threading.current_thread())
        real_save(draft)

    monkeypatch.setattr(store, "save", spy)
    session.apply(lambda d, now: edits.set_title(d, "x", now))
    qtbot.waitUntil(lambda: bool(threads), timeout=2000)
    assert threads[0] is not threading.main_thread()


def test_a_failed_save_keeps_the_edit_and_says_so(qtbot, session, store, monkeypatch):
    from reeleditor.core.errors import StorageError

    def full_disk(draft):
        raise StorageError("could not write draft.json: the disk is full")

    monkeypatch.setattr(store, "save", full_disk)
    states = []
    session.save_state.connect(states.append)
    with qtbot.waitSignal(session.save_failed, timeout=3000) as blocker:
        session.apply(lambda d, now: edits.set_title(d, "precious", now))
    assert "disk is full" in blocker.args[0]
    assert states[-1] is SaveState.FAILED and "disk is full" in session.save_error
    assert session.draft.title == "precious" and session.dirty
    monkeypatch.undo()
    session.flush()
    assert store.load(session.draft.id).title == "precious"
    assert session.state is SaveState.SAVED and session.save_error == ""


def test_second_window_cannot_open_a_locked_draft(qtbot, store, session, runner):
    from reeleditor.core.errors import DraftLockedError
    from reeleditor.storage.drafts import DraftStore

    other = DraftSession(DraftStore(store.root), runner)
    with pytest.raises(DraftLockedError, match="open in another reeleditor"):
        other.open(session.draft.id)


def test_runner_turns_yields_into_signals_and_cancels(qtbot, runner):
    seen, cleaned = [], []

    def work():
        try:
            for i in range(1000):
                yield Progress("count", i, 1000)
                threading.Event().wait(0.01)
        finally:
            cleaned.append(True)

    task = runner.start("count", work, on_progress=seen.append)
    qtbot.waitUntil(lambda: len(seen) > 3, timeout=3000)
    with qtbot.waitSignal(task.signals.cancelled, timeout=3000):
        task.cancel()
    assert cleaned == [True]
    errors = []
    runner.error.connect(lambda name, msg: errors.append((name, msg)))

    def broken():
        raise ValueError("boom")

    with qtbot.waitSignal(runner.error, timeout=3000):
        runner.start("broken", broken)
    assert errors == [("broken", "broken failed: ValueError: boom")]


def test_a_take_is_one_undoable_edit_and_keeps_deletions_made_meanwhile(qtbot, store, runner):
    from reeleditor.core.draft import Segment

    draft = store.create(
        "take", segments=(Segment("media/a.mp4", 1.0, "a"), Segment("media/b.mp4", 1.0, "b"))
    )
    store.release(draft.id)
    session = DraftSession(store, runner)
    session.open(draft.id)
    session.apply(edits.remove_last_segment)  # the creator deletes "b" during the take
    saved = []
    take = Segment("media/t.mp4", 2.0, "take")
    assert session.add_segments(draft.id, [take], on_saved=lambda: saved.append(True))
    assert [s.id for s in session.draft.segments] == ["a", "take"]
    assert saved == []  # nothing on disk yet: the take keeps its journal
    qtbot.waitUntil(lambda: saved == [True], timeout=3000)  # autosaved, then settled
    assert [s.id for s in store.load(draft.id).segments] == ["a", "take"]
    session.undo()  # the take goes in one step
    assert [s.id for s in session.draft.segments] == ["a"]
    assert not session.add_segments("another-draft", [take])  # not the open draft: refused
    session.close()
    assert [s.id for s in store.load(draft.id).segments] == ["a"]


def test_a_take_undone_before_its_save_settles_its_journal_at_once(qtbot, session, store):
    from reeleditor.core.draft import Segment

    saved = []
    take = Segment("media/t.mp4", 1.0, "t")
    session.add_segments(session.draft.id, [take], on_saved=lambda: saved.append(True))
    assert saved == []
    session.undo()  # back to what is on disk: nothing left to wait for
    assert saved == [True] and store.load(session.draft.id).segments == ()


def test_the_session_is_the_only_writer_while_a_take_records(qtbot, store, runner):
    """A real take into the open draft: edits made while it records are autosaved, the
    take writes nothing into draft.json, its segment arrives as one edit and its journal
    ends once the session has saved it."""
    from reeleditor.media.sources.testpattern import TestPatternSource
    from reeleditor.media.take import record_take
    from tests.ui.conftest import H, W

    draft = store.create("one writer", width=W, height=H)
    store.release(draft.id)
    session = DraftSession(store, runner)
    session.open(draft.id)
    source = TestPatternSource(W, H, 30).open()
    try:
        gen = record_take(store, draft.id, source, source.audio, 0.4, commit=False)
        next(gen)
        session.apply(lambda d, now: edits.set_look(d, Look("warm"), now))
        qtbot.waitUntil(lambda: not session.dirty, timeout=3000)  # autosave did not wait
        take = drain(gen)
    finally:
        source.close()
    journal = take.journal.path
    assert journal.exists() and take.journal.held
    assert store.load(draft.id).segments == ()  # the take wrote nothing into draft.json
    assert session.add_segments(draft.id, [take.segment], on_saved=take.settle)
    qtbot.waitUntil(lambda: not journal.exists(), timeout=3000)
    on_disk = store.load(draft.id)
    assert [s.id for s in on_disk.segments] == [take.segment.id]
    assert on_disk.look.name == "warm"
    session.close()


def test_flush_supersedes_a_queued_older_save(qtbot, session, store):
    session.apply(lambda d, now: edits.set_title(d, "older", now))
    session._save_now()  # queued on the storage lane
    session.apply(lambda d, now: edits.set_title(d, "newer", now))
    session.flush()
    session.runner.storage_lane.waitForDone(5000)
    assert store.load(session.draft.id).title == "newer"


def test_shutdown_cancels_long_work_but_lets_the_storage_lane_finish(qtbot, runner):
    """Lanes are chosen by the caller's flag, never by a task's name."""
    release = threading.Event()
    steps = []

    def long_work():
        while True:
            yield Progress("work", 0, 1)
            release.wait(0.01)

    def storage_work():
        release.wait(5)
        steps.append("stored")
        return "kept"

    work = runner.start("save", long_work)  # named like a save, but on the work lane
    stored = runner.start("anything", storage_work, storage=True)
    release.set()
    runner.shutdown()
    assert work.cancelling and work.wait(0)
    assert not stored.cancelling and stored.result == "kept" and steps == ["stored"]


def test_a_superseded_save_never_makes_an_older_version_look_saved(qtbot, session, store):
    gate = threading.Event()
    session.runner.start("hold", gate.wait, storage=True)  # the storage lane is busy
    session.apply(lambda d, now: edits.set_title(d, "older", now))
    session._save_now()  # queued behind the gate, for "older"
    session.apply(lambda d, now: edits.set_title(d, "newer", now))
    session.flush()  # "newer" is on disk; the queued save becomes a no-op
    gate.set()
    qtbot.waitUntil(lambda: session._saving is None, timeout=5000)
    session.undo()  # back to "older": it differs from disk, so it must be saved
    assert session.dirty
    qtbot.waitUntil(lambda: not session.dirty, timeout=5000)
    assert store.load(session.draft.id).title == "older"
