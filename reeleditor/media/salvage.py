"""Recovers recordings cut short by a crash or a full disk, without needing any free space.

A fragmented MP4 is ftyp, moov, then (moof, mdat) pairs. A kill or a full disk can only
tear the last pair, so cutting the file after the last whole pair leaves a file that plays
to within one fragment of the stop; truncating frees space instead of needing it.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from reeleditor.core.errors import MediaError
from reeleditor.media.probe import MediaInfo, probe


def whole_fragments_end(path: Path) -> int:
    """Byte offset just after the last complete moof+mdat pair (0 if there is none)."""
    size = os.path.getsize(path)
    end_ok = 0
    seen_moov = False
    moof_open = False
    with open(path, "rb") as fh:
        offset = 0
        while offset + 8 <= size:
            fh.seek(offset)
            header = fh.read(16)
            box_size, kind = struct.unpack(">I4s", header[:8])
            if box_size == 1:
                if len(header) < 16:
                    break
                box_size = struct.unpack(">Q", header[8:16])[0]
            if box_size < 8 or offset + box_size > size:
                break  # torn box, or one that runs to the end of the file
            if kind == b"moov":
                seen_moov = True
                end_ok = offset + box_size
            elif kind == b"moof":
                moof_open = True
            elif kind == b"mdat" and moof_open:
                moof_open = False
                end_ok = offset + box_size
            elif (kind in (b"ftyp", b"free", b"skip", b"styp", b"sidx") and not moof_open) or (
                kind == b"mfra"  # written on a clean close: the whole file is good
            ):
                end_ok = offset + box_size
            offset += box_size
    return end_ok if seen_moov else 0


def salvage(path: Path) -> MediaInfo:
    """Cut `path` after its last whole fragment; returns what was kept."""
    path = Path(path)
    try:
        end = whole_fragments_end(path)
    except OSError as exc:
        raise MediaError(f"{path} cannot be read ({exc.strerror})") from exc
    if end == 0:
        raise MediaError(f"{path} holds no complete fragment to recover")
    if end < os.path.getsize(path):
        os.truncate(path, end)
    info = probe(path)
    if info.video_frames == 0:
        raise MediaError(f"{path} holds no complete frame to recover")
    return info
