"""`reeleditor add`: a video or photo from disk into a draft, copied in, one saved version."""

from __future__ import annotations

import argparse
import time

from reeleditor.commands.common import drive
from reeleditor.commands.timeline import _print_segments, _seconds
from reeleditor.core import edits
from reeleditor.core.draft import FITS
from reeleditor.core.edits import seconds_text
from reeleditor.core.errors import ReelEditorError


def cmd_add(ctx, args) -> int:
    from reeleditor.media.clips import discard_import, import_media

    store = ctx.store
    edits.boundary_index(store.load(args.id), args.at)  # refused before anything is copied
    segment, info = drive(
        import_media(store, args.id, args.file, args.fit, args.still_seconds), ctx.stderr
    )
    try:
        with store.locked(args.id):
            draft = store.load(args.id)
            index = edits.boundary_index(draft, args.at)
            draft = edits.insert_segment(draft, segment, index, time.time())
            store.save(draft)
    except BaseException:
        discard_import(store, args.id, segment)  # the recipe never pointed at the copy
        raise
    what = "photo" if info.kind == "photo" else "clip"
    ctx.warn(
        f"added {args.file.name} as segment {index + 1} ({what}, "
        f"{seconds_text(segment.length)} s, {segment.fit})"
    )
    for note in info.notes:
        ctx.warn(f"conformed: {note}")
    try:
        from reeleditor.media.thumbnails import refresh_thumbnail

        refresh_thumbnail(store, draft)
    except ReelEditorError as exc:
        ctx.warn(f"thumbnail not refreshed: {exc}")
    _print_segments(ctx, draft, args.json)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from pathlib import Path

    p = sub.add_parser("add", help="add a video or photo from disk to a draft (copied in)")
    p.add_argument("id", help="draft id")
    p.add_argument("file", type=Path, help="mp4, mov, mkv, webm video or jpg, png photo")
    p.add_argument("--at", type=_seconds, help="reel time of a segment boundary (default: the end)")
    p.add_argument(
        "--fit",
        choices=FITS,
        help="fill (crop), fit (black bars) or blur; default: fill for 9:16, else blur",
    )
    p.add_argument(
        "--still-seconds", type=_seconds, help="a photo's length in the reel (default 3)"
    )
    p.add_argument("--json", action="store_true", help="print the segments as JSON")
    p.set_defaults(func=cmd_add)
