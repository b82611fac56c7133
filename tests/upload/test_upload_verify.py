"""The verifying step checks the server: its final offset, and the sha256 it confirms."""

from __future__ import annotations

import pytest

from reeleditor.cloud.server import serve_in_thread
from reeleditor.upload.errors import AuthFailed, RetryPolicy, VerificationFailed
from reeleditor.upload.queue import UploadQueue
from reeleditor.upload.transfer import Uploader
from tests.upload.upload_fault_proxy import FaultProxy
from tests.upload.upload_support import sha256_file

CHUNK = 64 * 1024
SIZE = 300_000
FAST = RetryPolicy(base=0.02, cap=0.1, give_up_after=10)
NO_CHECKSUM = {"Tus-Version": "1.0.0", "Tus-Extension": "creation,termination"}


def run(work):
    while True:
        try:
            next(work)
        except StopIteration as stop:
            return stop.value


@pytest.fixture
def cloud(tmp_path):
    """The reference cloud on loopback; `.proxy()` puts a fault proxy in front of it."""
    servers, proxies = [], []

    class Cloud:
        def start(self, token=None):
            server = serve_in_thread("127.0.0.1", 0, tmp_path / f"cloud{len(servers)}", token)
            servers.append(server)
            self.server = server
            self.url = f"http://127.0.0.1:{server.server_address[1]}/files/"
            return self

        def proxy(self) -> FaultProxy:
            proxy = FaultProxy(self.server.server_address[1])
            proxies.append(proxy)
            return proxy

        def stored_sha256(self, upload_url: str) -> str:
            """What the server read back from its store (random bytes fail processing,
            which removes them, so the bytes themselves may be gone by now)."""
            upload_id = upload_url.rstrip("/").rsplit("/", 1)[1]
            return self.server.cloud.catalog.get_upload(upload_id).sha256

    yield Cloud().start()
    for proxy in proxies:
        proxy.close()
    for server in servers:
        server.close()


@pytest.fixture
def queue(tmp_path):
    return UploadQueue(tmp_path / "uploads")


def add(queue, path, endpoint):
    return queue.add(path, path.stat().st_size, sha256_file(path), endpoint)


def test_the_reference_cloud_confirms_the_sha256(cloud, make_file, queue):
    entry = add(queue, make_file(SIZE), cloud.url)
    done = run(Uploader(queue, chunk_size=CHUNK, policy=FAST).run(entry.id))
    assert done.state == "done"
    assert done.verified == "server holds 293.0 KiB of 293.0 KiB; sha256 confirmed by server"
    assert queue.get(entry.id).verified == done.verified  # kept in the entry


def test_a_one_request_upload_is_confirmed_too(cloud, make_file, queue):
    entry = add(queue, make_file(1000), cloud.url)  # creation-with-upload: POST only
    done = run(Uploader(queue, chunk_size=CHUNK, policy=FAST).run(entry.id))
    assert done.verified == "server holds 1000 bytes of 1000 bytes; sha256 confirmed by server"


def test_bytes_damaged_on_the_way_fail_the_upload_clearly(cloud, make_file, queue):
    proxy = cloud.proxy()
    proxy.answer("OPTIONS", 204, NO_CHECKSUM)  # no per-chunk checksums to catch it
    proxy.corrupt_next()
    entry = add(queue, make_file(SIZE), proxy.url())
    with pytest.raises(VerificationFailed) as failed:
        run(Uploader(queue, chunk_size=CHUNK, policy=FAST).run(entry.id))
    assert "the server's copy of reel.mp4 differs from the file: its sha256 is" in str(failed.value)
    stored = queue.get(entry.id)
    assert stored.state == "failed" and "differs" in stored.last_error and not stored.verified


def test_a_server_reporting_another_sha256_fails(cloud, make_file, queue):
    proxy = cloud.proxy()
    entry = add(queue, make_file(SIZE), proxy.url())
    proxy.answer(
        "HEAD",
        200,
        {"Upload-Offset": SIZE, "Upload-Length": SIZE, "Upload-Sha256-Verified": "ab" * 32},
    )
    with pytest.raises(VerificationFailed, match="its sha256 is ababababab"):
        run(Uploader(queue, chunk_size=CHUNK, policy=FAST).run(entry.id))
    assert queue.get(entry.id).state == "failed"


