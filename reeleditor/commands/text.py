"""`reeleditor text add|list|remove`: text overlays on a draft, each change one saved version."""

from __future__ import annotations

import argparse
import math
import time

from reeleditor.core import word_edits
from reeleditor.core.draft import Draft
from reeleditor.core.errors import ReelEditorError
from reeleditor.core.words import (
    TEXT_ALIGNS,
    TEXT_ANIMATIONS,
    TEXT_FONTS,
    TEXT_STYLES,
    TextOverlay,
    TextStyle,
)


def _number(text: str) -> float:
    """argparse type: a finite number ('nan' and 'inf' refused); ranges are checked later."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number")
    return value


def _colour(text: str) -> str:
    value = text if text.startswith("#") else f"#{text}"
    if len(value) != 7 or any(c not in "0123456789abcdefABCDEF" for c in value[1:]):
        raise argparse.ArgumentTypeError(f"{text!r} is not a colour like #ffcc00")
    return value.lower()


def text_rows(draft: Draft) -> list[dict]:
    return [
        {"n": n, **t.to_dict(), "end": round(t.end, 3), "start": round(t.start, 3)}
        for n, t in enumerate(draft.texts, 1)
    ]


def _save(ctx, draft_id: str, change) -> Draft:
    """Lock, load, change, save one version; a refusal raises before anything is written."""
    store = ctx.store
    with store.locked(draft_id):
        changed = change(store.load(draft_id), time.time())
        store.save(changed)
    try:
        from reeleditor.media.thumbnails import refresh_thumbnail

        refresh_thumbnail(store, changed)
    except ReelEditorError as exc:
        ctx.warn(f"thumbnail not refreshed: {exc}")
    return changed


def cmd_add(ctx, args) -> int:
    look = TextStyle(
        style=args.style,
        font=args.font,
        colour=args.colour,
        background=args.background,
        align=args.align,
        size=args.size,
    )
    if not 8 <= look.size <= 400:
        raise ReelEditorError(f"--size {look.size:g} is outside 8-400 pixels")
    overlay = TextOverlay(
        text=args.text,
        start=args.at,
        end=args.at + args.seconds,
        look=look,
        x=args.x,
        y=args.y,
        scale=args.scale,
        rotation=args.rotation,
        enter=args.enter,
        exit=args.exit,
    )
    _save(ctx, args.id, lambda d, now: word_edits.add_text(d, overlay, now))
    ctx.out(overlay.id)
    return 0


def cmd_list(ctx, args) -> int:
    rows = text_rows(ctx.store.load(args.id))
    if args.json:
        ctx.json(rows)
        return 0
    for r in rows:
        words = r["text"].replace("\n", " / ")
        ctx.out(
            f"{r['n']:2d}. {r['id']}  {r['start']:7.3f}-{r['end']:.3f} s  {r['look']['style']:10s}"
            f"  at {r['x']:.2f},{r['y']:.2f}  {words[:60]!r}"
        )
    return 0


def cmd_remove(ctx, args) -> int:
    def change(draft: Draft, now: float) -> Draft:
        count = len(draft.texts)
        if not 1 <= args.n <= count:
            raise ReelEditorError(
                f"text {args.n} does not exist; the draft has {count}",
                f"see 'reeleditor text list {draft.id}'",
            )
        return word_edits.remove_text(draft, draft.texts[args.n - 1].id, now)

    _save(ctx, args.id, change)
    ctx.warn(f"removed text {args.n}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("text", help="text overlays: add, list, remove")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)

    a = verbs.add_parser("add", help="add a text; prints its id")
    a.add_argument("id", help="draft id")
    a.add_argument("--text", required=True, help="the words ('\\n' in a shell: a new line)")
    a.add_argument("--at", required=True, type=_number, help="reel time it appears, seconds")
    a.add_argument("--for", dest="seconds", required=True, type=_number, help="seconds shown")
    a.add_argument("--style", default="classic", choices=TEXT_STYLES)
    a.add_argument("--font", default="sans", choices=TEXT_FONTS)
    a.add_argument("--colour", "--color", default="#ffffff", type=_colour)
    a.add_argument("--background", default=None, type=_colour, help="a box behind, e.g. #000000")
    a.add_argument("--align", default="center", choices=TEXT_ALIGNS)
    a.add_argument("--size", default=64.0, type=_number, help="pixels at 1080 wide (8-400)")
    a.add_argument("--x", default=0.5, type=_number, help="centre, fraction of the width")
    a.add_argument("--y", default=0.5, type=_number, help="centre, fraction of the height")
    a.add_argument("--scale", default=1.0, type=_number)
    a.add_argument("--rotation", default=0.0, type=_number, help="degrees clockwise")
    a.add_argument("--enter", default="none", choices=TEXT_ANIMATIONS)
    a.add_argument("--exit", default="none", choices=TEXT_ANIMATIONS)
    a.set_defaults(func=cmd_add)

    b = verbs.add_parser("list", help="one line per text (or --json)")
    b.add_argument("id", help="draft id")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=cmd_list)

    c = verbs.add_parser("remove", help="remove text N (1 is the first)")
    c.add_argument("id", help="draft id")
    c.add_argument("n", type=int, metavar="N")
    c.set_defaults(func=cmd_remove)
