"""deploy/local-cluster.sh for real: the scale-out cloud on loopback, driven as a user would.

One cluster for the module (starting it costs ~10 s): `up` prints its four lines; the app's
tus client uploads through the nginx balancer and its PATCHes alternate between the two
ingest nodes; the reel becomes ready; the edge serves a media file MISS then HIT; a worker
killed mid-transcode leaves the job to the other, which publishes it once; an ingest node
killed mid-PATCH leaves the upload to the other, where the client resumes; `down` leaves no
process. Missing engines skip these tests, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest
import requests

from reeleditor.upload.errors import RetryPolicy
from reeleditor.upload.queue import UploadQueue
from reeleditor.upload.transfer import Uploader
from reeleditor.upload.tus import TusClient
from tests.cloud.services import IN_CI

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "local-cluster.sh"
BIN = Path(sys.executable).parent
FAST_RETRIES = RetryPolicy(base=0.2, cap=1.0, give_up_after=60.0)


def _missing() -> list[str]:
    pg = os.environ.get("PG_BIN") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None
    )
    needs = {
        "redis-server (apt: redis-server)": shutil.which("redis-server"),
        "nginx (apt: nginx)": shutil.which("nginx"),
        "curl (apt: curl)": shutil.which("curl"),
        "PostgreSQL (apt: postgresql)": shutil.which("initdb") or (pg and Path(pg, "initdb")),
        "moto_server (pip: moto[server])": (BIN / "moto_server").exists()
        or shutil.which("moto_server"),
        "reeleditor (pip install -e .)": (BIN / "reeleditor").exists(),
    }
    return [name for name, found in needs.items() if not found]


@dataclass
class Cluster:
    ingest: str
    api: str
    public: str
    token: str
    env: dict
    state: Path

    def script(self, command: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(SCRIPT), command], env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def pids(self) -> dict[str, int]:
        """name -> pid of what `status` says runs."""
        out = self.script("status").stdout
        return {
            line.split()[0]: int(line.split()[3])
            for line in out.splitlines()
            if " running " in line
        }

    def node_pids(self) -> dict[str, int]:
        """'127.0.0.1:PORT' (what nginx names in X-Ingest-Node) -> pid of that node."""
        out = self.script("status").stdout
        return {
            line.split()[4]: int(line.split()[3])
            for line in out.splitlines()
            if line.startswith("node") and " running " in line
        }

    def reel(self, reel_id: str) -> dict:
        resp = requests.get(
            f"{self.api}/api/reels/{reel_id}",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        assert resp.status_code == 200, resp.text
        return resp.json()

    def source_sha256(self, reel_id: str) -> str:
        """What processing recorded of the source (the upload's bytes are not kept)."""
        import psycopg

        env = dict(
            line.split("=", 1) for line in (self.state / "cluster.env").read_text().splitlines()
        )
        with psycopg.connect(env["CATALOG"]) as db:
            [(meta,)] = db.execute("SELECT meta FROM reels WHERE id = %s", (reel_id,)).fetchall()
        return json.loads(meta)["source"]["sha256"]

    def wait_state(self, reel_id: str, states: tuple[str, ...], timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            status = self.reel(reel_id)
            if status["state"] in states or time.monotonic() > deadline:
                return status
            time.sleep(0.2)


def _family(pid: int) -> set[int]:
    """pid and every process below it (nginx's workers, PostgreSQL's backends, ...)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        if p not in found:
            found.add(p)
            todo.extend(children.get(p, []))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def cluster_env(state: Path, **settings: str) -> dict:
    """The environment deploy/local-cluster.sh runs in: this venv's reeleditor, `state`."""
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "REELEDITOR_CLUSTER_DIR": str(state),
        "REELEDITOR_BIN": str(BIN / "reeleditor"),
        **settings,
    }


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Cluster:
    missing = _missing()
    if missing:
        (pytest.fail if IN_CI else pytest.skip)("not installed: " + ", ".join(missing))
    state = tmp_path_factory.mktemp("cluster")
    # a killed worker's job is taken up after a 4 s lease, not a minute
    env = cluster_env(state, REELEDITOR_CLUSTER_WORKER_ARGS="--lease 4 --sweep-interval 1")
    up = subprocess.run([str(SCRIPT), "up"], env=env, capture_output=True, text=True, timeout=240)
    lines = dict(line.split("=", 1) for line in up.stdout.splitlines() if "=" in line)
    cluster = Cluster(
        lines.get("INGEST", ""), lines.get("API", ""), lines.get("PUBLIC", ""),
        lines.get("TOKEN", ""), env, state,
    )  # fmt: skip
    if up.returncode != 0:
        cluster.script("down")
        pytest.fail(f"local-cluster.sh up failed: {up.stderr.strip().splitlines()[-1:]}")
    assert up.stdout.splitlines() == [
        f"INGEST={cluster.ingest}",
        f"API={cluster.api}",
        f"PUBLIC={cluster.public}",
        f"TOKEN={cluster.token}",
    ]
    started = cluster.pids()
    assert set(started) == {
        "redis", "postgres", "s3", "node1", "node2", "nginx", "worker1", "worker2"
    }  # fmt: skip
    family = set().union(*(_family(pid) for pid in started.values()))
    yield cluster
    down = cluster.script("down")
    assert down.returncode == 0, down.stderr
    left = sorted(pid for pid in family if _alive(pid))
    assert not left, f"down left processes running: {left}"
    status = cluster.script("status")
    assert status.returncode == 3 and " running " not in status.stdout


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_video(path: Path, width: int, height: int, seconds: float, seed: int) -> Path:
    """A real H.264 MP4 with moving grain (so transcoding it takes real work)."""
    import av
    import numpy as np

    rng = np.random.default_rng(seed)
    base = np.add.outer(
        np.linspace(0, 180, height, dtype=np.float32), np.linspace(0, 60, width, dtype=np.float32)
    )
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "30"}
        for n in range(int(seconds * 30)):
            luma = (base + n * 3 + rng.normal(0, 12, base.shape)) % 256
            frame = np.dstack([luma, np.roll(luma, n, axis=1), 255 - luma]).astype(np.uint8)
            video = av.VideoFrame.from_ndarray(frame, format="rgb24")
            video.pts, video.time_base = n, Fraction(1, 30)
            out.mux(stream.encode(video))
        out.mux(stream.encode(None))
    return path


