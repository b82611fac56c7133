"""`reeleditor devices` and `reeleditor doctor`: what this machine offers, and a health check."""

from __future__ import annotations

import argparse
import logging
import shutil
import sys

log = logging.getLogger(__name__)


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


def cmd_doctor(ctx, args) -> int:
    """Everything it can find out, even on a broken set-up; non-zero when something is wrong.

    It never uses `ctx.paths` (which refuses a home it cannot write): a read-only home is
    one of the problems it is there to report.
    """
    import av

    from reeleditor.media.devices import list_cameras
    from reeleditor.media.encoders import available_encoders, pick_encoder
    from reeleditor.media.microphone import list_microphones
    from reeleditor.storage.logs import current_files, describe_file, log_files
    from reeleditor.storage.paths import AppPaths
    from reeleditor.storage.settings import load_settings

    paths = AppPaths.from_env(ctx.home)
    unwritable = paths.problems()
    problems = _folder_problems(paths, unwritable)
    files = current_files() or log_files(paths.logs)
    if files.problem and paths.logs not in {folder for folder, _ in unwritable}:
        problems.append(f"the log is off: {files.log}: {files.problem}")
    try:
        settings, warning = load_settings(paths.settings_file)
    except OSError as exc:
        from reeleditor.core.settings import Settings

        settings, warning = Settings(), f"{paths.settings_file}: {exc.strerror or exc}"
    if warning:
        problems.append(warning)
    report = {
        "version": __import__("reeleditor").__version__,
        "python": sys.version.split()[0],
        "pyav": av.__version__,
    }
    cameras = list_cameras()
    mics = list_microphones()
    encoders = available_encoders()
    choice = pick_encoder()
    free = _free_bytes(paths.data)
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
            "logs": str(paths.logs),
        },
        log_file={"path": str(files.log), "bytes": _size(files.log)},
        crash_file={"path": str(files.crash), "bytes": _size(files.crash)},
        free_disk_bytes=free,
        endpoint=settings.endpoint,
        problems=problems,
    )
    for problem in problems:
        log.warning("doctor: %s", problem)
    if args.json:
        ctx.json(report)
        return 1 if problems else 0
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
    ctx.out(f"log file:    {describe_file(files.log)}")
    ctx.out(f"crash file:  {describe_file(files.crash)}")
    ctx.out("free disk:   " + (f"{free / 2**30:.1f} GiB" if free is not None else "unknown"))
    ctx.out(f"endpoint:    {report['endpoint']}")
    if problems:
        ctx.out(f"problems:    {len(problems)}")
        for problem in problems:
            ctx.out(f"  - {problem}")
        return 1
    ctx.out("problems:    none")
    return 0


def _folder_problems(paths, found: list) -> list[str]:
    """One line per unwritable folder, or one line for all when the whole home is read-only."""
    import os

    reasons = {reason for _, reason in found}
    if len(found) == len(paths.folders) and len(reasons) == 1:
        root = os.path.commonpath([str(folder) for folder, _ in found])
        return [
            f"cannot write to {root}: {reasons.pop()}; nothing can be saved "
            "(drafts, recordings, settings, logs)"
        ]
    return [f"cannot write to {folder}: {reason}" for folder, reason in found]


def _size(path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _free_bytes(folder) -> int | None:
    """Free space where the data lives (or would live: the nearest folder that exists)."""
    for candidate in (folder, *folder.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


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

    p = sub.add_parser(
        "doctor",
        help="cameras, microphones, encoders, folders, log files, endpoint; exits 1 on a problem",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_doctor)
