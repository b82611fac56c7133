"""DraftSession and the task runner: undo/redo, autosave off the GUI thread, errors."""

import threading

import pytest

from reeleditor.core import edits
from reeleditor.core.draft import Look
from reeleditor.core.progress import Progress
from reeleditor.ui.session import DraftSession


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
    with qtbot.waitSignal(session.save_state, timeout=2000, check_params_cb=lambda s: s == "saved"):
        pass
    assert store.load(session.draft.id).title == "renamed"
    assert "saving" in states
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
    with qtbot.waitSignal(
        session.save_state, timeout=3000, check_params_cb=lambda s: s.startswith("error: ")
    ) as blocker:
        session.apply(lambda d, now: edits.set_title(d, "precious", now))
    assert "disk is full" in blocker.args[0]
    assert session.draft.title == "precious" and session.dirty
    monkeypatch.undo()
    session.flush()
    assert store.load(session.draft.id).title == "precious"


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


def test_a_take_adds_only_its_segment_and_keeps_deletions_made_meanwhile(qtbot, store, runner):
    from reeleditor.core.draft import Segment

    draft = store.create(
        "take", segments=(Segment("media/a.mp4", 1.0, "a"), Segment("media/b.mp4", 1.0, "b"))
    )
    store.release(draft.id)
    session = DraftSession(store, runner)
    session.open(draft.id)
    session.pause_autosave()
    session.apply(edits.remove_last_segment)  # the creator deletes "b" during the take
    with store.locked(draft.id):  # what the take does on its thread
        on_disk = store.load(draft.id)
        store.save(
            on_disk.with_changes(segments=(*on_disk.segments, Segment("media/t.mp4", 2.0, "take")))
        )
    session.adopt_new_segments()
    session.resume_autosave()
    assert [s.id for s in session.draft.segments] == ["a", "take"]
    session.flush()
    assert [s.id for s in store.load(draft.id).segments] == ["a", "take"]
    session.close()


def test_flush_supersedes_a_queued_older_save(qtbot, session, store):
    session.apply(lambda d, now: edits.set_title(d, "older", now))
    session._save_now()  # queued on the storage lane
    session.apply(lambda d, now: edits.set_title(d, "newer", now))
    session.flush()
    session.runner.storage_lane.waitForDone(5000)
    assert store.load(session.draft.id).title == "newer"
