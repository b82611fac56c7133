"""The draft store: atomic saves, history, locks, and drafts that cannot be read."""

import errno
import json
import os

import pytest

from reeleditor.core.draft import SCHEMA_VERSION
from reeleditor.core.errors import DraftLockedError, DraftNotFound, StorageError
from reeleditor.storage import atomic
from reeleditor.storage.drafts import HISTORY_LIMIT, DraftStore
from reeleditor.storage.paths import AppPaths


def test_create_save_load_round_trip(store):
    draft = store.create("My reel", now=1000.0)
    assert store.load(draft.id) == draft
    edited = draft.with_changes(title="Renamed", updated=2000.0)
    store.save(edited)
    assert store.load(draft.id) == edited
    drafts, problems = store.scan()
    assert [d.id for d in drafts] == [draft.id] and problems == []
    assert not list(store.folder(draft.id).glob(".*.tmp"))


def test_scan_lists_newest_first(store):
    old = store.create("old", now=100.0)
    new = store.create("new", now=200.0)
    assert [d.id for d in store.scan()[0]] == [new.id, old.id]


def test_history_keeps_last_twenty_and_restores(store):
    draft = store.create("v0", now=1.0)
    for n in range(1, 30):
        store.save(draft.with_changes(title=f"v{n}", updated=float(n)))
    entries = store.history(draft.id)
    assert len(entries) == HISTORY_LIMIT
    assert store.load_version(draft.id, entries[0].version).title == "v29"
    assert store.load_version(draft.id, entries[-1].version).title == "v10"
    restored = store.restore(draft.id, entries[5].version)
    assert restored.title == "v24"
    assert store.load(draft.id).title == "v24"
    assert store.load_version(draft.id, store.history(draft.id)[1].version).title == "v29"


def test_autosave_keeps_a_recoverable_previous_version(store):
    draft = store.create("first", now=1.0)
    store.save(draft.with_changes(title="second"))
    store.save(draft.with_changes(title="third"))
    titles = [store.load_version(draft.id, e.version).title for e in store.history(draft.id)]
    assert titles[:3] == ["third", "second", "first"]


def test_second_instance_cannot_write_a_locked_draft(reel_home):
    root = AppPaths.from_env().ensure().drafts
    first, second = DraftStore(root), DraftStore(root)
    draft = first.create("mine")
    first.lock(draft.id)
    with pytest.raises(
        DraftLockedError, match=f"draft {draft.id} is open in another.*process {os.getpid()}"
    ):
        second.save(draft.with_changes(title="theirs"))
    assert first.load(draft.id).title == "mine"
    first.release(draft.id)
    second.save(draft.with_changes(title="theirs"))
    assert first.load(draft.id).title == "theirs"


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"{ not json", "not valid JSON"),
        (b"", "file is empty"),
        (b"   \n", "file is empty"),
        (b"[1, 2, 3]", "must hold an object"),
        (json.dumps({"schema_version": SCHEMA_VERSION, "id": 5}).encode(), "field 'id'"),
        (
            json.dumps({"schema_version": SCHEMA_VERSION + 1, "id": "x"}).encode(),
            "newer reeleditor",
        ),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
    ],
)
def test_unreadable_draft_is_set_aside_others_still_load(store, content, reason):
    good = store.create("good")
    bad = store.create("bad")
    (store.folder(bad.id) / "draft.json").write_bytes(content)
    drafts, problems = store.scan()
    assert [d.id for d in drafts] == [good.id]
    assert len(problems) == 1 and problems[0].draft_id == bad.id
    assert reason in problems[0].reason
    message = problems[0].describe()
    assert bad.id in message and "restore" in message and "\n" not in message
    # nothing is lost: the bad file stays as it was, and the last good version restores
    assert (store.folder(bad.id) / "draft.json").read_bytes() == content
    assert store.restore(bad.id).title == "bad"
    assert {d.id for d in store.scan()[0]} == {good.id, bad.id}


def test_draft_naming_missing_media_loads_and_flags_segment(store):
    from reeleditor.core.draft import Segment

    draft = store.create("clips")
    (store.media_dir(draft.id) / "a.mp4").write_bytes(b"x")
    draft = draft.with_changes(
        segments=(Segment("media/a.mp4", 1.0, "a"), Segment("media/gone.mp4", 1.0, "b"))
    )
    store.save(draft)
    loaded = store.load(draft.id)
    assert len(loaded.segments) == 2
    assert store.missing_segments(loaded) == ("b",)


def test_failed_write_mid_save_keeps_previous_version(store, monkeypatch):
    draft = store.create("precious")
    store.save(draft.with_changes(title="precious v2"))
    real_fsync = os.fsync

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full_disk)
    with pytest.raises(StorageError, match="disk is full.*free some space"):
        store.save(draft.with_changes(title="lost?"))
    monkeypatch.setattr(atomic.os, "fsync", real_fsync)
    assert store.load(draft.id).title == "precious v2"
    assert not list(store.folder(draft.id).glob(".*.tmp"))
    store.save(draft.with_changes(title="v3"))  # and the store still works afterwards
    assert store.load(draft.id).title == "v3"


