"""Job queues: in-process threads (embedded) or Dramatiq on Redis (scale-out), and the sweeper.

The catalog is the journal; a queue only wakes a worker. So a lost message, a dead Redis
or a worker killed with -9 loses nothing: the sweeper (in the server and in every worker)
re-sends what the catalog says is due, and `run_job` claims with a lease so a duplicate
message is a no-op.

Why Dramatiq: it acknowledges a message after the actor returns (at-least-once by default,
no flag to remember), a dead worker's unacknowledged messages are requeued by its peers,
delayed messages (our retry backoff) need no extra scheduler process, and it is one small
pure-Python dependency with a worker that embeds in our own `reeleditor worker` process.
- Celery: the most used and most capable, but at-least-once needs `acks_late` plus
  `reject_on_worker_lost`, and it brings kombu/billiard and a larger surface than we use.
- RQ: simple, but forks a process per job and has no delayed retry without rq-scheduler.
- Huey: small and pleasant, but a single-consumer design and late acknowledgement is not
  its model (a killed worker's task is lost unless the journal re-sends it).
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable

from reeleditor.cloud.contracts import Catalog

log = logging.getLogger(__name__)

Handler = Callable[[str], None]


class LocalQueue:
    """In-process workers: a heap of (due time, job id) and `concurrency` threads."""

    def __init__(self, concurrency: int = 1) -> None:
        self.concurrency = max(1, concurrency)
        self._heap: list[tuple[float, str]] = []
        self._pending: set[str] = set()  # a job sent twice while waiting runs once
        self._cond = threading.Condition()
        self._closed = False
        self._threads: list[threading.Thread] = []
        self._handler: Handler | None = None

    def start(self, handler: Handler) -> LocalQueue:
        self._handler = handler
        for n in range(self.concurrency):
            t = threading.Thread(target=self._work, name=f"cloud-job-{n}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def send(self, job_id: str, delay: float = 0.0) -> None:
        with self._cond:
            if self._closed or job_id in self._pending:
                return
            self._pending.add(job_id)
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay), job_id))
            self._cond.notify()

    def _next(self) -> str | None:
        with self._cond:
            while not self._closed:
                if self._heap:
                    due, job_id = self._heap[0]
                    wait = due - time.monotonic()
                    if wait <= 0:
                        heapq.heappop(self._heap)
                        self._pending.discard(job_id)
                        return job_id
                    self._cond.wait(wait)
                else:
                    self._cond.wait()
            return None

    def _work(self) -> None:
        while (job_id := self._next()) is not None:
            try:
                self._handler(job_id)
            except Exception:  # the lease lapses and the sweeper sends it again
                log.exception("job %s crashed its runner", job_id)

    def close(self) -> None:
        """Stop taking jobs; a job in progress finishes first (its thread is joined)."""
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify_all()
        for t in self._threads:
            t.join()
        self._threads.clear()


class Sweeper:
    """Every `interval`, re-sends jobs the catalog says are due and nobody is running.

    `grace` keeps it from racing the normal path: a job is re-sent only once it has been
    due (or its lease lapsed) for that long; and a job this sweeper sent is sent again only
    after `resend_after`, so a backlog waiting in Redis is not multiplied every round."""

    def __init__(
        self,
        catalog: Catalog,
        queue,
        interval: float = 10.0,
        grace: float = 5.0,
        resend_after: float = 60.0,
    ) -> None:
        self.catalog, self.queue = catalog, queue
        self.interval, self.grace, self.resend_after = interval, grace, resend_after
        self._sent: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cloud-sweeper", daemon=True)

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def sweep(self) -> int:
        now = time.monotonic()
        due = self.catalog.due_jobs(time.time() - self.grace)
        self._sent = {j.id: self._sent[j.id] for j in due if j.id in self._sent}
        sent = 0
        for job in due:
            if now - self._sent.get(job.id, -self.resend_after) >= self.resend_after:
                self.queue.send(job.id)
                self._sent[job.id] = now
                sent += 1
        return sent

    def _run(self) -> None:
        while True:
            try:
                if n := self.sweep():
                    log.info("sweeper re-sent %d job(s)", n)
            except Exception:  # catalog or broker away: next round
                log.warning("sweep failed", exc_info=True)
            if self._stop.wait(self.interval):
                return

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def job_handler(catalog, store, worker_name: str, settings, queue) -> Handler:
    """Runs a job and sends it again after its backoff when it asks to be retried."""
    from reeleditor.cloud.jobs import Outcome, run_job

    def handle(job_id: str) -> None:
        result = run_job(job_id, catalog, store, worker_name, settings)
        if result.outcome is Outcome.RETRY:
            queue.send(job_id, delay=result.retry_in)

    return handle


class Runtime:
    """What `open_queue` returns: the queue to send on, with the sweeper it started."""

    def __init__(self, queue, sweeper: Sweeper) -> None:
        self.queue, self.sweeper = queue, sweeper

    def send(self, job_id: str, delay: float = 0.0) -> None:
        self.queue.send(job_id, delay=delay)

    def close(self) -> None:
        self.sweeper.close()
        self.queue.close()
