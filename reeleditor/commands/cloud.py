"""`reeleditor serve` (the reference cloud) and `reeleditor feed` (what it has published)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from reeleditor.core.errors import ReelEditorError


def cmd_serve(ctx, args) -> int:
    import logging

    from reeleditor.cloud.server import make_server

    data = Path(args.data) if args.data else ctx.paths.data / "cloud"
    token = os.environ.get(args.token_env) if args.token_env else None
    try:
        server = make_server(args.host, args.port, data, token)
    except (OSError, OverflowError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ReelEditorError(
            f"cannot listen on {args.host}:{args.port}: {reason}",
            "choose another --port (1-65535)",
        ) from exc
    # the console log starts once serving: an error before it is one line (its traceback
    # is in the log file)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    host, port = server.server_address[:2]
    ctx.out(f"http://{host}:{port}/files/")  # the endpoint, for scripts
    ctx.warn(
        f"serving tus uploads at http://{host}:{port}/files/, the feed at "
        f"http://{host}:{port}/feed.json; data in {data} (Ctrl+C stops)"
    )
    ctx.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.cloud.processing.shutdown(wait=True)
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
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("feed", help="list the reels an endpoint has published")
    p.add_argument("--endpoint", help="upload endpoint URL (default: from settings)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_feed)