def test_failed_rename_keeps_previous_version(store, monkeypatch):
    draft = store.create("precious")
    from reeleditor.storage import drafts as drafts_mod

    def broken_replace(src, dst):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(drafts_mod.os, "replace", broken_replace)
    with pytest.raises(StorageError, match="Input/output error"):
        store.save(draft.with_changes(title="lost?"))
    monkeypatch.undo()
    assert store.load(draft.id).title == "precious"


def test_unwritable_home_gives_one_clear_line(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("REELEDITOR_HOME", str(blocker / "home"))
    with pytest.raises(StorageError) as info:
        AppPaths.from_env().ensure()
    text = str(info.value)
    assert str(blocker) in text and "REELEDITOR_HOME" in text and "\n" not in text


def test_home_override_applies_to_every_folder(tmp_path):
    paths = AppPaths.from_env(tmp_path / "h")
    for folder in (paths.data, paths.cache, paths.config, paths.drafts, paths.uploads):
        assert str(folder).startswith(str(tmp_path / "h"))


def test_delete_and_duplicate(store):
    draft = store.create("orig")
    (store.media_dir(draft.id) / "seg.mp4").write_bytes(b"video")
    copy = store.duplicate(draft.id)
    assert copy.id != draft.id and copy.title == "orig (copy)"
    assert (store.media_dir(copy.id) / "seg.mp4").read_bytes() == b"video"
    store.delete(draft.id)
    with pytest.raises(DraftNotFound):
        store.load(draft.id)
    assert [d.id for d in store.scan()[0]] == [copy.id]


def test_a_duplicate_appears_whole_or_not_at_all(store, monkeypatch):
    import shutil

    draft = store.create("orig")
    (store.media_dir(draft.id) / "seg.mp4").write_bytes(b"video")
    seen = []
    real_copy = shutil.copy2

    def copy_and_look(src, dst, **kw):
        seen.append(sorted(d.id for d in store.scan()[0]))  # what the gallery would list now
        return real_copy(src, dst, **kw)

    monkeypatch.setattr(shutil, "copy2", copy_and_look)
    copy = store.duplicate(draft.id)
    assert seen and all(ids == [draft.id] for ids in seen)
    assert sorted(d.id for d in store.scan()[0]) == sorted([draft.id, copy.id])


def test_bad_ids_are_refused(store):
    for bad in ("../x", "", "a/b", "..", "x" * 100):
        with pytest.raises(DraftNotFound):
            store.load(bad)


def test_threads_saving_one_draft_never_clash(store):
    import threading

    draft = store.create("busy")
    store.lock(draft.id)
    errors = []

    def hammer(tag):
        for n in range(60):
            try:
                store.save(draft.with_changes(title=f"{tag}{n}"))
            except Exception as exc:  # collected: the assertion below names them
                errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(t,)) for t in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.history(draft.id)) == HISTORY_LIMIT
    assert store.load(draft.id).title in ("a59", "b59")


def test_history_counts_versions_another_process_saved(reel_home):
    root = AppPaths.from_env().ensure().drafts
    gui, cli = DraftStore(root), DraftStore(root)
    draft = gui.create("v1")
    gui.save(draft.with_changes(title="gui-1"))
    gui.release(draft.id)
    cli.save(draft.with_changes(title="cli"))
    gui.save(draft.with_changes(title="gui-2"))
    titles = [gui.load_version(draft.id, e.version).title for e in gui.history(draft.id)]
    assert titles == ["gui-2", "cli", "gui-1", "v1"]


def test_saving_writes_nothing_onto_frozen_segments_and_stays_exact():
    """The encode cache sits beside the segments: a segment is never mutated, and a new
    segment that happens to get a dead one's id() is encoded afresh, not from the cache."""
    import gc

    from reeleditor.core.draft import Draft, Segment
    from reeleditor.storage.drafts import encode_draft

    def draft_of(*segments):
        return Draft(id="d1", title="t", created=1.0, updated=1.0, segments=segments)

    first = Segment("media/a.mp4", 1.0, "a")
    before = dict(first.__dict__)
    encode_draft(draft_of(first))
    assert first.__dict__ == before
    for n in range(200):  # dead segments' ids get reused: each must still encode as itself
        segment = Segment(f"media/{n}.mp4", float(n), f"s{n}")
        loaded = Draft.from_dict(json.loads(encode_draft(draft_of(first, segment))))
        assert loaded.segments == (first, segment)
        del segment, loaded
        gc.collect()
    edited = draft_of(first).with_changes(segments=(first, Segment("media/b.mp4", 2.0, "b")))
    assert json.loads(encode_draft(edited)) == edited.to_dict()
