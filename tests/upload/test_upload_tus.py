"""The tus client against the official Node server: each protocol step, each refusal."""

from __future__ import annotations

import pytest

from reeleditor.upload.chunks import READ_BLOCK, ChunkBody, chunk_digest
from reeleditor.upload.errors import (
    AuthFailed,
    ChecksumMismatch,
    InvalidEndpoint,
    NotTusServer,
    OffsetConflict,
    ServerRejected,
    Transient,
    UploadGone,
)
from reeleditor.upload.tus import TusClient, check_endpoint, encode_metadata
from tests.upload.upload_support import free_port


def test_options_lists_the_node_servers_extensions(peer):
    with TusClient(peer.url) as client:
        info = client.options()
    assert {"creation", "creation-with-upload", "termination", "expiration"} <= info.extensions
    assert info.checksum() is None  # @tus/server has no checksum extension


def test_create_patch_head_terminate(peer, make_file):
    path = make_file(300_000)
    data = path.read_bytes()
    with TusClient(peer.url) as client, open(path, "rb") as f:
        up = client.create(len(data), {"filename": "reel.mp4", "sha256": "ab" * 32})
        assert up.url.startswith(peer.url) and up.offset == 0
        after = client.patch(up.url, 0, ChunkBody(f, 0, 100_000))
        assert after.offset == 100_000
        assert client.head(up.url).offset == 100_000
        with pytest.raises(OffsetConflict):
            client.patch(up.url, 50_000, ChunkBody(f, 50_000, 10))
        done = client.patch(up.url, 100_000, ChunkBody(f, 100_000, 200_000))
        assert done.offset == len(data)
        assert peer.stored(up.url).read_bytes() == data
        assert peer.stored_metadata(up.url)["filename"] == "reel.mp4"
        client.terminate(up.url)
        assert not peer.stored(up.url).exists()
        with pytest.raises(UploadGone):
            client.head(up.url)
        client.terminate(up.url)  # already gone: fine


def test_creation_with_upload_sends_the_first_chunk(peer, make_file):
    path = make_file(50_000)
    with TusClient(peer.url) as client, open(path, "rb") as f:
        up = client.create(50_000, {"filename": "a.mp4"}, ChunkBody(f, 0, 20_000))
    assert up.offset == 20_000


def test_checksum_is_verified_by_a_server_that_offers_it(start_peer, make_file):
    peer = start_peer(checksum=True)
    path = make_file(10_000)
    with TusClient(peer.url) as client, open(path, "rb") as f:
        info = client.options()
        assert info.checksum() == "sha256"
        up = client.create(10_000, {})
        good = ("sha256", chunk_digest(f, 0, 5_000, "sha256"))
        assert client.patch(up.url, 0, ChunkBody(f, 0, 5_000), good).offset == 5_000
        bad = ("sha1", chunk_digest(f, 0, 5_000, "sha1"))  # digest of the wrong bytes
        with pytest.raises(ChecksumMismatch):
            client.patch(up.url, 5_000, ChunkBody(f, 5_000, 5_000), bad)
        assert client.head(up.url).offset == 5_000


def test_token_is_sent_and_refusals_say_check_your_token(start_peer):
    peer = start_peer(token="s3cret-token")
    with TusClient(peer.url, "s3cret-token") as client:
        assert "creation" in client.options().extensions
        assert client.create(10, {}).url
    for token in (None, "wrong"):
        with TusClient(peer.url, token) as client, pytest.raises(AuthFailed) as err:
            client.create(10, {})
        assert "check your token" in str(err.value)
        assert "s3cret" not in str(err.value) and "wrong" not in str(err.value)
    assert "s3cret" not in repr(TusClient(peer.url, "s3cret-token"))


def test_other_4xx_fails_with_the_servers_message(start_peer):
    peer = start_peer(max_size=1000)
    with TusClient(peer.url) as client, pytest.raises(ServerRejected) as err:
        client.create(5000, {})
    assert err.value.status == 413
    assert "Maximum size exceeded" in str(err.value)


def test_an_html_page_is_not_a_tus_server(html_server):
    with TusClient(html_server) as client, pytest.raises(NotTusServer) as err:
        client.options()
    assert "is not a tus upload endpoint" in str(err.value)
    with TusClient(html_server) as client, pytest.raises(NotTusServer):
        client.create(10, {})


def test_unreachable_endpoint_is_transient():
    url = f"http://127.0.0.1:{free_port()}/files/"
    with TusClient(url) as client, pytest.raises(Transient) as err:
        client.options()
    assert "connection refused" in str(err.value)


@pytest.mark.parametrize(
    "url", ["", "not a url", "ftp://example.com/files/", "http://", "http://host:99999/"]
)
def test_invalid_endpoint_urls(url):
    with pytest.raises(InvalidEndpoint) as err:
        check_endpoint(url)
    assert "not a valid upload endpoint URL" in str(err.value)
    assert "\n" not in str(err.value)


def test_metadata_is_base64_and_skips_empty_values():
    text = encode_metadata({"filename": "ré.mp4", "title": "", "sha256": "00"})
    key, value = text.split(",")[0].split(" ")
    assert key == "filename"
    import base64

    assert base64.b64decode(value).decode() == "ré.mp4"
    assert "title" not in text


def test_chunk_body_streams_a_window_in_bounded_reads(make_file):
    path = make_file(3 * 1024 * 1024 + 17)
    data = path.read_bytes()
    with open(path, "rb") as f:
        body = ChunkBody(f, 1000, 2 * 1024 * 1024 + 5)
        assert len(body) == 2 * 1024 * 1024 + 5
        parts = []
        while part := body.read(8 * 1024 * 1024):
            assert len(part) <= READ_BLOCK
            parts.append(bytes(part))  # a view of a reused buffer: copy it
        assert b"".join(parts) == data[1000 : 1000 + len(body)]
        body.seek(0)
        assert body.read(10) == data[1000:1010]
