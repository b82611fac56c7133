"""`reeleditor filters list`: the looks a draft can use, with their titles and descriptions."""

from __future__ import annotations

import argparse

from reeleditor.core.draft import ADJUSTMENT_NAMES


def cmd_list(ctx, args) -> int:
    from reeleditor.media.looks_catalog import CATALOG  # cv2 stays out of `--help`

    looks = [info.to_dict() for info in CATALOG]
    if args.json:
        ctx.json(looks)
        return 0
    width = max(len(look["name"]) for look in looks)
    title_width = max(len(look["title"]) for look in looks)
    for look in looks:
        ctx.out(f"{look['name']:<{width}}  {look['title']:<{title_width}}  {look['description']}")
    ctx.out()
    ctx.out(f"adjustments (-100..100 each): {', '.join(ADJUSTMENT_NAMES)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    filters = sub.add_parser("filters", help="list the looks (filters)")
    fsub = filters.add_subparsers(dest="filters_cmd", required=True, metavar="COMMAND")
    p = fsub.add_parser("list", help="list the looks: name, title, description")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_list)
