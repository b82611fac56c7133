"""nginx as the edge cache (deploy/local-cluster.sh): a second GET is a HIT, and after a
DELETE the reel is gone from the edge too (the nodes' purge stores the 404s over it).

Reels are put straight into the cluster's catalog and bucket (no processing), so this
tests the edge and the origin only. Missing programs skip, except in CI, where they fail.
"""

from __future__ import annotations

import subprocess
import time
from types import SimpleNamespace

import pytest
import requests

from reeleditor.cloud.urls import open_catalog, open_store
from tests.cloud.services import IN_CI, s3_credentials
from tests.cloud.test_cluster import SCRIPT, _missing, cluster_env
from tests.cloud.test_feed_api import FILES
from tests.cloud.test_origin import publish_reel

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    missing = _missing()
    if missing:
        (pytest.fail if IN_CI else pytest.skip)("not installed: " + ", ".join(missing))
    state = tmp_path_factory.mktemp("edge-cluster")
    env = cluster_env(state, REELEDITOR_CLUSTER_WORKERS="1")  # no processing: one idle worker

    def script(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(SCRIPT), command], env=env, capture_output=True, text=True, timeout=240
        )

    up = script("up")
    if up.returncode != 0:
        script("down")
        pytest.fail(f"local-cluster.sh up failed: {up.stderr.strip().splitlines()[-1:]}")
    lines = dict(line.split("=", 1) for line in up.stdout.splitlines() if "=" in line)
    conf = dict(line.split("=", 1) for line in (state / "cluster.env").read_text().splitlines())
    s3_credentials()
    catalog, store = open_catalog(conf["CATALOG"]), open_store(conf["STORAGE"])
    try:
        yield SimpleNamespace(
            api=lines["API"],
            public=lines["PUBLIC"],
            purge=f"http://127.0.0.1:{conf['PURGE_PORT']}",
            token=lines["TOKEN"],
            owner=catalog.account_for_token(lines["TOKEN"]).id,
            cloud=SimpleNamespace(catalog=catalog, store=store),  # as publish_reel takes it
        )
    finally:
        catalog.close()
        down = script("down")
        assert down.returncode == 0, down.stderr


def get(url: str, **headers) -> requests.Response:
    return requests.get(url, headers=headers, timeout=10)


def test_a_second_get_is_a_hit_and_a_delete_purges_the_edge(edge):
    reel_id, prefix = publish_reel(edge, FILES, owner=edge.owner, title="to delete")
    kept, kept_prefix = publish_reel(edge, FILES, owner=edge.owner, title="to keep")
    kept_poster_path = f"/{kept_prefix}poster.jpg"
    assert get(edge.public + kept_poster_path).headers["X-Cache-Status"] == "MISS"
    names = ("reel.mp4", "master.m3u8", "poster.jpg", "360p/seg_00000.m4s", "360p/index.m3u8")
    media = [f"/{prefix}{name}" for name in names]
    for path in media:
        first, second = get(edge.public + path), get(edge.public + path)
        assert first.status_code == second.status_code == 200, path
        assert (first.headers["X-Cache-Status"], second.headers["X-Cache-Status"]) == (
            "MISS",
            "HIT",
        ), path
        assert second.content == FILES[path.rsplit(prefix, 1)[1]]
    part = get(edge.public + media[0], Range="bytes=1-2")  # served from the cached whole
    assert part.status_code == 206 and part.content == FILES["reel.mp4"][1:3]
    assert part.headers["X-Cache-Status"] == "HIT"
    lists = ["/feed.json", "/api/reels", "/api/reels?limit=8", f"/api/reels/{reel_id}"]
    for path in lists:  # `up` read /feed.json through the edge: it may hold it for 10 s
        deadline = time.monotonic() + 15
        while reel_id not in get(edge.public + path).text and time.monotonic() < deadline:
            time.sleep(0.5)
        listed = get(edge.public + path)
        assert listed.headers["X-Cache-Status"] == "HIT" and reel_id in listed.text, path
    auth = {"Authorization": f"Bearer {edge.token}"}
    mine = get(edge.public + "/api/reels?mine=1", **auth)
    assert mine.status_code == 200 and mine.headers["X-Cache-Status"] == "BYPASS"

    gone = requests.delete(f"{edge.api}/api/reels/{reel_id}", headers=auth, timeout=30)
    assert gone.status_code == 204

    for path in media:  # the purge stored each 404 over the cached 200: a HIT of a 404
        answer = get(edge.public + path)
        assert answer.status_code == 404, path
        assert answer.headers["X-Cache-Status"] == "HIT", path
    assert get(edge.public + f"/api/reels/{reel_id}").status_code == 404
    feed = get(edge.public + "/feed.json").json()
    assert [e["id"] for e in feed] == [kept]
    for page in ("/api/reels", "/api/reels?limit=8"):  # the web player asks for the latter
        assert [r["id"] for r in get(edge.public + page).json()["reels"]] == [kept], page
    kept_poster = get(edge.public + kept_poster_path)
    assert (kept_poster.status_code, kept_poster.headers["X-Cache-Status"]) == (200, "HIT")


def test_the_purge_listener_only_fetches_public_urls(edge):
    assert get(edge.purge + "/files/").status_code == 404  # no ingest through it
    refused = requests.delete(f"{edge.purge}/api/reels/{'0' * 32}", timeout=10)
    assert refused.status_code == 403  # GET only
