"""The command line: `reeleditor` opens the app; subcommands are its headless twin."""

from __future__ import annotations

import argparse
import logging
import sys

from reeleditor import __version__
from reeleditor.commands import captions as captions_command
from reeleditor.commands import (
    clips,
    cloud,
    devices,
    drafts,
    export,
    filters,
    record,
    timeline,
    upload,
    voiceover,
    worker,
)
from reeleditor.commands import text as text_command
from reeleditor.commands.common import Context
from reeleditor.core.errors import Cancelled, ReelEditorError

log = logging.getLogger(__name__)

COMMAND_MODULES = [drafts, record, export, timeline, clips, filters, devices, upload, cloud, worker]
COMMAND_MODULES.append(text_command)  # `reeleditor text add|list|remove`
COMMAND_MODULES.append(voiceover)  # its own line: other commands are registered beside it
COMMAND_MODULES.append(captions_command)  # `reeleditor captions ID`


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reeleditor",
        description="Record, edit, export and publish short vertical videos. "
        "With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"reeleditor {__version__}")
    parser.add_argument("--home", help="keep all data in this folder (as REELEDITOR_HOME)")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="record, mix, export, publish to the embedded cloud, fetch the poster and "
        "open the window, in a temporary home (or --home); exit 1 naming a failed step",
    )
    parser.add_argument(
        "--startup-probe",
        action="store_true",
        help="open the app, print 'main window shown <monotonic time>' after its first "
        "paint and quit (benchmarks/startup.py)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def start_logging(home: str | None):
    """The crash trail for this run (see storage/logs.py); never stops a command."""
    from reeleditor.storage.logs import setup_logging
    from reeleditor.storage.paths import AppPaths

    return setup_logging(AppPaths.from_env(home).logs)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test:
        from reeleditor.selftest import run_self_test

        return run_self_test(main, home=args.home)
    if args.command is None:
        from reeleditor.app import run_app

        return run_app(home=args.home, startup_probe=args.startup_probe)
    files = start_logging(args.home)
    ctx = Context(home=args.home)
    try:
        return args.func(ctx, args)
    except Cancelled as exc:
        log.info("%s: %s", args.command, exc)
        print(f"reeleditor: {exc}", file=sys.stderr)
        return 130
    except ReelEditorError as exc:
        # the user reads one line; the traceback is for whoever reads the log
        log.warning("%s failed: %s", args.command, exc, exc_info=True)
        print(f"reeleditor: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        log.info("%s interrupted", args.command)
        print("reeleditor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: one line here, the whole story in the log
        log.exception("%s crashed", args.command)
        where = f"; details in {files.log}" if files.problem is None else ""
        print(f"reeleditor: error: unexpected {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        return 1
