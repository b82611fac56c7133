"""The media origin against RFC 9110 §13-14: preconditions, Range, HEAD, Cache-Control,
types, CORS and path checks, through a real running server (raw http.client and sockets,
so no client library rewrites a header or a path)."""

from __future__ import annotations

import http.client
import socket
import time
import uuid
from email.utils import formatdate

import pytest

from reeleditor.cloud import conditional as rfc
from reeleditor.cloud.contracts import Upload
from reeleditor.cloud.server import serve_in_thread

BODY = bytes(range(256)) * 4  # 1024 bytes, every offset tells which byte it is


def publish_reel(server, files: dict[str, bytes], *, owner="", title="a reel", stage="complete",
                 created=None, meta=None) -> tuple[str, str]:  # fmt: skip
    """A reel published straight into the catalog and store (no processing): its id and
    its store prefix `media/<id>/<digest>/`. stage "preview" leaves it processing."""
    catalog, store = server.cloud.catalog, server.cloud.store
    reel_id = uuid.uuid4().hex
    now = time.time() if created is None else created
    catalog.create_upload(
        Upload(reel_id, owner, 1, 1, {"title": title}, f"uploads/{reel_id}", {}, now, now + 99)
    )
    prefix = f"media/{reel_id}/{uuid.uuid4().hex[:16]}/"
    for name, data in files.items():
        store.put_bytes(prefix + name, data, "application/octet-stream")
    job = catalog.finish_upload(reel_id, "ab" * 32)
    assert catalog.claim_job(job.id, "test", 60.0)
    manifest = {"stage": stage, "duration": 2.0, "width": 360, "height": 640,
                "poster": "poster.jpg", "poster_webp": "poster.webp", "hls": "master.m3u8",
                "files": sorted(files)}  # fmt: skip
    if stage == "complete":
        manifest.update(mp4="reel.mp4", sprite="sprite.vtt")
    manifest.update(meta or {})
    if stage == "preview":
        catalog.set_reel_processing(reel_id)
        assert catalog.publish_preview(job.id, "test", prefix, manifest)
    else:
        assert catalog.publish(job.id, "test", prefix, manifest)
    return reel_id, prefix


@pytest.fixture
def origin(tmp_path):
    server = serve_in_thread("127.0.0.1", 0, tmp_path / "cloud")
    files = {
        "reel.mp4": BODY,
        "master.m3u8": b"#EXTM3U\n",
        "360p/seg_00000.m4s": b"seg",
        "360p/init.mp4": b"init",
        "sprite.vtt": b"WEBVTT\n",
        "poster.webp": b"RIFF",
        "poster.jpg": b"\xff\xd8",
    }
    _reel_id, prefix = publish_reel(server, files)
    yield server, "/" + prefix
    server.close()


def ask(server, method: str, path: str, headers=()) -> tuple[http.client.HTTPResponse, bytes]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        return resp, resp.read()
    finally:
        conn.close()


def raw(server, path: str) -> bytes:
    """The whole answer to a GET of `path` sent byte for byte as given."""
    with socket.create_connection(server.server_address[:2], timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


# -- the pure functions ----------------------------------------------------------------------

HAVE = rfc.Validators('"abc"', 1_000_000)
DATE = formatdate(1_000_000, usegmt=True)
EARLIER = formatdate(999_999, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "method", "outcome"),
    [
        ({}, "GET", 200),
        ({"if-none-match": ['"abc"']}, "GET", 304),
        ({"if-none-match": ['W/"abc"']}, "GET", 304),  # weak comparison
        ({"if-none-match": ['"x", "abc"']}, "GET", 304),  # a list
        ({"if-none-match": ['"x"', '"abc"']}, "HEAD", 304),  # two header lines
        ({"if-none-match": ["*"]}, "GET", 304),
        ({"if-none-match": ['"x"']}, "GET", 200),
        ({"if-none-match": ['"x"'], "if-modified-since": [DATE]}, "GET", 200),  # INM wins
        ({"if-modified-since": [DATE]}, "GET", 304),
        ({"if-modified-since": [EARLIER]}, "GET", 200),
        ({"if-modified-since": ["yesterday"]}, "GET", 200),  # not a date: ignored
        ({"if-modified-since": [DATE]}, "POST", 200),  # GET and HEAD only
        ({"if-match": ['"abc"']}, "GET", 200),
        ({"if-match": ['W/"abc"']}, "GET", 412),  # strong comparison
        ({"if-match": ['"x"']}, "GET", 412),
        ({"if-match": ["*"]}, "GET", 200),
        ({"if-unmodified-since": [EARLIER]}, "GET", 412),
        ({"if-unmodified-since": [DATE]}, "GET", 200),
    ],
)
def test_preconditions(headers, method, outcome):
    assert rfc.precondition(method, headers, HAVE).value == outcome


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bytes=0-9", [(0, 9)]),
        ("bytes=1000-", [(1000, 1023)]),
        ("bytes=-10", [(1014, 1023)]),
        ("bytes=-5000", [(0, 1023)]),
        ("bytes=1000-5000", [(1000, 1023)]),
        ("Bytes=0-0", [(0, 0)]),  # units are case-insensitive
        ("bytes=0-1, 5-6", [(0, 1), (5, 6)]),
        ("bytes=0-1,,5-6", [(0, 1), (5, 6)]),  # empty list elements
        ("bytes=0-1, 2000-", [(0, 1)]),  # the unsatisfiable one is dropped
        ("bytes=5-1", None),  # invalid: ignored, not 416
        ("bytes=abc", None),
        ("bytes=-", None),
        ("bytes=", None),
        ("bytes=1-2-3", None),
        ("bytes=+1-2", None),
        ("items=0-9", None),  # another unit
        ("0-9", None),
    ],
)
def test_range_parsing(value, expected):
    assert rfc.parse_ranges(value, 1024) == expected


