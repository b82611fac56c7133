"""The durable upload queue: one atomically written JSON file per entry under uploads/."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from reeleditor.core.errors import StorageError
from reeleditor.storage.atomic import atomic_write
from reeleditor.storage.locks import FileLock
from reeleditor.upload.errors import EntryNotFound, UploadBusy

ENTRY_VERSION = 1
STATES = ("queued", "uploading", "paused", "verifying", "done", "failed")
UNFINISHED = ("queued", "uploading", "paused", "verifying", "failed")
_ID_RE = re.compile(r"^[0-9a-f]{8}$")
# The captions ride in the Upload-Metadata header (base64, a third larger): servers and
# proxies refuse header lines past 8 KiB by default (aiohttp, nginx), so 5,000 bytes of
# WebVTT (about 3 minutes of speech) leave room for the other keys.
CAPTIONS_LIMIT = 5000
_MUTEX_WAIT = 10.0  # seconds to wait for another process's read-modify-write of an entry


@dataclass(frozen=True)
class UploadEntry:
    """One reel to publish; `offset` is the last offset the server confirmed."""

    id: str
    file: str
    size: int
    sha256: str
    endpoint: str
    created: float
    updated: float
    title: str = ""
    draft_id: str = ""
    filetype: str = "video/mp4"
    upload_url: str = ""
    offset: int = 0
    expires: float | None = None
    state: str = "queued"
    attempts: int = 0
    last_error: str = ""
    cancel_requested: bool = False
    verified: str = ""  # what was checked on the server when the upload finished, in words
    reason: str = ""  # why it failed, in the window's words (last_error has ids and hints)
    cover: float | None = None  # seconds into the reel for the poster; None: the server picks
    captions: str = ""  # WebVTT sent with it (tus metadata), at most CAPTIONS_LIMIT bytes
    # the captions are also burned into the picture: the cloud then offers them off by
    # default, or viewers would see every line twice
    captions_burned: bool = False

    @property
    def name(self) -> str:
        return Path(self.file).name

    def to_dict(self) -> dict:
        return {"schema_version": ENTRY_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: Any) -> UploadEntry:
        if not isinstance(data, dict):
            raise ValueError("not an object")
        if int(data.get("schema_version", 0)) > ENTRY_VERSION:
            raise ValueError("written by a newer reeleditor")
        known = {f.name for f in fields(cls)}
        entry = cls(**{k: v for k, v in data.items() if k in known})
        if entry.state not in STATES or not _ID_RE.match(entry.id):
            raise ValueError(f"bad state or id ({entry.state!r}, {entry.id!r})")
        return entry


class UploadQueue:
    """Entries live in `folder`; updates are read-modify-write under a cross-process mutex.

    Another process (say `reeleditor uploads pause ID`) may change an entry while a worker
    uploads it; the worker re-reads the entry after each chunk and honours the change.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._thread_lock = threading.RLock()
        self.problems: list[str] = []  # entries that could not be read, set aside

    # -- paths and locks -----------------------------------------------------------------
    def path(self, entry_id: str) -> Path:
        if not _ID_RE.match(entry_id or ""):
            raise EntryNotFound(
                f"{entry_id!r} is not an upload id", "see 'reeleditor uploads list'"
            )
        return self.folder / f"{entry_id}.json"

    @contextlib.contextmanager
    def _mutex(self) -> Iterator[None]:
        with self._thread_lock:
            lock = FileLock(self.folder / ".queue.lock")
            deadline = time.monotonic() + _MUTEX_WAIT
            while not lock.acquire():  # held for a few milliseconds by another process
                if time.monotonic() > deadline:
                    raise StorageError(f"the upload queue in {self.folder} stays locked")
                time.sleep(0.005)
            try:
                yield
            finally:
                lock.release()

    def claim(self, entry_id: str) -> FileLock:
        """Hold the right to upload this entry (released by the caller); UploadBusy if taken."""
        self.path(entry_id)
        lock = FileLock(self.folder / f"{entry_id}.lock")
        if not lock.acquire():
            pid = lock.holder_pid()
            raise UploadBusy(
                f"upload {entry_id} is already running in process {pid}",
                "pause it there, or wait for it to finish",
            )
        return lock

    def is_running(self, entry_id: str) -> bool:
        """True when some worker (in any process) holds the entry."""
        lock = FileLock(self.folder / f"{entry_id}.lock")
        if lock.acquire():
            lock.release()
            return False
        return True

    # -- reading -------------------------------------------------------------------------
    def _read(self, path: Path) -> UploadEntry:
        entry = UploadEntry.from_dict(json.loads(path.read_bytes()))
        progress = path.with_suffix(".progress")
        try:
            data = json.loads(progress.read_bytes())
            if entry.upload_url and data["upload_url"] == entry.upload_url:
                entry = replace(entry, offset=int(data["offset"]), expires=data.get("expires"))
        except (OSError, ValueError, TypeError, KeyError):
            pass  # no progress newer than the entry, or a torn one: the entry's offset stands
        return entry

    def get(self, entry_id: str) -> UploadEntry:
        path = self.path(entry_id)
        try:
            return self._read(path)
        except FileNotFoundError:
            raise EntryNotFound(
                f"no upload {entry_id} in the queue", "see 'reeleditor uploads list'"
            ) from None
        except (ValueError, TypeError) as exc:
            raise StorageError(f"upload entry {path} is damaged ({exc})") from exc

    def list(self) -> list[UploadEntry]:
        """All entries, oldest first; damaged files are renamed *.damaged and reported."""
        entries, self.problems = [], []
        for path in sorted(self.folder.glob("*.json")):
            try:
                entries.append(self._read(path))
            except FileNotFoundError:
                continue  # removed while we listed
            except (OSError, ValueError, TypeError) as exc:
                aside = path.with_suffix(".json.damaged")
                with contextlib.suppress(OSError):
                    os.replace(path, aside)
                self.problems.append(
                    f"upload entry {path.name} could not be read ({exc}); kept as {aside.name}"
                )
        return sorted(entries, key=lambda e: (e.created, e.id))

    def find_unfinished(self, file: Path, endpoint: str) -> UploadEntry | None:
        path = str(Path(file).absolute())
        for entry in self.list():
            if entry.file == path and entry.endpoint == endpoint and entry.state in UNFINISHED:
                return entry
        return None

    # -- writing -------------------------------------------------------------------------
    def _write(self, entry: UploadEntry) -> None:
        data = json.dumps(entry.to_dict(), indent=1).encode()
        path = self.path(entry.id)
        atomic_write(path, data)
        with contextlib.suppress(FileNotFoundError):
            path.with_suffix(".progress").unlink()  # the entry now holds the latest offset

    def record_progress(self, entry_id: str, upload_url: str, offset: int, expires=None) -> None:
        """Note a confirmed offset cheaply: no fsync, beside the entry, by the claim's holder.

        The offset is only a hint (a resumed upload asks the server with HEAD), so a crash
        that loses this file loses nothing; fsyncing after every chunk would make each
        chunk wait for the disk to flush everything else written meanwhile.
        """
        path = self.path(entry_id).with_suffix(".progress")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        data = {"upload_url": upload_url, "offset": offset, "expires": expires}
        try:
            tmp.write_bytes(json.dumps(data).encode())
            os.replace(tmp, path)
        except OSError as exc:
            raise StorageError(f"could not write {path}: {exc.strerror or exc}") from exc

    def add(
        self,
        file: Path,
        size: int,
        sha256: str,
        endpoint: str,
        *,
        title: str = "",
        draft_id: str = "",
        filetype: str = "video/mp4",
        cover: float | None = None,
        captions: str = "",
        captions_burned: bool = False,
    ) -> UploadEntry:
        with self._mutex():
            return self._add(
                file,
                size,
                sha256,
                endpoint,
                title,
                draft_id,
                filetype,
                cover,
                captions,
                captions_burned,
            )

    def _add(
        self,
        file: Path,
        size: int,
        sha256: str,
        endpoint: str,
        title: str = "",
        draft_id: str = "",
        filetype: str = "video/mp4",
        cover: float | None = None,
        captions: str = "",
        captions_burned: bool = False,
    ) -> UploadEntry:
        """Write a new entry; the caller holds the mutex."""
        if captions and not captions_burned:
            from reeleditor.media.vtt import says_burned  # light: no codecs or pixels

            captions_burned = says_burned(captions)  # the export marks burned captions
        now = time.time()
        while True:
            entry_id = secrets.token_hex(4)
            if not self.path(entry_id).exists():
                break
        entry = UploadEntry(
            id=entry_id,
            file=str(Path(file).absolute()),
            size=size,
            sha256=sha256,
            endpoint=endpoint,
            created=now,
            updated=now,
            title=title,
            draft_id=draft_id,
            filetype=filetype,
            cover=cover,
            captions=captions,
            captions_burned=captions_burned,
        )
        self._write(entry)
        return entry

    def find_or_add(
        self,
        file: Path,
        size: int,
        sha256: str,
        endpoint: str,
        **kw: Any,
    ) -> tuple[UploadEntry, bool]:
        """The unfinished entry for this file, content and endpoint, else a new one (True).

        Looked up and added under the queue's mutex, so two publishes of one export racing
        each other (threads or processes) make one entry, not two uploads.
        """
        path = str(Path(file).absolute())
        with self._mutex():
            for entry in self.list():
                if (entry.file, entry.sha256, entry.endpoint) == (path, sha256, endpoint) and (
                    entry.state in UNFINISHED and not entry.cancel_requested
                ):
                    return entry, False
            return self._add(file, size, sha256, endpoint, **kw), True

    def update(self, entry_id: str, **changes: Any) -> UploadEntry:
        """Apply `changes` to the stored entry (not to a stale copy) and return the result."""
        with self._mutex():
            entry = replace(self.get(entry_id), **changes, updated=time.time())
            self._write(entry)
        return entry

    def remove(self, entry_id: str) -> None:
        with self._mutex():
            for suffix in (".json", ".progress"):
                with contextlib.suppress(FileNotFoundError):
                    self.path(entry_id).with_suffix(suffix).unlink()
            with contextlib.suppress(OSError):
                (self.folder / f"{entry_id}.lock").unlink()


def captions_beside(video: Path) -> tuple[str, str]:
    """(WebVTT text, notice) of the captions an export wrote beside `video` (same name,
    .vtt): ("", "") when there are none; ("", why) when they are too long to send."""
    path = Path(video).with_suffix(".vtt")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "", ""
    except OSError as exc:
        return "", f"the captions {path} cannot be read ({exc.strerror or exc}); sent without"
    if len(data) > CAPTIONS_LIMIT:
        return "", (
            f"the captions ({len(data):,} bytes) are over the {CAPTIONS_LIMIT:,} bytes an "
            "upload carries; the reel is sent without them"
        )
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError:
        return "", f"the captions {path} are not UTF-8; the reel is sent without them"
