"""Start the kernel writing a file's byte range to disk, without waiting (Linux
sync_file_range with SYNC_FILE_RANGE_WRITE; elsewhere nothing). The ingest calls it as each
batch of a PATCH is written, so the fsync at the PATCH's commit finds little left to do and
disk writes overlap socket reads instead of following them."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

SYNC_FILE_RANGE_WRITE = 2

_fn = None
if sys.platform.startswith("linux"):
    try:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        _fn = _libc.sync_file_range
        _fn.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
        _fn.restype = ctypes.c_int
    except (OSError, AttributeError):
        _fn = None


def start_writeback(fd: int, offset: int, nbytes: int) -> None:
    """Best effort: durability still comes from the caller's fsync."""
    if _fn is not None:
        _fn(fd, offset, nbytes, SYNC_FILE_RANGE_WRITE)
