"""The catalog on SQLite and on PostgreSQL: the same tests, the same answers."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid

import pytest

from reeleditor.cloud.catalog import SqliteCatalog, token_hash
from reeleditor.cloud.contracts import JobState, Locked, ReelState, Upload
from reeleditor.cloud.urls import open_catalog
from tests.cloud.services import catalog_url, postgres_url  # noqa: F401 (fixtures)


@pytest.fixture
def catalog(catalog_url):  # noqa: F811
    c = open_catalog(catalog_url)
    yield c
    c.close()


def make_upload(catalog, owner="acct", length=10, title="hello", created=None) -> Upload:
    now = time.time() if created is None else created
    up = Upload(
        id=uuid.uuid4().hex,
        owner=owner,
        length=length,
        offset=0,
        metadata={"title": title, "sha256": "ab" * 32},
        key=f"uploads/{uuid.uuid4().hex}",
        storage_state={"parts": []},
        created=now,
        expires=now + 3600,
    )
    catalog.create_upload(up)
    return up


def queued_job(catalog):
    up = make_upload(catalog)
    return up, catalog.finish_upload(up.id, "cd" * 32)


def test_schema_is_created_once_and_reopened(catalog_url):  # noqa: F811
    first = open_catalog(catalog_url)
    up = make_upload(first)
    first.close()
    second = open_catalog(catalog_url)
    try:
        assert second.get_upload(up.id) == up
    finally:
        second.close()


def test_a_newer_schema_is_refused(tmp_path):
    SqliteCatalog(tmp_path / "c.db").close()
    import sqlite3

    with sqlite3.connect(tmp_path / "c.db") as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(Exception, match="schema version 99"):
        SqliteCatalog(tmp_path / "c.db")


def test_accounts_keep_only_a_hash_of_the_token(catalog, catalog_url, tmp_path):  # noqa: F811
    assert not catalog.has_accounts()
    account, token = catalog.add_account("ana")
    assert catalog.has_accounts()
    assert catalog.account_for_token(token) == account
    assert catalog.account_for_token(token + "x") is None
    assert catalog.account_for_token("é") is None
    with catalog._tx() as cur:
        stored = catalog._run(cur, "SELECT token_sha256 FROM accounts").fetchall()
    assert stored == [(token_hash(token),)]


def test_add_user_prints_a_working_token(catalog_url):  # noqa: F811
    from reeleditor.cloud.accounts import add_user

    token = add_user(catalog_url, "bo")
    c = open_catalog(catalog_url)
    try:
        assert c.account_for_token(token).name == "bo"
    finally:
        c.close()


def test_upload_row_offset_and_its_reel(catalog):
    up = make_upload(catalog, owner="o1")
    reel = catalog.get_reel(up.id)
    assert (reel.state, reel.owner, reel.title) == (ReelState.UPLOADING, "o1", "hello")
    catalog.record_offset(up.id, 7, {"parts": [[1, '"e"', 7]]})
    got = catalog.get_upload(up.id)
    assert (got.offset, got.storage_state) == (7, {"parts": [[1, '"e"', 7]]})
    deferred = make_upload(catalog, length=None)
    catalog.set_length(deferred.id, 42)
    catalog.set_length(deferred.id, 43)  # only once
    assert catalog.get_upload(deferred.id).length == 42
    catalog.delete_upload(up.id)
    assert catalog.get_upload(up.id) is None and catalog.get_reel(up.id) is None


def test_expired_uploads_are_the_unfinished_ones_past_expiry(catalog):
    old = make_upload(catalog, created=time.time() - 7200)
    done = make_upload(catalog, created=time.time() - 7200)
    catalog.finish_upload(done.id, "")
    make_upload(catalog)
    assert [u.id for u in catalog.expired_uploads(time.time())] == [old.id]


def test_finish_is_exactly_once_under_concurrent_callers(catalog, catalog_url):  # noqa: F811
    up = make_upload(catalog)
    # PostgreSQL: each caller its own catalog (as separate nodes); SQLite: one, many threads
    pg = catalog_url.startswith("postgresql")
    catalogs = [open_catalog(catalog_url) if pg else catalog for _ in range(8)]
    barrier = threading.Barrier(len(catalogs))
    results = []

    def finish(c):
        barrier.wait()
        results.append(c.finish_upload(up.id, "ef" * 32))

    threads = [threading.Thread(target=finish, args=(c,)) for c in catalogs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if pg:
        for c in catalogs:
            c.close()
    jobs = [j for j in results if j is not None]
    assert len(jobs) == 1, results
    assert catalog.jobs_for_reel(up.id) == [catalog.get_job(jobs[0].id)]
    assert catalog.get_reel(up.id).state is ReelState.QUEUED
    assert catalog.get_upload(up.id).finished and catalog.get_upload(up.id).sha256 == "ef" * 32
    assert catalog.finish_upload(up.id, "") is None  # a later PATCH never re-queues


def test_claim_lease_and_publish_only_while_the_lease_is_ours(catalog):
    up, job = queued_job(catalog)
    first = catalog.claim_job(job.id, "w1", lease=0.2)
    assert (first.state, first.attempts, first.worker) == (JobState.RUNNING, 1, "w1")
    assert catalog.claim_job(job.id, "w2", lease=10) is None  # taken
    assert catalog.claim_job(None, "w2", lease=10) is None
    assert catalog.renew_lease(job.id, "w1", 0.2)
    time.sleep(0.3)  # w1 went quiet: its lease lapsed
    assert [j.id for j in catalog.due_jobs(time.time())] == [job.id]
    second = catalog.claim_job(None, "w2", lease=10)
    assert (second.id, second.attempts, second.worker) == (job.id, 2, "w2")
    assert not catalog.renew_lease(job.id, "w1", 10)
    assert not catalog.publish(job.id, "w1", "media/x/aaa/", {})  # too late
    catalog.set_reel_processing(up.id)
    assert catalog.get_reel(up.id).state is ReelState.PROCESSING
    assert catalog.publish(job.id, "w2", "media/x/bbb/", {"duration": 1.0})
    reel = catalog.get_reel(up.id)
    assert (reel.state, reel.prefix, reel.meta) == (
        ReelState.READY,
        "media/x/bbb/",
        {"duration": 1.0},
    )
    assert catalog.get_job(job.id).state is JobState.DONE
    assert catalog.due_jobs(time.time() + 1000) == []
    assert catalog.claim_job(job.id, "w3", 10) is None  # done is final


def test_retry_later_waits_and_fail_says_why(catalog):
    up, job = queued_job(catalog)
    catalog.claim_job(job.id, "w1", 10)
    catalog.retry_later(job.id, "w1", "ConnectionError: reset", time.time() + 60)
    assert catalog.claim_job(None, "w1", 10) is None  # not due yet
    assert catalog.due_jobs(time.time()) == []
    waiting = catalog.get_job(job.id)
    assert (waiting.state, waiting.last_error) == (JobState.QUEUED, "ConnectionError: reset")
    assert [j.id for j in catalog.due_jobs(time.time() + 61)] == [job.id]
    with catalog._tx() as cur:
        catalog._run(cur, "UPDATE jobs SET not_before = 0")
    again = catalog.claim_job(None, "w2", 10)
    assert again.attempts == 2
    catalog.fail(job.id, "w1", "not ours")  # no effect: w2 holds it
    assert catalog.get_reel(up.id).state is ReelState.QUEUED
    catalog.fail(job.id, "w2", "the uploaded file is not a video")
    reel = catalog.get_reel(up.id)
    assert (reel.state, reel.reason) == (ReelState.FAILED, "the uploaded file is not a video")
    assert catalog.get_job(job.id).state is JobState.FAILED


def test_claiming_any_job_never_hands_one_out_twice(catalog, catalog_url):  # noqa: F811
    ids = {queued_job(catalog)[1].id for _ in range(6)}
    pg = catalog_url.startswith("postgresql")
    claimed, lock = [], threading.Lock()

    def claim(n):
        c = open_catalog(catalog_url) if pg else catalog
        while (job := c.claim_job(None, f"w{n}", 30)) is not None:
            with lock:
                claimed.append(job.id)
        if pg:
            c.close()

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids)


def test_reels_are_listed_newest_first_by_owner_and_state(catalog):
    a = make_upload(catalog, owner="a", created=100)
    b = make_upload(catalog, owner="b", created=200)
    c = make_upload(catalog, owner="a", created=300)
    assert [r.id for r in catalog.list_reels()] == [c.id, b.id, a.id]
    assert [r.id for r in catalog.list_reels(owner="a")] == [c.id, a.id]
    job = catalog.finish_upload(a.id, "")
    catalog.claim_job(job.id, "w", 10)
    catalog.publish(job.id, "w", "media/a/1/", {})
    assert [r.id for r in catalog.list_reels(state=ReelState.READY)] == [a.id]
    catalog.delete_reel(a.id)
    assert catalog.get_reel(a.id) is None and catalog.get_upload(a.id) is None
    assert catalog.jobs_for_reel(a.id) == []


def test_upload_lock_excludes_a_second_holder(catalog, catalog_url):  # noqa: F811
    other = open_catalog(catalog_url) if catalog_url.startswith("postgresql") else catalog
    try:
        with catalog.upload_lock("u1"):
            with pytest.raises(Locked), other.upload_lock("u1"):
                pass
            with other.upload_lock("u2"):
                pass
        with other.upload_lock("u1"):
            pass
        with pytest.raises(RuntimeError), catalog.upload_lock("u1"):
            raise RuntimeError("the PATCH broke")
        with other.upload_lock("u1"):  # released by the error too
            pass
    finally:
        if other is not catalog:
            other.close()


HOLD_LOCK = """
import sys, time
from reeleditor.cloud.urls import open_catalog
c = open_catalog(sys.argv[1])
with c.upload_lock("u-killed"):
    print("held", flush=True)
    time.sleep(120)
