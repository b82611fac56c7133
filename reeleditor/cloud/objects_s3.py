"""Object storage on S3 (AWS S3, R2, MinIO; moto's server in tests), through boto3.

A tus upload is an S3 multipart upload. Its storage state, kept in the catalog, is
    {"upload_id": ..., "parts": [[number, etag, size], ...], "tail": size}
    {"upload_id": ..., "parts": [[number, etag, size], ...], "tail": size, "tail_key": key}
Each PATCH body is spooled to a temp file (never to memory) and sent as a part
(UploadPart) every PART_SIZE bytes. S3 wants every part but the last to be at least 5 MiB,
so at commit a remainder shorter than that is stored as a separate object (as tusd's S3
store keeps `.part` objects) and prepended to the next PATCH. Discard forgets the parts
sent since the last commit: their numbers are used again, and S3 keeps the last part
uploaded under a number. Finish completes the multipart upload, the tail as its last
part; abort aborts it and deletes the tail.

The tail is `<key>.tail.<offset where it starts>`, not one fixed name: a node killed after
storing a new tail but before the catalog recorded it must not have overwritten the tail
the catalog still points at. With the same start (no part sent) the new tail begins with
the old one, and only the recorded size is read. Stale tails are removed by the next sink.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator

from reeleditor.cloud.contracts import ObjectInfo
from reeleditor.cloud.objects import CHUNK, check_key

log = logging.getLogger(__name__)

PART_SIZE = 8 << 20  # sent as a part once this much is spooled
MIN_PART = 5 << 20  # S3's smallest part, but for the last


def _missing(exc) -> bool:
    code = exc.response.get("Error", {}).get("Code", "")
    return code in ("404", "NoSuchKey", "NotFound", "NoSuchUpload")


class S3Sink:
    """One PATCH body into the multipart upload; commit or discard ends it."""

    def __init__(self, store: S3Store, key: str, state: dict, offset: int) -> None:
        self._store, self._key = store, key
        self._state = {
            "upload_id": state["upload_id"],
            "parts": [list(p) for p in state["parts"]],
            "tail": int(state.get("tail", 0)),
            "tail_key": state.get("tail_key", ""),
        }
        stored = sum(p[2] for p in self._state["parts"]) + self._state["tail"]
        if stored != offset:
            raise OSError(f"the upload's parts hold {stored} bytes, not its offset {offset}")
        self._start = offset
        self._new_parts: list[list] = []
        self._spool = tempfile.TemporaryFile(prefix="reeleditor-part-")  # noqa: SIM115
        self._written = 0
        try:
            store.delete_stale_tails(key, keep=self._state["tail_key"])
            if self._state["tail"]:
                store.fetch_into(self._state["tail_key"], self._spool, self._state["tail"])
        except BaseException:
            self._spool.close()
            raise

    def write(self, data: bytes) -> None:
        self._spool.write(data)
        self._written += len(data)
        if self._spool.tell() >= PART_SIZE:
            self._send_part()

    def _send_part(self) -> None:
        number = len(self._state["parts"]) + len(self._new_parts) + 1
        size = self._spool.tell()
        self._spool.seek(0)
        answer = self._store.client.upload_part(
            Bucket=self._store.bucket,
            Key=self._key,
            UploadId=self._state["upload_id"],
            PartNumber=number,
            Body=self._spool,
            ContentLength=size,
        )
        self._new_parts.append([number, answer["ETag"], size])
        self._spool.seek(0)
        self._spool.truncate()

    def commit(self) -> tuple[int, dict]:
        try:
            left = self._spool.tell()
            if left >= MIN_PART:
                self._send_part()
                left = 0
            parts = self._state["parts"] + self._new_parts
            tail_key = ""
            if left:
                # named by where it starts: the recorded tail is never overwritten
                tail_key = f"{self._key}.tail.{sum(p[2] for p in parts)}"
                self._spool.seek(0)
                self._store.client.put_object(
                    Bucket=self._store.bucket, Key=tail_key, Body=self._spool, ContentLength=left
                )
            # an old tail went into a part or was superseded: the next sink removes it
            state = dict(self._state, parts=parts, tail=left, tail_key=tail_key)
        finally:
            self._spool.close()
        return self._start + self._written, state

    def discard(self) -> None:
        self._spool.close()  # parts sent meanwhile are overwritten by the next PATCH


class S3Store:
    """An ObjectStore in one bucket; credentials come from the usual AWS_* variables."""

    def __init__(self, bucket: str, endpoint: str | None = None, region: str | None = None):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            config=Config(
                s3={"addressing_style": "path"} if endpoint else {},
                retries={"max_attempts": 5, "mode": "standard"},
                connect_timeout=10,
                read_timeout=60,
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                max_pool_connections=32,
            ),
        )
        self._ensure_bucket()

    def __repr__(self) -> str:
        return f"S3Store({self.bucket!r})"

    def _ensure_bucket(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        from reeleditor.cloud.urls import CloudConfigError

        try:
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if not _missing(exc):
                    raise
                self.client.create_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            where = self.client.meta.endpoint_url
            raise CloudConfigError(f"cannot use bucket {self.bucket} at {where}: {exc}") from exc

    # resumable uploads

    def begin_upload(self, key: str) -> dict:
        answer = self.client.create_multipart_upload(Bucket=self.bucket, Key=check_key(key))
        return {"upload_id": answer["UploadId"], "parts": [], "tail": 0, "tail_key": ""}

    def open_sink(self, key: str, state: dict, offset: int) -> S3Sink:
        return S3Sink(self, check_key(key), state, offset)

    def finish_upload(self, key: str, state: dict) -> None:
        from botocore.exceptions import ClientError

        parts = [list(p) for p in state["parts"]]
        upload_id = state["upload_id"]
        try:
            if state.get("tail") or not parts:  # S3 wants one part at least, maybe empty
                with tempfile.TemporaryFile() as spool:
                    if state.get("tail"):
                        self.fetch_into(state["tail_key"], spool, state["tail"])
                    size = spool.tell()
                    spool.seek(0)
                    number = len(parts) + 1
                    answer = self.client.upload_part(
                        Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number,
                        Body=spool, ContentLength=size,
                    )  # fmt: skip
                    parts.append([number, answer["ETag"], size])
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e, _ in parts]},
            )
        except ClientError as exc:
            # finished already (a retry after a crash): the object is there, whole
            expected = sum(p[2] for p in state["parts"]) + int(state.get("tail", 0))
            info = self.stat(key)
            if not (_missing(exc) and info is not None and info.size == expected):
                raise
        self.delete_stale_tails(key, keep="")

    def abort_upload(self, key: str, state: dict) -> None:
        from botocore.exceptions import ClientError

        if state.get("upload_id"):
            try:
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=state["upload_id"]
                )
            except ClientError as exc:
                if not _missing(exc):
                    raise
        self.delete_stale_tails(key, keep="")
        self.delete(key)

    # objects

    def put_file(self, key: str, path: str, content_type: str) -> None:
        # upload_file sends big files as a multipart upload, reading them in chunks
        self.client.upload_file(
            path, self.bucket, check_key(key), ExtraArgs={"ContentType": content_type}
        )

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type
        )

    def fetch_to_file(self, key: str, path: str) -> None:
        with open(path, "wb") as fh:
            self.fetch_into(key, fh)

    def fetch_into(self, key: str, fh, size: int | None = None) -> None:
        """Append the object (or its first `size` bytes) to an open file."""
        got = 0
        for block in self.read(key, 0, size):
            fh.write(block)
            got += len(block)
        if size is not None and got != size:
            raise OSError(f"{key} holds {got} bytes, not {size}")

    def delete_stale_tails(self, key: str, keep: str) -> None:
        """Tails of `key` other than `keep` (a dead node's, or ones that went into parts)."""
        answer = self.client.list_objects_v2(Bucket=self.bucket, Prefix=f"{key}.tail.")
        for item in answer.get("Contents", []):
            if item["Key"] != keep:
                self.delete(item["Key"])

    def stat(self, key: str) -> ObjectInfo | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ValueError:
            return None
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return ObjectInfo(
            key=key,
            size=head["ContentLength"],
            etag=head["ETag"],
            modified=head["LastModified"].timestamp(),
            content_type=head.get("ContentType") or "application/octet-stream",
        )

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        from botocore.exceptions import ClientError

        if end is not None and end <= start:
            return
        extra = {}
        if start or end is not None:
            extra["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=check_key(key), **extra)
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(f"no object {key}") from exc
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                return
            raise
        body = answer["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def list_keys(self, prefix: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def delete_prefix(self, prefix: str) -> None:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True}
                )
