"""kill -9 of the embedded server (`reeleditor serve`) during processing: after a restart
the reel becomes ready, once."""

from __future__ import annotations

import signal
import time

import requests

from tests.cloud.ingest_support import TUS, make_reel, start_serve


def state_of(base, reel_id):
    answer = requests.get(f"{base}/api/reels/{reel_id}", timeout=5)
    return answer.json()["state"] if answer.status_code == 200 else str(answer.status_code)


def test_kill_9_during_processing_then_restart_publishes_once(tmp_path):
    data, home = tmp_path / "cloud", tmp_path / "home"
    reel = make_reel(tmp_path / "big.mp4", frames=90, size=(720, 1280))  # a 360p rendition
    body = reel.read_bytes()
    proc, base = start_serve(data, home)
    try:
        created = requests.post(
            f"{base}/files/",
            data=body,
            timeout=30,
            headers={
                **TUS,
                "Upload-Length": str(len(body)),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        assert created.status_code == 201
        reel_id = created.headers["Location"].rsplit("/", 1)[1]
        deadline = time.monotonic() + 30
        while state_of(base, reel_id) != "processing" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert state_of(base, reel_id) == "processing"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    port = int(base.rsplit(":", 1)[1])
    proc, base = start_serve(data, home, port)
    try:
        assert state_of(base, reel_id) in ("processing", "queued")  # journaled, not lost
        deadline = time.monotonic() + 60
        while state_of(base, reel_id) != "ready" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert state_of(base, reel_id) == "ready"
        [entry] = requests.get(f"{base}/feed.json", timeout=5).json()
        assert entry["id"] == reel_id and {"hls", "mp4"} <= set(entry["urls"])
        master = requests.get(base + entry["urls"]["hls"], timeout=30)
        assert master.status_code == 200 and master.text.startswith("#EXTM3U")
        # the complete prefix, its poster's and its preview's, and at most a poster and a
        # preview the killed run had stored (not pointed at; they go with the reel)
        prefixes = {p.name for p in (data / "objects" / "media" / reel_id).iterdir()}
        assert entry["poster_url"].split("/")[3] in prefixes and len(prefixes) <= 5
    finally:
        proc.terminate()
        proc.wait(30)
