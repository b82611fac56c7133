"""No work done twice: the draft's export is reused per recipe and preset; exports never
share a partial file, and a second one of the same draft waits for the first."""

import json
import threading
import time

import pytest

import reeleditor.media.render as render
from reeleditor.core.draft import Look
from reeleditor.core.errors import ReelEditorError
from reeleditor.media.render import (
    ensure_export,
    export_draft,
    partial_path,
    recipe_fingerprint,
)
from reeleditor.media.sources.testpattern import TestPatternSource
from reeleditor.media.take import record_take
from tests.factories import drain
from tests.media.helpers import count_frames

W, H, FPS = 180, 320, 30


@pytest.fixture
def recorded(store):
    """A draft with one recorded segment of 0.5 s."""
    draft = store.create("reuse me", width=W, height=H)
    source = TestPatternSource(W, H, FPS).open()
    try:
        drain(record_take(store, draft.id, source, source.audio, 0.5))
    finally:
        source.close()
    store.release(draft.id)
    return store.load(draft.id)


@pytest.fixture
def exports(monkeypatch):
    """Counts the encodes that really run."""
    calls = []
    real = render.export_draft

    def counting(*args, **kwargs):
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(render, "export_draft", counting)
    return calls


def _identity(path):
    st = path.stat()
    return st.st_ino, st.st_mtime_ns, st.st_size


def test_an_unchanged_recipe_returns_the_same_file_without_encoding(store, recorded, exports):
    first = drain(ensure_export(store, recorded, "small"))
    assert exports == [first] and count_frames(first) == 15
    meta = json.loads(first.with_suffix(".json").read_text())
    assert meta["fingerprint"] == recipe_fingerprint(store, recorded, "small")
    before = _identity(first)
    started = time.monotonic()
    # a rename or a save changes nothing a viewer sees: still the same file
    renamed = recorded.with_changes(title="a new title", updated=recorded.updated + 60)
    again = drain(ensure_export(store, renamed, "small"))
    assert time.monotonic() - started < 1.0
    assert again == first and _identity(again) == before and len(exports) == 1


def test_a_changed_look_or_preset_makes_a_new_export(store, recorded, exports):
    first = drain(ensure_export(store, recorded, "small"))
    old = json.loads(first.with_suffix(".json").read_text())["fingerprint"]
    graded = recorded.with_changes(look=Look("noir", 100.0))
    second = drain(ensure_export(store, graded, "small"))
    assert len(exports) == 2 and second == first
    new = json.loads(second.with_suffix(".json").read_text())["fingerprint"]
    assert new != old and new == recipe_fingerprint(store, graded, "small")
    drain(ensure_export(store, graded, "standard"))
    assert len(exports) == 3
    drain(ensure_export(store, graded, "standard"))
    assert len(exports) == 3


def test_a_sidecar_that_does_not_match_its_file_is_not_trusted(store, recorded, exports):
    out = drain(ensure_export(store, recorded, "small"))
    out.write_bytes(out.read_bytes()[:1000])  # truncated behind our back
    stale = out.parent / f".{out.name}.999.deadbeef.partial"  # of an export that was killed
    stale.write_bytes(b"half")
    again = drain(ensure_export(store, recorded, "small"))
    assert len(exports) == 2 and count_frames(again) == 15
    assert not list(out.parent.glob(".*.partial"))


def test_media_replaced_under_the_same_name_counts(store, recorded):
    before = recipe_fingerprint(store, recorded, "small")
    media = store.media_path(recorded, recorded.segments[0])
    media.write_bytes(media.read_bytes() + b"\0")
    assert recipe_fingerprint(store, recorded, "small") != before


def test_two_concurrent_ensure_exports_encode_once(store, recorded, exports):
    results, errors = [], []

    def publish():
        try:
            results.append(drain(ensure_export(store, recorded, "small")))
        except Exception as exc:  # reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=publish, name=f"publish-{n}") for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and len(results) == 2 and results[0] == results[1]
    assert len(exports) == 1 and count_frames(results[0]) == 15
    assert not list(results[0].parent.glob(".*.partial"))


