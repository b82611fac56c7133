"""Draft bundles (.reeldraft): a zip of draft.json, media and a sha256 manifest."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from reeleditor.core.draft import new_id
from reeleditor.core.errors import BundleError, DraftFormatError, StorageError
from reeleditor.storage.atomic import fsync_dir, storage_error
from reeleditor.storage.drafts import (
    DRAFT_FILE,
    HISTORY_DIR,
    MEDIA_DIR,
    THUMB_FILE,
    DraftStore,
    encode_draft,
    parse_draft,
    write_history_copy,
)

MANIFEST = "manifest.json"
BUNDLE_FORMAT = "reeldraft"
BUNDLE_VERSION = 1
_CHUNK = 1 << 20


def _bundle_members(store: DraftStore, draft_id: str) -> list[tuple[str, Path]]:
    folder = store.folder(draft_id)
    members = [(DRAFT_FILE, folder / DRAFT_FILE)]
    if (folder / THUMB_FILE).is_file():
        members.append((THUMB_FILE, folder / THUMB_FILE))
    media = folder / MEDIA_DIR
    for path in sorted(media.rglob("*")):
        if path.is_file() and not path.is_symlink():
            members.append((f"{MEDIA_DIR}/{path.relative_to(media).as_posix()}", path))
    return members


def _copy_hashing(path: Path, zf: zipfile.ZipFile, name: str, method: int) -> dict:
    """Copy one file into the zip and hash the very bytes copied (it may change meanwhile)."""
    digest = hashlib.sha256()
    size = 0
    info = zipfile.ZipInfo.from_file(path, name)
    info.compress_type = method
    with open(path, "rb") as src, zf.open(info, "w", force_zip64=True) as dst:
        while block := src.read(_CHUNK):
            digest.update(block)
            dst.write(block)
            size += len(block)
    return {"sha256": digest.hexdigest(), "size": size}


def export_bundle(store: DraftStore, draft_id: str, out: Path) -> Path:
    """Write the draft to `out` as a bundle (atomically: a failed export leaves no file).

    The manifest describes the bytes that went into the zip, read once each, so an autosave
    or a thumbnail refresh during the export cannot make the bundle disagree with itself.
    """
    store.load(draft_id)  # refuse a draft that does not load
    out = Path(out)
    members = _bundle_members(store, draft_id)
    files = {}
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w") as zf:
            for name, path in members:
                # Video is already compressed; deflating it again only costs time.
                method = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
                files[name] = _copy_hashing(path, zf, name, method)
            manifest = {
                "format": BUNDLE_FORMAT,
                "version": BUNDLE_VERSION,
                "draft_id": draft_id,
                "files": files,
            }
            zf.writestr(MANIFEST, json.dumps(manifest, indent=1), zipfile.ZIP_DEFLATED)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
        fsync_dir(out.parent.absolute())
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise storage_error(out, exc) from exc
    return out


def _safe_member_name(info: zipfile.ZipInfo, bundle: Path) -> str:
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise BundleError(f"{bundle}: entry {name!r} is a symbolic link; refusing the bundle")
    parts = PurePosixPath(name).parts
    if (
        "\\" in name
        or name.startswith("/")
        or (len(name) > 1 and name[1] == ":")
        or any(p in ("..", ".", "") for p in name.rstrip("/").split("/"))
        or not parts
    ):
        raise BundleError(f"{bundle}: entry {name!r} points outside the draft; refusing the bundle")
    return name


def _read_manifest(zf: zipfile.ZipFile, bundle: Path) -> dict:
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except KeyError:
        raise BundleError(
            f"{bundle} has no manifest; it is not a reeleditor draft bundle"
        ) from None
    except ValueError as exc:
        raise BundleError(f"{bundle}: the manifest is damaged ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{bundle} is not a reeleditor draft bundle")
    if manifest.get("version", 0) > BUNDLE_VERSION:
        raise BundleError(f"{bundle} was made by a newer reeleditor", "update reeleditor")
    files = manifest.get("files")
    if not isinstance(files, dict) or DRAFT_FILE not in files:
        raise BundleError(f"{bundle}: the manifest lists no draft.json")
    return files


def _extract_verified(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, expected: dict, dest: Path, bundle: Path
) -> None:
    size = expected.get("size")
    if info.file_size != size:
        raise BundleError(
            f"{bundle}: {info.filename} is {info.file_size} bytes, "
            f"the manifest says {size}; the bundle was altered"
        )
    digest = hashlib.sha256()
    written = 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zf.open(info) as src, open(dest, "wb") as out:
        while block := src.read(_CHUNK):
            written += len(block)
            if written > size:
                raise BundleError(f"{bundle}: {info.filename} is longer than its manifest says")
            digest.update(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != expected.get("sha256"):
        raise BundleError(
            f"{bundle}: {info.filename} does not match its checksum; "
            "the bundle was altered or damaged"
        )


def import_bundle(store: DraftStore, bundle: Path) -> tuple[str, str]:
    """Import a bundle as a new draft; returns (draft id, original id). Never overwrites."""
    bundle = Path(bundle)
    if not bundle.is_file():
        raise BundleError(f"{bundle} does not exist")
    staging = store.root / f".import-{new_id()}"
    try:
        with zipfile.ZipFile(bundle) as zf:
            files = _read_manifest(zf, bundle)
            infos = [i for i in zf.infolist() if not i.is_dir()]
            names = {_safe_member_name(i, bundle) for i in infos}
            for name in files:
                _safe_member_name(zipfile.ZipInfo(name), bundle)
            extra = names - set(files) - {MANIFEST}
            missing = set(files) - names
            if extra or missing:
                which = sorted(extra or missing)[0]
                raise BundleError(
                    f"{bundle}: {which!r} is {'not in' if extra else 'missing from'}"
                    " the bundle's manifest; the bundle was altered or truncated"
                )
            staging.mkdir(parents=True)
            (staging / MEDIA_DIR).mkdir()
            (staging / HISTORY_DIR).mkdir()
            for info in infos:
                if info.filename != MANIFEST:
                    _extract_verified(
                        zf,
                        info,
                        files[info.filename],
                        staging / Path(*info.filename.split("/")),
                        bundle,
                    )
        draft_path = staging / DRAFT_FILE
        try:
            draft = parse_draft(draft_path.read_bytes(), bundle / DRAFT_FILE)
        except DraftFormatError as exc:
            raise BundleError(f"{bundle}: {exc}") from exc
        original = draft.id
        if store.folder(draft.id).exists():  # imported twice, or the original is here
            draft = draft.with_changes(id=new_id())
        data = encode_draft(draft)
        draft_path.write_bytes(data)
        write_history_copy(staging / HISTORY_DIR / "v000001.json", data)
        os.replace(staging, store.folder(draft.id))
        fsync_dir(store.root)
        return draft.id, original
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
        raise BundleError(
            f"{bundle} is damaged or truncated ({exc})", "export it again from the source"
        ) from exc
    except OSError as exc:
        raise StorageError(f"could not import {bundle}: {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
