"""Recording takes into a draft: a journal while recording, the segment handed on when done.

A take leaves `media/<name>.mp4.recording` (a locked file) beside its media until its
segment is in draft.json. If the process dies first, the lock goes with it and
`recover_takes` finds the marker, salvages the file and adds the segment with its real
duration.

Who writes the segment into draft.json: the CLI has no session, so `record_take` commits
it through the store (`commit_segment`). The app's session is the one writer of the draft
it has open, so the app records with `commit=False`, hands `TakeResult.segment` to the
session and calls `TakeResult.settle()` once the session has saved it; until then the
journal keeps the take safe.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from reeleditor.core import edits
from reeleditor.core.draft import Segment, new_id
from reeleditor.core.errors import MediaError
from reeleditor.core.progress import Progress
from reeleditor.media.recorder import RecordResult, SegmentRecorder
from reeleditor.media.salvage import salvage
from reeleditor.media.thumbnails import refresh_thumbnail
from reeleditor.storage.drafts import MEDIA_DIR, DraftStore
from reeleditor.storage.locks import FileLock

MARKER_SUFFIX = ".recording"
MIN_SECONDS = 0.1

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TakeResult:
    draft_id: str
    segment: Segment | None  # None when nothing usable was recorded
    record: RecordResult
    journal: FileLock | None = None  # held until `settle()` (takes recorded uncommitted)

    def settle(self) -> None:
        """The segment is in draft.json (or was deliberately dropped): end its journal."""
        if self.journal is None:
            return
        if os.name != "nt":  # POSIX unlinks a locked file: no moment where it looks orphaned
            with contextlib.suppress(OSError):
                self.journal.path.unlink()
        self.journal.release()
        with contextlib.suppress(OSError):
            self.journal.path.unlink()


class TakeOutcome(Enum):
    """What recovery did with an interrupted take; decided where it happened, never read
    back out of a message."""

    RECOVERED = "recovered"  # salvaged and added to its draft (`segment` says how long)
    EMPTY = "empty"  # the take had recorded nothing yet: nothing was lost
    DAMAGED = "damaged"  # not salvageable; the file was kept aside as <name>.damaged
    RETRY = "retry"  # not done this time (a locked draft, a store error): tried next start


@dataclass(frozen=True)
class RecoveredTake:
    draft_id: str
    outcome: TakeOutcome
    segment: Segment | None  # set when RECOVERED
    message: str  # for the log and the command line; ids and file names allowed


def new_segment_path(store: DraftStore, draft_id: str) -> tuple[str, Path]:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = f"{MEDIA_DIR}/seg-{stamp}-{new_id()[:4]}.mp4"
    return name, store.folder(draft_id) / name


def commit_segment(store: DraftStore, draft_id: str, segment: Segment) -> Segment:
    """Append a take's segment to draft.json through the store (for callers with no session:
    the CLI, recovery). A segment whose media is already there is not added twice."""
    media = segment.media
    with store.locked(draft_id):
        draft = store.load(draft_id)
        if any(s.media == media for s in draft.segments):
            return next(s for s in draft.segments if s.media == media)
        draft = edits.add_segment(draft, segment, now=time.time())
        store.save(draft)
    with contextlib.suppress(MediaError):
        refresh_thumbnail(store, draft)  # a thumbnail is a nicety; never fail a take for it
    return segment


def _new_segment(media: str, duration: float) -> Segment:
    return Segment(media=media, duration=round(duration, 6))


def record_take(
    store: DraftStore,
    draft_id: str,
    source,
    audio,
    seconds: float | None = None,
    *,
    commit: bool = True,
    stop: threading.Event | None = None,
    **options,
) -> Generator[Progress, None, TakeResult]:
    """Record until `seconds` (or the draft's remaining length), `stop` is set, or closed.

    Closing the generator (cancel) stops the take and KEEPS what was recorded: a creator's
    stop button is a cancel of this work, not a discard. Setting `stop` ends the take the
    same way but returns its TakeResult.

    commit=True (the CLI): the segment is appended to draft.json here, and a recording
    error (a full disk) is raised after keeping what was whole. commit=False (the app):
    nothing is written to draft.json; the result carries the segment, its error in
    `record.error`, and the held journal the caller settles once the segment is saved. A
    take closed before it could return keeps its journal (unlocked) for `recover_takes`.
    """
    draft = store.load(draft_id)
    limit = draft.remaining if seconds is None else min(seconds, draft.remaining)
    if limit < MIN_SECONDS:
        raise MediaError(
            f"draft {draft_id} is full ({draft.max_duration:.0f} s)",
            "delete a segment or start a new draft",
        )
    media, path = new_segment_path(store, draft_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    marker = FileLock(path.with_name(path.name + MARKER_SUFFIX))
    marker.acquire()
    added = False  # the take needs no journal any more (committed, or nothing recorded)
    handed = False  # the journal goes to the caller with the result, still held
    recorder = None
    result = None
    segment = None
    try:
        recorder = SegmentRecorder(
            source,
            audio,
            path,
            width=draft.width,
            height=draft.height,
            fps=draft.fps,
            max_seconds=limit,
            **options,
        )
        recorder.start()
        while recorder.running and not (stop is not None and stop.is_set()):
            yield Progress("record", round(recorder.elapsed, 1), round(limit, 1), unit="s")
            recorder.wait(0.1)
        handed = not commit  # reached only when the take ends by itself or by `stop`
    finally:
        # runs on normal end, on error, and on close() from a cancel
        try:
            if recorder is not None:
                result = recorder.stop()
                if result.frames / result.fps >= MIN_SECONDS:
                    duration = result.duration
                    if result.error is not None:
                        duration = salvage(path).duration  # the disk filled: keep what is whole
                    segment = _new_segment(media, duration)
                    if commit:
                        segment = commit_segment(store, draft_id, segment)
                        added = True
            if not added and (result is None or result.frames / result.fps < MIN_SECONDS):
                with contextlib.suppress(OSError):
                    path.unlink()  # nothing worth keeping was recorded
                added = True  # nothing to recover either
        finally:
            if added or not handed or segment is None:
                marker.release()
            if added:  # else the marker stays: the next start (or `settle`) ends it
                with contextlib.suppress(OSError):
                    marker.path.unlink()
    if commit and result.error is not None:
        raise result.error
    return TakeResult(draft_id, segment, result, None if added else marker)


def find_interrupted(store: DraftStore) -> list[Path]:
    """Markers of takes whose recording process is gone."""
    found = []
    for marker in sorted(store.root.glob(f"*/{MEDIA_DIR}/*{MARKER_SUFFIX}")):
        lock = FileLock(marker)
        if lock.acquire():  # nobody records there any more
            lock.release()
            found.append(marker)
    return found


def recover_takes(store: DraftStore) -> list[RecoveredTake]:
    """Salvage every interrupted take and add it to its draft; say what happened to each."""
    results = []
    for marker in find_interrupted(store):
        path = marker.with_name(marker.name[: -len(MARKER_SUFFIX)])
        draft_id = marker.parent.parent.name
        media = f"{MEDIA_DIR}/{path.name}"
        try:
            if not path.exists():
                results.append(
                    RecoveredTake(
                        draft_id, TakeOutcome.EMPTY, None, f"{path.name}: nothing was recorded"
                    )
                )
            else:
                info = salvage(path)
                segment = commit_segment(store, draft_id, _new_segment(media, info.duration))
                results.append(
                    RecoveredTake(
                        draft_id,
                        TakeOutcome.RECOVERED,
                        segment,
                        f"recovered {info.duration:.1f} s recorded into draft {draft_id} "
                        f"before reeleditor stopped",
                    )
                )
        except MediaError as exc:
            aside = path.with_name(path.name + ".damaged")
            with contextlib.suppress(OSError):
                path.replace(aside)
            results.append(
                RecoveredTake(draft_id, TakeOutcome.DAMAGED, None, f"{exc}; kept as {aside.name}")
            )
        except Exception as exc:  # a locked draft or a store error: try again next start
            log.warning("take %s not recovered yet", path, exc_info=True)
            results.append(
                RecoveredTake(
                    draft_id, TakeOutcome.RETRY, None, f"{path.name} not recovered yet: {exc}"
                )
            )
            continue
        with contextlib.suppress(OSError):
            marker.unlink()
    return results
