"""`reeleditor export`, `reeleditor edit` and `reeleditor music list`."""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from reeleditor.commands.common import drive
from reeleditor.core import edits
from reeleditor.core.draft import SPEEDS, Look, MusicCue
from reeleditor.core.errors import ReelEditorError


def cmd_export(ctx, args) -> int:
    from reeleditor.commands.record import recover
    from reeleditor.media.render import export_draft

    recover(ctx)
    draft = ctx.store.load(args.id)
    result = drive(export_draft(ctx.store, draft, Path(args.output), args.preset), ctx.stderr)
    for notice in result.notices:
        ctx.warn(notice)
    ctx.warn(
        f"exported {result.duration:.2f} s ({result.frames} frames, {result.encoder}, "
        f"preset {result.preset}); poster {result.poster}"
    )
    ctx.out(str(result.path))
    return 0


def _check_range(name: str, value: float | None, lo: float, hi: float) -> None:
    if value is not None and not lo <= value <= hi:
        raise ReelEditorError(f"{name} {value:g} is outside {lo:g}..{hi:g}")


def _speed_change(text: str) -> tuple[int, float]:
    """'2:0.5' -> (2, 0.5); the speed is checked against SPEEDS, N against the draft."""
    n_text, sep, x_text = text.partition(":")
    allowed = ", ".join(f"{s:g}" for s in SPEEDS)
    try:
        n = int(n_text)
    except ValueError:
        raise ReelEditorError(
            f"--speed {text!r}: {n_text!r} is not a segment number (1 is the first)",
            "write N:X, e.g. 2:0.5",
        ) from None
    try:
        x = float(x_text.rstrip("xX")) if sep else math.nan
    except ValueError:
        x = math.nan
    if x not in SPEEDS:
        raise ReelEditorError(f"--speed {text!r}: the speed must be one of {allowed}")
    return n, x


def _transition_change(text: str) -> tuple[int, str, float | None]:
    """'1:crossfade:0.5' -> (1, 'crossfade', 0.5); seconds may be left out (None).

    The name, range and fit are checked by edits.set_transition against the draft.
    """
    n_text, _, rest = text.partition(":")
    name, _, seconds_text = rest.partition(":")
    try:
        n = int(n_text)
    except ValueError:
        raise ReelEditorError(
            f"--transition {text!r}: {n_text!r} is not a segment number (1 is the first)",
            "write N:NAME[:SECONDS], e.g. 1:crossfade:0.5",
        ) from None
    seconds = None
    if seconds_text:
        try:
            seconds = float(seconds_text.rstrip("sS"))
        except ValueError:
            seconds = math.nan
        if not math.isfinite(seconds):
            raise ReelEditorError(
                f"--transition {text!r}: {seconds_text!r} is not a number of seconds",
                "e.g. 1:crossfade:0.5",
            )
    return n, name.strip().lower(), seconds