@pytest.mark.parametrize("value", ["bytes=1024-", "bytes=5000-6000", "bytes=-0", "bytes=2000-,-0"])
def test_unsatisfiable_ranges(value):
    with pytest.raises(rfc.Unsatisfiable):
        rfc.parse_ranges(value, 1024)


def test_if_range_and_dates():
    assert rfc.if_range_holds('"abc"', HAVE)
    assert not rfc.if_range_holds('W/"abc"', HAVE)
    assert not rfc.if_range_holds('"x"', HAVE)
    assert rfc.if_range_holds(DATE, HAVE)
    assert not rfc.if_range_holds(EARLIER, HAVE)
    assert not rfc.if_range_holds("garbage", HAVE)
    assert rfc.parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777
    assert rfc.parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777
    assert rfc.parse_http_date("Sun Nov  6 08:49:37 1994") == 784111777
    assert rfc.parse_http_date("06 Nov 1994") is None
    assert rfc.coalesce([(5, 9), (0, 4), (20, 30)]) == [(0, 9), (20, 30)]


# -- through the server --------------------------------------------------------------------


def test_get_and_head_answer_the_same_headers(origin):
    server, prefix = origin
    got, body = ask(server, "GET", prefix + "reel.mp4")
    head, nothing = ask(server, "HEAD", prefix + "reel.mp4")
    assert got.status == head.status == 200 and body == BODY and nothing == b""
    for name in ("Content-Length", "ETag", "Last-Modified", "Cache-Control", "Content-Type",
                 "Accept-Ranges", "Access-Control-Allow-Origin"):  # fmt: skip
        assert got.getheader(name) == head.getheader(name), name
    assert got.getheader("Content-Length") == "1024"
    assert got.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert got.getheader("ETag").startswith('"')  # strong
    assert got.getheader("Access-Control-Allow-Origin") == "*"
    assert "Content-Range" in got.getheader("Access-Control-Expose-Headers")


def test_not_modified_has_no_body_and_the_headers_of_a_200(origin):
    server, prefix = origin
    first, _ = ask(server, "GET", prefix + "reel.mp4")
    etag, modified = first.getheader("ETag"), first.getheader("Last-Modified")
    for headers in (
        [("If-None-Match", etag)],
        [("If-None-Match", f'"nope", W/{etag}')],
        [("If-None-Match", "*")],
        [("If-Modified-Since", modified)],
    ):
        resp, body = ask(server, "GET", prefix + "reel.mp4", headers)
        assert resp.status == 304 and body == b"", headers
        assert resp.getheader("Content-Length") is None
        assert resp.getheader("ETag") == etag and resp.getheader("Last-Modified") == modified
        assert resp.getheader("Cache-Control") == first.getheader("Cache-Control")
    stale = [("If-None-Match", '"old"'), ("If-Modified-Since", modified)]
    assert ask(server, "GET", prefix + "reel.mp4", stale)[0].status == 200  # INM decides
    earlier = formatdate(time.time() - 86400 * 400, usegmt=True)
    older = [("If-Modified-Since", earlier)]
    assert ask(server, "GET", prefix + "reel.mp4", older)[0].status == 200
    assert ask(server, "GET", prefix + "reel.mp4", [("If-Match", '"x"')])[0].status == 412


