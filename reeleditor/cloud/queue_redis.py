"""The scale-out queue: Dramatiq on Redis (why Dramatiq and not Celery, RQ or Huey: queue.py).

A message carries a job id only; the job itself is in the catalog. Dramatiq's Redis broker
acknowledges a message after the actor returns and requeues a dead worker's unacknowledged
messages, and the sweeper re-sends anything due besides. Dramatiq's own retries and time
limit are off: the catalog counts attempts and backs off, and the lease (with the job's
max runtime) bounds a run without raising into the middle of an upload.
"""

from __future__ import annotations

import logging

from reeleditor.cloud.queue import Handler

log = logging.getLogger(__name__)

ACTOR = "reeleditor_run_job"
QUEUE = "reels"


class DramatiqQueue:
    """Sends job ids to Redis; with `start`, also runs them on this process's threads."""

    def __init__(self, url: str) -> None:
        import dramatiq
        from dramatiq.brokers.redis import RedisBroker
        from dramatiq.middleware import Retries

        self.broker = RedisBroker(
            url=url,
            middleware=[Retries(max_retries=0)],  # the catalog retries, with its backoff
            heartbeat_timeout=15_000,  # a killed worker's messages come back sooner
        )
        self._handler: Handler | None = None
        self._worker = None
        self.actor = dramatiq.actor(
            self._run, broker=self.broker, actor_name=ACTOR, queue_name=QUEUE, max_retries=0
        )

    def _run(self, job_id: str) -> None:
        if self._handler is None:  # a sender only: never declared as a consumer
            raise RuntimeError("this process does not run jobs")
        self._handler(job_id)

    def start(self, handler: Handler, concurrency: int = 1) -> DramatiqQueue:
        import dramatiq

        self._handler = handler
        threads = max(1, concurrency)
        self._worker = dramatiq.Worker(
            self.broker, queues={QUEUE}, worker_threads=threads, worker_timeout=200
        )
        # one message per thread, not Dramatiq's two: a transcode is long, and a message
        # held by a busy worker is one an idle worker cannot take
        self._worker.queue_prefetch = threads
        self._worker.start()
        return self

    def send(self, job_id: str, delay: float = 0.0) -> None:
        try:
            self.actor.send_with_options(args=(job_id,), delay=int(delay * 1000) or None)
        except Exception:  # Redis away: the job is journaled, the sweeper sends it later
            log.warning("could not queue job %s; the sweeper will", job_id, exc_info=True)

    def close(self) -> None:
        if self._worker is not None:
            self._worker.stop(timeout=600_000)  # jobs in progress end first
            self._worker = None
        self.broker.close()