@dataclass
class Sent:
    method: str
    status: int | str  # the HTTP status, or the error's name when none came back
    node: str  # X-Ingest-Node: the node that answered (nginx lists each one it tried)


def upload(
    cluster: Cluster,
    path: Path,
    home: Path,
    chunk: int,
    sent: list[Sent],
    body_hook=None,
):
    """Upload `path` with the app's Uploader through INGEST; returns the finished entry."""
    data = path.read_bytes()

    def client(endpoint, token, timeout):
        tus = TusClient(endpoint, token, timeout=timeout)
        send = tus._send

        def recording_send(method, url, **kwargs):
            if body_hook is not None and method == "PATCH":
                kwargs["data"] = body_hook(kwargs["data"])
            try:
                resp = send(method, url, **kwargs)
            except Exception as exc:
                sent.append(Sent(method, type(exc).__name__, ""))
                raise
            tried = resp.headers.get("X-Ingest-Node", "")
            sent.append(Sent(method, resp.status_code, tried.split(",")[-1].strip()))
            return resp

        tus._send = recording_send
        return tus

    queue = UploadQueue(home / "uploads")
    entry = queue.add(path, len(data), hashlib.sha256(data).hexdigest(), cluster.ingest)
    uploader = Uploader(
        queue, cluster.token, chunk_size=chunk, policy=FAST_RETRIES, client_factory=client
    )
    for _ in uploader.run(entry.id):
        pass
    done = queue.get(entry.id)
    assert done.state == "done", done.last_error
    assert done.verified.endswith("sha256 confirmed by server"), done.verified
    return done


def reel_id(entry) -> str:
    return entry.upload_url.rstrip("/").rsplit("/", 1)[1]