@pytest.mark.parametrize(
    ("value", "status", "content", "content_range"),
    [
        ("bytes=10-19", 206, BODY[10:20], "bytes 10-19/1024"),
        ("bytes=1000-", 206, BODY[1000:], "bytes 1000-1023/1024"),
        ("bytes=-4", 206, BODY[-4:], "bytes 1020-1023/1024"),
        ("bytes=1000-99999", 206, BODY[1000:], "bytes 1000-1023/1024"),
        ("bytes=0-4,3-9", 206, BODY[:10], "bytes 0-9/1024"),  # merged into one
        ("bytes=0-1,10-11", 200, BODY, None),  # several: the whole file
        ("bytes=9-1", 200, BODY, None),  # invalid syntax: ignored
        ("lines=1-2", 200, BODY, None),  # another unit: ignored
        ("bytes=1024-", 416, b"", "bytes */1024"),
        ("bytes=-0", 416, b"", "bytes */1024"),
    ],
)
def test_range(origin, value, status, content, content_range):
    server, prefix = origin
    resp, body = ask(server, "GET", prefix + "reel.mp4", [("Range", value)])
    assert resp.status == status and body == content
    assert resp.getheader("Content-Range") == content_range
    if status != 416:
        assert int(resp.getheader("Content-Length")) == len(content)


def test_if_range(origin):
    server, prefix = origin
    first, _ = ask(server, "GET", prefix + "reel.mp4")
    etag, modified = first.getheader("ETag"), first.getheader("Last-Modified")
    for validator, status in ((etag, 206), (modified, 206), ('"other"', 200), ("W/" + etag, 200),
                              (formatdate(0, usegmt=True), 200)):  # fmt: skip
        resp, body = ask(server, "GET", prefix + "reel.mp4",
                         [("Range", "bytes=0-1"), ("If-Range", validator)])  # fmt: skip
        assert resp.status == status, validator
        assert body == (BODY[:2] if status == 206 else BODY)
    # If-Range without Range is ignored; Range on HEAD is ignored (GET only, §14.2)
    assert ask(server, "GET", prefix + "reel.mp4", [("If-Range", '"x"')])[0].status == 200
    head, _ = ask(server, "HEAD", prefix + "reel.mp4", [("Range", "bytes=0-1")])
    assert head.status == 200 and head.getheader("Content-Length") == "1024"


@pytest.mark.parametrize(
    ("name", "content_type", "cache"),
    [
        ("master.m3u8", "application/vnd.apple.mpegurl", "public, max-age=60, must-revalidate"),
        ("360p/seg_00000.m4s", "video/iso.segment", "public, max-age=31536000, immutable"),
        ("360p/init.mp4", "video/mp4", "public, max-age=31536000, immutable"),
        ("sprite.vtt", "text/vtt; charset=utf-8", "public, max-age=31536000, immutable"),
        ("poster.webp", "image/webp", "public, max-age=31536000, immutable"),
        ("poster.jpg", "image/jpeg", "public, max-age=31536000, immutable"),
    ],
)
def test_types_and_caching_by_kind(origin, name, content_type, cache):
    server, prefix = origin
    resp, _ = ask(server, "GET", prefix + name)
    assert resp.status == 200
    assert resp.getheader("Content-Type") == content_type
    assert resp.getheader("Cache-Control") == cache


def test_cors_preflight(origin):
    server, prefix = origin
    resp, _ = ask(server, "OPTIONS", prefix + "reel.mp4", [
        ("Origin", "https://player.example"), ("Access-Control-Request-Method", "GET"),
        ("Access-Control-Request-Headers", "range")])  # fmt: skip
    assert resp.status == 204
    assert resp.getheader("Access-Control-Allow-Origin") == "*"
    assert "Range" in resp.getheader("Access-Control-Allow-Headers")
    assert "GET" in resp.getheader("Access-Control-Allow-Methods")


def test_paths_are_checked(origin):
    server, prefix = origin
    reel_dir = prefix.rstrip("/").rsplit("/", 1)[0]  # /media/<id>
    for path in (
        reel_dir + "/",
        reel_dir,
        prefix,
        prefix.rstrip("/"),
        prefix + "..",
        reel_dir + "/..",
        prefix + "%2e%2e/" + prefix.split("/")[-2] + "/reel.mp4",
        prefix + "360p/%2E%2E/reel.mp4",
        prefix + "./reel.mp4",
        prefix + "360p%2fseg_00000.m4s",
        prefix + "360p\\seg_00000.m4s",
        prefix + "360p",
        prefix + "a/b/c/reel.mp4",  # deeper than media/<reel>/<digest>/<rung>/<file>
        prefix + ".reel.mp4",
        "/media/../catalog.sqlite3",
        "/media/%2e%2e/catalog.sqlite3",
        prefix + "%ff",
    ):
        answer = raw(server, path)
        status = answer.split(b" ", 2)[1]
        assert status in (b"400", b"404"), (path, answer[:200])
        assert b"immutable" not in answer, path
    assert raw(server, prefix + "360p/seg_00000.m4s").split(b" ", 2)[1] == b"200"


def test_missing_media_is_a_short_cacheable_404(origin):
    server, prefix = origin
    resp, _ = ask(server, "GET", prefix + "nothing.m4s")
    assert resp.status == 404
    assert resp.getheader("Cache-Control") == "public, max-age=60"
    assert resp.getheader("Access-Control-Allow-Origin") == "*"
