"""`reeleditor upload ID|FILE` and `reeleditor uploads list|pause|resume|cancel`."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from reeleditor.commands.common import drive
from reeleditor.core.errors import DraftNotFound, StorageError, UploadError
from reeleditor.upload.chunks import file_sha256
from reeleditor.upload.credentials import TokenStore, resolve_endpoint, resolve_token
from reeleditor.upload.errors import AuthFailed, RetryPolicy, SourceFileError
from reeleditor.upload.queue import UploadEntry, UploadQueue, captions_beside
from reeleditor.upload.transfer import MiB, Uploader, human_size
from reeleditor.upload.worker import OLD_CHECK

OFFLINE_GIVE_UP = 10.0  # seconds: an endpoint that never answers fails the command this fast

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)i?[bB]?\s*$")
FILETYPES = {".mp4": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm"}


def parse_size(text: str) -> int:
    """'8', '8M', '8MiB' -> 8 MiB; '256K' -> 256 KiB (for --chunk-size)."""
    match = _SIZE_RE.match(text or "")
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 8M or 512K")
    number, unit = float(match.group(1)), match.group(2).lower()
    size = int(number * (1024 if unit == "k" else MiB))
    if size < 1024:
        raise argparse.ArgumentTypeError("the chunk size must be at least 1K")
    return size


def entry_summary(entry: UploadEntry, running: bool) -> dict:
    data = entry.to_dict()
    data.pop("schema_version")
    data["running"] = running
    data["percent"] = round(100.0 * entry.offset / entry.size, 1) if entry.size else 100.0
    return data


def _queue(ctx) -> UploadQueue:
    return UploadQueue(ctx.paths.uploads)


class _Token:
    """The token for one endpoint; one read by --token-stdin is stored only once the
    server has accepted a request made with it (never echoed, never stored if refused)."""

    def __init__(self, ctx, args, endpoint: str) -> None:
        self.ctx, self.endpoint = ctx, endpoint
        self.store = TokenStore(ctx.paths.config)
        self.fresh = bool(getattr(args, "token_stdin", False))
        if self.fresh:
            self.value = sys.stdin.readline().strip()
            if not self.value:
                raise UploadError("--token-stdin was given but stdin had no token")
        else:
            self.value = resolve_token(self.store, endpoint)

    def accepted(self, _endpoint: str, token: str) -> None:
        if token != self.value:
            return  # not the token read from stdin (cannot happen: the run sends only it)
        self.fresh = False
        try:
            where = self.store.set(self.endpoint, self.value)
        except StorageError as exc:  # the upload goes on; only the saving failed
            self.ctx.warn(f"the server accepted the token, but it could not be saved: {exc}")
            return
        self.ctx.warn(
            f"the server accepted the token for {self.endpoint}; saved in the {where}"
            if where == "keyring"
            else f"the server accepted the token for {self.endpoint}; saved in {where} "
            "(readable by you only)"
        )

    def run(self, work):
        """Drive an upload; a refused or unconfirmed new token is said to be not saved."""
        try:
            entry = drive(work, self.ctx.stderr)
        except AuthFailed as exc:
            if self.fresh:
                raise AuthFailed(f"{exc.message}; the token was not saved", exc.hint) from None
            raise
        except BaseException:
            self._unconfirmed()
            raise
        self._unconfirmed()
        return entry

    def _unconfirmed(self) -> None:
        if self.fresh:
            self.ctx.warn("the token was not saved: the server has not accepted it yet")


def _uploader(ctx, args, token: _Token) -> Uploader:
    chunk = args.chunk_size or ctx.settings.chunk_size_mib * MiB
    return Uploader(
        _queue(ctx),
        token.value,
        chunk_size=chunk,
        policy=RetryPolicy(
            give_up_after=args.retry_for,
            offline_give_up_after=min(args.retry_for, OFFLINE_GIVE_UP),
        ),
        timeout=(min(5.0, args.timeout), args.timeout),
        on_token_accepted=token.accepted if token.fresh else None,
    )


def _draft_export(ctx, draft_id: str) -> tuple[Path, str, float | None, bool]:
    """The draft's exported MP4 (exported first unless one of this recipe and preset
    exists), its title, its cover time and whether its captions are burned in."""
    from reeleditor.media.render import ensure_export

    draft = ctx.store.load(draft_id)
    out = drive(ensure_export(ctx.store, draft, ctx.settings.export_preset), ctx.stderr)
    burned = draft.captions is not None and draft.captions.burn
    return out, draft.title, draft.cover_time, burned


def _is_draft(ctx, target: str) -> bool:
    try:
        return ctx.store.exists(target)
    except DraftNotFound:
        return False


def _report(ctx, args, entry: UploadEntry) -> int:
    if args.json:
        ctx.json(entry_summary(entry, False))
    elif entry.state == "done":
        checked = entry.verified or OLD_CHECK
        ctx.warn(f"upload {entry.id} done: {entry.name}, {human_size(entry.size)}; {checked}")
        ctx.out(entry.upload_url)
    else:
        ctx.warn(
            f"upload {entry.id} is {entry.state}; resume it with "
            f"'reeleditor uploads resume {entry.id}'"
        )
    return 0


def cmd_upload(ctx, args) -> int:
    endpoint = resolve_endpoint(args.endpoint, ctx.settings.endpoint)
    target = args.target
    draft_id, title, cover = "", args.title or "", args.cover
    # a plain file's picture is unknown: its captions are offered as not burned in
    burned = False
    if Path(target).is_file():
        path = Path(target)
    elif _is_draft(ctx, target):
        draft_id = target
        path, draft_title, draft_cover, burned = _draft_export(ctx, target)
        title = title or draft_title
        cover = draft_cover if cover is None else cover
    elif Path(target).exists():
        raise SourceFileError(f"{target} is not a file")
    else:
        raise SourceFileError(
            f"{target} is neither a file nor a draft id", "see 'reeleditor drafts list'"
        )
    token = _Token(ctx, args, endpoint)
    queue = _queue(ctx)
    size = path.stat().st_size
    digest = drive(file_sha256(path, stage="hashing"), ctx.stderr)
    entry = queue.find_unfinished(path, endpoint)
    if entry is not None and entry.sha256 != digest:
        queue.update(
            entry.id,
            state="failed",
            last_error="the file changed after queueing; queued again as a new upload",
        )
        ctx.warn(f"{path} changed since upload {entry.id} was queued; uploading it as new")
        entry = None
    if entry is None:
        captions, notice = captions_beside(path)  # the export's WebVTT, if any
        if notice:
            ctx.warn(notice)
        entry = queue.add(
            path,
            size,
            digest,
            endpoint,
            title=title or path.stem,
            draft_id=draft_id,
            filetype=FILETYPES.get(path.suffix.lower(), "application/octet-stream"),
            cover=cover,
            captions=captions,
            captions_burned=bool(captions) and burned,
        )
    else:
        ctx.warn(f"continuing upload {entry.id} of {path}")
    ctx.warn(f"upload {entry.id}: {path} -> {endpoint}")
    entry = token.run(_uploader(ctx, args, token).run(entry.id, trusted_sha256=digest))
    return _report(ctx, args, entry)


def cmd_list(ctx, args) -> int:
    queue = _queue(ctx)
    entries = queue.list()
    for problem in queue.problems:
        ctx.warn(problem)
    rows = [entry_summary(e, queue.is_running(e.id)) for e in entries]
    if args.json:
        ctx.json({"uploads": rows})
        return 0
    if not rows:
        ctx.out("no uploads: publish one with 'reeleditor upload FILE'")
    for row in rows:
        state = row["state"] + (" (running)" if row["running"] else "")
        if row["state"] == "done":
            error = f"  [{row['verified']}]" if row["verified"] else ""
        else:
            error = f"  [{row['last_error']}]" if row["last_error"] else ""
        ctx.out(
            f"{row['id']}  {state:<20} {row['percent']:5.1f}%  "
            f"{row['size'] / MiB:8.1f} MiB  {Path(row['file']).name}{error}"
        )
    return 0


def cmd_pause(ctx, args) -> int:
    queue = _queue(ctx)
    entry = queue.get(args.id)
    if entry.state == "done":
        raise UploadError(f"upload {args.id} is already done")
    entry = queue.update(args.id, state="paused")
    if queue.is_running(args.id):
        ctx.warn(f"pausing upload {args.id} after its current chunk")
    else:
        ctx.warn(f"paused upload {args.id}")
    if args.json:
        ctx.json(entry_summary(entry, queue.is_running(args.id)))
    return 0


def cmd_resume(ctx, args) -> int:
    queue = _queue(ctx)
    entry = queue.get(args.id)
    if entry.state == "done":
        return _report(ctx, args, entry)
    token = _Token(ctx, args, entry.endpoint)
    entry = token.run(_uploader(ctx, args, token).run(args.id))
    return _report(ctx, args, entry)


def cmd_cancel(ctx, args) -> int:
    queue = _queue(ctx)
    entry = queue.get(args.id)
    if queue.is_running(args.id):
        queue.update(args.id, cancel_requested=True)
        ctx.warn(f"cancelling upload {args.id} after its current chunk")
    else:
        token = resolve_token(TokenStore(ctx.paths.config), entry.endpoint)
        warning = Uploader(queue, token).cancel(args.id)
        if warning:
            ctx.warn(warning)
        ctx.warn(f"cancelled upload {args.id}")
    if args.json:
        ctx.json({"id": args.id, "cancelled": True})
    return 0


def _transfer_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--token-stdin",
        action="store_true",
        help="read the endpoint's bearer token from stdin and store it "
        "(OS keyring, else a file only you can read)",
    )
    p.add_argument(
        "--chunk-size",
        type=parse_size,
        metavar="SIZE",
        help="bytes per request, e.g. 8M or 512K (default: the settings, 8M)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="S",
        help="seconds to wait for the server on each request (default 60)",
    )
    p.add_argument(
        "--retry-for",
        type=float,
        default=120.0,
        metavar="S",
        help="give up after failing this long without progress; the upload "
        "stays queued (default 120; an endpoint that never answers: 10)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable result on stdout")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("upload", help="publish a reel (draft id or video file), resumably")
    p.add_argument("target", metavar="ID|FILE", help="a draft id (exported first) or a file")
    p.add_argument(
        "--endpoint",
        metavar="URL",
        help="tus endpoint (default: $REELEDITOR_ENDPOINT, else the settings)",
    )
    p.add_argument("--title", help="title sent with the upload (default: the draft's)")
    p.add_argument(
        "--cover",
        type=float,
        metavar="S",
        help="poster at S seconds (default: the draft's cover time, else a sharp frame)",
    )
    _transfer_args(p)
    p.set_defaults(func=cmd_upload)

    uploads = sub.add_parser("uploads", help="list and control the upload queue")
    usub = uploads.add_subparsers(dest="uploads_cmd", required=True, metavar="COMMAND")

    q = usub.add_parser("list", help="list queued, running, finished and failed uploads")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(func=cmd_list)

    for name, func, text in (
        ("pause", cmd_pause, "pause an upload (a running one stops after its chunk)"),
        ("cancel", cmd_cancel, "cancel an upload and delete it on the server"),
    ):
        q = usub.add_parser(name, help=text)
        q.add_argument("id", help="upload id (see 'uploads list')")
        q.add_argument("--json", action="store_true", help="machine-readable output")
        q.set_defaults(func=func)

    q = usub.add_parser("resume", help="continue an upload from the server's offset")
    q.add_argument("id", help="upload id (see 'uploads list')")
    _transfer_args(q)
    q.set_defaults(func=cmd_resume)
