"""`reeleditor captions`: recognise a draft's speech into caption cues; list, fix, re-time,
burn or not, write WebVTT."""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace
from pathlib import Path

from reeleditor.commands.common import drive
from reeleditor.core import word_edits
from reeleditor.core.draft import Draft
from reeleditor.core.errors import ReelEditorError, StorageError


def cmd_captions(ctx, args) -> int:
    editing = args.edit is not None or args.retime is not None
    if args.list or editing or args.clear:
        draft = _change(ctx, args) if (editing or args.clear or args.burn is not None) else None
        draft = draft or ctx.store.load(args.id)
    else:
        draft = _recognise(ctx, args)
    if args.vtt is not None:
        _write_vtt(draft, args.vtt)
        ctx.warn(f"wrote {args.vtt}")
    _print_cues(ctx, draft, args.json)
    return 0


def _recognise(ctx, args) -> Draft:
    from reeleditor.media.captions import transcribe
    from reeleditor.media.speech import PocketSphinxRecognizer

    recognizer = PocketSphinxRecognizer(args.model)  # a bad --model is refused up front
    draft = ctx.store.load(args.id)
    captions = drive(transcribe(ctx.store, draft, recognizer), ctx.stderr)
    if args.burn is not None:
        captions = replace(captions, burn=args.burn)
    with ctx.store.locked(args.id):
        current = ctx.store.load(args.id)  # edits made while it listened are kept
        draft = word_edits.set_captions(current, captions, time.time())
        ctx.store.save(draft)
    burned = "burned into the picture" if captions.burn else "not burned (WebVTT only)"
    ctx.warn(f"{len(captions.cues)} captions from {captions.engine}; {burned}")
    return draft


def _change(ctx, args) -> Draft:
    with ctx.store.locked(args.id):
        draft = ctx.store.load(args.id)
        now = time.time()
        if args.clear:
            draft = word_edits.set_captions(draft, None, now)
        if args.edit is not None:
            if args.text is None:
                raise ReelEditorError("--edit N needs --text 'the right words'")
            draft = word_edits.edit_cue(draft, args.edit - 1, now, text=args.text)
        if args.retime is not None:
            if args.start is None and args.end is None:
                raise ReelEditorError("--retime N needs --start S and/or --end S")
            draft = word_edits.edit_cue(draft, args.retime - 1, now, start=args.start, end=args.end)
        if args.burn is not None and draft.captions is not None:
            draft = word_edits.set_captions(draft, replace(draft.captions, burn=args.burn), now)
        ctx.store.save(draft)
    return draft


def _write_vtt(draft: Draft, path: Path) -> None:
    from reeleditor.media.vtt import write_vtt
    from reeleditor.storage.atomic import atomic_write

    if draft.captions is None or not draft.captions.cues:
        raise ReelEditorError(
            f"draft {draft.id} has no captions to write", f"run 'reeleditor captions {draft.id}'"
        )
    text = write_vtt(draft.captions.cues, draft.captions.language)
    try:
        atomic_write(Path(path), text.encode("utf-8"))
    except OSError as exc:
        raise StorageError(f"could not write {path}: {exc.strerror or exc}") from exc


def _print_cues(ctx, draft: Draft, as_json: bool) -> None:
    captions = draft.captions
    if as_json:
        ctx.json(None if captions is None else captions.to_dict())
        return
    if captions is None or not captions.cues:
        ctx.out("no captions")
        return
    for n, cue in enumerate(captions.cues, 1):
        ctx.out(f"{n}  {cue.start:7.2f}-{cue.end:7.2f}  {cue.text.replace(chr(10), ' / ')}")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (e.g. 1.5)")
    return value


def _number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a caption number (1 is the first)")
    return int(text)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "captions",
        help="auto-captions: recognise a draft's speech into editable caption cues",
        description="Without --list, --edit, --retime or --clear: listens to the reel's own "
        "sound and voice-overs (not the music) offline, and stores the cues in the draft "
        "(progress on stderr). Captions are burned into the exported picture unless "
        "--no-burn; a WebVTT file is always written beside an export.",
    )
    p.add_argument("id", help="draft id")
    burn = p.add_mutually_exclusive_group()
    burn.add_argument(
        "--burn", dest="burn", action="store_true", default=None,
        help="burn the captions into the exported picture (the default for new captions)",
    )  # fmt: skip
    burn.add_argument(
        "--no-burn", dest="burn", action="store_false",
        help="do not burn them in: the WebVTT beside the export only",
    )  # fmt: skip
    p.add_argument("--vtt", type=Path, metavar="FILE", help="also write the cues as WebVTT")
    p.add_argument("--model", type=Path, metavar="PATH", help="a larger pocketsphinx model")
    p.add_argument("--list", action="store_true", help="list the cues; recognise nothing")
    p.add_argument("--edit", type=_number, metavar="N", help="fix caption N's words (--text)")
    p.add_argument("--text", help="the words for --edit (a newline splits the two lines)")
    p.add_argument("--retime", type=_number, metavar="N", help="re-time caption N")
    p.add_argument("--start", type=_seconds, metavar="S", help="new start for --retime")
    p.add_argument("--end", type=_seconds, metavar="S", help="new end for --retime")
    p.add_argument("--clear", action="store_true", help="remove the draft's captions")
    p.add_argument("--json", action="store_true", help="print the captions as JSON")
    p.set_defaults(func=cmd_captions)
