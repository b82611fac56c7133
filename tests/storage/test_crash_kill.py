"""SIGKILL a process that saves a draft in a loop, 100 times: the draft always loads."""

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from reeleditor.storage.drafts import DraftStore

KILLS = 100

SAVER = textwrap.dedent("""
    import sys
    from reeleditor.storage.drafts import DraftStore
    from reeleditor.core.draft import Segment
    store = DraftStore(sys.argv[1])
    draft = store.load(sys.argv[2])
    n = int(draft.title)
    segs = tuple(Segment(f"media/s{i}.mp4", 1.0, f"s{i:04d}") for i in range(200))
    store.lock(draft.id)
    print("ready", flush=True)
    while True:
        n += 1
        store.save(draft.with_changes(title=str(n), segments=segs[: n % 200]))
        print(n, flush=True)
""")


@pytest.mark.slow
def test_draft_survives_100_random_kills(store):
    draft = store.create("0")
    rng = random.Random(1234)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for _ in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(store.root), draft.id],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        printed = [int(line) for line in proc.stdout.read().split()]
        proc.stdout.close()
        fresh = DraftStore(store.root)
        loaded = fresh.load(draft.id)  # never corrupt, never empty
        n = int(loaded.title)
        if printed:
            assert n in (printed[-1], printed[-1] + 1)
        assert len(loaded.segments) == n % 200
        # history holds this version, or the next one if the kill fell between the two writes
        newest = fresh.history(draft.id)[0]
        assert int(fresh.load_version(draft.id, newest.version).title) in (n, n + 1)
