"""Draft bundles: round trip, and every way a bundle can be unsafe or damaged."""

import hashlib
import json
import stat
import zipfile

import pytest

from reeleditor.core.draft import Segment
from reeleditor.core.errors import BundleError
from reeleditor.storage.bundle import export_bundle, import_bundle


@pytest.fixture
def exported(store, tmp_path):
    draft = store.create("trip")
    (store.media_dir(draft.id) / "seg-0001.mp4").write_bytes(b"\x00video" * 1000)
    store.thumb_path(draft.id).write_bytes(b"jpeg")
    draft = draft.with_changes(segments=(Segment("media/seg-0001.mp4", 1.5, "s1"),))
    store.save(draft)
    out = export_bundle(store, draft.id, tmp_path / "trip.reeldraft")
    return draft, out


def _rewrite(src, dst, edit):
    """Copy a bundle entry by entry, letting `edit(name, data)` change or drop entries."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            result = edit(info.filename, zin.read(info))
            if result is not None:
                zout.writestr(info.filename, result)
    return dst


def _manifest_entry(data: bytes) -> dict:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def test_round_trip_into_another_home(exported, tmp_path, monkeypatch):
    draft, bundle = exported
    from reeleditor.storage.drafts import DraftStore

    other = DraftStore(tmp_path / "elsewhere" / "drafts")
    other.root.mkdir(parents=True)
    new_id, original = import_bundle(other, bundle)
    assert new_id == original == draft.id
    assert other.load(new_id) == draft
    assert (other.media_dir(new_id) / "seg-0001.mp4").read_bytes() == b"\x00video" * 1000
    assert other.missing_segments(other.load(new_id)) == ()


def test_imported_twice_gets_new_id_and_never_overwrites(store, exported):
    draft, bundle = exported
    store.save(draft.with_changes(title="edited here"))
    new_id, original = import_bundle(store, bundle)
    assert original == draft.id and new_id != draft.id
    third, _ = import_bundle(store, bundle)
    assert len({draft.id, new_id, third}) == 3
    assert store.load(draft.id).title == "edited here"
    assert store.load(new_id).title == "trip"


def test_tampered_media_is_rejected(store, exported, tmp_path):
    _, bundle = exported
    bad = _rewrite(
        bundle,
        tmp_path / "bad.reeldraft",
        lambda n, d: d.replace(b"video", b"VIDEO") if n.endswith(".mp4") else d,
    )
    with pytest.raises(BundleError, match="seg-0001.mp4 does not match its checksum"):
        import_bundle(store, bad)
    assert len(store.scan()[0]) == 1 and not list(store.root.glob(".import-*"))


def test_truncated_bundle_is_rejected(store, exported, tmp_path):
    _, bundle = exported
    data = bundle.read_bytes()
    cut = tmp_path / "cut.reeldraft"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(BundleError, match="damaged or truncated"):
        import_bundle(store, cut)


def test_entry_missing_from_bundle_is_rejected(store, exported, tmp_path):
    _, bundle = exported
    bad = _rewrite(
        bundle, tmp_path / "bad.reeldraft", lambda n, d: None if n.endswith(".mp4") else d
    )
    with pytest.raises(BundleError, match="missing from the bundle's manifest"):
        import_bundle(store, bad)


@pytest.mark.parametrize("evil", ["../x", "media/../../x", "/etc/evil", "C:/evil", "media\\..\\x"])
def test_path_traversal_entries_are_rejected(store, exported, tmp_path, evil):
    _, bundle = exported

    def add_evil(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["files"][evil] = _manifest_entry(b"pwned")
            return json.dumps(manifest)
        return data

    bad = _rewrite(bundle, tmp_path / "evil.reeldraft", add_evil)
    with zipfile.ZipFile(bad, "a") as zf:
        zf.writestr(zipfile.ZipInfo(evil), b"pwned")
    with pytest.raises(BundleError, match="points outside the draft"):
        import_bundle(store, bad)
    assert not (tmp_path / "x").exists() and not (store.root.parent / "x").exists()


def test_symlink_entries_are_rejected(store, exported, tmp_path):
    _, bundle = exported
    bad = tmp_path / "link.reeldraft"
    _rewrite(bundle, bad, lambda n, d: d)
    with zipfile.ZipFile(bad, "a") as zf:
        info = zipfile.ZipInfo("media/link.mp4")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(BundleError, match="symbolic link"):
        import_bundle(store, bad)


def test_not_a_bundle(store, tmp_path):
    junk = tmp_path / "notes.reeldraft"
    junk.write_text("hello")
    with pytest.raises(BundleError, match="damaged or truncated"):
        import_bundle(store, junk)
    plain_zip = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(BundleError, match="not a reeleditor draft bundle"):
        import_bundle(store, plain_zip)
    with pytest.raises(BundleError, match="does not exist"):
        import_bundle(store, tmp_path / "nope.reeldraft")


def test_failed_export_leaves_no_file(store, exported, tmp_path):
    draft, _ = exported
    from reeleditor.core.errors import StorageError

    with pytest.raises(StorageError):
        export_bundle(store, draft.id, tmp_path / "no-such-dir" / "x.reeldraft")
    assert not (tmp_path / "no-such-dir").exists()
