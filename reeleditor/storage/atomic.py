"""Atomic file writes: temp file, fsync, os.replace, fsync the folder."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from reeleditor.core.errors import StorageError


def fsync_dir(folder: Path) -> None:
    """Make a rename or link in `folder` durable (a no-op where folders can't be opened)."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_temp(path: Path, data: bytes) -> Path:
    """Write `data` to a fsynced temp file beside `path` and return the temp path."""
    try:
        # a unique name: two threads saving the same file never share a temp file
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        tmp = Path(name)
        if os.name != "nt":
            os.fchmod(fd, 0o644)  # mkstemp makes 0600; a draft is as readable as any file
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        if "tmp" in locals():
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise storage_error(path, exc) from exc
    return tmp


def atomic_write(path: Path, data: bytes, *, sync_dir: bool = True) -> None:
    """Replace `path` with `data` so a reader sees the old or the new bytes, never a mix."""
    path = Path(path)
    tmp = write_temp(path, data)
    try:
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise storage_error(path, exc) from exc
    if sync_dir:
        fsync_dir(path.parent)


def storage_error(path: Path, exc: OSError) -> StorageError:
    """A one-line error for a failed write, with the likely remedy."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageError(
            f"could not write {path}: the disk is full", "free some space and retry"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StorageError(
            f"could not write {path}: {exc.strerror}", "check the folder's permissions"
        )
    return StorageError(f"could not write {path}: {exc.strerror or exc}")
