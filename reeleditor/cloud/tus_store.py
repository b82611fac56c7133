"""The server's upload store: one data file and one info file per tus upload."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from reeleditor.storage.atomic import atomic_write

EXPIRE_SECONDS = 24 * 3600  # an unfinished upload is kept a day, then it is gone (410)
_ID_RE = re.compile(r"^[a-f0-9]{32}$")


@dataclass
class UploadInfo:
    id: str
    length: int | None
    offset: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    created: float = field(default_factory=time.time)
    expires: float = field(default_factory=lambda: time.time() + EXPIRE_SECONDS)
    sha256: str = ""  # hex digest of the stored bytes, once the upload is complete

    @property
    def complete(self) -> bool:
        return self.length is not None and self.offset == self.length

    @property
    def expired(self) -> bool:
        return not self.complete and time.time() > self.expires


def parse_metadata(header: str) -> dict[str, str]:
    """Upload-Metadata: 'key base64,key2 base64' -> dict; raises ValueError on bad input."""
    meta = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, value = pair.partition(" ")
        if not key or " " in value:
            raise ValueError(f"bad metadata pair {pair!r}")
        meta[key] = base64.b64decode(value, validate=True).decode("utf-8") if value else ""
    return meta


class UploadStore:
    """Files under `root`: <id>.bin (the bytes so far) and <id>.json (length, offset, ...)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def lock(self, upload_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(upload_id, threading.Lock())

    def data_path(self, upload_id: str) -> Path:
        return self.root / f"{upload_id}.bin"

    def create(self, length: int | None, metadata: dict[str, str]) -> UploadInfo:
        info = UploadInfo(uuid.uuid4().hex, length, metadata=metadata)
        self.data_path(info.id).touch()
        self.save(info)
        return info

    def get(self, upload_id: str) -> UploadInfo | None:
        if not _ID_RE.match(upload_id):
            return None
        try:
            data = json.loads((self.root / f"{upload_id}.json").read_text())
            return UploadInfo(**data)
        except (OSError, ValueError, TypeError):
            return None

    def save(self, info: UploadInfo) -> None:
        atomic_write(
            self.root / f"{info.id}.json", json.dumps(asdict(info)).encode(), sync_dir=False
        )

    def delete(self, upload_id: str) -> None:
        for path in (self.data_path(upload_id), self.root / f"{upload_id}.json"):
            with contextlib.suppress(OSError):
                path.unlink()

    def append(self, info: UploadInfo, chunk: bytes) -> None:
        with open(self.data_path(info.id), "r+b") as fh:
            fh.seek(info.offset)
            fh.write(chunk)
            fh.truncate()
            fh.flush()
            os.fsync(fh.fileno())  # the offset we answer must be on disk
        info.offset += len(chunk)
        info.sha256 = ""  # the bytes changed: computed again when the upload is complete
        self.save(info)

    def seal(self, info: UploadInfo) -> str:
        """The sha256 of a complete upload's bytes, computed once and kept in its info."""
        if not info.sha256:
            digest = hashlib.sha256()
            with open(self.data_path(info.id), "rb") as fh:
                while block := fh.read(1 << 20):
                    digest.update(block)
            info.sha256 = digest.hexdigest()
            self.save(info)
        return info.sha256

    def purge_expired(self) -> int:
        gone = 0
        for path in self.root.glob("*.json"):
            info = self.get(path.stem)
            if info is not None and info.expired:
                self.delete(info.id)
                gone += 1
        return gone
