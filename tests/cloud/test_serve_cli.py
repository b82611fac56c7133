"""`reeleditor cloud add-user` and `reeleditor serve`: once an account exists, uploads and
the API need its token; --token-env adds one server-wide token."""

from __future__ import annotations

import os
import subprocess
import sys

import requests

from tests.cloud.ingest_support import TUS, start_serve


def test_add_user_prints_a_token_that_serve_then_requires(tmp_path):
    data, home = tmp_path / "cloud", tmp_path / "home"
    env = {**os.environ, "REELEDITOR_HOME": str(home)}
    added = subprocess.run(
        [sys.executable, "-m", "reeleditor", "cloud", "add-user", "alice", "--data", str(data)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert len(token) >= 32 and "\n" not in token and token not in added.stderr
    proc, base = start_serve(data, home)
    try:
        create = {**TUS, "Upload-Length": "3"}
        assert requests.post(f"{base}/files/", headers=create, timeout=5).status_code == 401
        mine = {"Authorization": f"Bearer {token}"}
        created = requests.post(f"{base}/files/", headers={**create, **mine}, timeout=5)
        assert created.status_code == 201
        reel_id = created.headers["Location"].rsplit("/", 1)[1]
        assert requests.get(f"{base}/api/reels?mine=1", timeout=5).status_code == 401
        listed = requests.get(f"{base}/api/reels?mine=1", headers=mine, timeout=5).json()["reels"]
        assert [(r["id"], r["state"]) for r in listed] == [(reel_id, "uploading")]
        status = requests.get(f"{base}/status/{reel_id}", timeout=5)
        assert status.status_code == 404 and str(data) not in status.text
    finally:
        proc.terminate()
        proc.wait(30)


def test_serve_with_an_unset_token_variable_is_a_one_line_error(tmp_path):
    env = {**os.environ, "REELEDITOR_HOME": str(tmp_path / "home")}
    env.pop("NO_SUCH_TOKEN_VAR", None)
    done = subprocess.run(
        [sys.executable, "-m", "reeleditor", "serve", "--port", "0", "--data", str(tmp_path),
         "--token-env", "NO_SUCH_TOKEN_VAR"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )  # fmt: skip
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.strip().count("\n") == 0 and "NO_SUCH_TOKEN_VAR" in done.stderr