def test_upload_alternates_nodes_becomes_ready_and_the_edge_caches(cluster, tmp_path):
    video = make_video(tmp_path / "small.mp4", 360, 640, 2.0, seed=1)
    assert video.stat().st_size > 3 * 64 * 1024
    chunk = video.stat().st_size // 4 + 1
    sent: list[Sent] = []
    done = upload(cluster, video, tmp_path, chunk, sent)

    patches = [s for s in sent if s.method == "PATCH"]
    assert len(patches) >= 3 and all(s.status == 204 for s in patches), sent
    nodes = [s.node for s in patches]
    assert len(set(nodes)) == 2, nodes
    assert all(a != b for a, b in itertools.pairwise(nodes)), f"consecutive PATCHes: {nodes}"

    status = cluster.wait_state(reel_id(done), ("ready", "failed"), timeout=120)
    assert status["state"] == "ready", status
    assert cluster.source_sha256(reel_id(done)) == sha256_of(video)  # the bytes we sent
    media = cluster.public + status["mp4_url"]
    first = requests.get(media, timeout=30)
    second = requests.get(media, timeout=30)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first.content[4:8] == b"ftyp"
    assert (first.headers["X-Cache-Status"], second.headers["X-Cache-Status"]) == ("MISS", "HIT")
    page = requests.get(cluster.public + "/", timeout=30)  # the web player, through the edge
    assert page.status_code == 200 and "/player/" in page.text
    # the feed is cached too, for the max-age its origin gives it (seconds): the new reel
    # shows up once the edge's copy is that old
    deadline = time.monotonic() + 30
    while True:
        feed = requests.get(cluster.public + "/feed.json", timeout=10)
        assert feed.status_code == 200 and "X-Cache-Status" in feed.headers
        if reel_id(done) in {item["id"] for item in feed.json()}:
            break
        assert time.monotonic() < deadline, f"not in the feed after 30 s: {feed.headers}"
        time.sleep(1)


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_worker_killed_mid_transcode_the_other_publishes_once(cluster, tmp_path):
    video = make_video(tmp_path / "long.mp4", 1080, 1920, 4.0, seed=2)
    done = upload(cluster, video, tmp_path, 8 << 20, [])
    rid = reel_id(done)
    status = cluster.wait_state(rid, ("processing", "ready", "failed"), timeout=60)
    assert status["state"] == "processing", f"not caught processing: {status}"
    workers = {name: pid for name, pid in cluster.pids().items() if name.startswith("worker")}
    before = {name: _cpu_ticks(pid) for name, pid in workers.items()}
    time.sleep(0.5)
    used = {name: _cpu_ticks(pid) - before[name] for name, pid in workers.items()}
    busy = max(used, key=used.__getitem__)
    assert used[busy] >= 10 > min(used.values()), f"which worker transcodes? ticks: {used}"
    assert cluster.reel(rid)["state"] == "processing", "done before the kill: use a longer video"
    os.kill(workers[busy], signal.SIGKILL)

    status = cluster.wait_state(rid, ("ready", "failed"), timeout=150)
    assert status["state"] == "ready", status
    survivor = next(name for name in workers if name != busy)
    log_file = cluster.state / "logs" / f"{survivor}.log"
    deadline = time.monotonic() + 10  # the API may answer "ready" before the line is on disk
    while f"reel {rid} ready" not in log_file.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = log_file.read_text()
    assert log.count(f"reel {rid} ready") == 1, log[-2000:]
    # the journal: one job for the reel, done on its second claim (the first died with its worker)
    import psycopg

    env = dict(
        line.split("=", 1) for line in (cluster.state / "cluster.env").read_text().splitlines()
    )
    with psycopg.connect(env["CATALOG"]) as db:
        jobs = db.execute("SELECT state, attempts FROM jobs WHERE reel_id = %s", (rid,)).fetchall()
    assert jobs == [("done", 2)], jobs
    reels = requests.get(
        f"{cluster.api}/api/reels?mine=1",
        headers={"Authorization": f"Bearer {cluster.token}"},
        timeout=10,
    ).json()["reels"]
    assert [r["state"] for r in reels if r["id"] == rid] == ["ready"]
    assert cluster.source_sha256(rid) == sha256_of(video)
    master = requests.get(cluster.public + status["hls_url"], timeout=30)
    assert master.status_code == 200 and "1080p/index.m3u8" in master.text


class _PausingBody:
    """Sends half of one PATCH body, then waits for the test (which kills its node)."""

    def __init__(self, body, reached: threading.Event, resume: threading.Event) -> None:
        self._body, self._reached, self._resume = body, reached, resume
        self._half = len(body) // 2

    def __len__(self) -> int:
        return len(self._body)

    def read(self, size: int = -1):
        if self._body.tell() >= self._half and not self._reached.is_set():
            self._reached.set()
            self._resume.wait(60)
        return self._body.read(min(size, self._half) if size and size > 0 else self._half)

    def __getattr__(self, name):
        return getattr(self._body, name)


def test_ingest_node_killed_mid_patch_the_client_resumes_through_the_other(cluster, tmp_path):
    video = make_video(tmp_path / "resume.mp4", 360, 640, 2.0, seed=3)
    chunk = video.stat().st_size // 3 + 1
    sent: list[Sent] = []
    reached, resume = threading.Event(), threading.Event()
    patches = 0

    def hook(body):
        nonlocal patches
        patches += 1
        return _PausingBody(body, reached, resume) if patches == 1 else body

    result: dict = {}

    def run() -> None:
        try:
            result["done"] = upload(cluster, video, tmp_path, chunk, sent, hook)
        except BaseException as exc:  # reported by the test thread
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert reached.wait(60), f"the PATCH never started: {sent}"
        # round robin: this PATCH went to the node that did not answer the last request
        nodes = cluster.node_pids()
        victim = next(node for node in nodes if node != sent[-1].node)
        os.kill(nodes[victim], signal.SIGKILL)
        time.sleep(0.5)
    finally:
        resume.set()
        thread.join(120)
    assert not thread.is_alive()
    if "error" in result:
        raise result["error"]
    done = result["done"]
    survivor = next(node for node in nodes if node != victim)
    failed = [s for s in sent if s.method == "PATCH" and s.status != 204]
    assert failed, f"the killed node's PATCH did not fail: {sent}"
    after = sent[sent.index(failed[0]) + 1 :]
    assert after and all(s.node == survivor for s in after if s.node), sent
    assert any(s.method == "HEAD" for s in after), "the client did not ask for the offset"
    status = cluster.wait_state(reel_id(done), ("ready", "failed"), timeout=120)
    assert status["state"] == "ready", status
    assert cluster.source_sha256(reel_id(done)) == sha256_of(video)
