"""`reeleditor worker` processes, killed with -9 mid-job, and `reeleditor process`."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from reeleditor.cloud.contracts import JobState, ReelState
from reeleditor.cloud.urls import open_catalog, open_store
from tests.cloud.services import (  # noqa: F401 (fixtures)
    bucket_url,
    fresh_schema,
    postgres_url,
    redis_url,
    s3_endpoint,
)
from tests.cloud.test_jobs import published_prefixes, tiny_video, uploaded, wait_for
from tests.conftest import run_cli

# a worker whose processing stalls (after touching a marker file) until it is killed
STALLING_WORKER = """
import pathlib, sys, time
from reeleditor.cloud import jobs
real = jobs.process_upload
def stall(*args):
    if sys.argv[1] != "-":
        pathlib.Path(sys.argv[1]).touch()
        time.sleep(600)
    return real(*args)
jobs.process_upload = stall
from reeleditor.cli import main
sys.exit(main(sys.argv[2:]))
"""


def start_worker(urls: dict, name: str, marker: str = "-") -> subprocess.Popen:
    args = [
        sys.executable, "-c", STALLING_WORKER, marker, "worker", "--name", name,
        "--storage", urls["storage"], "--catalog", urls["catalog"], "--queue", urls["queue"],
        "--lease", "1", "--sweep-interval", "0.3", "--backoff", "0.1",
    ]  # fmt: skip
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@pytest.fixture(params=["embedded", "scale-out"])
def urls(request, tmp_path) -> dict:
    if request.param == "embedded":
        # SQLite is one process's catalog, but WAL lets a second process share the file,
        # which is all this test needs (the upload lock is not used by workers)
        return {"storage": f"file://{tmp_path}/objects",
                "catalog": f"sqlite:///{tmp_path}/catalog.db", "queue": "local"}  # fmt: skip
    return {
        "storage": bucket_url(request.getfixturevalue("s3_endpoint")),
        "catalog": fresh_schema(request.getfixturevalue("postgres_url")),
        "queue": request.getfixturevalue("redis_url"),
    }


def stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.stderr.read()


@pytest.mark.slow
def test_a_job_whose_worker_is_killed_completes_once_on_another(urls, tmp_path):
    catalog = open_catalog(urls["catalog"])
    store = open_store(urls["storage"])
    video = tiny_video(tmp_path / "tiny.mp4").read_bytes()
    reel_id, key, job = uploaded(catalog, store, video)
    marker = tmp_path / "processing"
    first = start_worker(urls, "w1", str(marker))
    second = None
    try:
        if urls["queue"] != "local":  # what an ingest node does after finish_upload
            from reeleditor.cloud.queue_redis import DramatiqQueue

            sender = DramatiqQueue(urls["queue"])
            sender.send(job.id)
            sender.close()
        wait_for(lambda: marker.exists() or first.poll() is not None)
        assert first.poll() is None, stop(first)
        assert catalog.get_job(job.id).worker.startswith("w1/")
        first.kill()  # -9, mid-job: no cleanup, no acknowledgement
        first.wait()
        second = start_worker(urls, "w2")
        wait_for(lambda: catalog.get_reel(reel_id).state is ReelState.READY or
                 second.poll() is not None)  # fmt: skip
        assert second.poll() is None, stop(second)
        done = catalog.get_job(job.id)
        assert (done.state, done.attempts, done.worker.split("/")[0]) == (JobState.DONE, 2, "w2")
        assert len(catalog.jobs_for_reel(reel_id)) == 1
        reel = catalog.get_reel(reel_id)
        assert reel.prefix in published_prefixes(store, reel_id)  # and the preview's
        assert reel.meta["source"]["sha256"] == hashlib.sha256(video).hexdigest()
        assert store.stat(key) is None
    finally:
        for proc in (first, second):
            if proc is not None:
                stop(proc)
                proc.stderr.close()
        catalog.close()


def test_process_makes_the_published_files_with_no_server(tmp_path):
    video = tiny_video(tmp_path / "in.mp4")
    sha = hashlib.sha256(video.read_bytes()).hexdigest()
    result = run_cli("process", str(video), "--out", str(tmp_path / "out"), "--sha256", sha,
                     "--title", "Hi", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)
    assert manifest["source"]["sha256"] == sha and manifest["stage"] == "complete"
    published = sorted(
        str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*") if p.is_file()
    )
    assert published == sorted([*manifest["files"], "reel.json"])
    assert (tmp_path / "out" / "master.m3u8").read_text().startswith("#EXTM3U")


def test_process_refuses_a_file_that_is_not_a_video(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_bytes(b"plain text" * 50)
    result = run_cli("process", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    [error] = [line for line in result.stderr.splitlines() if "error" in line]
    assert error.startswith("reeleditor: error:") and "not a video" in error, result.stderr
    assert os.listdir(tmp_path / "out") == []


@pytest.mark.parametrize(
    "option, url",
    [("--catalog", "mysql://x"), ("--queue", "amqp://x"), ("--queue", "redis://h:99999/0"),
     ("--storage", "s3://"), ("--catalog", "postgresql://")],
)  # fmt: skip
def test_worker_names_a_bad_url_in_one_line(option, url, tmp_path):
    urls = {"--storage": f"file://{tmp_path}/o", "--catalog": f"sqlite:///{tmp_path}/c.db",
            "--queue": "local", option: url}  # fmt: skip
    result = run_cli("worker", *[x for pair in urls.items() for x in pair], timeout=30)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and option in result.stderr, result.stderr


def test_a_password_is_never_echoed_in_an_error():
    from reeleditor.cloud.urls import CloudConfigError, parse_queue

    with pytest.raises(CloudConfigError) as info:
        parse_queue("redis://user:s3cret@host:notaport/0")
    assert "s3cret" not in str(info.value)


def test_the_redis_queue_retries_after_a_delay_until_done(redis_url, tmp_path):  # noqa: F811
    from reeleditor.cloud.urls import open_queue
    from tests.cloud.test_jobs import FAST, Flaky

    catalog = open_catalog(f"sqlite:///{tmp_path}/c.db")
    store = Flaky(open_store(f"file://{tmp_path}/objects"), failures=1)
    video = tiny_video(tmp_path / "tiny.mp4").read_bytes()
    runtime = open_queue(redis_url, catalog=catalog, store=store, concurrency=2, settings=FAST,
                         worker_name="r1", sweep_interval=30)  # fmt: skip
    try:
        reel_id, _key, job = uploaded(catalog, store, video)
        runtime.send(job.id)
        wait_for(lambda: catalog.get_reel(reel_id).state is ReelState.READY, timeout=60)
        assert catalog.get_job(job.id).attempts == 2  # the retry came back as a delayed message
    finally:
        runtime.close()
        catalog.close()
