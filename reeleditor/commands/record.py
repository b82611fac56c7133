"""`reeleditor record` and `reeleditor doctor`: recording takes headless, and a health check."""

from __future__ import annotations

import argparse
import shutil
import sys
import time

from reeleditor.commands.common import drive
from reeleditor.core import edits
from reeleditor.core.errors import ReelEditorError


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
    from reeleditor.core.draft import Look
    from reeleditor.media.looks import compile_look  # noqa: F401  (validates the look list)
    from reeleditor.media.sources import open_source, parse_source_spec
    from reeleditor.media.take import record_take

    if args.seconds <= 0:
        raise ReelEditorError(f"--seconds {args.seconds} must be more than 0")
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
    if args.draft:
        draft = store.load(args.draft)
    else:
        draft = store.create(args.title or "", width=args.width, height=args.height, fps=args.fps)
    if look is not None:
        look = _look_from_args(args, draft.look)
        with store.locked(draft.id):
            store.save(edits.set_look(store.load(draft.id), look, now=time.time()))
    source = open_source(args.source, draft.width, draft.height, draft.fps)
    source.open()
    try:
        audio = _audio_for(source, args.mic)
        if source.notice:
            ctx.warn(source.notice)
        if getattr(audio, "notice", None):
            ctx.warn(audio.notice)
        with store.locked(draft.id):
            take = drive(record_take(store, draft.id, source, audio, args.seconds), ctx.stderr)
    except ReelEditorError:
        ctx.out(draft.id)  # scripts still learn which draft holds what was kept
        raise
    finally:
        source.close()
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


def _look_from_args(args, current):
    from reeleditor.core.draft import Look
    from reeleditor.media.looks import list_looks

    names = [info["name"] for info in list_looks()]
    if args.filter not in names:
        raise ReelEditorError(f"no look named {args.filter!r}", "see 'reeleditor filters list'")
    strength = current.strength if args.strength is None else args.strength
    return Look(args.filter, strength, current.adjustments)


def cmd_doctor(ctx, args) -> int:
    import av

    from reeleditor.media.devices import list_cameras
    from reeleditor.media.encoders import available_encoders, pick_encoder
    from reeleditor.media.microphone import list_microphones

    report = {
        "version": __import__("reeleditor").__version__,
        "python": sys.version.split()[0],
        "pyav": av.__version__,
    }
    cameras = list_cameras()
    mics = list_microphones()
    encoders = available_encoders()
    choice = pick_encoder()
    paths = ctx.paths
    usage = shutil.disk_usage(paths.data)
    report.update(
        cameras=cameras,
        microphones=mics,
        encoders=encoders,
        video_encoder=choice.name,
        folders={
            "data": str(paths.data),
            "drafts": str(paths.drafts),
            "cache": str(paths.cache),
            "config": str(paths.config),
        },
        free_disk_bytes=usage.free,
        endpoint=ctx.settings.endpoint,
    )
    if args.json:
        ctx.json(report)
        return 0
    ctx.out(f"reeleditor {report['version']} (Python {report['python']}, PyAV {report['pyav']})")
    ctx.out(
        "cameras:     "
        + (
            ", ".join(f"{c['index']}: {c.get('name') or 'camera'}" for c in cameras)
            or "none (the test pattern stands in)"
        )
    )
    ctx.out(
        "microphones: "
        + (", ".join(m["name"] for m in mics) or "none (recordings get a silent track)")
    )
    ctx.out(
        "encoders:    " + ", ".join(f"{n} {'yes' if ok else 'no'}" for n, ok in encoders.items())
    )
    ctx.out(f"video with:  {choice.name}" + (f" ({choice.notice})" if choice.notice else ""))
    for name, folder in report["folders"].items():
        ctx.out(f"{name + ':':12} {folder}")
    ctx.out(f"free disk:   {usage.free / 2**30:.1f} GiB")
    ctx.out(f"endpoint:    {report['endpoint']}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("record", help="record a take into a new or existing draft")
    p.add_argument(
        "--source",
        default="auto",
        help="testpattern, camera:N, file:PATH or auto (default: first camera, "
        "else the test pattern)",
    )
    p.add_argument("--seconds", type=float, required=True, help="length of the take")
    p.add_argument("--filter", help="look to set on the draft (the recording stays raw)")
    p.add_argument("--strength", type=float, help="look strength, 0-100")
    p.add_argument("--draft", help="extend this draft instead of creating one")
    p.add_argument("--title", help="title of a new draft")
    p.add_argument("--mic", default="auto", help="microphone: auto, none, or a device name")
    p.add_argument("--width", type=int, default=1080)
    p.add_argument("--height", type=int, default=1920)
    p.add_argument("--fps", type=int, default=30)
    p.set_defaults(func=cmd_record)

    p = sub.add_parser("doctor", help="cameras, microphones, encoders, folders, endpoint")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_doctor)
