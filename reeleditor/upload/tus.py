"""The tus 1.0.0 protocol on one requests Session: OPTIONS, POST, HEAD, PATCH, DELETE."""

from __future__ import annotations

import base64
import email.utils
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from reeleditor import __version__
from reeleditor.upload.chunks import READ_BLOCK, ChunkBody
from reeleditor.upload.errors import (
    AuthFailed,
    ChecksumMismatch,
    InvalidEndpoint,
    NotTusServer,
    OffsetConflict,
    ServerRejected,
    Transient,
    Unreachable,
    UploadGone,
    parse_retry_after,
)

TUS_VERSION = "1.0.0"
OCTETS = "application/offset+octet-stream"
SOCKET_BLOCK = READ_BLOCK  # bytes per socket send; urllib3's 16 KiB default costs throughput
DEFAULT_TIMEOUT = (10.0, 60.0)  # connect, read (seconds); every request has one
TOKEN_HINT = "check your token: 'reeleditor upload --token-stdin' or REELEDITOR_TOKEN"
# Not part of tus 1.0.0: the reference cloud (and any server that wants to) answers the
# final PATCH, and HEAD of a finished upload, with the hex sha256 of the bytes it stored.
SHA256_HEADER = "Upload-Sha256-Verified"


def check_endpoint(url: str) -> str:
    """The endpoint URL if it is a usable http(s) URL, else InvalidEndpoint."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidEndpoint(
            f"{url!r} is not a valid upload endpoint URL",
            "use http(s)://host[:port]/path, e.g. http://127.0.0.1:8765/files/",
        )
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise InvalidEndpoint(f"{url!r} is not a valid upload endpoint URL ({exc})") from None
    return url


@dataclass(frozen=True)
class ServerInfo:
    """What the server said it supports in its OPTIONS answer."""

    extensions: frozenset[str] = frozenset({"creation"})
    checksum_algorithms: tuple[str, ...] = ()
    max_size: int | None = None

    def checksum(self) -> str | None:
        """The checksum algorithm to send with each PATCH, if the server offers one we have."""
        for algo in ("sha256", "sha1"):
            if algo in self.checksum_algorithms and "checksum" in self.extensions:
                return algo
        return None


@dataclass(frozen=True)
class UploadInfo:
    """An upload as the server reports it."""

    url: str
    offset: int
    length: int | None = None
    expires: float | None = None  # unix time, from Upload-Expires
    sha256: str = ""  # hex, when the server reports the sha256 of what it stored


def _sha256(resp: requests.Response) -> str:
    value = resp.headers.get(SHA256_HEADER, "").strip().lower()
    return value if len(value) == 64 and all(c in "0123456789abcdef" for c in value) else ""


def encode_metadata(metadata: dict[str, str]) -> str:
    return ",".join(
        f"{key} {base64.b64encode(str(value).encode()).decode('ascii')}"
        for key, value in metadata.items()
        if value is not None and str(value) != ""
    )


def _expires(resp: requests.Response) -> float | None:
    value = resp.headers.get("Upload-Expires")
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def _server_message(resp: requests.Response) -> str:
    """The first line of a short plain-text body; HTML and long bodies are left out."""
    text = (resp.text or "").strip()
    if not text or text.lstrip().startswith("<") or "html" in resp.headers.get("Content-Type", ""):
        return resp.reason or ""
    return text.splitlines()[0][:200]


class _BlockAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        kwargs["blocksize"] = SOCKET_BLOCK
        super().init_poolmanager(*args, **kwargs)


@dataclass
class TusClient:
    """Speaks tus to one endpoint. Each method is one request; retries are the caller's job."""

    endpoint: str
    token: str | None = field(default=None, repr=False)  # never in repr, logs or errors
    timeout: tuple[float, float] = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        check_endpoint(self.endpoint)
        self.session = requests.Session()  # one keep-alive connection for all requests
        adapter = _BlockAdapter(max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = f"reeleditor/{__version__}"
        self.session.headers["Tus-Resumable"] = TUS_VERSION
        if self.token:
            self.session.headers["Authorization"] = f"Bearer {self.token}"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> TusClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- requests ------------------------------------------------------------------------
    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        try:
            return self.session.request(method, url, timeout=self.timeout, **kwargs)
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
            raise InvalidEndpoint(f"{url!r} is not a valid upload URL") from exc
        except requests.exceptions.SSLError as exc:
            raise ServerRejected(
                f"secure connection to {url} failed", "check the endpoint's certificate"
            ) from exc
        except requests.exceptions.ConnectTimeout as exc:
            raise Unreachable(f"cannot reach {url}: connection timed out") from exc
        except requests.exceptions.Timeout as exc:
            raise Transient(f"{method} {url} timed out") from exc
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            reason = _reason(exc)
            if reason in ("connection refused", "unknown host", "no route to host"):
                raise Unreachable(f"cannot reach {url}: {reason}") from exc
            raise Transient(f"cannot reach {url}: {reason}") from exc

    def _check(self, resp: requests.Response, what: str) -> requests.Response:
        """Raise the error a non-2xx answer means; return the response otherwise."""
        status = resp.status_code
        if 200 <= status < 300:
            return resp
        message = _server_message(resp)
        retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        if status in (401, 403):
            raise AuthFailed(f"{self.endpoint} refused the upload ({status} {message})", TOKEN_HINT)
        if status in (404, 410):
            raise UploadGone(f"{what}: {status} {message}")
        if status == 409:
            raise OffsetConflict(f"{what}: 409 offset conflict")
        if status == 460:
            raise ChecksumMismatch(f"{what}: 460 checksum mismatch")
        if status in (408, 423, 429) or status >= 500:
            raise Transient(f"{what}: {status} {message}", retry_after)
        raise ServerRejected(
            f"{self.endpoint} refused the upload: {status} {message}", status=status
        )

    # -- the protocol --------------------------------------------------------------------
    def options(self) -> ServerInfo:
        resp = self._send("OPTIONS", self.endpoint)
        tus = "Tus-Version" in resp.headers or "Tus-Resumable" in resp.headers
        if not tus:
            if resp.status_code in (401, 403, 408, 429) or resp.status_code >= 500:
                self._check(resp, "OPTIONS")
            if resp.status_code in (404, 405):  # no OPTIONS here: the POST will tell
                return ServerInfo()
            raise NotTusServer(
                f"{self.endpoint} is not a tus upload endpoint "
                f"(it answered {resp.status_code} without tus headers)",
                "check the endpoint URL",
            )
        if resp.status_code in (404, 405):  # tus headers but no OPTIONS: assume the core
            return ServerInfo()
        self._check(resp, "OPTIONS")
        versions = _split(resp.headers.get("Tus-Version", TUS_VERSION))
        if TUS_VERSION not in versions:
            raise NotTusServer(f"{self.endpoint} does not speak tus {TUS_VERSION} ({versions})")
        max_size = resp.headers.get("Tus-Max-Size", "")
        return ServerInfo(
            extensions=frozenset(_split(resp.headers.get("Tus-Extension", ""))),
            checksum_algorithms=tuple(_split(resp.headers.get("Tus-Checksum-Algorithm", ""))),
            max_size=int(max_size) if max_size.isdigit() else None,
        )

    def create(
        self,
        length: int,
        metadata: dict[str, str],
        body: ChunkBody | None = None,
        checksum: tuple[str, str] | None = None,
    ) -> UploadInfo:
        """POST a new upload; with `body`, its first chunk too (creation-with-upload)."""
        headers = {"Upload-Length": str(length)}
        if meta := encode_metadata(metadata):
            headers["Upload-Metadata"] = meta
        if body is not None:
            headers["Content-Type"] = OCTETS
            if checksum:
                headers["Upload-Checksum"] = f"{checksum[0]} {checksum[1]}"
        resp = self._send("POST", self.endpoint, headers=headers, data=body)
        if resp.status_code == 404:
            raise NotTusServer(
                f"{self.endpoint} has no tus upload endpoint (404 on create)",
                "check the endpoint URL",
            )
        self._check(resp, "create")
        location = resp.headers.get("Location")
        if not location or "Tus-Resumable" not in resp.headers:
            raise NotTusServer(
                f"{self.endpoint} is not a tus upload endpoint (no upload URL in its answer)",
                "check the endpoint URL",
            )
        offset = resp.headers.get("Upload-Offset", "0")
        return UploadInfo(
            url=urljoin(self.endpoint, location),
            offset=int(offset) if offset.isdigit() else 0,
            length=length,
            expires=_expires(resp),
            sha256=_sha256(resp),
        )

    def head(self, url: str) -> UploadInfo:
        resp = self._check(self._send("HEAD", url, headers={"Cache-Control": "no-store"}), "HEAD")
        offset = resp.headers.get("Upload-Offset", "")
        if not offset.isdigit():
            raise NotTusServer(f"{url} is not a tus upload (no Upload-Offset in its answer)")
        length = resp.headers.get("Upload-Length", "")
        total = int(length) if length.isdigit() else None
        return UploadInfo(url, int(offset), total, _expires(resp), _sha256(resp))

    def patch(
        self, url: str, offset: int, body: ChunkBody, checksum: tuple[str, str] | None = None
    ) -> UploadInfo:
        headers = {"Upload-Offset": str(offset), "Content-Type": OCTETS}
        if checksum:
            headers["Upload-Checksum"] = f"{checksum[0]} {checksum[1]}"
        resp = self._check(self._send("PATCH", url, headers=headers, data=body), "PATCH")
        new = resp.headers.get("Upload-Offset", "")
        if not new.isdigit():
            raise NotTusServer(f"{url} is not a tus upload (no Upload-Offset after PATCH)")
        return UploadInfo(url, int(new), None, _expires(resp), _sha256(resp))

    def terminate(self, url: str) -> None:
        """DELETE the upload on the server (termination); an unknown upload is fine."""
        try:
            self._check(self._send("DELETE", url), "DELETE")
        except UploadGone:
            pass


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _reason(exc: Exception) -> str:
    """A short cause for a connection failure ('connection refused', 'reset', ...)."""
    text = str(exc)
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "unknown host"),
        ("No route to host", "no route to host"),
        ("Network is unreachable", "no route to host"),
        ("nodename nor servname", "unknown host"),
        ("Temporary failure in name resolution", "unknown host"),
        ("getaddrinfo failed", "unknown host"),
        ("Connection reset", "connection reset"),
        ("Connection aborted", "connection aborted"),
        ("RemoteDisconnected", "the server closed the connection"),
        ("Broken pipe", "connection broken"),
    ):
        if needle in text:
            return reason
    return type(exc).__name__
