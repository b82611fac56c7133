"""`reeleditor voiceover`: narration from an audio file onto the reel; list, volume, remove."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from reeleditor.commands.common import drive
from reeleditor.core import word_edits
from reeleditor.core.draft import Draft
from reeleditor.core.errors import ReelEditorError


def cmd_voiceover(ctx, args) -> int:
    if args.source is not None:
        return _add(ctx, args)
    if args.remove is not None or args.volume_of is not None or args.duck is not None:
        return _change(ctx, args)
    draft = ctx.store.load(args.id)
    _print_voices(ctx, draft, args.json)
    return 0


def _add(ctx, args) -> int:
    from reeleditor.media.voiceover import check_start, discard_voiceover, import_voiceover

    store = ctx.store
    check_start(store.load(args.id), args.at)  # refused before anything is copied
    _check_volume(args.volume)
    voice = drive(import_voiceover(store, args.id, args.source, args.at, args.volume), ctx.stderr)
    try:
        with store.locked(args.id):
            draft = store.load(args.id)
            check_start(draft, args.at)
            store.save(word_edits.add_voiceover(draft, voice, time.time()))
    except BaseException:
        discard_voiceover(store, args.id, voice)  # the recipe never pointed at the copy
        raise
    ctx.warn(
        f"added {args.source.name} as a voice-over at {args.at:g} s ({voice.duration:.2f} s long)"
    )
    ctx.out(voice.id)
    return 0


def _check_volume(volume: float) -> None:
    if not 0 <= volume <= 2:
        raise ReelEditorError(f"--volume {volume:g} is outside 0-2 (1 = as recorded)")


def _change(ctx, args) -> int:
    store = ctx.store
    with store.locked(args.id):
        draft = store.load(args.id)
        now = time.time()
        said = []
        if args.duck is not None:
            draft = word_edits.set_duck(draft, args.duck, now)
            said.append(f"the music ducks {args.duck:g} dB under the voice")
        if args.volume_of is not None:
            voice = _voice(draft, args.volume_of)
            _check_volume(args.volume)
            draft = word_edits.set_voiceover_volume(draft, voice.id, args.volume, now)
            said.append(f"voice-over {args.volume_of} at volume {args.volume:g}")
        if args.remove is not None:
            voice = _voice(draft, args.remove)
            draft = word_edits.remove_voiceover(draft, voice.id, now)
            said.append(f"removed voice-over {args.remove}")
        store.save(draft)
    # the file stays in media/: undo (history) may bring the voice-over back
    ctx.warn("; ".join(said))
    _print_voices(ctx, draft, args.json)
    return 0


def _voice(draft: Draft, which: str):
    """A voice-over by its number (1-based, as listed) or its id."""
    voices = draft.voiceovers
    if which.isdigit() and 1 <= int(which) <= len(voices):
        return voices[int(which) - 1]
    for voice in voices:
        if voice.id == which:
            return voice
    raise ReelEditorError(
        f"draft {draft.id} has no voice-over {which} (it has {len(voices)})",
        f"see 'reeleditor voiceover {draft.id}'",
    )


def _print_voices(ctx, draft: Draft, as_json: bool) -> None:
    if as_json:
        ctx.json({"duck_db": draft.duck_db, "voiceovers": [v.to_dict() for v in draft.voiceovers]})
        return
    if not draft.voiceovers:
        ctx.out("no voice-overs")
    for n, v in enumerate(draft.voiceovers, 1):
        ctx.out(
            f"{n}  {v.id}  at {v.at:.2f} s  for {v.duration:.2f} s  volume {v.volume:g}  {v.media}"
        )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "voiceover",
        help="add narration from an audio file to a draft (prints its id); list, volume, remove",
        description="With --from, copies the audio file into the draft and places it at --at "
        "reel seconds; the music ducks under it. Without, lists the draft's voice-overs.",
    )
    p.add_argument("id", help="draft id")
    p.add_argument(
        "--from", dest="source", type=Path, metavar="FILE", help="wav, mp3, m4a, ogg, flac"
    )
    p.add_argument("--at", type=_seconds, default=0.0, help="reel seconds it starts at (0)")
    p.add_argument("--volume", type=_seconds, default=1.0, help="0-2, 1 = as recorded")
    p.add_argument("--set-volume", dest="volume_of", metavar="N", help="give voice-over N --volume")
    p.add_argument("--remove", metavar="N", help="remove voice-over N (number or id)")
    p.add_argument("--duck", type=_seconds, metavar="DB", help="music drop under voice, 0-40 dB")
    p.add_argument("--json", action="store_true", help="list as JSON")
    p.set_defaults(func=cmd_voiceover)
