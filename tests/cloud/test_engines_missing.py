"""A build without a scale-out engine's client (the desktop installer) says so in one line."""

from __future__ import annotations

import sys

import pytest

from reeleditor.cloud.urls import open_catalog, open_store


@pytest.mark.parametrize(
    ("module", "opens"),
    [
        ("boto3", lambda: open_store("s3://reels?endpoint=http://127.0.0.1:9")),
        ("psycopg", lambda: open_catalog("postgresql://127.0.0.1:9/reels")),
    ],
)
def test_a_missing_client_library_is_a_value_error_naming_it(monkeypatch, module, opens):
    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    with pytest.raises(ValueError, match=f"'{module}', which this build leaves out"):
        opens()


def test_serve_says_it_in_one_line(tmp_path):
    code = (
        "import sys; sys.modules['boto3'] = None; from reeleditor.cli import main; "
        "sys.exit(main(sys.argv[1:]))"
    )
    import subprocess

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "serve",
            "--port",
            "0",
            "--storage",
            "s3://reels?endpoint=http://127.0.0.1:9",
            "--catalog",
            f"sqlite:///{tmp_path}/c.db",
            "--queue",
            "local",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "which this build leaves out" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
