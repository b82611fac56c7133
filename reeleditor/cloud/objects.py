"""Object storage in a local folder (the embedded shape); S3 is in objects_s3.py.

Keys are '/'-separated paths under the root. A tus upload is one file that each PATCH
appends to: the sink writes at the committed offset, fsyncs at commit, and on discard
truncates back, so the bytes on disk past the catalog's offset never count.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from reeleditor.cloud.contracts import ObjectInfo

CHUNK = 1 << 20  # read() yields at most this much at a time (the contract says 1 MiB)

CONTENT_TYPES = {  # what players and browsers expect of each published kind
    ".m3u8": "application/vnd.apple.mpegurl",  # HLS playlists (RFC 8216)
    ".m4s": "video/iso.segment",  # CMAF/fMP4 media segments (IANA)
    ".mp4": "video/mp4",  # init segments and progressive renditions
    ".ts": "video/mp2t",
    ".vtt": "text/vtt; charset=utf-8",  # WebVTT is UTF-8 by definition
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".png": "image/png",
    ".json": "application/json",
}


def content_type_for(key: str) -> str:
    """The Content-Type of a stored file, by its extension (the same on every platform:
    no guess from the system's MIME tables)."""
    suffix = os.path.splitext(key)[1].lower()
    return CONTENT_TYPES.get(suffix, "application/octet-stream")


def check_key(key: str) -> str:
    parts = key.split("/")
    if (
        not key
        or key.startswith("/")
        or any(p in ("", ".", "..") for p in parts[:-1])
        or (parts[-1] in (".", ".."))
    ):
        raise ValueError(f"bad object key {key!r}")
    return key


class FolderSink:
    """One PATCH body appended to the upload's file; commit or discard ends it."""

    def __init__(self, path: Path, offset: int) -> None:
        self._fh = open(path, "r+b")  # noqa: SIM115 (closed by commit/discard)
        self._start = offset
        size = os.fstat(self._fh.fileno()).st_size
        if size < offset:  # never pad with zeros what the disk lost
            self._fh.close()
            raise OSError(f"the upload holds {size} bytes, fewer than its offset {offset}")
        # bytes past the committed offset are a PATCH that never committed (a killed node)
        self._fh.truncate(offset)
        self._fh.seek(offset)
        self._written = 0

    def write(self, data: bytes) -> None:
        self._fh.write(data)
        self._written += len(data)

    def commit(self) -> tuple[int, dict]:
        try:
            self._fh.flush()
            os.fsync(self._fh.fileno())  # the offset we answer must be on disk
        finally:
            self._fh.close()
        return self._start + self._written, {}

    def discard(self) -> None:
        try:
            self._fh.truncate(self._start)
        finally:
            self._fh.close()


class FolderStore:
    """An ObjectStore in a folder; writes go to a temp file and are renamed into place."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"FolderStore({str(self.root)!r})"

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    # resumable uploads

    def begin_upload(self, key: str) -> dict:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        return {}

    def open_sink(self, key: str, state: dict, offset: int) -> FolderSink:
        return FolderSink(self.path(key), offset)

    def finish_upload(self, key: str, state: dict) -> None:
        if not self.path(key).is_file():
            raise FileNotFoundError(f"no upload at {key}")

    def abort_upload(self, key: str, state: dict) -> None:
        self.delete(key)

    # objects

    def _write_atomic(self, key: str, fill) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fill(fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def put_file(self, key: str, path: str, content_type: str) -> None:
        def fill(fh):
            with open(path, "rb") as src:
                shutil.copyfileobj(src, fh, CHUNK)

        self._write_atomic(key, fill)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        self._write_atomic(key, lambda fh: fh.write(data))

    def fetch_to_file(self, key: str, path: str) -> None:
        shutil.copyfile(self.path(key), path)

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            st = self.path(key).stat()
        except (OSError, ValueError):
            return None
        if not os.path.isfile(self.path(key)):
            return None
        return ObjectInfo(
            key=key,
            size=st.st_size,
            etag=f'"{st.st_size:x}-{st.st_mtime_ns:x}"',  # as nginx does: size and mtime
            modified=st.st_mtime,
            content_type=content_type_for(key),
        )

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        with open(self.path(key), "rb") as fh:
            fh.seek(start)
            left = None if end is None else max(0, end - start)
            while left is None or left > 0:
                block = fh.read(CHUNK if left is None else min(CHUNK, left))
                if not block:
                    return
                if left is not None:
                    left -= len(block)
                yield block

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()

    def list_keys(self, prefix: str) -> list[str]:
        base = self.path(prefix.rstrip("/"))
        found = []
        for folder, _dirs, files in os.walk(base):
            for name in files:
                if not name.startswith("."):  # a temp file of a write in progress
                    found.append(Path(folder, name).relative_to(self.root).as_posix())
        return sorted(found)

    def delete_prefix(self, prefix: str) -> None:
        prefix = prefix.rstrip("/")
        target = self.path(prefix)
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
