"""HTTP caching for a private cache (RFC 9111): what to store, when it is fresh, how to revalidate.

Pure functions over a `StoredResponse` (the headers a cache keeps beside a body, and when
the request went out and the answer came back); the clock is an argument, so every rule
is tested without waiting. The media cache (storage/) keeps them; the client (cloud/)
decides with them.

  no-store                   never stored
  no-cache                   stored, but revalidated before every use
  max-age=N                  fresh while its current age (section 4.2.3) is below N
  Expires (no max-age)       fresh until Expires - Date
  neither                    stale at once: revalidated (no heuristic freshness)
  must-revalidate            once stale, revalidated (as any stale entry is here)
  immutable                  with max-age, never revalidated while fresh (as max-age)
A 304 keeps the body and refreshes the stored headers (section 4.3.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from email.utils import parsedate_to_datetime

SCHEMA_VERSION = 1


def parse_cache_control(value: str | None) -> dict[str, str | None]:
    """`"public, max-age=60, no-cache"` -> {"public": None, "max-age": "60", "no-cache": None};
    directive names are case-insensitive, quoted values are unquoted."""
    directives: dict[str, str | None] = {}
    for part in (value or "").split(","):
        name, sep, arg = part.strip().partition("=")
        name = name.strip().lower()
        if not name:
            continue
        directives.setdefault(name, arg.strip().strip('"') if sep else None)
    return directives


def http_date(value: str | None) -> float | None:
    """An HTTP-date as seconds since the epoch, or None when absent or invalid."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _seconds(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


@dataclass(frozen=True)
class StoredResponse:
    """The validators and freshness headers of one stored 200, and its timing."""

    url: str
    etag: str = ""
    last_modified: str = ""
    cache_control: str = ""
    date: str = ""
    expires: str = ""
    age: str = ""
    request_time: float = 0.0  # when the request that got this response was sent
    response_time: float = 0.0  # when its answer arrived
    size: int = 0
    schema_version: int = SCHEMA_VERSION

    @classmethod
    def from_headers(
        cls, url: str, headers: Mapping[str, str], request_time: float, response_time: float
    ) -> StoredResponse:
        get = headers.get
        return cls(
            url=url,
            etag=get("ETag") or "",
            last_modified=get("Last-Modified") or "",
            cache_control=get("Cache-Control") or "",
            date=get("Date") or "",
            expires=get("Expires") or "",
            age=get("Age") or "",
            request_time=request_time,
            response_time=response_time,
        )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> StoredResponse:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def directives(self) -> dict[str, str | None]:
        return parse_cache_control(self.cache_control)


def storable(headers: Mapping[str, str]) -> bool:
    """Whether a 200 with these headers may be kept on disk (no `no-store`)."""
    return "no-store" not in parse_cache_control(headers.get("Cache-Control"))


def freshness_lifetime(stored: StoredResponse) -> float:
    """Seconds the response is fresh for, from its own headers (section 4.2.1)."""
    directives = stored.directives
    max_age = _seconds(directives.get("max-age"))
    if max_age is not None:
        return float(max_age)
    expires = http_date(stored.expires) if stored.expires else None
    if stored.expires and expires is None:
        return 0.0  # an invalid Expires means "already expired"
    if expires is not None:
        date = http_date(stored.date)
        return max(0.0, expires - (date if date is not None else stored.response_time))
    return 0.0


def current_age(stored: StoredResponse, now: float) -> float:
    """The response's age now, as section 4.2.3 computes it."""
    date = http_date(stored.date)
    apparent_age = max(0.0, stored.response_time - date) if date is not None else 0.0
    response_delay = max(0.0, stored.response_time - stored.request_time)
    corrected_age_value = (_seconds(stored.age) or 0) + response_delay
    corrected_initial_age = max(apparent_age, corrected_age_value)
    resident_time = max(0.0, now - stored.response_time)
    return corrected_initial_age + resident_time


def is_fresh(stored: StoredResponse, now: float) -> bool:
    """Whether the stored body may be used without asking the server."""
    if "no-cache" in stored.directives:
        return False
    return freshness_lifetime(stored) > current_age(stored, now)


def conditional_headers(stored: StoredResponse) -> dict[str, str]:
    """The validators to send when revalidating (If-None-Match wins at the server)."""
    headers = {}
    if stored.etag:
        headers["If-None-Match"] = stored.etag
    if stored.last_modified:
        headers["If-Modified-Since"] = stored.last_modified
    return headers


def refreshed(
    stored: StoredResponse, headers: Mapping[str, str], request_time: float, response_time: float
) -> StoredResponse:
    """The stored entry after a 304: its headers updated by the 304's (section 4.3.4),
    its age counted from this exchange."""
    get = headers.get
    return replace(
        stored,
        etag=get("ETag") or stored.etag,
        last_modified=get("Last-Modified") or stored.last_modified,
        cache_control=get("Cache-Control") or stored.cache_control,
        date=get("Date") or "",  # the old Date would make the fresh answer look old
        expires=get("Expires") or stored.expires,
        age=get("Age") or "",
        request_time=request_time,
        response_time=response_time,
    )