def cmd_edit(ctx, args) -> int:
    from reeleditor.media.looks import list_looks
    from reeleditor.media.music import decode_audio, resolve_track, track_reference

    speeds = [_speed_change(text) for text in args.speed or ()]
    transitions = [(text, *_transition_change(text)) for text in args.transition or ()]
    _check_range("--music-volume", args.music_volume, 0, 2)
    _check_range("--original-volume", args.original_volume, 0, 2)
    _check_range("--strength", args.strength, 0, 100)
    for name in ("music_start", "fade_in", "fade_out", "cover_time"):
        _check_range(f"--{name.replace('_', '-')}", getattr(args, name), 0, 36000)
    store = ctx.store
    with store.locked(args.id):
        draft = store.load(args.id)
        now = time.time()
        if args.filter is not None or args.strength is not None:
            name = draft.look.name if args.filter is None else args.filter
            if name not in {info["name"] for info in list_looks()}:
                raise ReelEditorError(f"no look named {name!r}", "see 'reeleditor filters list'")
            strength = draft.look.strength if args.strength is None else args.strength
            draft = edits.set_look(draft, Look(name, strength, draft.look.adjustments), now)
        if args.no_music:
            draft = edits.set_music(draft, None, now)
        elif args.music is not None:
            track = track_reference(args.music)
            decode_audio(resolve_track(track))  # refuse a file that is not (whole) audio now
            draft = edits.set_music(draft, MusicCue(track), now)
        if draft.music is not None:
            cue = draft.music
            draft = edits.set_music(
                draft,
                MusicCue(
                    cue.track,
                    cue.start if args.music_start is None else args.music_start,
                    cue.volume if args.music_volume is None else args.music_volume,
                    cue.fade_in if args.fade_in is None else args.fade_in,
                    cue.fade_out if args.fade_out is None else args.fade_out,
                ),
                now,
            )
        elif any(v is not None for v in (args.music_start, args.music_volume)):
            raise ReelEditorError(f"draft {args.id} has no music", "add it with --music")
        if args.original_volume is not None:
            draft = edits.set_original_volume(draft, args.original_volume, now)
        if args.title is not None:
            draft = edits.set_title(draft, args.title, now)
        if args.cover_time is not None:
            draft = edits.set_cover_time(draft, args.cover_time, now)
        for n, speed in speeds:
            if not 1 <= n <= len(draft.segments):
                raise ReelEditorError(
                    f"--speed {n}:{speed:g}: segment {n} does not exist; "
                    f"the draft has {len(draft.segments)}"
                )
            draft = edits.set_speed(draft, draft.segments[n - 1].id, speed, now)
        for text, n, name, seconds in transitions:  # after speeds: they decide what fits
            try:
                draft = edits.set_transition(draft, n, name, seconds, now)
            except ReelEditorError as exc:
                raise ReelEditorError(f"--transition {text!r}: {exc.message}", exc.hint) from exc
        store.save(draft)
    try:
        from reeleditor.media.thumbnails import refresh_thumbnail

        refresh_thumbnail(store, draft)
    except ReelEditorError as exc:
        ctx.warn(f"thumbnail not refreshed: {exc}")
    ctx.out(draft.id)
    return 0


def cmd_music_list(ctx, args) -> int:
    from reeleditor.media.music import library

    tracks = library()
    if args.json:
        ctx.json(
            [
                {
                    "name": t.name,
                    "title": t.title,
                    "bpm": t.bpm,
                    "mood": t.mood,
                    "seconds": t.seconds,
                    "path": str(t.path),
                }
                for t in tracks
            ]
        )
        return 0
    for t in tracks:
        ctx.out(f"{t.name:12} {t.title:14} {t.bpm or '':>4} BPM  {t.mood:10} {t.seconds:4.0f} s")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from reeleditor.core.presets import PRESET_NAMES

    p = sub.add_parser("export", help="write the draft as one MP4 (look and music baked in)")
    p.add_argument("id", help="draft id")
    p.add_argument("-o", "--output", required=True, help="the MP4 to write")
    p.add_argument(
        "--preset",
        default="standard",
        choices=PRESET_NAMES,
        help="quality and size (default: standard)",
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "edit",
        help="change a draft's look, music, volumes, title, cover, segment speeds or transitions",
    )
    p.add_argument("id", help="draft id")
    p.add_argument("--filter", help="look name (see 'reeleditor filters list')")
    p.add_argument("--strength", type=float, help="look strength, 0-100")
    p.add_argument("--music", help="a bundled track name or an audio file")
    p.add_argument("--no-music", action="store_true", help="remove the music")
    p.add_argument("--music-start", type=float, help="where in the song to start, seconds")
    p.add_argument("--music-volume", type=float, help="music volume, 0-2 (1 = as is)")
    p.add_argument("--fade-in", type=float, help="music fade-in, seconds")
    p.add_argument("--fade-out", type=float, help="music fade-out, seconds")
    p.add_argument("--original-volume", type=float, help="recorded sound volume, 0-2 (0 mutes)")
    p.add_argument("--title", help="new title")
    p.add_argument("--cover-time", type=float, help="cover picture time, seconds into the reel")
    p.add_argument(
        "--speed",
        action="append",
        metavar="N:X",
        help="play segment N (1 is the first) at speed X: 0.3, 0.5, 1, 2 or 3 (repeatable)",
    )
    p.add_argument(
        "--transition",
        action="append",
        metavar="N:NAME[:SECONDS]",
        help="hand segment N over to N+1 with NAME: cut (removes one), crossfade, dip "
        "(through black), slide or zoom, lasting 0.2-1 s (default 0.5); the two segments "
        "overlap for that long, so the reel gets shorter (repeatable)",
    )
    p.set_defaults(func=cmd_edit)

    music = sub.add_parser("music", help="the bundled music library")
    msub = music.add_subparsers(dest="music_cmd", required=True, metavar="COMMAND")
    p = msub.add_parser("list", help="list the bundled tracks")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_music_list)
