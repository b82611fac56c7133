"""`reeleditor split`, `move` and `trim`: segment edits, each one saved version (undoable)."""

from __future__ import annotations

import argparse
import math
import time

from reeleditor.core import edits
from reeleditor.core.draft import Draft, Segment
from reeleditor.core.edits import MIN_SEGMENT_SECONDS, seconds_text
from reeleditor.core.errors import ReelEditorError


def _seconds(text: str) -> float:
    """argparse type: a finite, non-negative number of seconds ('nan' and '-1' refused)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (e.g. 1.5)")
    return value


def _position(text: str) -> int:
    """argparse type: a 1-based segment number (its range is checked against the draft)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a segment number (1 is the first)"
        ) from None


def segment_rows(draft: Draft) -> list[dict]:
    """The segments as scripts read them; trim_out is where the segment really ends."""
    rows = []
    for n, (start, seg) in enumerate(
        zip(edits.segment_starts(draft), draft.segments, strict=True), 1
    ):
        end = seg.duration if seg.trim_out is None else min(seg.trim_out, seg.duration)
        rows.append(
            {
                "n": n,
                "id": seg.id,
                "media": seg.media,
                "trim_in": round(seg.trim_in, 3),
                "trim_out": round(end, 3),
                "length": round(seg.length, 3),
                "start": round(start, 3),
            }
        )
    return rows


def _print_segments(ctx, draft: Draft, as_json: bool) -> None:
    rows = segment_rows(draft)
    if as_json:
        ctx.json(rows)
        return
    for r in rows:
        ctx.out(
            f"{r['n']:2d}. {r['id']}  at {r['start']:7.3f} s  {r['length']:6.3f} s  "
            f"(trim {r['trim_in']:.3f}-{r['trim_out']:.3f} of {r['media']})"
        )


def _segment(draft: Draft, n: int) -> Segment:
    count = len(draft.segments)
    if not 1 <= n <= count:
        raise ReelEditorError(
            f"segment {n} does not exist; the draft has {count}",
            f"see 'reeleditor drafts show {draft.id}'",
        )
    return draft.segments[n - 1]


def _apply(ctx, args, change) -> int:
    """Lock, load, `change(draft, now)`, save one new version, release; then the report.

    `change` returns (new draft, what was done) or (None, why nothing was); a refusal
    raises before anything is written, so draft.json stays as it was.
    """
    store = ctx.store
    with store.locked(args.id):
        draft = store.load(args.id)
        changed, said = change(draft, time.time())
        if changed is not None:
            store.save(changed)
            draft = changed
    ctx.warn(said)
    if changed is not None:
        try:
            from reeleditor.media.thumbnails import refresh_thumbnail

            refresh_thumbnail(store, draft)
        except ReelEditorError as exc:
            ctx.warn(f"thumbnail not refreshed: {exc}")
    _print_segments(ctx, draft, args.json)
    return 0


def cmd_split(ctx, args) -> int:
    def change(draft: Draft, now: float):
        split = edits.split_segment(draft, args.at, now)
        old_ids = {s.id for s in draft.segments}
        n = next(i for i, s in enumerate(split.segments) if s.id not in old_ids)  # 2nd half
        return split, f"split segment {n} at {seconds_text(args.at)} s into {n} and {n + 1}"

    return _apply(ctx, args, change)


def cmd_move(ctx, args) -> int:
    def change(draft: Draft, now: float):
        seg = _segment(draft, args.n)
        _segment(draft, args.to)
        if args.n == args.to:
            return None, f"segment {args.n} is already at position {args.to}; nothing changed"
        moved = edits.move_segment(draft, seg.id, args.to - 1, now)
        return moved, f"moved segment {args.n} to position {args.to}"

    return _apply(ctx, args, change)


def _check_trim(seg: Segment, n: int, trim_in: float, trim_out: float) -> None:
    where = f"segment {n}'s media runs 0-{seconds_text(seg.duration)} s"
    if trim_out > seg.duration + 1e-6:
        raise ReelEditorError(
            f"--out {seconds_text(trim_out)} s is past the end of segment {n}'s media "
            f"({seconds_text(seg.duration)} s)",
            f"use --out {seconds_text(seg.duration)} or less",
        )
    if trim_in >= trim_out:
        raise ReelEditorError(
            f"0-length trim: in {seconds_text(trim_in)} s is not before "
            f"out {seconds_text(trim_out)} s",
            f"{where}; give --in before --out",
        )
    if trim_out - trim_in < MIN_SEGMENT_SECONDS - 1e-9:
        raise ReelEditorError(
            f"trim {seconds_text(trim_in)}-{seconds_text(trim_out)} s leaves "
            f"{seconds_text(trim_out - trim_in)} s of segment {n}, under the "
            f"{MIN_SEGMENT_SECONDS:g} s minimum",
            f"{where}; keep at least {MIN_SEGMENT_SECONDS:g} s",
        )


def cmd_trim(ctx, args) -> int:
    if args.trim_in is None and args.trim_out is None:
        raise ReelEditorError("trim needs --in, --out or both", "e.g. --in 0.5 --out 2")

    def change(draft: Draft, now: float):
        seg = _segment(draft, args.n)
        old_out = seg.duration if seg.trim_out is None else min(seg.trim_out, seg.duration)
        trim_in = seg.trim_in if args.trim_in is None else args.trim_in
        trim_out = old_out if args.trim_out is None else args.trim_out
        _check_trim(seg, args.n, trim_in, trim_out)
        stored_out = None if trim_out >= seg.duration - 1e-3 else trim_out  # to the end
        if (trim_in, stored_out) == (seg.trim_in, seg.trim_out):
            return None, f"segment {args.n} is already trimmed so; nothing changed"
        trimmed = edits.trim_segment(draft, seg.id, trim_in, stored_out, now)
        return trimmed, (
            f"trimmed segment {args.n} to {seconds_text(trim_in)}-{seconds_text(trim_out)} s "
            f"of its media"
        )

    return _apply(ctx, args, change)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("split", help="split the segment under a reel time into two")
    p.add_argument("id", help="draft id")
    p.add_argument("--at", required=True, type=_seconds, help="reel time, seconds (after trims)")
    p.add_argument("--json", action="store_true", help="print the segments as JSON")
    p.set_defaults(func=cmd_split)

    p = sub.add_parser("move", help="move a segment to another position")
    p.add_argument("id", help="draft id")
    p.add_argument("n", type=_position, metavar="N", help="segment number (1 is the first)")
    p.add_argument("--to", required=True, type=_position, metavar="M", help="new position")
    p.add_argument("--json", action="store_true", help="print the segments as JSON")
    p.set_defaults(func=cmd_move)

    p = sub.add_parser("trim", help="trim a segment to [in, out) seconds of its own media")
    p.add_argument("id", help="draft id")
    p.add_argument("n", type=_position, metavar="N", help="segment number (1 is the first)")
    p.add_argument("--in", dest="trim_in", type=_seconds, help="start, seconds into its media")
    p.add_argument("--out", dest="trim_out", type=_seconds, help="end, seconds into its media")
    p.add_argument("--json", action="store_true", help="print the segments as JSON")
    p.set_defaults(func=cmd_trim)
