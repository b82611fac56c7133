"""`reeleditor devices`: the cameras and microphones this machine offers."""

from __future__ import annotations

import argparse


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value <= 600:
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds in 0..600")
    return value


def _fps(fps: float | None) -> str:
    return f" @ {fps:g} fps" if fps else ""


def cmd_devices(ctx, args) -> int:
    from reeleditor.media.devices import list_devices  # cv2 and PortAudio: only when asked

    found = list_devices(timeout=args.timeout)
    if args.json:
        ctx.json(found)
        return 0
    ctx.out("cameras:")
    for cam in found["cameras"]:
        ctx.out(
            f"  camera:{cam['index']}  {cam['name']}  "
            f"{cam['width']}x{cam['height']}{_fps(cam['fps'])}"
        )
    for skipped in found["skipped"]:
        ctx.out(f"  camera:{skipped['index']}  {skipped['reason']}")
    if not found["cameras"]:
        ctx.out("  no camera found: the test pattern stands in")
    ctx.out("microphones:")
    for mic in found["microphones"]:
        flag = "  (default)" if mic["default"] else ""
        ctx.out(f"  {mic['index']}  {mic['name']}  {mic['channels']} ch{flag}")
    if not found["microphones"]:
        ctx.out("  no microphone found: recordings get a silent audio track")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("devices", help="list cameras and microphones")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=4.0,
        metavar="S",
        help="seconds a camera may take to answer before it is skipped (default 4)",
    )
    p.set_defaults(func=cmd_devices)
