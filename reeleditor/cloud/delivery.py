"""CDN-friendly delivery: immutable media with ETag and Range, and the feed of reels."""

from __future__ import annotations

import json
from email.utils import formatdate
from pathlib import Path

CONTENT_TYPES = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".json": "application/json"}


def feed_entries(media: Path) -> list[dict]:
    """Published reels, newest first, with their file URLs."""
    entries = []
    for meta in media.glob("*/reel.json"):
        try:
            entry = json.loads(meta.read_text())
        except (OSError, ValueError):
            continue
        base = f"/media/{entry['id']}/"
        entry["poster_url"] = base + entry["poster"]
        entry["urls"] = {name: base + file for name, file in entry["files"].items()}
        entries.append(entry)
    entries.sort(key=lambda e: e.get("published", 0), reverse=True)
    return entries


def send_file(handler, path: Path) -> None:
    """200, 206 (one byte range) or 304; a published file never changes, so cache for a year."""
    try:
        stat = path.stat()
    except OSError:
        return handler._error(404, "not found")
    etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
    headers = {
        "ETag": etag,
        "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
        "Cache-Control": "public, max-age=31536000, immutable",
        "Accept-Ranges": "bytes",
        "Content-Type": CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
    }
    if handler.headers.get("If-None-Match") == etag:
        return handler._reply(304, headers)
    start, end = 0, stat.st_size - 1
    status = 200
    wanted = handler.headers.get("Range", "")
    if wanted.startswith("bytes="):
        first, _, last = wanted[6:].split(",")[0].partition("-")
        try:
            if first:
                start = int(first)
                end = min(int(last), end) if last else end
            else:
                start = max(0, stat.st_size - int(last))
            if start > end:
                raise ValueError
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{stat.st_size}"
        except ValueError:
            headers["Content-Range"] = f"bytes */{stat.st_size}"
            return handler._reply(416, headers)
    handler.send_response(status)
    handler.send_header("Content-Length", str(end - start + 1))
    for key, value in headers.items():
        handler.send_header(key, value)
    handler.end_headers()
    if handler.command == "HEAD":
        return None
    with open(path, "rb") as fh:
        fh.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            block = fh.read(min(1 << 20, remaining))
            if not block:
                break
            handler.wfile.write(block)
            remaining -= len(block)
    return None
