"""`reeleditor worker` (runs the cloud's jobs) and `reeleditor process` (one job, no server)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from reeleditor.core.errors import ReelEditorError
from reeleditor.storage.atomic import atomic_write


def cmd_worker(ctx, args) -> int:
    import logging

    from reeleditor.cloud.jobs import JobSettings
    from reeleditor.cloud.urls import (
        default_worker_name,
        open_catalog,
        open_queue,
        open_store,
        parse_queue,
        redact,
    )

    settings = JobSettings(lease=args.lease, max_attempts=args.max_attempts, backoff=args.backoff)
    name = args.name or default_worker_name()
    parse_queue(args.queue)  # every URL checked before anything starts
    store = open_store(args.storage)
    catalog = open_catalog(args.catalog)
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    runtime = open_queue(
        args.queue,
        catalog=catalog,
        store=store,
        consume=True,
        concurrency=args.concurrency,
        worker_name=name,
        settings=settings,
        sweep_interval=args.sweep_interval,
        sweep_grace=min(5.0, args.sweep_interval),
    )
    # the console log starts once working: an error before it is one line
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ctx.warn(
        f"worker {name}: {args.concurrency} at a time from {redact(args.queue)} (Ctrl+C stops)"
    )
    try:
        stop.wait()
    finally:
        ctx.warn(f"worker {name}: stopping after the jobs in progress")
        runtime.close()
        catalog.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def cmd_process(ctx, args) -> int:
    from reeleditor.commands.common import drive, first_interrupt_stops
    from reeleditor.media.publishing import process_reel

    source = Path(args.input)
    if not source.is_file():
        raise ReelEditorError(f"{source} is not a file", "give the path of a video file")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    metadata = {"filename": source.name}
    for key in ("title", "sha256", "cover"):
        if getattr(args, key) is not None:
            metadata[key] = str(getattr(args, key))
    # built aside and moved in at the end: a failed or interrupted run leaves OUT as it was
    work = Path(tempfile.mkdtemp(prefix=".reeleditor-process-", dir=out))
    try:
        with first_interrupt_stops() as stop:
            manifest = drive(process_reel(source, work, metadata), ctx.stderr, stop)
        atomic_write(work / "reel.json", json.dumps(manifest, indent=1).encode())
        for item in work.iterdir():
            target = out / item.name
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(item, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        ctx.json(manifest)
    else:
        ctx.out(str(out / manifest["hls"]))
        rungs = ", ".join(f"{r['width']}x{r['height']}" for r in manifest["renditions"])
        ctx.warn(f"{manifest['duration']:.1f} s; HLS {rungs}; {manifest['mp4']}, "
                 f"{manifest['poster']}, {manifest['sprite']} in {out}")  # fmt: skip
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worker", help="run the cloud's processing jobs (scale-out workers)")
    p.add_argument("--storage", required=True, help="file:///DIR or s3://BUCKET?endpoint=URL")
    p.add_argument("--catalog", required=True, help="sqlite:///PATH or postgresql://...")
    p.add_argument("--queue", required=True, help="local or redis://HOST:PORT/N")
    p.add_argument("--concurrency", type=int, default=1, help="jobs at a time (default 1)")
    p.add_argument("--name", help="this worker's name in the journal (default: host-pid)")
    p.add_argument("--lease", type=float, default=60.0, help=argparse.SUPPRESS)
    p.add_argument("--max-attempts", type=int, default=5, help=argparse.SUPPRESS)
    p.add_argument("--backoff", type=float, default=5.0, help=argparse.SUPPRESS)
    p.add_argument("--sweep-interval", type=float, default=10.0, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser(
        "process", help="process one video into a folder, as the cloud does (no server)"
    )
    p.add_argument("input", metavar="INPUT", help="the uploaded video file")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the published files")
    p.add_argument("--title", help="the reel's title")
    p.add_argument("--sha256", help="fail unless INPUT has this sha256")
    p.add_argument(
        "--cover", type=float, metavar="S", help="poster at S seconds (default: a sharp frame)"
    )
    p.add_argument("--json", action="store_true", help="print the reel's manifest as JSON")
    p.set_defaults(func=cmd_process)
