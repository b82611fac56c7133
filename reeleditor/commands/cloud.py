"""`reeleditor serve` (the reference cloud), `cloud add-user` (accounts) and `feed`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from reeleditor.core.errors import ReelEditorError


def _data_dir(ctx, args) -> Path:
    return Path(args.data) if args.data else ctx.paths.data / "cloud"


def cmd_serve(ctx, args) -> int:
    import asyncio
    import logging

    from reeleditor.cloud.app import Options
    from reeleditor.cloud.server import make_server, serve_forever

    scale_out = args.storage and args.catalog and args.queue and not args.data
    data = None if scale_out else _data_dir(ctx, args)
    token = None
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            raise ReelEditorError(f"--token-env {args.token_env}: that variable is empty or unset")
    edges = args.edge or os.environ.get("REELEDITOR_EDGE", "").split()
    for edge in edges:
        if not edge.startswith(("http://", "https://")):
            raise ReelEditorError(f"--edge {edge}: an http:// or https:// URL is needed")
    options = Options(token=token, workers=args.workers, edges=tuple(edges))
    if args.job_lease:  # tests: a killed server's job is taken up again within seconds
        options.job_lease = args.job_lease
        options.sweep_jobs_every = min(options.sweep_jobs_every, args.job_lease)
    try:
        server = make_server(
            args.host,
            args.port,
            data,
            storage=args.storage,
            catalog=args.catalog,
            queue=args.queue,
            options=options,
        )
    except (ValueError, OSError) as exc:
        raise ReelEditorError(f"cannot open the cloud's engines: {exc}") from exc

    def ready(server) -> None:
        # the console log starts once serving: an error before it is one line (its
        # traceback is in the log file)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        url = server.url
        ctx.out(f"{url}/files/")  # the endpoint, for scripts
        where = f"data in {data}" if data else f"storage {args.storage}"
        ctx.warn(
            f"serving tus uploads at {url}/files/, the feed at {url}/feed.json; "
            f"{where} (Ctrl+C stops)"
        )
        ctx.stdout.flush()

    try:
        asyncio.run(serve_forever(server, args.host, args.port, ready))
    except (OSError, OverflowError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ReelEditorError(
            f"cannot listen on {args.host}:{args.port}: {reason}",
            "choose another --port (1-65535)",
        ) from exc
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


def cmd_add_user(ctx, args) -> int:
    from reeleditor.cloud.accounts import add_user
    from reeleditor.cloud.app import embedded_urls

    url = args.catalog or embedded_urls(_data_dir(ctx, args))[1]
    token = add_user(url, args.name)
    ctx.warn(f"account {args.name.strip()!r} added; its token (shown once) on stdout")
    ctx.out(token)
    return 0


def cmd_feed(ctx, args) -> int:
    from reeleditor.cloud.client import fetch_feed

    endpoint = args.endpoint or os.environ.get("REELEDITOR_ENDPOINT") or ctx.settings.endpoint
    entries = fetch_feed(endpoint)
    if args.json:
        ctx.json(entries)
        return 0
    if not entries:
        ctx.out("nothing published yet")
    for e in entries:
        ctx.out(f"{e['id'][:12]}  {e['duration']:6.1f}s  {e['title']}  {e['urls']['original']}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the reference cloud: tus ingest, processing, feed")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--data", help="folder for uploads and media (default: in the app folder)")
    p.add_argument(
        "--token-env", metavar="VAR", help="require 'Authorization: Bearer $VAR' on uploads"
    )
    p.add_argument("--storage", metavar="URL", help="file:///DIR or s3://BUCKET?endpoint=URL")
    p.add_argument("--catalog", metavar="URL", help="sqlite:///PATH or postgresql://...")
    p.add_argument("--queue", metavar="URL", help="local or redis://HOST:PORT/N")
    p.add_argument(
        "--workers", type=int, default=1, help="in-process job runners (local queue; default 1)"
    )
    p.add_argument(
        "--edge",
        action="append",
        metavar="URL",
        help="an edge cache to purge after a delete (repeatable; env REELEDITOR_EDGE, "
        "space-separated)",
    )
    p.add_argument("--job-lease", type=float, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("cloud", help="manage the reference cloud")
    cloud_sub = p.add_subparsers(dest="cloud_command", required=True)
    p = cloud_sub.add_parser("add-user", help="add an account and print its token")
    p.add_argument("name")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--catalog", metavar="URL", help="sqlite:///PATH or postgresql://...")
    where.add_argument("--data", help="the embedded cloud's folder (default: in the app folder)")
    p.set_defaults(func=cmd_add_user)

    p = sub.add_parser("feed", help="list the reels an endpoint has published")
    p.add_argument("--endpoint", help="upload endpoint URL (default: from settings)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_feed)
