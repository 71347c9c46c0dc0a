"""Work after the ack: a bounded pool of in-process workers behind a small interface.

Listeners ack at once and submit the slow part (classification, OCR, notices) here, so the
threads that answer Slack are never tied up. The interface — ``submit(fn, *args, **kw)`` — is
the one a distributed task queue can stand behind when Haven scales out.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)


class JobQueue:
    """At most ``workers`` jobs run at once and ``backlog`` wait; beyond that, submit()
    runs the job in the caller's thread rather than dropping it (nothing acked is lost)."""

    def __init__(self, workers: int = 4, backlog: int = 1000, name: str = "haven-job"):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._slots = threading.BoundedSemaphore(workers + backlog)

    def submit(self, fn, /, *args, **kwargs) -> Future | None:
        """Run ``fn`` soon; exceptions are logged (by type only: never content)."""
        if not self._slots.acquire(blocking=False):
            log.warning("job queue full: running %s inline", getattr(fn, "__name__", "job"))
            self._run(fn, args, kwargs)
            return None
        future = self._pool.submit(self._run, fn, args, kwargs)
        future.add_done_callback(lambda _: self._slots.release())
        return future

    @staticmethod
    def _run(fn, args, kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as error:  # a job must never take a worker down
            log.error("job %s failed: %s", getattr(fn, "__name__", "job"),
                      type(error).__name__)
            return None

    def shutdown(self, wait: bool = True) -> None:
        """Finish what was submitted, accept nothing new."""
        self._pool.shutdown(wait=wait)
