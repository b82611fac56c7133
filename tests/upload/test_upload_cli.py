"""`reeleditor upload` and `reeleditor uploads ...` as a user runs them, bad input included."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import time

import pytest

from reeleditor.storage.paths import AppPaths
from reeleditor.upload.queue import UploadQueue
from tests.upload.upload_support import cli_command, free_port, sha256_file

CHUNK_ARG = ("--chunk-size", "64K")


def queue() -> UploadQueue:
    return UploadQueue(AppPaths.from_env().ensure().uploads)


def one_line_error(result) -> str:
    """The error line; the command failed and said so in one line on stderr."""
    assert result.code == 1, (result.out, result.err)
    last = result.err.strip().splitlines()[-1]
    assert last.startswith("reeleditor: error: ")
    return last


def test_upload_a_file_prints_its_url(cli, peer, make_file):
    path = make_file(300_000)
    result = cli("upload", path, "--endpoint", peer.url, *CHUNK_ARG)
    assert result.code == 0, result.err
    url = result.out.strip()
    assert url.startswith(peer.url)
    assert peer.stored_sha256(url) == sha256_file(path)
    assert "upload " in result.err and "MiB/s" in result.err  # the progress line
    assert "done" in result.err
    listed = json.loads(cli("uploads", "list", "--json").out)["uploads"]
    assert [(u["state"], u["upload_url"], u["percent"]) for u in listed] == [("done", url, 100.0)]
    assert "done" in cli("uploads", "list").out


def test_endpoint_from_the_environment_and_json_output(cli, peer, make_file, monkeypatch):
    monkeypatch.setenv("REELEDITOR_ENDPOINT", peer.url)
    result = cli("upload", make_file(1000), "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["state"] == "done" and data["endpoint"] == peer.url


def test_token_from_stdin_is_stored_privately_and_never_printed(cli, start_peer, make_file):
    token = "tok-Zq81-never-shown"
    peer = start_peer(token=token)
    path = make_file(1000)
    first = cli("upload", path, "--endpoint", peer.url, "--token-stdin", stdin=token + "\n")
    assert first.code == 0, first.err
    assert "the server accepted the token" in first.err
    again = cli("upload", make_file(2000, name="b.mp4"), "--endpoint", peer.url)  # stored token
    assert again.code == 0, again.err
    listing = cli("uploads", "list", "--json")
    for result in (first, again, listing):
        assert token not in result.out + result.err
    tokens = AppPaths.from_env().config / "tokens.json"
    if os.name != "nt":
        assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    for path in AppPaths.from_env().data.rglob("*"):  # not in the queue, not in settings
        if path.is_file() and path != tokens:
            assert token.encode() not in path.read_bytes(), path


def test_token_from_the_environment(cli, start_peer, make_file, monkeypatch):
    peer = start_peer(token="env-token")
    monkeypatch.setenv("REELEDITOR_TOKEN", "env-token")
    assert cli("upload", make_file(1000), "--endpoint", peer.url).code == 0


def test_a_refused_token_says_check_your_token(cli, start_peer, make_file, monkeypatch):
    peer = start_peer(token="right")
    monkeypatch.setenv("REELEDITOR_TOKEN", "wrong-token-value")
    result = cli("upload", make_file(1000), "--endpoint", peer.url)
    line = one_line_error(result)
    assert "403" in line and "check your token" in line
    assert "wrong-token-value" not in result.err + result.out


def test_unreachable_endpoint_clear_error_and_the_entry_stays_queued(cli, make_file):
    url = f"http://127.0.0.1:{free_port()}/files/"
    result = cli("upload", make_file(1000), "--endpoint", url, "--retry-for", "0.3")
    line = one_line_error(result)
    assert "connection refused" in line and "uploads resume" in line
    [entry] = queue().list()
    assert entry.state == "queued" and entry.offset == 0


def test_nothing_listening_gives_up_within_30_s_and_the_entry_stays_queued(make_file):
    """As a user runs it: a new process, default settings, a closed loopback port."""
    url = f"http://127.0.0.1:{free_port()}/files/"
    began = time.monotonic()
    result = subprocess.run(
        cli_command("upload", make_file(1000), "--endpoint", url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - began
    assert result.returncode == 1 and result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0] == result.stderr.strip().splitlines()[-1]
    assert errors[0].startswith("reeleditor: error: ") and "connection refused" in errors[0]
    assert took < 30, took
    listed = subprocess.run(
        cli_command("uploads", "list", "--json"), capture_output=True, text=True, timeout=60
    )
    [entry] = json.loads(listed.stdout)["uploads"]
    assert entry["state"] == "queued" and entry["endpoint"] == url


def test_a_refused_token_from_stdin_is_not_saved(cli, start_peer, make_file):
    peer = start_peer(token="right")
    result = cli(
        "upload",
        make_file(1000),
        "--endpoint",
        peer.url,
        "--token-stdin",
        stdin="tok-refused-Zx9\n",
    )
    line = one_line_error(result)
    assert "403" in line and "the token was not saved" in line
    assert not (AppPaths.from_env().config / "tokens.json").exists()
    assert "tok-refused-Zx9" not in result.err + result.out
    # the stored token (none) is what the next upload uses: still refused
    assert "401" in one_line_error(cli("upload", make_file(1000), "--endpoint", peer.url))


def test_a_new_token_is_not_saved_while_the_server_never_answered(cli, make_file):
    url = f"http://127.0.0.1:{free_port()}/files/"
    args = ("--endpoint", url, "--retry-for", "0.2", "--token-stdin")
    result = cli("upload", make_file(1000), *args, stdin="tok\n")
    one_line_error(result)
    assert "the token was not saved: the server has not accepted it yet" in result.err
    assert not (AppPaths.from_env().config / "tokens.json").exists()


def test_done_says_what_was_checked_on_the_server(cli, peer, tmp_path, make_file):
    from reeleditor.cloud.server import serve_in_thread

    path = make_file(5000)
    result = cli("upload", path, "--endpoint", peer.url)
    assert result.code == 0, result.err
    assert (
        "server holds 4.9 KiB of 4.9 KiB; server did not report a sha256: offset checked only"
        in (result.err)
    )
    server = serve_in_thread("127.0.0.1", 0, tmp_path / "cloud")
    try:
        cloud = f"http://127.0.0.1:{server.server_address[1]}/files/"
        result = cli("upload", path, "--endpoint", cloud)
    finally:
        server.close()
    assert result.code == 0, result.err
    assert "done: reel.mp4, 4.9 KiB; server holds 4.9 KiB of 4.9 KiB; sha256 confirmed" in (
        result.err
    )
    listed = {u["endpoint"]: u for u in json.loads(cli("uploads", "list", "--json").out)["uploads"]}
    assert listed[cloud]["verified"].endswith("sha256 confirmed by server")
    assert "sha256 confirmed by server" in cli("uploads", "list").out


def test_html_page_endpoint(cli, html_server, make_file):
    line = one_line_error(cli("upload", make_file(1000), "--endpoint", html_server))
    assert "is not a tus upload endpoint" in line and html_server in line


@pytest.mark.parametrize("url", ["localhost:8765/files", "ftp://h/files/", "http://"])
def test_invalid_endpoint_url(cli, make_file, url):
    line = one_line_error(cli("upload", make_file(1000), "--endpoint", url))
    assert "is not a valid upload endpoint URL" in line
    assert queue().list() == []  # nothing queued for a URL that can never work


def test_neither_file_nor_draft(cli, tmp_path):
    line = one_line_error(cli("upload", tmp_path / "nothing.mp4", "--endpoint", "http://h/f/"))
    assert "neither a file nor a draft id" in line


def test_file_changed_after_queueing_is_refused_and_nothing_is_sent(cli, peer, make_file):
    path = make_file(100_000)
    dead = f"http://127.0.0.1:{free_port()}/files/"
    one_line_error(cli("upload", path, "--endpoint", dead, "--retry-for", "0.2"))
    [entry] = queue().list()
    path.write_bytes(path.read_bytes()[::-1])  # same size, other bytes
    queue().update(entry.id, endpoint=peer.url)  # the server is back
    line = one_line_error(cli("uploads", "resume", entry.id))
    assert "changed since upload" in line and str(path) in line
    assert queue().get(entry.id).state == "failed"
    assert not list(peer.data.iterdir())
    # uploading the file again makes a new entry; the old one is never reused for it
    result = cli("upload", path, "--endpoint", peer.url)
    assert result.code == 0 and peer.stored_sha256(result.out.strip()) == sha256_file(path)
    assert len(queue().list()) == 2


def test_file_deleted_after_queueing(cli, make_file):
    path = make_file(1000)
    dead = f"http://127.0.0.1:{free_port()}/files/"
    one_line_error(cli("upload", path, "--endpoint", dead, "--retry-for", "0.2"))
    [entry] = queue().list()
    path.unlink()
    line = one_line_error(cli("uploads", "resume", entry.id))
    assert "no longer exists" in line and entry.id in line
    assert queue().get(entry.id).file == str(path)  # the entry is kept


def test_pause_resume_cancel_of_a_stopped_upload(cli, peer, make_file):
    path = make_file(100_000)
    dead = f"http://127.0.0.1:{free_port()}/files/"
    one_line_error(cli("upload", path, "--endpoint", dead, "--retry-for", "0.2"))
    [entry] = queue().list()
    queue().update(entry.id, endpoint=peer.url)
    assert cli("uploads", "pause", entry.id).code == 0
    assert queue().get(entry.id).state == "paused"
    result = cli("uploads", "resume", entry.id, *CHUNK_ARG)
    assert result.code == 0 and peer.stored_sha256(result.out.strip()) == entry.sha256
    cancel = cli("uploads", "cancel", entry.id, "--json")
    assert cancel.code == 0 and json.loads(cancel.out) == {"id": entry.id, "cancelled": True}
    assert queue().list() == []
    unknown = one_line_error(cli("uploads", "pause", "0000beef"))
    assert "no upload 0000beef" in unknown


def test_cancel_deletes_a_partial_upload_on_the_server(cli, peer, make_file):
    path = make_file(300_000)
    from reeleditor.upload.transfer import Uploader
    from tests.upload.test_upload_transfer import run_until

    q = queue()
    entry = q.add(path, 300_000, sha256_file(path), peer.url)
    run_until(Uploader(q, chunk_size=65536).run(entry.id), 65536)
    url = q.get(entry.id).upload_url
    assert peer.stored(url).exists()
    assert cli("uploads", "cancel", entry.id).code == 0
    assert not peer.stored(url).exists()


def test_a_draft_with_a_fresh_export_uploads_that_export(cli, peer, store):
    render = pytest.importorskip("reeleditor.media.render")
    from reeleditor.core.settings import Settings

    draft = store.create("Beach day")
    out = store.folder(draft.id) / "export" / "reel.mp4"
    out.parent.mkdir()
    out.write_bytes(os.urandom(50_000))
    fingerprint = render.recipe_fingerprint(store, draft, Settings().export_preset)
    sidecar = {"fingerprint": fingerprint, "size": out.stat().st_size}
    out.with_suffix(".json").write_text(json.dumps(sidecar))  # what ensure_export reuses
    result = cli("upload", draft.id, "--endpoint", peer.url, "--cover", "1.5")
    assert result.code == 0, result.err
    url = result.out.strip()
    assert peer.stored_sha256(url) == sha256_file(out)
    meta = peer.stored_metadata(url)
    assert meta["title"] == "Beach day" and meta["draft_id"] == draft.id
    assert meta["cover"] == "1.500"  # the poster's time, for the server's processing


def test_a_draft_without_an_export_is_exported_first(cli, peer, store):
    render = pytest.importorskip("reeleditor.media.render")
    av = pytest.importorskip("av")
    import numpy as np

    from reeleditor.core.draft import Segment

    draft = store.create("Fresh")
    media = store.media_dir(draft.id) / "seg-0000.mp4"
    with av.open(str(media), "w") as container:
        stream = container.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1080, 1920, "yuv420p"
        for i in range(30):
            frame = np.full((1920, 1080, 3), i * 8, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    store.lock(draft.id)
    segments = (Segment("media/seg-0000.mp4", 1.0, "s0000"),)
    store.save(draft.with_changes(segments=segments, cover_time=0.5))
    store.release(draft.id)
    assert render.export_draft
    result = cli("upload", draft.id, "--endpoint", peer.url)
    assert result.code == 0, result.err
    out = store.folder(draft.id) / "export" / "reel.mp4"
    assert peer.stored_sha256(result.out.strip()) == sha256_file(out)
    assert peer.stored_metadata(result.out.strip())["cover"] == "0.500"  # the draft's cover


def _wait_for_percent(proc, percent: int, timeout: float = 30) -> None:
    """Read the child's progress lines (one per redraw when not a tty) until `percent`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        if line.startswith("upload") and "%" in line:
            value = int(line.split("%")[0].split()[-1])
            if value >= percent:
                return
    pytest.fail(f"the upload never reached {percent}%")


