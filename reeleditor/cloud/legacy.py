"""Reels published by the stdlib server (before the catalog) join the catalog, once.

That server kept each reel in `<data>/media/<id>/` with a `reel.json`. On the first start
of the embedded shape over such a folder, each becomes a ready reel (owner "", the open
server's) whose files are copied under `media/<id>/<hash>/` in the object store, through
the catalog's own steps (upload, finish, claim, publish), so nothing else needs to know.
The old folders are left where they are; a marker file keeps this from running twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from pathlib import Path

from reeleditor.cloud.contracts import Catalog, ObjectStore, Upload

log = logging.getLogger("reeleditor.cloud")
MARKER = ".legacy-media-imported"
_ID_RE = re.compile(r"^[a-f0-9]{32}$")
CONTENT_TYPES = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".json": "application/json"}


def import_legacy_media(data: Path, catalog: Catalog, store: ObjectStore) -> int:
    """Import the old server's published reels under `data`; returns how many."""
    data = Path(data)
    media = data / "media"
    if (data / MARKER).exists() or not media.is_dir():
        return 0
    count = 0
    for meta_path in sorted(media.glob("*/reel.json")):
        try:
            count += _import_one(meta_path, catalog, store)
        except Exception:  # one unreadable reel must not keep the cloud from starting
            log.warning("could not import the published reel in %s", meta_path.parent.name)
    (data / MARKER).write_text(f"{count} reels imported\n")
    if count:
        log.info("imported %d reels published before the catalog", count)
    return count


def _import_one(meta_path: Path, catalog: Catalog, store: ObjectStore) -> int:
    entry = json.loads(meta_path.read_text())
    reel_id, folder = entry.get("id", ""), meta_path.parent
    if not _ID_RE.match(reel_id) or catalog.get_reel(reel_id) is not None:
        return 0
    names = sorted({*entry["files"].values(), entry["poster"]})
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0" + (folder / name).read_bytes())
    prefix = f"media/{reel_id}/{digest.hexdigest()[:32]}/"
    for name in names:
        content_type = CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")
        store.put_file(prefix + name, str(folder / name), content_type)
    now = time.time()
    size = (folder / entry["files"]["original"]).stat().st_size
    metadata = {"title": entry.get("title", "")}
    catalog.create_upload(
        Upload(reel_id, "", size, size, metadata, f"uploads/{reel_id}", {}, now, now)
    )
    job = catalog.finish_upload(reel_id, entry.get("sha256", ""))
    claimed = job and catalog.claim_job(job.id, "legacy-import", 60.0)
    if not claimed:
        return 0
    meta = {k: v for k, v in entry.items() if k != "published"}
    return int(catalog.publish(claimed.id, "legacy-import", prefix, meta))
