"""`reeleditor drafts ...`: list, show, delete, duplicate, history, restore, export, import."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from reeleditor.core.draft import Draft
from reeleditor.storage.bundle import export_bundle, import_bundle
from reeleditor.storage.drafts import DraftStore


def draft_summary(store: DraftStore, draft: Draft) -> dict:
    return {
        "id": draft.id,
        "title": draft.title,
        "created": draft.created,
        "updated": draft.updated,
        "duration": round(draft.duration, 3),
        "segments": len(draft.segments),
        "transitions": [
            {"after": n, "name": s.transition, "seconds": s.transition_seconds}
            for n, s in enumerate(draft.segments[:-1], 1)
            if s.transition != "cut"
        ],
        "look": draft.look.name,
        "music": draft.music.track if draft.music else None,
        "missing_segments": list(store.missing_segments(draft)),
        # the words and narration on the reel: counts here, the full recipe in 'show --json'
        "texts": len(draft.texts),
        "captions": len(draft.captions.cues) if draft.captions else 0,
        "voiceovers": len(draft.voiceovers),
        "missing_voiceovers": list(store.missing_voiceovers(draft)),
    }


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def _recover(ctx) -> None:
    from reeleditor.commands.record import recover

    recover(ctx)


def cmd_list(ctx, args) -> int:
    _recover(ctx)
    drafts, problems = ctx.store.scan()
    for problem in problems:
        ctx.warn(problem.describe())
    if args.json:
        ctx.json(
            {
                "drafts": [draft_summary(ctx.store, d) for d in drafts],
                "set_aside": [
                    {"id": p.draft_id, "path": str(p.path), "reason": p.reason} for p in problems
                ],
            }
        )
        return 0
    if not drafts:
        ctx.out(
            "no drafts yet: record one with 'reeleditor record --source testpattern --seconds 5'"
        )
    for d in drafts:
        missing = len(ctx.store.missing_segments(d))
        flag = f"  ({missing} segment(s) missing)" if missing else ""
        if voices := len(ctx.store.missing_voiceovers(d)):
            flag += f"  ({voices} voice-over(s) missing)"
        ctx.out(
            f"{d.id}  {d.duration:6.1f}s  {len(d.segments):3d} seg  {_when(d.updated)}  "
            f"{d.title}{flag}"
        )
    return 0


def cmd_show(ctx, args) -> int:
    _recover(ctx)
    draft = ctx.store.load(args.id)
    missing = set(ctx.store.missing_segments(draft))
    if args.json:
        data = draft.to_dict()
        data["duration"] = round(draft.duration, 3)
        for seg in data["segments"]:
            seg["missing"] = seg["id"] in missing
        lost = set(ctx.store.missing_voiceovers(draft))
        for voice in data["voiceovers"]:
            voice["missing"] = voice["id"] in lost
        ctx.json(data)
        return 0
    ctx.out(f"{draft.title}  ({draft.id})")
    ctx.out(f"  created {_when(draft.created)}, edited {_when(draft.updated)}")
    ctx.out(
        f"  {draft.width}x{draft.height} @ {draft.fps} fps, "
        f"{draft.duration:.2f}s of {draft.max_duration:.0f}s"
    )
    ctx.out(
        f"  look: {draft.look.name} at {draft.look.strength:.0f}%"
        + "".join(f", {k} {v:+.0f}" for k, v in draft.look.adjustments)
    )
    if draft.music:
        m = draft.music
        ctx.out(f"  music: {m.track} from {m.start:.1f}s at {m.volume * 100:.0f}%")
    ctx.out(f"  original sound: {draft.original_volume * 100:.0f}%")
    for i, seg in enumerate(draft.segments, 1):
        flag = "  MISSING" if seg.id in missing else ""
        speed = f" at {seg.speed:g}x" if seg.speed != 1.0 else ""
        ctx.out(
            f"  {i:2d}. {seg.media}  {seg.length:.2f}s{speed} "
            f"(trim {seg.trim_in:.2f}-{seg.trim_out if seg.trim_out is not None else 'end'})"
            f"{flag}"
        )
        if seg.transition != "cut" and i < len(draft.segments):
            ctx.out(f"      then {seg.transition} {seg.transition_seconds:g}s into {i + 1}")
    _show_words(ctx, draft)
    return 0


def _show_words(ctx, draft: Draft) -> None:
    """The texts, captions and voice-overs, one line each (the export draws and mixes them)."""
    for i, t in enumerate(draft.texts, 1):
        words = t.text.replace("\n", " / ")
        words = words if len(words) <= 40 else words[:39] + "…"
        ctx.out(f"  text {i}: {words!r} {t.start:.2f}-{t.end:.2f}s, {t.look.style} {t.look.font}")
    if draft.captions is not None:
        c = draft.captions
        burned = "burned in" if c.burn else "WebVTT only"
        ctx.out(
            f"  captions: {len(c.cues)} cue(s), {burned}, {c.look.style} {c.look.font} "
            f"at {c.y:.2f} of the height ({c.engine or 'typed'})"
        )
    lost = set(ctx.store.missing_voiceovers(draft))
    for i, v in enumerate(draft.voiceovers, 1):
        flag = "  MISSING" if v.id in lost else ""
        ctx.out(
            f"  voice-over {i}: {v.media}  {v.duration:.2f}s at {v.at:.2f}s, "
            f"{v.volume * 100:.0f}%{flag}"
        )
    if draft.voiceovers:
        ctx.out(f"  music ducks {draft.duck_db:g} dB under voice-overs")


def cmd_delete(ctx, args) -> int:
    ctx.store.delete(args.id)
    ctx.warn(f"deleted draft {args.id}")
    return 0


def cmd_duplicate(ctx, args) -> int:
    copy = ctx.store.duplicate(args.id)
    ctx.out(copy.id)
    return 0


def cmd_history(ctx, args) -> int:
    entries = ctx.store.history(args.id)
    if args.json:
        ctx.json([{"version": e.version, "saved_at": e.saved_at} for e in entries])
        return 0
    for n, e in enumerate(entries):
        ctx.out(f"v{e.version}  {_when(e.saved_at)}{'  (current)' if n == 0 else ''}")
    return 0


def cmd_restore(ctx, args) -> int:
    draft = ctx.store.restore(args.id, args.version)
    ctx.warn(f"restored draft {args.id} ({draft.title}, {len(draft.segments)} segment(s))")
    return 0


def cmd_export(ctx, args) -> int:
    out = export_bundle(ctx.store, args.id, Path(args.output))
    ctx.out(str(out))
    return 0


def cmd_import(ctx, args) -> int:
    new_id, original = import_bundle(ctx.store, Path(args.bundle))
    if new_id != original:
        ctx.warn(f"draft {original} already exists here; imported as {new_id}")
    ctx.out(new_id)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    drafts = sub.add_parser("drafts", help="list and manage drafts")
    dsub = drafts.add_subparsers(dest="drafts_cmd", required=True, metavar="COMMAND")

    p = dsub.add_parser("list", help="list drafts, newest first")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_list)

    for name, func, text in (
        ("show", cmd_show, "show one draft's recipe"),
        ("delete", cmd_delete, "delete a draft and its media"),
        ("duplicate", cmd_duplicate, "copy a draft; prints the new id"),
        ("history", cmd_history, "list the saved versions of a draft"),
    ):
        p = dsub.add_parser(name, help=text)
        p.add_argument("id", help="draft id")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=func)

    p = dsub.add_parser("restore", help="make an earlier version of a draft current again")
    p.add_argument("id", help="draft id")
    p.add_argument("--version", type=int, help="version number (default: the latest good one)")
    p.set_defaults(func=cmd_restore)

    p = dsub.add_parser("export", help="write a draft bundle (.reeldraft)")
    p.add_argument("id", help="draft id")
    p.add_argument("-o", "--output", required=True, help="bundle file to write")
    p.set_defaults(func=cmd_export)

    p = dsub.add_parser("import", help="import a draft bundle under a new id if needed")
    p.add_argument("bundle", help="a .reeldraft file")
    p.set_defaults(func=cmd_import)
