"""The gallery's actions on real drafts: rename, duplicate, delete, bundle out and back in."""

import pytest
from PySide6.QtWidgets import QMainWindow

from reeleditor.ui.gallery_actions import GalleryActions


@pytest.fixture
def gallery(qtbot, recorded_session, runner):
    window = QMainWindow()
    qtbot.addWidget(window)
    refreshed, opened = [], []
    actions = GalleryActions(
        recorded_session.store,
        recorded_session,
        runner,
        window,
        lambda: refreshed.append(1),
        opened.append,
    )
    return actions, refreshed, opened


def test_rename_open_draft_is_undoable(gallery, recorded_session, monkeypatch):
    actions, refreshed, _ = gallery
    monkeypatch.setattr(actions, "ask_title", lambda current: "Holiday")
    actions.rename(recorded_session.draft.id)
    assert recorded_session.draft.title == "Holiday" and refreshed
    recorded_session.undo()
    assert recorded_session.draft.title == "recorded"


def test_duplicate_delete_and_bundle_round_trip(
    qtbot, gallery, recorded_session, tmp_path, monkeypatch
):
    actions, _refreshed, opened = gallery
    store = recorded_session.store
    original = recorded_session.draft
    actions.duplicate(original.id)
    qtbot.waitUntil(lambda: len(store.scan()[0]) == 2, timeout=5000)
    copy = next(d for d in store.scan()[0] if d.id != original.id)
    assert copy.title == "recorded (copy)" and len(copy.segments) == 2

    monkeypatch.setattr(actions, "confirm_delete", lambda title: False)
    actions.delete(copy.id)
    assert store.exists(copy.id)  # not confirmed: nothing happens
    monkeypatch.setattr(actions, "confirm_delete", lambda title: True)
    actions.delete(copy.id)
    qtbot.waitUntil(lambda: not store.folder(copy.id).exists(), timeout=5000)

    bundle = tmp_path / "reel.reeldraft"
    monkeypatch.setattr(actions, "ask_bundle_path", lambda save, suggestion: str(bundle))
    actions.export_bundle(original.id)
    qtbot.waitUntil(bundle.exists, timeout=5000)
    actions.import_bundle()
    qtbot.waitUntil(lambda: bool(opened), timeout=5000)
    imported = store.load(opened[0])
    assert imported.id != original.id and imported.segments == original.segments
    assert store.missing_segments(imported) == ()
