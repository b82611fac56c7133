"""Upload throughput against `curl -T` (one PATCH) to the official tus Node server, same run.

    python benchmarks/upload.py [--size-mib 200] [--runs 7] [--chunk-mib N]

The server is the tests' tus peer (@tus/server + @tus/file-store on 127.0.0.1, installed
on demand by tests/upload/upload_support.py). Each run sends the same random file with curl
and with our client, interleaved, so the machine's load hits both alike. Our client runs in
a child process that reports its peak memory growth (VmHWM after the upload minus VmRSS
before it, the high-water mark reset first). Before each timed upload, `os.sync()` flushes
the previous runs' written data, so the kernel's writeback does not land inside a timing.
Then, per run, a CLI upload through a loopback proxy is killed with SIGKILL part-way, and a
new process resumes it: we report the time from that process's start to the first resumed
byte at the proxy, and the bytes sent twice.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from reeleditor.core.settings import Settings  # noqa: E402
from tests.upload.upload_fault_proxy import FaultProxy  # noqa: E402
from tests.upload.upload_support import (  # noqa: E402
    cli_command,
    install_peer,
    start_peer_process,
    stop_process,
)

MiB = 1024 * 1024
TARGET_RATIO = 0.8
MEMORY_SLACK = 32 * MiB

CHILD = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path
    from reeleditor.upload.chunks import sha256_now
    from reeleditor.upload.queue import UploadQueue
    from reeleditor.upload.transfer import Uploader

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) * 1024
        return 0

    path, endpoint, folder, chunk = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    started = time.perf_counter()
    digest = sha256_now(path)  # done once, when the reel is queued: reported on its own
    hashing = time.perf_counter() - started
    queue = UploadQueue(Path(folder))
    entry = queue.add(path, path.stat().st_size, digest, endpoint)
    uploader = Uploader(queue, chunk_size=chunk)
    try:
        open("/proc/self/clear_refs", "w").write("5")  # reset the peak RSS mark
    except OSError:
        pass
    os.sync()  # earlier runs' dirty pages must not be written back during this one
    before = status("VmRSS:")
    start = time.perf_counter()
    work = uploader.run(entry.id, trusted_sha256=digest)
    while True:
        try:
            next(work)
        except StopIteration as stop:
            done = stop.value
            break
    total = time.perf_counter() - start
    print(json.dumps({"total": total, "hashing": hashing, "state": done.state,
                      "url": done.upload_url, "growth": status("VmHWM:") - before}))
""")


def make_file(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        left = size
        while left:
            block = os.urandom(min(8 * MiB, left))
            f.write(block)
            left -= len(block)


def curl_upload(endpoint: str, path: Path, size: int) -> float:
    """Seconds for curl to PATCH the whole file in one request (creation not timed)."""
    resp = requests.post(
        endpoint, headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(size)}, timeout=30
    )
    url = requests.compat.urljoin(endpoint, resp.headers["Location"])
    os.sync()  # earlier runs' dirty pages must not be written back during this one
    start = time.perf_counter()
    subprocess.run(
        [
            "curl",
            "-sS",
            "-f",
            "-X",
            "PATCH",
            "-T",
            str(path),
            "-H",
            "Tus-Resumable: 1.0.0",
            "-H",
            "Upload-Offset: 0",
            "-H",
            "Content-Type: application/offset+octet-stream",
            "-o",
            os.devnull,
            url,
        ],
        check=True,
    )
    elapsed = time.perf_counter() - start
    head = requests.head(url, headers={"Tus-Resumable": "1.0.0"}, timeout=30)
    assert int(head.headers["Upload-Offset"]) == size, "curl's upload is incomplete"
    requests.delete(url, headers={"Tus-Resumable": "1.0.0"}, timeout=30)
    return elapsed


def our_upload(endpoint: str, path: Path, work: Path, chunk: int) -> dict:
    folder = Path(tempfile.mkdtemp(dir=work))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), endpoint, str(folder), str(chunk)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    assert result["state"] == "done", result
    requests.delete(result["url"], headers={"Tus-Resumable": "1.0.0"}, timeout=30)
    shutil.rmtree(folder)
    return result


