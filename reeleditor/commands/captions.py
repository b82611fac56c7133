"""`reeleditor captions`: recognise a draft's speech into caption cues; list, fix, re-time,
burn or not, write WebVTT."""

from __future__ import annotations

import argparse
import math
import os
import time
from dataclasses import replace
from pathlib import Path

from reeleditor.commands.common import drive
from reeleditor.commands.timeline import _seconds
from reeleditor.core import word_edits
from reeleditor.core.draft import Draft
from reeleditor.core.errors import ReelEditorError, StorageError
from reeleditor.core.words import TEXT_FONTS, TEXT_STYLES


def cmd_captions(ctx, args) -> int:
    _check_looks(args)
    if args.vtt is not None:
        _check_vtt_folder(args.vtt)  # a bad path is refused before the draft changes
    editing = args.edit is not None or args.retime is not None
    # the lock first: a draft open elsewhere is refused now, not after minutes of listening
    with ctx.store.locked(args.id):
        draft = ctx.store.load(args.id)
        has_cues = draft.captions is not None and bool(draft.captions.cues)
        # hand-fixed cues are never thrown away by a flag that only changes how they
        # show: recognise when there are none, or when asked to (--redo)
        if args.redo or not (has_cues or args.list or editing or args.clear):
            draft = _recognise(ctx, args, draft)
        elif args.model is not None:
            raise ReelEditorError(
                f"draft {args.id} already has captions; --model needs --redo to listen again"
            )
        draft = _change(ctx, args, draft)
    if args.vtt is not None:
        _write_vtt(draft, args.vtt)
        ctx.warn(f"wrote {args.vtt}")
    _print_cues(ctx, draft, args.json)
    return 0


def _check_vtt_folder(path: Path) -> None:
    folder = Path(path).absolute().parent
    if not folder.is_dir():
        raise StorageError(f"could not write {path}: no folder {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StorageError(f"could not write {path}: {folder} is not writable")


def _recognise(ctx, args, draft: Draft) -> Draft:
    """New cues from the reel's speech, saved; the caller holds the draft's lock."""
    from reeleditor.media.captions import transcribe
    from reeleditor.media.speech import PocketSphinxRecognizer

    recognizer = PocketSphinxRecognizer(args.model)  # a bad --model is refused up front
    captions = drive(transcribe(ctx.store, draft, recognizer), ctx.stderr)
    if draft.captions is not None:  # a redo keeps how they look and whether burned
        captions = replace(
            draft.captions, cues=captions.cues, language=captions.language,
            engine=captions.engine,
        )  # fmt: skip
    draft = word_edits.set_captions(draft, captions, time.time())
    ctx.store.save(draft)
    burned = "burned into the picture" if captions.burn else "not burned (WebVTT only)"
    ctx.warn(f"{len(captions.cues)} captions from {captions.engine}; {burned}")
    return draft


def _change(ctx, args, draft: Draft) -> Draft:
    """The edits the flags ask for, saved when there are any; the caller holds the lock."""
    now = time.time()
    before = draft
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
    looks = {"style": args.style, "font": args.font}
    looks = {k: v for k, v in looks.items() if v is not None}
    if (args.burn is not None or looks or args.y is not None) and draft.captions is not None:
        captions = draft.captions
        if args.burn is not None:
            captions = replace(captions, burn=args.burn)
        if looks:
            captions = replace(captions, look=replace(captions.look, **looks))
        if args.y is not None:
            captions = replace(captions, y=args.y)
        draft = word_edits.set_captions(draft, captions, now)
    if draft is not before:
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


def _check_looks(args) -> None:
    """One-line refusals (not argparse's usage block) for a name or height it cannot use."""
    for name, names, what in ((args.style, TEXT_STYLES, "style"), (args.font, TEXT_FONTS, "font")):
        if name is not None and name not in names:
            raise ReelEditorError(f"no caption {what} {name!r} (one of {', '.join(names)})")
    if args.y is not None:
        try:
            args.y = float(args.y)
        except ValueError:
            args.y = math.nan
        if not 0 <= args.y <= 1:  # NaN fails too
            raise ReelEditorError("--y is the captions' centre as a fraction from 0 to 1")


def _number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a caption number (1 is the first)")
    return int(text)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "captions",
        help="auto-captions: recognise a draft's speech into editable caption cues",
        description="On a draft without captions (or with --redo): listens to the reel's own "
        "sound and voice-overs (not the music) offline, and stores the cues in the draft "
        "(progress on stderr). Otherwise the flags change the cues you have: --burn, "
        "--style and the rest never listen again. Captions are burned into the exported "
        "picture unless --no-burn; a WebVTT file is always written beside an export.",
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
    p.add_argument(
        "--redo", action="store_true",
        help="listen again and replace the cues (hand fixes are lost; the look is kept)",
    )  # fmt: skip
    p.add_argument("--style", help=f"the captions' style ({', '.join(TEXT_STYLES)})")
    p.add_argument("--font", help=f"the captions' font ({', '.join(TEXT_FONTS)})")
    p.add_argument(
        "--y", metavar="Y",
        help="the captions' centre as a fraction of the height (0 top, 1 bottom)",
    )  # fmt: skip
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
