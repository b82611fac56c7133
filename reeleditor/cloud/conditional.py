"""RFC 9110 preconditions (§13) and byte ranges (§14) as pure functions of headers and validators.

The origin (cloud/api.py) asks three questions of a GET or HEAD, in the RFC's order
(§13.2.2): `precondition` (412, 304 or go on), then `wanted_ranges` (Range, gated by
If-Range). Nothing here does I/O, so the matrix is unit-testable without a server.

Choices the RFC leaves to a server, and ours:
- several satisfiable ranges are answered with the whole file (200), not
  multipart/byteranges: players ask for one range at a time, and a 200 is always allowed
  (§14.2: a server MAY ignore Range); overlapping ranges that merge into one are one 206;
- Range on HEAD is ignored (§14.2: range handling is defined for GET only);
- an If-Range date matches only the exact Last-Modified second; a weak tag never matches.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc excludes DQUOTE, controls and SP
_ETAG = re.compile(r'\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')
_RANGE_SPEC = re.compile(r"^(\d*)-(\d*)$")
_DATE_FORM = re.compile(
    r"^(?:[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT"  # IMF-fixdate
    r"|[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT"  # rfc850-date
    r"|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4})$"  # asctime-date
)


class Outcome(enum.Enum):
    PROCEED = 200
    NOT_MODIFIED = 304
    FAILED = 412


@dataclass(frozen=True)
class Validators:
    """What the selected representation is known by: a strong quoted ETag, and
    Last-Modified in whole seconds since the epoch (what the header says)."""

    etag: str
    modified: int


def parse_etags(value: str) -> list[tuple[bool, str]] | None:
    """A list of (weak, opaque-tag) from If-Match / If-None-Match; None when malformed.

    "*" is returned as [(False, "*")]."""
    value = value.strip()
    if value == "*":
        return [(False, "*")]
    tags, pos = [], 0
    while pos < len(value):
        if value[pos] in " \t,":  # empty list elements and OWS are allowed (§5.6.1)
            pos += 1
            continue
        match = _ETAG.match(value, pos)
        if match is None:
            return None
        tags.append((bool(match.group(1)), match.group(2)))
        pos = match.end()
    return tags or None


def strong_match(tag: tuple[bool, str], etag: str) -> bool:
    """§8.8.3.2 strong comparison: both strong and the same characters."""
    weak, opaque = tag
    return not weak and not etag.startswith("W/") and opaque == etag


def weak_match(tag: tuple[bool, str], etag: str) -> bool:
    """§8.8.3.2 weak comparison: the same opaque tags, either or both may be weak."""
    return tag[1] == etag.removeprefix("W/")


def parse_http_date(value: str) -> int | None:
    """Seconds since the epoch of an HTTP-date (§5.6.7, all three forms); None if invalid."""
    value = value.strip()
    if not _DATE_FORM.match(value):
        return None
    try:
        return int(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, OverflowError):
        return None


def _one(values: list[str]) -> str | None:
    """The single field value of a header sent once; None when absent."""
    return ", ".join(values) if values else None


def precondition(method: str, headers: dict[str, list[str]], have: Validators) -> Outcome:
    """§13.2.2 steps 1-4 for a representation that exists; `headers` maps lower-case
    names to every value received."""
    if_match = _one(headers.get("if-match", []))
    if if_match is not None:
        tags = parse_etags(if_match)
        if tags != [(False, "*")] and not any(strong_match(t, have.etag) for t in tags or []):
            return Outcome.FAILED
    else:
        unmodified = headers.get("if-unmodified-since", [])
        since = parse_http_date(unmodified[0]) if len(unmodified) == 1 else None
        if since is not None and have.modified > since:
            return Outcome.FAILED
    if_none_match = _one(headers.get("if-none-match", []))
    if if_none_match is not None:
        tags = parse_etags(if_none_match)
        if tags == [(False, "*")] or any(weak_match(t, have.etag) for t in tags or []):
            return Outcome.NOT_MODIFIED if method in ("GET", "HEAD") else Outcome.FAILED
        return Outcome.PROCEED
    modified_since = headers.get("if-modified-since", [])
    if method in ("GET", "HEAD") and len(modified_since) == 1:
        since = parse_http_date(modified_since[0])
        if since is not None and have.modified <= since:
            return Outcome.NOT_MODIFIED
    return Outcome.PROCEED


def if_range_holds(value: str, have: Validators) -> bool:
    """§13.1.5: a strong tag equal to ours, or a date equal to our Last-Modified."""
    value = value.strip()
    if value.startswith(('"', "W/")):
        tags = parse_etags(value)
        return tags is not None and len(tags) == 1 and strong_match(tags[0], have.etag)
    return parse_http_date(value) == have.modified


class Unsatisfiable(Exception):
    """No range of the set overlaps the representation: answer 416, bytes */size."""


def parse_ranges(value: str, size: int) -> list[tuple[int, int]] | None:
    """The byte ranges of a Range value as inclusive (first, last) within `size`.

    None: ignore the header (another unit, bad syntax, first > last). Raises
    Unsatisfiable when the set is valid but no range overlaps the representation."""
    unit, eq, spec = value.partition("=")
    if not eq or unit.strip().lower() != "bytes":
        return None
    ranges, valid = [], False
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        match = _RANGE_SPEC.match(part)
        if match is None or match.group(0) == "-":
            return None
        first, last = match.groups()
        if first:
            start = int(first)
            end = int(last) if last else None
            if end is not None and end < start:
                return None  # an invalid range-spec makes the whole set invalid
            valid = True
            if start < size:
                ranges.append((start, size - 1 if end is None else min(end, size - 1)))
        else:
            valid = True
            suffix = int(last)
            if suffix > 0 and size > 0:
                ranges.append((max(0, size - suffix), size - 1))
            elif suffix > 0:
                return None  # a suffix of an empty file: satisfiable, but has no bytes
    if not valid:
        return None
    if not ranges:
        raise Unsatisfiable
    return ranges


def coalesce(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or adjacent ranges merged, in order of position."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def wanted_range(
    method: str, headers: dict[str, list[str]], size: int, have: Validators
) -> tuple[int, int] | None:
    """§14.2 and §13.2.2 step 5: the one range to send as 206, or None for the whole 200.

    Raises Unsatisfiable (416). A Range sent twice, on HEAD, or failing If-Range is
    ignored; several ranges that do not merge into one are answered whole."""
    values = headers.get("range", [])
    if method != "GET" or len(values) != 1:
        return None
    if_range = headers.get("if-range", [])
    if if_range and (len(if_range) != 1 or not if_range_holds(if_range[0], have)):
        return None
    ranges = parse_ranges(values[0], size)
    if ranges is None:
        return None
    merged = coalesce(ranges)
    return merged[0] if len(merged) == 1 else None
