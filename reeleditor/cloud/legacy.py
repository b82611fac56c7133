"""Reels published by the stdlib server (before the catalog) join the catalog, once.

That server kept each reel in `<data>/media/<id>/` with a `reel.json` and its original as
uploaded. On the first start of the embedded shape over such a folder, each original goes
into the object store as a finished upload of its reel (owner "", the open server's), whose
job then makes the HLS ladder, poster and sprite as for any new upload: old reels get the
same delivery as new ones, through the catalog's own steps. The old folders are left where
they are; a marker file keeps this from running twice.
"""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path

from reeleditor.cloud.contracts import Catalog, Job, ObjectStore, Upload

log = logging.getLogger("reeleditor.cloud")
MARKER = ".legacy-media-imported"
_ID_RE = re.compile(r"^[a-f0-9]{32}$")


def import_legacy_media(data: Path, catalog: Catalog, store: ObjectStore) -> list[Job]:
    """Queue the old server's published reels under `data` for processing; their jobs."""
    data = Path(data)
    media = data / "media"
    if (data / MARKER).exists() or not media.is_dir():
        return []
    jobs = []
    for meta_path in sorted(media.glob("*/reel.json")):
        try:
            job = _import_one(meta_path, catalog, store)
        except Exception:  # one unreadable reel must not keep the cloud from starting
            log.warning("could not import the published reel in %s", meta_path.parent.name)
            continue
        if job is not None:
            jobs.append(job)
    (data / MARKER).write_text(f"{len(jobs)} reels imported\n")
    if jobs:
        log.info("imported %d reels published before the catalog", len(jobs))
    return jobs


def _import_one(meta_path: Path, catalog: Catalog, store: ObjectStore) -> Job | None:
    entry = json.loads(meta_path.read_text())
    reel_id, folder = entry.get("id", ""), meta_path.parent
    if not _ID_RE.match(reel_id) or catalog.get_reel(reel_id) is not None:
        return None
    original = folder / entry["files"]["original"]
    key = f"uploads/{reel_id}"
    store.put_file(key, str(original), "video/mp4")
    size, now = original.stat().st_size, time.time()
    metadata = {"title": entry.get("title", ""), "filename": original.name}
    # created when it was first published, so the feed keeps its order
    created = float(entry.get("published") or now)
    catalog.create_upload(Upload(reel_id, "", size, size, metadata, key, {}, created, now + 86400))
    return catalog.finish_upload(reel_id, entry.get("sha256", ""))