def test_a_waiting_export_can_be_cancelled_and_frees_the_lock(store, recorded, exports):
    first = ensure_export(store, recorded, "small")
    progress = next(first)  # the first holds the lock, mid-way
    assert progress.stage != "wait"
    second = ensure_export(store, recorded, "small")
    waiting = next(second)
    assert waiting.stage == "wait" and "under way" in waiting.message
    second.close()
    first.close()  # cancelled: nothing written, the lock free again
    assert exports == [store.folder(recorded.id) / "export" / "reel.mp4"]
    out = drain(ensure_export(store, recorded, "small"))
    assert count_frames(out) == 15 and len(exports) == 2


def test_two_exports_to_one_path_never_share_a_partial_file(store, recorded, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "reel.mp4"
    assert partial_path(out) != partial_path(out)
    results, errors = [], []

    def export():
        try:
            results.append(drain(export_draft(store, recorded, out, "small")))
        except Exception as exc:  # reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=export, name=f"click-{n}") for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and len(results) == 2
    assert count_frames(out) == 15
    assert sorted(p.name for p in folder.iterdir()) == ["reel.jpg", "reel.mp4"]


def test_an_export_in_another_process_is_waited_for(store, recorded, exports):
    from reeleditor.storage.locks import FileLock

    folder = store.folder(recorded.id) / "export"
    folder.mkdir()
    other = FileLock(folder / ".export.lock")  # another reeleditor's export holds it
    assert other.acquire()
    try:
        gen = ensure_export(store, recorded, "small")
        waiting = next(gen)
        assert waiting.stage == "wait" and "another reeleditor" in waiting.message
        assert exports == []
    finally:
        other.release()
    assert count_frames(drain(gen)) == 15 and len(exports) == 1


def test_a_waiting_export_cancels_at_once(store, recorded, exports, monkeypatch):
    from reeleditor.storage.locks import FileLock

    monkeypatch.setattr(render, "_WAIT_S", 30)  # only the cancel can end this wait early
    folder = store.folder(recorded.id) / "export"
    folder.mkdir()
    other = FileLock(folder / ".export.lock")  # another reeleditor's export holds it
    assert other.acquire()
    cancel = threading.Event()
    gen = ensure_export(store, recorded, "small", cancel=cancel)
    try:
        assert next(gen).stage == "wait"

        def drive():  # as the task runner does: close the generator at its next yield
            for _ in gen:
                if cancel.is_set():
                    gen.close()

        driver = threading.Thread(target=drive, name="export-driver")
        driver.start()
        started = time.monotonic()
        cancel.set()
        driver.join(timeout=10)
        assert not driver.is_alive() and time.monotonic() - started < 1.0
        assert exports == []
    finally:
        other.release()
    assert render._export_locks == {}


def test_the_lock_table_does_not_grow_per_draft(store, recorded, exports):
    drain(ensure_export(store, recorded, "small"))
    other = store.create("another", width=W, height=H)
    store.release(other.id)
    with pytest.raises(ReelEditorError):  # an empty draft fails: its entry goes too
        drain(ensure_export(store, store.load(other.id), "small"))
    assert render._export_locks == {}


def test_a_cancelled_wait_resumed_anyway_says_cancelled(store, recorded, exports):
    from reeleditor.core.errors import Cancelled
    from reeleditor.storage.locks import FileLock

    folder = store.folder(recorded.id) / "export"
    folder.mkdir()
    other = FileLock(folder / ".export.lock")
    assert other.acquire()
    try:
        cancel = threading.Event()
        gen = ensure_export(store, recorded, "small", cancel=cancel)
        assert next(gen).stage == "wait"
        cancel.set()
        with pytest.raises(Cancelled):
            drain(gen)  # a driver that does not close it at the yield is told, never left waiting
    finally:
        other.release()
    assert exports == [] and render._export_locks == {}
