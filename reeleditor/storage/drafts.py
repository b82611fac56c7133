"""The draft store: one folder per draft, atomic saves, history, per-draft locks."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import threading
import time
import weakref
from dataclasses import dataclass, replace
from pathlib import Path

from reeleditor.core.draft import Draft, Segment, new_id
from reeleditor.core.errors import DraftFormatError, DraftLockedError, DraftNotFound
from reeleditor.core.migrations import migrate
from reeleditor.storage.atomic import fsync_dir, storage_error, write_temp
from reeleditor.storage.locks import FileLock

DRAFT_FILE = "draft.json"
THUMB_FILE = "thumb.jpg"
HISTORY_DIR = "history"
MEDIA_DIR = "media"
LOCK_FILE = ".lock"
HISTORY_LIMIT = 20
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_VERSION_RE = re.compile(r"^v(\d{6,})\.json$")


@dataclass(frozen=True)
class DraftProblem:
    """A draft folder that could not be loaded, set aside with the reason."""

    draft_id: str
    path: Path
    reason: str
    history_versions: int

    def describe(self) -> str:
        text = f"draft {self.draft_id} set aside: {self.reason} ({self.path})"
        if self.history_versions:
            text += (
                f"; {self.history_versions} earlier version(s) kept, "
                f"restore with 'reeleditor drafts restore {self.draft_id}'"
            )
        return text


@dataclass(frozen=True)
class HistoryEntry:
    draft_id: str
    version: int
    path: Path
    saved_at: float


def _bad_file(path: Path, reason: str, hint: str = "") -> DraftFormatError:
    error = DraftFormatError(f"{path}: {reason}", hint)
    error.reason = reason
    return error


def parse_draft(raw: bytes, path: Path) -> Draft:
    """Decode, migrate and validate stored draft bytes; errors name the file."""
    if not raw.strip():
        raise _bad_file(path, "the file is empty")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad_file(path, f"not valid JSON ({exc})") from exc
    try:
        return Draft.from_dict(migrate(data))
    except DraftFormatError as exc:
        raise _bad_file(path, exc.message, exc.hint) from exc


def write_history_copy(dest: Path, data: bytes) -> None:
    """Keep a version in history as its own file (not a hard link: damage done in place to
    draft.json must not reach its history). Not fsynced: the durable copy is draft.json, and
    a history file cut short by a power loss is skipped on restore. The rename makes a
    killed process leave a whole file or none."""
    tmp = dest.with_name(f".{dest.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, dest)


_JSON_CACHE_LIMIT = 8192  # entries; a draft holds hundreds of segments, not thousands
_json_cache: dict[int, tuple[weakref.ref, str]] = {}


def _segment_json(segment: Segment) -> str:
    """One segment's JSON, encoded once: segments are mostly unchanged between autosaves.

    The cache sits beside the frozen segment, never on it: keyed by identity, with a weak
    reference that tells a live entry from one whose segment is gone and whose id was
    reused. Identity, not value, because hashing 200 segments costs more than the lookup
    saves. Plain dict get/set are atomic, so the GUI thread and the storage lane can share it.
    """
    hit = _json_cache.get(id(segment))
    if hit is not None and hit[0]() is segment:
        return hit[1]
    text = json.dumps(segment.to_dict(), ensure_ascii=False)
    if len(_json_cache) >= _JSON_CACHE_LIMIT:
        _json_cache.clear()  # rare; entries of dead segments go with it
    _json_cache[id(segment)] = (weakref.ref(segment), text)
    return text


def encode_draft(draft: Draft) -> bytes:
    """draft.json bytes: the fields, then the segments last, one a line (readable, cheap).

    The segments' cached texts go in a list appended at the end of the object (its closing
    brace is the one place they can go), never pasted over a searched-for substring.
    """
    data = replace(draft, segments=()).to_dict()
    del data["segments"]
    head = json.dumps(data, ensure_ascii=False)
    lines = ",\n  ".join(_segment_json(s) for s in draft.segments)
    segments = f"[\n  {lines}\n]" if lines else "[]"
    return f'{head[:-1]}, "segments": {segments}}}'.encode()


class DraftStore:
    """Reads and writes drafts under `root`; saves need this process to hold the draft's lock."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._locks: dict[str, FileLock] = {}
        self._next_version: dict[str, int] = {}
        # one store is shared by the GUI thread, the storage lane and a take's thread
        self._thread_locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()

    # -- paths ---------------------------------------------------------------------------
    def folder(self, draft_id: str) -> Path:
        if not _ID_RE.match(draft_id or ""):
            raise DraftNotFound(f"{draft_id!r} is not a draft id", "see 'reeleditor drafts list'")
        return self.root / draft_id

    def media_path(self, draft: Draft, segment: Segment) -> Path:
        return self.folder(draft.id) / Path(*segment.media.split("/"))

    def media_dir(self, draft_id: str) -> Path:
        return self.folder(draft_id) / MEDIA_DIR

    def thumb_path(self, draft_id: str) -> Path:
        return self.folder(draft_id) / THUMB_FILE

    def exists(self, draft_id: str) -> bool:
        return (self.folder(draft_id) / DRAFT_FILE).is_file()

    # -- locks ---------------------------------------------------------------------------
    def _thread_lock(self, draft_id: str) -> threading.RLock:
        with self._guard:
            return self._thread_locks.setdefault(draft_id, threading.RLock())

    def lock(self, draft_id: str) -> None:
        """Hold the draft for this process until `release`; a second instance is refused."""
        if draft_id in self._locks:
            return
        folder = self.folder(draft_id)
        if not folder.is_dir():
            raise DraftNotFound(f"no draft {draft_id}", "see 'reeleditor drafts list'")
        lock = FileLock(folder / LOCK_FILE)
        if not lock.acquire():
            pid = lock.holder_pid()
            who = f" (process {pid})" if pid else ""
            raise DraftLockedError(
                f"draft {draft_id} is open in another reeleditor{who}",
                "close it there first",
            )
        self._locks[draft_id] = lock
        # another process may have saved versions since we last held it: count afresh
        self._next_version.pop(draft_id, None)
        stale_temps = [*folder.glob(".*.tmp"), *(folder / HISTORY_DIR).glob(".*.tmp")]
        for stale in stale_temps:  # temp files of a save that was killed
            with contextlib.suppress(OSError):
                stale.unlink()

    def release(self, draft_id: str) -> None:
        lock = self._locks.pop(draft_id, None)
        if lock:
            lock.release()
        self._next_version.pop(draft_id, None)

    def close(self) -> None:
        for draft_id in list(self._locks):
            self.release(draft_id)

    @contextlib.contextmanager
    def locked(self, draft_id: str):
        """Hold the lock for a block (other threads of this process wait their turn)."""
        with self._thread_lock(draft_id):
            held = draft_id in self._locks
            self.lock(draft_id)
            try:
                yield
            finally:
                if not held:
                    self.release(draft_id)

    # -- read ----------------------------------------------------------------------------
    def load(self, draft_id: str) -> Draft:
        path = self.folder(draft_id) / DRAFT_FILE
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise DraftNotFound(f"no draft {draft_id}", "see 'reeleditor drafts list'") from None
        except OSError as exc:
            raise _bad_file(path, f"cannot be read ({exc.strerror})") from exc
        draft = parse_draft(raw, path)
        if draft.id != draft_id:
            raise _bad_file(path, f"names draft {draft.id!r}, not its folder {draft_id!r}")
        return draft

    def scan(self) -> tuple[list[Draft], list[DraftProblem]]:
        """Every draft that loads, newest first, and a problem for each that does not."""
        drafts: list[Draft] = []
        problems: list[DraftProblem] = []
        if not self.root.is_dir():
            return drafts, problems
        for entry in sorted(self.root.iterdir()):
            if entry.name.startswith(".") or not entry.is_dir() or not _ID_RE.match(entry.name):
                continue
            try:
                drafts.append(self.load(entry.name))
            except DraftNotFound:
                problems.append(
                    DraftProblem(entry.name, entry, "no draft.json", len(self._versions(entry)))
                )
            except DraftFormatError as exc:
                reason = getattr(exc, "reason", exc.message)
                problems.append(
                    DraftProblem(entry.name, entry / DRAFT_FILE, reason, len(self._versions(entry)))
                )
        drafts.sort(key=lambda d: d.updated, reverse=True)
        return drafts, problems

    def missing_segments(self, draft: Draft) -> tuple[str, ...]:
        """Ids of segments whose media file is not on disk (the draft still loads)."""
        return tuple(s.id for s in draft.segments if not self.media_path(draft, s).is_file())

    def missing_voiceovers(self, draft: Draft) -> tuple[str, ...]:
        """Ids of voice-overs whose sound file is not on disk (the export would refuse)."""
        folder = self.folder(draft.id)
        return tuple(
            v.id for v in draft.voiceovers if not Path(folder, *v.media.split("/")).is_file()
        )

    # -- write ---------------------------------------------------------------------------
    def create(self, title: str = "", now: float | None = None, **fields) -> Draft:
        now = time.time() if now is None else now
        draft = Draft(
            id=new_id(),
            title=title or time.strftime("Reel %d %b %H:%M", time.localtime(now)),
            created=now,
            updated=now,
            **fields,
        )
        Draft.from_dict(draft.to_dict())  # refuse what the loader would refuse, up front
        self._create_folder(draft, lambda staging: None)
        return draft

    def _create_folder(self, draft: Draft, fill) -> None:
        """Build a draft's folder aside (`fill(staging)` adds media), then rename it into
        place whole: a scan, or a crash, never sees half a draft."""
        staging = self.root / f".new-{draft.id}"
        try:
            (staging / MEDIA_DIR).mkdir(parents=True)
            (staging / HISTORY_DIR).mkdir()
            fill(staging)
            data = encode_draft(draft)
            tmp = write_temp(staging / DRAFT_FILE, data)
            write_history_copy(staging / HISTORY_DIR / "v000001.json", data)
            os.replace(tmp, staging / DRAFT_FILE)
            os.replace(staging, self.folder(draft.id))
            fsync_dir(self.root)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise storage_error(self.root / draft.id, exc) from exc

    def save(self, draft: Draft) -> None:
        """Write `draft` atomically; the version is also kept in history (last 20)."""
        folder = self.folder(draft.id)
        if not folder.is_dir():
            raise DraftNotFound(f"no draft {draft.id}", "it may have been deleted")
        with self.locked(draft.id):
            history = folder / HISTORY_DIR
            version = self._claim_version(draft.id, history)
            target = folder / DRAFT_FILE
            data = encode_draft(draft)
            tmp = write_temp(target, data)
            try:
                # Every version goes to history as it is written, so the one this save
                # replaces is already there: an autosave never loses the previous version.
                write_history_copy(history / f"v{version:06d}.json", data)
                os.replace(tmp, target)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise storage_error(target, exc) from exc
            fsync_dir(folder)
            with contextlib.suppress(OSError):  # the version that just fell out of the window
                os.unlink(history / f"v{version - HISTORY_LIMIT:06d}.json")

    def _claim_version(self, draft_id: str, history: Path) -> int:
        version = self._next_version.get(draft_id)
        if version is None:
            history.mkdir(exist_ok=True)
            versions = self._versions(history.parent)
            version = versions[-1][0] + 1 if versions else 1
            current = history.parent / DRAFT_FILE
            if not versions and current.is_file():  # written by an older app or by hand
                shutil.copyfile(current, history / f"v{version:06d}.json")
                version += 1
            for _, old in versions[: max(0, len(versions) - HISTORY_LIMIT + 1)]:
                with contextlib.suppress(OSError):
                    old.unlink()
        self._next_version[draft_id] = version + 1
        return version

    def _versions(self, folder: Path) -> list[tuple[int, Path]]:
        history = folder / HISTORY_DIR
        try:
            names = os.listdir(history)
        except OSError:
            return []
        found = [(int(m.group(1)), history / n) for n in names if (m := _VERSION_RE.match(n))]
        return sorted(found)

    # -- history -------------------------------------------------------------------------
    def history(self, draft_id: str) -> list[HistoryEntry]:
        """Saved versions, newest first (the newest is the current draft.json)."""
        entries = []
        for version, path in reversed(self._versions(self.folder(draft_id))):
            with contextlib.suppress(OSError):
                entries.append(HistoryEntry(draft_id, version, path, path.stat().st_mtime))
        return entries

    def load_version(self, draft_id: str, version: int) -> Draft:
        path = self.folder(draft_id) / HISTORY_DIR / f"v{version:06d}.json"
        try:
            raw = path.read_bytes()
        except OSError:
            raise DraftNotFound(
                f"draft {draft_id} has no version {version}",
                f"see 'reeleditor drafts history {draft_id}'",
            ) from None
        return parse_draft(raw, path)

    def restore(self, draft_id: str, version: int | None = None) -> Draft:
        """Make an earlier version current again (saved as a new version; nothing is lost)."""
        if version is None:
            version = self._latest_good_version(draft_id)
        draft = self.load_version(draft_id, version)
        if draft.id != draft_id:
            draft = draft.with_changes(id=draft_id)
        self.save(draft)
        return draft

    def _latest_good_version(self, draft_id: str) -> int:
        current = None
        with contextlib.suppress(DraftFormatError, DraftNotFound):
            current = encode_draft(self.load(draft_id))
        for entry in self.history(draft_id):
            try:
                candidate = self.load_version(draft_id, entry.version)
            except DraftFormatError:
                continue
            if encode_draft(candidate) != current:
                return entry.version
        raise DraftNotFound(f"draft {draft_id} has no earlier version that loads")

    # -- whole drafts --------------------------------------------------------------------
    def delete(self, draft_id: str) -> None:
        folder = self.folder(draft_id)
        if not folder.is_dir():
            raise DraftNotFound(f"no draft {draft_id}", "see 'reeleditor drafts list'")
        self.lock(draft_id)
        doomed = self.root / f".deleted-{draft_id}-{os.getpid()}"
        try:
            os.replace(folder, doomed)  # gone from the list at once, even if rmtree is slow
        finally:
            self.release(draft_id)
        shutil.rmtree(doomed, ignore_errors=True)
        self._next_version.pop(draft_id, None)

    def duplicate(self, draft_id: str, now: float | None = None) -> Draft:
        """A copy with its own media, built aside and renamed into place whole: a scan (or a
        crash) never sees a copy without its segments."""
        source = self.load(draft_id)
        now = time.time() if now is None else now
        copy = source.with_changes(
            id=new_id(), title=f"{source.title} (copy)", created=now, updated=now
        )
        src_media = self.media_dir(draft_id)

        def fill(staging: Path) -> None:
            for path in src_media.rglob("*"):
                if path.is_file():
                    dest = staging / MEDIA_DIR / path.relative_to(src_media)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, dest)
            thumb = self.thumb_path(draft_id)
            if thumb.is_file():
                shutil.copy2(thumb, staging / thumb.name)

        self._create_folder(copy, fill)
        return copy
