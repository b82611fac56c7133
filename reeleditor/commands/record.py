"""`reeleditor record`: takes recorded headless; a failed take leaves no empty draft."""

from __future__ import annotations

import argparse
import logging
import time

from reeleditor.commands.common import drive, first_interrupt_stops
from reeleditor.core import edits
from reeleditor.core.draft import DEFAULT_MAX_DURATION, Look
from reeleditor.core.errors import ReelEditorError

log = logging.getLogger(__name__)


def recover(ctx) -> None:
    """Salvage takes a killed process left behind, and say so (on stderr)."""
    from reeleditor.storage.drafts import MEDIA_DIR

    if not any(ctx.store.root.glob(f"*/{MEDIA_DIR}/*.recording")):
        return  # the common case stays cheap: no PyAV import just to list drafts
    from reeleditor.media.take import recover_takes

    for result in recover_takes(ctx.store):
        ctx.warn(result.message)


def _audio_for(source, mic: str):
    if mic == "none":
        from reeleditor.media.microphone import SilenceInput

        return SilenceInput()
    if source.audio is not None and mic == "auto":
        return source.audio  # the test pattern brings its own tone, in sync with its flashes
    from reeleditor.media.microphone import open_microphone

    return open_microphone(None if mic == "auto" else mic)


def cmd_record(ctx, args) -> int:
    from reeleditor.media.looks import compile_look  # noqa: F401  (validates the look list)
    from reeleditor.media.sources import open_source, parse_source_spec

    if args.seconds <= 0:
        raise ReelEditorError(f"--seconds {args.seconds:g} must be more than 0")
    if args.width % 2 or args.height % 2 or min(args.width, args.height) < 16:
        raise ReelEditorError(
            f"--width {args.width} --height {args.height}: the size must be "
            "even and at least 16 pixels",
            "e.g. 1080 x 1920",
        )
    if not 1 <= args.fps <= 120:
        raise ReelEditorError(f"--fps {args.fps} is outside 1..120")
    if args.strength is not None and not 0 <= args.strength <= 100:
        raise ReelEditorError(f"--strength {args.strength:g} is outside 0..100")
    parse_source_spec(args.source)  # a bad source or look leaves no empty draft behind
    look = _look_from_args(args, Look()) if args.filter else None
    recover(ctx)
    store = ctx.store
    existing = store.load(args.draft) if args.draft else None
    _check_seconds(args.seconds, existing)
    mode = (
        (existing.width, existing.height, existing.fps)
        if existing
        else (args.width, args.height, args.fps)
    )
    source = open_source(args.source, *mode)
    with first_interrupt_stops() as stop:
        try:
            # a missing camera or file fails here, before a draft exists to be left empty
            source.open()
            return _record_into(ctx, args, store, existing, source, look, stop)
        finally:
            source.close()


def _check_seconds(seconds: float, draft) -> None:
    """A take longer than the reel allows is refused up front, never quietly cut."""
    if draft is None:
        if seconds > DEFAULT_MAX_DURATION:
            raise ReelEditorError(
                f"--seconds {seconds:g} is past the maximum of {DEFAULT_MAX_DURATION:g} s "
                "for a reel",
                f"record at most {DEFAULT_MAX_DURATION:g} s",
            )
        return
    if seconds > draft.remaining + 1e-6:
        raise ReelEditorError(
            f"--seconds {seconds:g} is past the maximum: draft {draft.id} has "
            f"{draft.remaining:.1f} s left of its {draft.max_duration:g} s",
            "record less, or start a new draft" if draft.remaining >= 0.1 else "start a new draft",
        )


def _record_into(ctx, args, store, existing, source, look, stop) -> int:
    """Record one take; a new draft that ends up with nothing in it is deleted again."""
    from reeleditor.media.take import record_take

    if existing is None:
        draft = store.create(args.title or "", width=args.width, height=args.height, fps=args.fps)
        log.info("record: new draft %s from %s", draft.id, source.name)
    else:
        draft = existing
    before = draft.duration
    try:
        if look is not None:
            look = _look_from_args(args, draft.look)
            with store.locked(draft.id):
                store.save(edits.set_look(store.load(draft.id), look, now=time.time()))
        audio = _audio_for(source, args.mic)
        if source.notice:
            ctx.warn(source.notice)
        if getattr(audio, "notice", None):
            ctx.warn(audio.notice)
        with store.locked(draft.id):
            take = drive(
                record_take(store, draft.id, source, audio, args.seconds), ctx.stderr, stop
            )
    except KeyboardInterrupt:
        kept = _kept_seconds(store, draft.id, before)
        log.info("record: interrupted; %.2f s kept in draft %s", kept, draft.id)
        if kept <= 0 and existing is None:
            _discard(store, draft.id)
            ctx.warn("interrupted: nothing was recorded")
            return 130
        ctx.out(draft.id)  # scripts learn which draft holds what was kept, as on success
        ctx.warn(f"interrupted: kept {kept:.1f} s in draft {draft.id}")
        return 130
    except BaseException:
        if existing is None and _kept_seconds(store, draft.id, before) <= 0:
            _discard(store, draft.id)
        else:
            ctx.out(draft.id)  # scripts still learn which draft holds what was kept
        raise
    for notice in take.record.notices:
        if notice not in (source.notice, getattr(audio, "notice", None)):
            ctx.warn(notice)
    r = take.record
    ctx.warn(
        f"recorded {r.duration:.2f} s ({r.frames} frames, {r.duplicated} duplicated, "
        f"{r.dropped} dropped) with {r.encoder} into draft {draft.id}"
    )
    ctx.out(draft.id)
    return 0


def _kept_seconds(store, draft_id: str, before: float) -> float:
    try:
        return max(0.0, store.load(draft_id).duration - before)
    except ReelEditorError:
        log.warning("record: draft %s does not load after the take", draft_id, exc_info=True)
        return 0.0


def _discard(store, draft_id: str) -> None:
    """Delete a draft this command made that holds nothing (a failed or empty take)."""
    try:
        store.delete(draft_id)
        log.info("record: deleted the empty new draft %s", draft_id)
    except (ReelEditorError, OSError):
        log.warning("record: could not delete the empty draft %s", draft_id, exc_info=True)


def _look_from_args(args, current):
    from reeleditor.core.draft import Look
    from reeleditor.media.looks import list_looks

    names = [info["name"] for info in list_looks()]
    if args.filter not in names:
        raise ReelEditorError(f"no look named {args.filter!r}", "see 'reeleditor filters list'")
    strength = current.strength if args.strength is None else args.strength
    return Look(args.filter, strength, current.adjustments)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("record", help="record a take into a new or existing draft")
    p.add_argument(
        "--source",
        default="auto",
        help="testpattern, camera:N, file:PATH or auto (default: first camera, "
        "else the test pattern)",
    )
    p.add_argument(
        "--seconds",
        type=float,
        required=True,
        help="length of the take (at most 90, or what the draft has left)",
    )
    p.add_argument("--filter", help="look to set on the draft (the recording stays raw)")
    p.add_argument("--strength", type=float, help="look strength, 0-100")
    p.add_argument("--draft", help="extend this draft instead of creating one")
    p.add_argument("--title", help="title of a new draft")
    p.add_argument("--mic", default="auto", help="microphone: auto, none, or a device name")
    p.add_argument("--width", type=int, default=1080)
    p.add_argument("--height", type=int, default=1920)
    p.add_argument("--fps", type=int, default=30)
    p.set_defaults(func=cmd_record)
