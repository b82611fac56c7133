"""Reading the file to upload: streamed chunk bodies, per-chunk checksums, the whole-file sha256."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Generator
from pathlib import Path
from typing import BinaryIO

from reeleditor.core.progress import Progress
from reeleditor.upload.errors import Interrupted

READ_BLOCK = 256 * 1024  # one read() of a chunk body: cache-sized, measured fastest here
HASH_BLOCK = 1024 * 1024  # one read of the whole-file sha256


class ChunkBody:
    """A window [start, start + length) of an open file that requests streams as a body.

    It has a length, so requests sends Content-Length (never chunked encoding), and it reads
    at most `READ_BLOCK` bytes at a time into one buffer: a chunk never sits in memory whole.
    `sent` counts the bytes handed to the socket so far, for progress within a chunk.
    `abort()` is asked before each read: when it says so, the request is abandoned
    (`Interrupted`), so a stop or cancel never waits for a whole chunk on a slow link.
    """

    def __init__(
        self,
        fileobj: BinaryIO,
        start: int,
        length: int,
        abort: Callable[[], bool] | None = None,
    ) -> None:
        self._file = fileobj
        self._abort = abort
        self.start = start
        self.length = length
        self._pos = 0
        self.sent = 0
        # One buffer, refilled for each read: a fresh 1 MiB object per read would cost a
        # page fault per 4 KiB, as much CPU as the sending. The reader (http.client) sends
        # each block before it asks for the next one, so reuse is safe.
        self._buf = bytearray(min(READ_BLOCK, max(1, length)))
        self._view = memoryview(self._buf)

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> memoryview | bytes:
        """Up to `size` bytes; valid until the next call (a view of a reused buffer)."""
        left = self.length - self._pos
        if left <= 0:
            return b""
        if self._abort is not None and self._abort():
            raise Interrupted(f"abandoned at byte {self.start + self._pos}")
        size = left if size is None or size < 0 else min(size, left)
        size = min(size, len(self._buf))
        self._file.seek(self.start + self._pos)
        got = 0
        while got < size:
            n = self._file.readinto(self._view[got:size])
            if not n:
                # The file shrank under us: send nothing wrong, let the caller find out why.
                raise OSError(f"file ended early at byte {self.start + self._pos + got}")
            got += n
        self._pos += got
        self.sent = self._pos
        return self._view[:got]

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self.length}[whence]
        self._pos = max(0, min(self.length, base + pos))
        return self._pos


def chunk_digest(fileobj: BinaryIO, start: int, length: int, algorithm: str) -> str:
    """Base64 digest of a file window, for the tus Upload-Checksum header."""
    digest = hashlib.new(algorithm)
    body = ChunkBody(fileobj, start, length)
    while block := body.read(READ_BLOCK):
        digest.update(block)
    return base64.b64encode(digest.digest()).decode("ascii")


def file_sha256(path: Path, stage: str = "hashing") -> Generator[Progress, None, str]:
    """Hex sha256 of a whole file, yielding progress; returns the digest."""
    path = Path(path)
    total = path.stat().st_size
    digest = hashlib.sha256()
    done = 0
    buf = bytearray(HASH_BLOCK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            digest.update(view[:n])
            done += n
            if done % (64 * HASH_BLOCK) < HASH_BLOCK:
                yield Progress(stage, done, total, path.name, "")
    yield Progress(stage, done, total, path.name, "")
    return digest.hexdigest()


def sha256_now(path: Path) -> str:
    """Hex sha256 of a whole file, without progress."""
    work = file_sha256(path)
    while True:
        try:
            next(work)
        except StopIteration as stop:
            return stop.value
