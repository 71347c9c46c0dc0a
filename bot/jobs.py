"""Work after the ack, behind one interface with two backends.

Listeners ack at once and hand the slow part (classification, OCR, notices) to
``haven.jobs``, so the threads that answer Slack are never tied up:

- ``enqueue(name, team_id=..., client=..., **kwargs)``: a *job*, a plain description: a name
  from :data:`JOBS` and keyword arguments of plain data (ids, the event as Slack sent it),
  never a bound method or a live Slack client, because it may run in another process. There
  Haven is built once per process from the environment, and the Slack client comes from the
  job's workspace (``client`` is a shortcut for a job that stays in this process).
- ``submit(fn, *args, **kwargs)``: a quick follow-up of a click (publish the Home tab, pass
  a relay message on) that always runs in this process.

Backends: :class:`LocalJobs` (the default) runs jobs on bounded pools of threads here;
:class:`RedisJobs` (``HAVEN_QUEUE_URL=redis://...``) puts them on a Redis queue that
``haven worker`` processes, on this machine or others, take them from (RQ). Every job is
idempotent: what it records is claimed in the database, so running it twice (a retry after
a crash, a duplicate event) does nothing twice.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)

#: The jobs a worker can run: name -> the Haven method that does it. Each method takes
#: ``gateway`` and ``team_id`` plus the plain keyword arguments given to ``enqueue``.
JOBS = {"handle_message": "handle_message", "handle_file": "handle_file"}
#: Jobs that fetch and read a file: slow by nature, so they have threads of their own.
FILE_JOBS = {"handle_file"}

QUEUE_NAME = "haven"
#: Files (download and OCR, seconds each) wait on a queue of their own, which workers take
#: from only when no message waits: a message's notice never queues behind images.
FILE_QUEUE_NAME = "haven-files"
RETRIES = 3  # a job that raised, or whose worker died, runs again (jobs are idempotent)
MAINTENANCE_SECONDS = 60  # how often a worker looks for the jobs of dead workers
JOB_SECONDS = 300  # OCR of the largest image takes seconds; a job stuck longer is killed
# A finished job (sealed) goes after a minute. Not at once (0): RQ 3.0 then fails to delete
# a job that was retried after its worker died, and counts that as the job failing.
DONE_KEPT_SECONDS = 60
FAILED_KEPT_SECONDS = 7 * 24 * 3600  # a failed job (sealed) stays for an operator to see


class JobQueue:
    """At most ``workers`` jobs run at once and ``backlog`` wait; beyond that, submit()
    runs the job in the caller's thread rather than dropping it (nothing acked is lost)."""

    def __init__(self, workers: int = 4, backlog: int = 1000, name: str = "haven-job"):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._slots = threading.BoundedSemaphore(workers + backlog)
        self._idle = threading.Condition()
        self._outstanding = 0
        self._closed = False

    def submit(self, fn, /, *args, **kwargs) -> Future | None:
        """Run ``fn`` soon; exceptions are logged (by type only: never content)."""
        if self._closed or not self._slots.acquire(blocking=False):
            if not self._closed:
                log.warning("job queue full: running %s inline", getattr(fn, "__name__", "job"))
            self._run(fn, args, kwargs)
            return None
        with self._idle:
            self._outstanding += 1
        try:
            future = self._pool.submit(self._run, fn, args, kwargs)
        except RuntimeError:  # shut down meanwhile: run it here rather than lose it
            self._done(None)
            self._run(fn, args, kwargs)
            return None
        future.add_done_callback(self._done)
        return future

    def _done(self, _future) -> None:
        self._slots.release()
        with self._idle:
            self._outstanding -= 1
            if not self._outstanding:
                self._idle.notify_all()

    @staticmethod
    def _run(fn, args, kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as error:  # a job must never take a worker down
            log.error("job %s failed: %s", getattr(fn, "__name__", "job"),
                      type(error).__name__)
            return None

    @property
    def idle(self) -> bool:
        """No job waiting or running."""
        with self._idle:
            return not self._outstanding

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every job submitted so far, and every job those submitted, is done."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._outstanding, timeout)

    def shutdown(self, wait: bool = True) -> None:
        """Finish what was submitted (and what that submits); later jobs run inline."""
        if wait:
            self.join()
        self._closed = True
        self._pool.shutdown(wait=wait)


def run(haven, name: str, team_id: str, kwargs: dict, client=None):
    """Do job ``name`` on ``haven``: with ``client`` when the job stays in the process that
    received the event, else with the workspace's own client."""
    method = getattr(haven, JOBS[name])
    gateway = haven.gateway(client, team_id) if client is not None else \
        haven.team_gateway(team_id)
    if gateway is None:
        log.warning("job %s: workspace %s is not installed", name, team_id)
        return None
    from bot.storage.db import through_outages

    # the database restarting or failing over: the job is idempotent, so it waits and runs
    # again rather than losing an event Slack was told we have
    return through_outages(method, gateway=gateway, team_id=team_id, what=f"job {name}",
                           **kwargs)


class LocalJobs:
    """Jobs on pools of threads in this process (the default): files (download and OCR, up
    to seconds each) on a pool of their own, so a message's notice never waits behind an
    image."""

    def __init__(self, haven, workers: int = 4, backlog: int = 1000, file_workers: int = 4):
        self.haven = haven
        self.local = JobQueue(workers, backlog)
        self.files = JobQueue(file_workers, backlog, name="haven-file")

    def enqueue(self, name: str, *, team_id: str, client=None, **kwargs) -> None:
        """Run job ``name`` soon (see :data:`JOBS`)."""
        if name not in JOBS:
            raise ValueError(f"no job named {name!r}")
        queue = self.files if name in FILE_JOBS else self.local
        queue.submit(run, self.haven, name, team_id, kwargs, client)

    def submit(self, fn, /, *args, **kwargs) -> Future | None:
        """A quick follow-up that runs in this process whatever the backend."""
        return self.local.submit(fn, *args, **kwargs)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the jobs of this process, and those they started, are done."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:  # a message job starts file jobs, a file job follow-ups: until both rest
            for queue in (self.local, self.files):
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                if not queue.join(left):
                    return False
            if self.local.idle and self.files.idle:
                return True

    def shutdown(self) -> None:
        """Finish the jobs of this process; accept no more."""
        self.join()
        self.files.shutdown(wait=True)
        self.local.shutdown(wait=True)


class RedisJobs(LocalJobs):
    """Jobs on a Redis queue, for ``haven worker`` processes (RQ). A job's arguments are
    sealed with the evidence key: Redis never holds message text in the clear."""

    def __init__(self, haven, url: str):
        from redis import Redis
        from rq import Queue
        from rq.serializers import JSONSerializer

        super().__init__(haven)
        self.connection = Redis.from_url(url)
        self.queue = Queue(QUEUE_NAME, connection=self.connection, serializer=JSONSerializer)
        self.file_queue = Queue(FILE_QUEUE_NAME, connection=self.connection,
                                serializer=JSONSerializer)

    def enqueue(self, name: str, *, team_id: str, client=None, **kwargs) -> None:
        """Put job ``name`` on the queue; if Redis cannot be reached, run it here at once
        rather than lose an event Slack was told we have."""
        from redis.exceptions import RedisError
        from rq import Retry

        if name not in JOBS:
            raise ValueError(f"no job named {name!r}")
        sealed = self.haven.vault.seal({"team_id": team_id, **kwargs})[0].decode("ascii")
        queue = self.file_queue if name in FILE_JOBS else self.queue
        try:
            queue.enqueue(perform, name, sealed, retry=Retry(max=RETRIES),
                               job_timeout=JOB_SECONDS, result_ttl=DONE_KEPT_SECONDS,
                               failure_ttl=FAILED_KEPT_SECONDS, description=name)
        except RedisError as error:
            log.warning("job queue unreachable (%s): running %s here", type(error).__name__,
                        name)
            JobQueue._run(run, (self.haven, name, team_id, kwargs, client), {})

    def shutdown(self) -> None:
        super().shutdown()
        self.connection.close()


def jobs_for(settings, haven) -> LocalJobs:
    """The backend the settings ask for."""
    url = getattr(settings, "queue_url", None)
    return RedisJobs(haven, url) if url else LocalJobs(haven)


# -- the worker side ----------------------------------------------------------------------
class JobFailed(RuntimeError):
    """A job raised; only the error's type is kept (Redis stores what a failed job raised,
    and an error's message may quote what it was working on)."""


_process: dict = {}  # this worker process's Haven, built once


def worker_haven(settings=None):
    """Haven for the jobs of this process: settings from the environment, the model loaded
    once. A process forked from the one that built it drops the inherited database
    connections (they belong to the parent) and opens its own."""
    if "haven" not in _process:
        from bot.config import load_settings
        from bot.notify import make_client
        from bot.service import Haven
        from bot.storage.db import make_engine

        settings = settings or load_settings()
        haven = Haven(settings, make_engine(settings.database_url))
        haven.base_client = make_client(None if settings.oauth else settings.slack_bot_token,
                                        settings.slack_api_url)
        _ = haven.model, haven.dictionary  # loaded here, once, for every job
        _process.update(haven=haven, pid=os.getpid())
    if _process["pid"] != os.getpid():
        _process["haven"].engine.dispose(close=False)
        _process["pid"] = os.getpid()
    return _process["haven"]


def perform(name: str, sealed: str):
    """What RQ calls in a worker: open the job and run it on this process's Haven."""
    haven = worker_haven()
    try:
        kwargs = haven.vault.open(sealed.encode("ascii"))  # a key HAVEN_ENCRYPTION_KEY has
        result = run(haven, name, kwargs.pop("team_id"), kwargs)
        haven.jobs.join()  # a follow-up it submitted must not die with this process
    except Exception as error:
        log.error("job %s failed: %s", name, type(error).__name__)
        raise JobFailed(f"job {name} failed: {type(error).__name__}") from None
    return result


def work(settings, *, burst: bool = False, heartbeat: int = 30) -> int:
    """``haven worker``: take Haven's jobs from Redis until told to stop (SIGTERM: finish
    the job at hand, then exit) or, with ``burst``, until the queue is empty. A busy worker
    says it is alive every ``heartbeat`` seconds; the job of a worker silent for three times
    that is retried by another worker (RQ's maintenance, once a minute and at start-up)."""
    from redis import Redis
    from rq import Queue
    from rq.serializers import JSONSerializer

    haven = worker_haven(settings)
    connection = Redis.from_url(settings.queue_url)
    # messages first: RQ takes from the first queue that has a job
    queues = [Queue(name, connection=connection, serializer=JSONSerializer)
              for name in (QUEUE_NAME, FILE_QUEUE_NAME)]
    worker = _worker_class()(queues, connection=connection, serializer=JSONSerializer,
                             job_monitoring_interval=heartbeat,
                             maintenance_interval=MAINTENANCE_SECONDS)
    log.info("worker %s: jobs from %s, then %s", worker.name, QUEUE_NAME, FILE_QUEUE_NAME)
    worker.work(burst=burst, logging_level=settings.log_level, with_scheduler=False)
    haven.engine.dispose()
    connection.close()
    return 0


def _worker_class():
    import inspect

    from rq import SimpleWorker

    # RQ 3 names the execution to keep alive; RQ 2 keeps it on the worker.
    with_execution = len(inspect.signature(SimpleWorker.maintain_heartbeats).parameters) > 2

    class HavenWorker(SimpleWorker):
        """RQ's worker that runs each job in its own process, where the model, the
        database pool and the cache of Slack users stay warm. (RQ's default forks a child
        per job, even from a process with the model loaded: measured, 50 ms a message
        against 5 ms here.) A thread says the worker is alive while a job runs, so the
        job of a worker that died is soon retried, and a long job is not taken for dead."""

        def execute_job(self, job, queue):
            done = threading.Event()
            beating = threading.Thread(target=self._beat, args=(job, done), daemon=True,
                                       name="haven-heartbeat")
            beating.start()
            try:
                super().execute_job(job, queue)
            finally:
                done.set()
                beating.join()

        def _beat(self, job, done: threading.Event) -> None:
            while not done.wait(self.job_monitoring_interval):
                execution = self.execution
                if execution is None:
                    continue
                try:
                    self.maintain_heartbeats(*(job, execution) if with_execution else (job,))
                except Exception as error:  # one missed beat; the next may get through
                    log.warning("heartbeat failed: %s", type(error).__name__)

        def subscribe(self):
            # RQ listens for its commands on a thread that waits 60 s per read, and closing
            # its connection at shutdown waits for that read: SIGTERM then took up to a
            # minute. Reads of a second keep a warm shutdown prompt.
            self.log.info("Worker %s: subscribing to channel %s", self.name,
                          self.pubsub_channel_name)
            self.pubsub = self.connection.pubsub()
            self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
            self.pubsub_thread = self.pubsub.run_in_thread(
                sleep_time=1, daemon=True,
                exception_handler=getattr(self, "_pubsub_exception_handler", None))

        def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
            # Alive while heartbeats come; three missed, and the job is another's to retry.
            return 3 * self.job_monitoring_interval

    return HavenWorker