"""


def test_advisory_lock_is_released_when_its_node_is_killed(postgres_url):  # noqa: F811
    from tests.cloud.services import fresh_schema

    url = fresh_schema(postgres_url)
    catalog = open_catalog(url)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(Locked), catalog.upload_lock("u-killed"):
            pass
        proc.kill()  # SIGKILL: no unlock, no goodbye; the server drops the session
        proc.wait()
        deadline = time.monotonic() + 10
        while True:
            try:
                with catalog.upload_lock("u-killed"):
                    break
            except Locked:
                assert time.monotonic() < deadline, "the lock outlived its killed holder"
                time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        catalog.close()


def test_release_jobs_lapses_only_that_workers_leases(catalog):
    _, mine = queued_job(catalog)
    _, other = queued_job(catalog)
    catalog.claim_job(mine.id, "embedded/1234", 3600)
    catalog.claim_job(other.id, "embedded-2/5678", 3600)
    assert catalog.release_jobs("embedded") == 1
    assert [j.id for j in catalog.due_jobs(time.time())] == [mine.id]


def test_pages_follow_a_cursor_without_gaps_or_repeats(catalog):
    same_time = [make_upload(catalog, created=500) for _ in range(3)]  # ties break by id
    older = [make_upload(catalog, created=100 + n) for n in range(4)]
    expected = [r.id for r in catalog.list_reels()]
    assert set(expected) == {u.id for u in same_time + older}
    seen, before = [], None
    while page := catalog.list_reels(limit=2, before=before):
        assert len(page) <= 2
        seen += [r.id for r in page]
        before = (page[-1].created, page[-1].id)
    assert seen == expected


def test_a_preview_makes_a_processing_reel_playable_until_it_is_ready(catalog):
    up, job = queued_job(catalog)
    other, _ = queued_job(catalog)
    assert catalog.list_reels(playable=True) == []
    catalog.claim_job(job.id, "w1", 10)
    catalog.set_reel_processing(up.id)
    assert not catalog.publish_preview(job.id, "w2", "media/x/p/", {"stage": "preview"})
    assert catalog.publish_preview(job.id, "w1", "", {"stage": "poster"})
    assert catalog.get_reel(up.id).meta == {"stage": "poster"}
    assert catalog.list_reels(playable=True) == []  # a poster alone does not play
    assert catalog.publish_preview(job.id, "w1", "media/x/p/", {"stage": "preview"})
    assert catalog.publish_preview(job.id, "w1", "", {"stage": "poster"})  # a second run's
    assert catalog.get_reel(up.id).meta == {"stage": "preview"}  # the preview stays
    reel = catalog.get_reel(up.id)
    assert (reel.state, reel.prefix, reel.meta) == (
        ReelState.PROCESSING,
        "media/x/p/",
        {"stage": "preview"},
    )
    assert catalog.get_job(job.id).state is JobState.RUNNING  # the rest is still to do
    assert [r.id for r in catalog.list_reels(playable=True)] == [up.id]
    assert catalog.publish(job.id, "w1", "media/x/c/", {"stage": "complete"})
    assert catalog.get_reel(up.id).state is ReelState.READY
    assert [r.id for r in catalog.list_reels(playable=True)] == [up.id]
    assert other not in catalog.list_reels(playable=True)