def resume_after_kill(port: int, path: Path, work: Path, size: int) -> tuple[float, int]:
    """(seconds from a new process's start to its first resumed byte, bytes sent twice)."""
    proxy = FaultProxy(port)
    proxy.rate = 100 * MiB  # slow enough to kill it part-way
    env = {**os.environ, "REELEDITOR_HOME": tempfile.mkdtemp(dir=work)}
    try:
        proc = subprocess.Popen(
            cli_command("upload", path, "--endpoint", proxy.url()),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for line in proc.stderr:
            if (
                line.startswith("upload")
                and "%" in line
                and int(line.split("%")[0].split()[-1]) >= 30
            ):
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        listed = subprocess.run(
            cli_command("uploads", "list", "--json"),
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        [entry] = json.loads(listed.stdout)["uploads"]
        proxy.rate = None
        sent_before = proxy.body_bytes
        proxy.watch_first_byte()
        start = time.monotonic()
        done = subprocess.run(
            cli_command("uploads", "resume", entry["id"]), env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        first = proxy.first_byte_at - start
        resent = proxy.body_bytes - size
        assert sent_before < size
        requests.delete(done.stdout.strip(), headers={"Tus-Resumable": "1.0.0"}, timeout=30)
        return first, resent
    finally:
        proxy.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--chunk-mib", type=int, default=Settings().chunk_size_mib)
    args = parser.parse_args()
    size, chunk = args.size_mib * MiB, args.chunk_mib * MiB
    peer_dir = install_peer()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "reel.bin"
        make_file(path, size)
        data = work / "tusdata"
        proc, port = start_peer_process(peer_dir, data)
        endpoint = f"http://127.0.0.1:{port}/files/"
        try:
            curl_upload(endpoint, path, size)  # warm the page cache and the server
            curl_t, ours, ratios, hashing, growth, first, resent = [], [], [], [], [], [], []
            for run in range(args.runs):
                # alternate who goes first, so a burst of load elsewhere hits both alike
                if run % 2:
                    result = our_upload(endpoint, path, work, chunk)
                    curl_t.append(curl_upload(endpoint, path, size))
                else:
                    curl_t.append(curl_upload(endpoint, path, size))
                    result = our_upload(endpoint, path, work, chunk)
                ours.append(result["total"])
                ratios.append(curl_t[-1] / result["total"])
                hashing.append(result["hashing"])
                growth.append(result["growth"])
                f, r = resume_after_kill(port, path, work, size)
                first.append(f)
                resent.append(r)
        finally:
            stop_process(proc)
    med = statistics.median
    mbps = size / MiB
    print(f"file {args.size_mib} MiB, chunk {args.chunk_mib} MiB, {args.runs} runs, medians")
    print(f"curl -T, one PATCH             {med(curl_t):6.3f} s  {mbps / med(curl_t):6.1f} MiB/s")
    print(f"reeleditor (OPTIONS .. done)   {med(ours):6.3f} s  {mbps / med(ours):6.1f} MiB/s")
    print(
        f"ratio (curl time / ours)       {med(ratios):6.2f}x  (per-run {min(ratios):.2f} .. "
        f"{max(ratios):.2f}; target >= {TARGET_RATIO}x)"
    )
    print(f"sha256 when queued (once)      {med(hashing):6.3f} s  {mbps / med(hashing):6.1f} MiB/s")
    print(
        f"peak memory growth             {med(growth) / MiB:6.1f} MiB (max "
        f"{max(growth) / MiB:.1f}; limit chunk + 32 = {(chunk + MEMORY_SLACK) / MiB:.0f} MiB)"
    )
    print(
        f"restart to first resumed byte  {med(first):6.3f} s (min {min(first):.3f}, max "
        f"{max(first):.3f}); bytes sent twice: max {max(resent)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