@pytest.mark.slow
def test_kill_9_mid_upload_then_a_new_process_finishes_resending_at_most_one_chunk(
    peer, make_proxy, make_file
):
    chunk = 128 * 1024
    size = 2 * 1024 * 1024 + 1000
    proxy = make_proxy(peer)
    proxy.rate = 1.5 * 1024 * 1024
    path = make_file(size)
    proc = subprocess.Popen(
        cli_command("upload", path, "--endpoint", proxy.url(), "--chunk-size", "128K"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_percent(proc, 30)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()
    [entry] = queue().list()
    assert entry.state == "uploading" and 0 < entry.offset < size  # as the kill left it
    proxy.rate = None
    done = subprocess.run(
        cli_command("uploads", "resume", entry.id), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip()
    assert url == entry.upload_url
    assert peer.stored_sha256(url) == sha256_file(path)
    assert proxy.body_bytes <= size + chunk, proxy.body_bytes - size


@pytest.mark.slow
def test_pause_from_another_process_stops_the_running_upload(cli, peer, make_proxy, make_file):
    proxy = make_proxy(peer)
    proxy.rate = 1024 * 1024
    path = make_file(2 * 1024 * 1024)
    proc = subprocess.Popen(
        cli_command("upload", path, "--endpoint", proxy.url(), "--chunk-size", "64K"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_percent(proc, 10)
        [entry] = queue().list()
        result = cli("uploads", "list")
        assert "(running)" in result.out
        assert cli("uploads", "pause", entry.id).code == 0
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "is paused" in err
    paused = queue().get(entry.id)
    assert paused.state == "paused" and paused.offset < paused.size
    proxy.rate = None
    resumed = cli("uploads", "resume", entry.id)
    assert resumed.code == 0 and peer.stored_sha256(resumed.out.strip()) == entry.sha256