def test_a_server_holding_less_than_it_said_fails(cloud, make_file, queue):
    proxy = cloud.proxy()
    entry = add(queue, make_file(SIZE), proxy.url())
    proxy.answer("HEAD", 200, {"Upload-Offset": SIZE - 10, "Upload-Length": SIZE})
    with pytest.raises(
        VerificationFailed, match="not whole on the server: it holds 299990 bytes of 300000"
    ):
        run(Uploader(queue, chunk_size=CHUNK, policy=FAST).run(entry.id))


def test_head_of_a_finished_upload_reports_the_sha256(cloud, make_file, queue):
    import requests

    path = make_file(SIZE)
    entry = add(queue, path, cloud.url)
    done = run(Uploader(queue, chunk_size=CHUNK, policy=FAST).run(entry.id))
    head = requests.head(done.upload_url, headers={"Tus-Resumable": "1.0.0"}, timeout=5)
    assert head.headers["Upload-Sha256-Verified"] == sha256_file(path)
    assert cloud.stored_sha256(done.upload_url) == sha256_file(path)


def test_a_token_is_reported_accepted_only_after_the_server_took_it(cloud, make_file, queue):
    cloud.start(token="right")
    accepted, refused = [], []

    def uploader(token):
        return Uploader(
            queue,
            token,
            chunk_size=CHUNK,
            on_token_accepted=lambda *a: accepted.append(a),
            on_token_refused=lambda *a: refused.append(a),
        )

    entry = add(queue, make_file(SIZE), cloud.url)
    with pytest.raises(AuthFailed):
        run(uploader("wrong").run(entry.id))
    assert accepted == [] and refused == [(cloud.url, "wrong")]
    queue.update(entry.id, state="queued")
    assert run(uploader("right").run(entry.id)).state == "done"
    assert accepted == [(cloud.url, "right")]  # once, not per chunk, with the token sent


def test_the_token_goes_only_to_its_own_endpoint(cloud, make_file, queue):
    cloud.start(token="for-this-one")
    asked = []

    def token_for(endpoint):
        asked.append(endpoint)
        return "for-this-one" if endpoint == cloud.url else None

    entry = add(queue, make_file(1000), cloud.url)
    assert run(Uploader(queue, token_for).run(entry.id)).state == "done"
    assert asked == [cloud.url]


def test_a_head_answered_without_auth_is_not_acceptance(cloud, make_file, queue):
    cloud.start(token="right")
    proxy = cloud.proxy()
    entry = add(queue, make_file(SIZE), proxy.url())
    # an upload begun earlier; the HEAD is answered by a server that asks no token for it,
    # the PATCH is refused: the token was never accepted
    queue.update(entry.id, upload_url=proxy.url("/files/begun"), offset=CHUNK)
    proxy.answer("HEAD", 200, {"Tus-Resumable": "1.0.0", "Upload-Offset": CHUNK})
    accepted = []
    wrong = Uploader(
        queue, "wrong", chunk_size=CHUNK, on_token_accepted=lambda *a: accepted.append(a)
    )
    with pytest.raises(AuthFailed):
        run(wrong.run(entry.id))
    assert "HEAD 200" in proxy.requests and accepted == []


def test_a_second_run_after_a_corrupted_upload_ends_done(cloud, make_file, queue):
    proxy = cloud.proxy()
    proxy.answer("OPTIONS", 204, NO_CHECKSUM)  # no per-chunk checksums to catch it
    proxy.corrupt_next()
    path = make_file(SIZE)
    entry = add(queue, path, proxy.url())
    with pytest.raises(VerificationFailed):
        run(Uploader(queue, chunk_size=CHUNK, policy=FAST).run(entry.id))
    failed = queue.get(entry.id)
    assert failed.state == "failed" and failed.upload_url == "" and failed.offset == 0
    assert "DELETE forwarded" in proxy.requests  # the damaged copy is gone from the server
    queue.update(entry.id, state="queued")  # what Resume does
    done = run(Uploader(queue, chunk_size=CHUNK, policy=FAST).run(entry.id))
    assert done.state == "done" and done.verified.endswith("sha256 confirmed by server")
    assert cloud.stored_sha256(done.upload_url) == sha256_file(path)
