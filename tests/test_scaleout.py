"""Haven beyond one machine, run as an operator runs it: `haven serve` instances and
`haven worker` processes sharing one database and one Redis; SIGTERM, and SIGKILL at the
worst moments. After each, every event is handled once: one flag, one evidence snapshot
and one notice per person it concerns — counted in the database and at the Slack double."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.demo import ADMIN, AUTHOR, COLLEAGUE, DUTCH, GENERAL, TARGET, sample_workspace
from bot.server import EVENTS_PATH
from bot.slack_double import BOT_TOKEN, SIGNING_SECRET, SlackDouble, SlackPlayer, wait_for
from bot.storage.db import make_engine
from tests import services

ROOT = Path(__file__).resolve().parent.parent
HURTFUL = "<@{}> nobody wants you on this team, just quit already"
BENIGN = "Lunch at noon on Friday, who is in?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def redis_url(tmp_path):
    """A Redis server of the test's own, on a free loopback port, nothing kept on disk."""
    services.require("redis")
    program = shutil.which("redis-server")
    port = free_port()
    process = subprocess.Popen([program, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from redis import Redis

    client = Redis(port=port)

    def up() -> bool:
        try:
            return bool(client.ping())
        except OSError:
            return False
        except Exception:
            return False

    assert wait_for(up, timeout=20), "redis-server did not start"
    yield f"redis://127.0.0.1:{port}/0"
    client.close()
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def double():
    running = SlackDouble(sample_workspace()).start()
    yield running
    running.stop()


class Fleet:
    """Haven processes started with environment variables only, each logging to a file."""

    def __init__(self, folder: Path, double: SlackDouble, database_url: str,
                 queue_url: str | None = None):
        self.folder, self.double = folder, double
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("SLACK_", "HAVEN_"))}
        self.env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                        SLACK_API_URL=double.api_url, PYTHONPATH=str(ROOT), LOG_LEVEL="INFO",
                        DATABASE_URL=database_url,
                        HAVEN_ENCRYPTION_KEY=Fernet.generate_key().decode())
        if queue_url:
            self.env["HAVEN_QUEUE_URL"] = queue_url
        self.processes: list[tuple[subprocess.Popen, Path]] = []
        self.engine = make_engine(database_url)

    def start(self, *command: str, port: int | None = None) -> subprocess.Popen:
        log = self.folder / f"{command[0]}-{len(self.processes)}.log"
        env = {**self.env, "PORT": str(port or free_port())}
        with log.open("w") as out:
            process = subprocess.Popen([sys.executable, "-m", "bot", *command], cwd=self.folder,
                                       env=env, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append((process, log))
        return process

    def migrate(self) -> None:
        """As a deployment does first: the instances then start on an up-to-date schema."""
        assert self.start("migrate").wait(timeout=120) == 0, self.logs()

    def serve(self, port: int | None = None) -> SlackPlayer:
        port = port or free_port()
        process = self.start("serve", port=port)
        url = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: healthy(url) or process.poll() is not None, timeout=60) \
            and process.poll() is None, self.logs()
        player = SlackPlayer(url + EVENTS_PATH, self.double)
        player.process = process
        return player

    def worker(self, *args: str) -> subprocess.Popen:
        return self.start("worker", *args)

    def log_of(self, process: subprocess.Popen) -> str:
        return next(log.read_text() for p, log in self.processes if p is process)

    def logs(self) -> str:
        return "\n".join(f"== {log.name}\n{log.read_text()}" for _, log in self.processes)

    def count(self, sql: str):
        with self.engine.connect() as connection:
            return connection.exec_driver_sql(sql).all()

    def close(self) -> None:
        for process, _ in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        self.engine.dispose()


@pytest.fixture
def fleet(tmp_path, double, database_url):
    running = Fleet(tmp_path, double, database_url)
    yield running
    running.close()


def stop(process: subprocess.Popen, timeout: float = 60) -> int:
    """SIGTERM, as a process manager stops a service; the exit status."""
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=timeout)


def kill_with_children(process: subprocess.Popen) -> None:
    """SIGKILL a process and the children it forked (a worker and the job it is running)."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    for pid in [process.pid, *map(int, children)]:
        os.kill(pid, signal.SIGKILL)
    process.wait(timeout=10)


def watch_general(player: SlackPlayer) -> None:
    status, body = player.command(ADMIN, f"watch <#{GENERAL}|general>")
    assert status == 200 and "now watches" in body


def message(n: int, text: str) -> dict:
    return {"type": "message", "user": AUTHOR, "channel": GENERAL, "text": text,
            "ts": f"{int(time.time())}.{n:06d}", "channel_type": "channel"}


def flags_evidence_notices(fleet: Fleet) -> tuple[list[str], int, list[str]]:
    flags = sorted(row[0] for row in fleet.count("select event_id from flag"))
    evidence = fleet.count("select count(*) from evidence")[0][0]
    notices = sorted(row[0] for row in fleet.count("select status from notice"))
    return flags, evidence, notices


def dms(double: SlackDouble) -> list[dict]:
    return [m for m in double.messages if m["channel"].startswith("D")]


@pytest.mark.slow
def test_two_instances_and_two_workers_handle_every_event_exactly_once(
        tmp_path, double, database_url, redis_url):
    from redis import Redis
    from rq import Queue
    from rq.registry import FailedJobRegistry, StartedJobRegistry
    from rq.serializers import JSONSerializer

    fleet = Fleet(tmp_path, double, database_url, queue_url=redis_url)
    try:
        fleet.migrate()
        workers = [fleet.worker(), fleet.worker()]
        instances = [fleet.serve(), fleet.serve()]
        watch_general(instances[0])
        expected: dict[str, int] = {}
        hurtful: list[str] = []
        targets = (TARGET, COLLEAGUE, DUTCH)
        started = time.monotonic()
        for n in range(30):
            event_id = f"EvScale{n:04d}"
            if n % 2 == 0:
                target = targets[n % 3]
                event = message(n, HURTFUL.format(target))
                expected[target] = expected.get(target, 0) + 1
                hurtful.append(event_id)
            else:
                event = message(n, BENIGN)
            # every third event reaches both instances, as Slack's retries can
            for player in instances if n % 3 == 0 else [instances[n % 2]]:
                assert player.event(event, event_id=event_id)[0] == 200
        queue = Queue("haven", connection=Redis.from_url(redis_url),
                      serializer=JSONSerializer)

        def settled() -> bool:
            return len(dms(double)) >= len(hurtful) and queue.count == 0 and \
                StartedJobRegistry(queue=queue).count == 0

        assert wait_for(settled, timeout=120), fleet.logs()
        elapsed = time.monotonic() - started
        time.sleep(1.0)  # anything handled twice would show now
        for player in instances:
            assert stop(player.process) == 0
        for worker in workers:
            assert stop(worker) == 0, fleet.logs()
        print(f"\n30 events (15 hurtful), 2 instances, 2 workers: {elapsed:.1f} s")

        assert {user: len(double.dms_to(user)) for user in expected} == expected
        assert len(dms(double)) == len(hurtful)
        flags, evidence, notices = flags_evidence_notices(fleet)
        assert flags == sorted(hurtful)
        assert evidence == len(hurtful)
        assert notices == ["sent"] * len(hurtful)
        assert FailedJobRegistry(queue=queue).count == 0
        logs = fleet.logs()
        assert "Traceback" not in logs and " ERROR " not in logs, logs
        assert "nobody wants you" not in logs  # no message text in any log line
    finally:
        fleet.close()


@pytest.mark.slow
def test_a_worker_killed_mid_job_leaves_its_job_to_another_worker(tmp_path, double,
                                                                   database_url, redis_url):
    fleet = Fleet(tmp_path, double, database_url, queue_url=redis_url)
    try:
        fleet.migrate()
        player = fleet.serve()
        watch_general(player)
        # The job will sit in a slow Slack call before its flag is recorded ...
        double.slow("chat.getPermalink", 30)
        worker = fleet.worker("--heartbeat", "1")
        assert player.event(message(1, HURTFUL.format(TARGET)))[0] == 200
        assert wait_for(lambda: double.calls_to("chat.getPermalink"), timeout=60), \
            fleet.logs()
        kill_with_children(worker)  # ... when the worker dies with it
        assert flags_evidence_notices(fleet) == ([], 0, [])
        time.sleep(4)  # three missed heartbeats: the job is taken for abandoned
        rescue = fleet.worker("--burst", "--heartbeat", "1")
        assert rescue.wait(timeout=120) == 0, fleet.logs()
        assert "enqueued for retry" in fleet.log_of(rescue)
        assert "Traceback" not in fleet.log_of(rescue), fleet.log_of(rescue)
        assert wait_for(lambda: double.dms_to(TARGET), timeout=30), fleet.logs()

        # And one killed while sending the notice: the flag is recorded, the notice claimed.
        double.slow("conversations.open", 30)
        worker = fleet.worker("--heartbeat", "1")
        assert player.event(message(2, HURTFUL.format(COLLEAGUE)))[0] == 200
        assert wait_for(lambda: double.calls_to("conversations.open")[1:], timeout=60), \
            fleet.logs()
        kill_with_children(worker)
        flags, evidence, notices = flags_evidence_notices(fleet)
        assert (len(flags), evidence, notices) == (2, 2, ["sending", "sent"])
        time.sleep(4)
        rescue = fleet.worker("--burst", "--heartbeat", "1")
        assert rescue.wait(timeout=120) == 0, fleet.logs()
        assert "Traceback" not in fleet.log_of(rescue), fleet.log_of(rescue)
        assert len(double.dms_to(COLLEAGUE)) <= 1  # the retried job sent nothing twice
        # The instance's sweep sends a notice cut off mid-send once its claim ran out (45 s).
        assert wait_for(lambda: double.dms_to(COLLEAGUE), timeout=90), fleet.logs()
        time.sleep(1.0)
        assert len(double.dms_to(TARGET)) == 1 and len(double.dms_to(COLLEAGUE)) == 1
        flags, evidence, notices = flags_evidence_notices(fleet)
        assert (len(flags), evidence, notices) == (2, 2, ["sent", "sent"])
    finally:
        fleet.close()


@pytest.mark.slow
def test_sigterm_finishes_acked_work_and_exits_0(fleet, double):
    fleet.migrate()
    player = fleet.serve()
    watch_general(player)
    double.slow("chat.postMessage", 1.0, times=8)  # every notice takes a second
    for n in range(8):
        assert player.event(message(n, HURTFUL.format(TARGET)))[0] == 200
        assert player.event(message(100 + n, BENIGN))[0] == 200
    started = time.monotonic()
    player.process.send_signal(signal.SIGTERM)
    refused = wait_for(lambda: player.process.poll() is None and not healthy(
        player.url.removesuffix(EVENTS_PATH)), timeout=5)
    assert player.process.wait(timeout=60) == 0, fleet.logs()
    print(f"\nSIGTERM with 8 slow notices queued: exit 0 after "
          f"{time.monotonic() - started:.1f} s")
    assert refused, "new requests were still taken while draining"
    assert len(double.dms_to(TARGET)) == 8  # nothing acked was lost
    assert "stopped" in fleet.logs()

    fleet.serve()  # its start-up sweep finds nothing left to send
    time.sleep(1.5)
    assert len(double.dms_to(TARGET)) == 8
    assert flags_evidence_notices(fleet)[1:] == (8, ["sent"] * 8)


@pytest.mark.slow
@pytest.mark.parametrize("cut", ["before Slack has it", "while Slack takes it"])
def test_haven_killed_mid_send_delivers_it_once_within_a_minute_of_restart(fleet, double, cut):
    fleet.migrate()
    player = fleet.serve()
    watch_general(player)
    method = "conversations.open" if cut == "before Slack has it" else "chat.postMessage"
    double.slow(method, 3)  # the call in flight when the process dies (Slack finishes it)
    assert player.event(message(1, HURTFUL.format(TARGET)))[0] == 200
    assert wait_for(lambda: double.calls_to(method), timeout=30)
    player.process.kill()
    player.process.wait(timeout=10)
    assert flags_evidence_notices(fleet)[1:] == (1, ["sending"])
    time.sleep(3.5)  # Slack finishes the call it was given
    expected = 1 if method == "chat.postMessage" else 0
    assert len(double.dms_to(TARGET)) == expected

    restarted = time.monotonic()
    fleet.serve()
    assert wait_for(lambda: flags_evidence_notices(fleet)[2] == ["sent"], timeout=60), \
        fleet.logs()
    took = time.monotonic() - restarted
    time.sleep(1.0)
    assert len(double.dms_to(TARGET)) == 1, double.dms_to(TARGET)
    print(f"\nkilled -9 mid-send ({cut}): delivered once, {took:.0f} s after restart")


# -- the parts, without processes -----------------------------------------------------------
def test_the_job_queue_drains_jobs_and_the_jobs_they_submit_before_shutting_down():
    from bot.jobs import JobQueue

    queue, done = JobQueue(workers=2), []

    def job(n: int) -> None:
        time.sleep(0.05)
        if n < 3:
            queue.submit(job, n + 1)  # a message job submits an image job
        done.append(n)

    for _ in range(4):
        queue.submit(job, 0)
    queue.shutdown()
    assert sorted(done) == sorted([0, 1, 2, 3] * 4)
    queue.submit(done.append, "after")  # too late for the pool: runs here, not lost
    assert done[-1] == "after"


def test_a_job_is_a_name_and_plain_data_sealed_for_redis(tmp_path):
    import json

    from bot.jobs import RedisJobs
    from bot.storage.crypto import Vault

    class Haven:
        vault = Vault((Fernet.generate_key().decode(),))

    jobs = RedisJobs(Haven(), "redis://127.0.0.1:1/0")
    sent = []
    jobs.queue.enqueue = lambda fn, *args, **kw: sent.append((fn.__qualname__, args, kw))
    event = {"type": "message", "text": "you are an idiot, Quillfeather", "user": AUTHOR}
    jobs.enqueue("handle_message", team_id="T0SEALEDTEAM", client=object(), event_id="Ev1",
                 event=event, bot_user_id="UBOT")
    (function, (name, sealed), options), = sent
    assert (function, name) == ("perform", "handle_message")
    json.dumps([name, sealed])  # what RQ's JSON serializer stores
    # markers long enough never to turn up by chance in the ciphertext's base64
    assert "Quillfeather" not in sealed and "T0SEALEDTEAM" not in sealed
    assert Haven.vault.open(sealed.encode()) == {"team_id": "T0SEALEDTEAM", "event_id": "Ev1",
                                                 "event": event, "bot_user_id": "UBOT"}
    assert options["retry"].max == 3
    with pytest.raises(ValueError):
        jobs.enqueue("os.system", team_id="T1")


def test_workers_take_messages_before_the_images_waiting_on_their_own_queue(redis_url):
    from redis import Redis
    from rq import Queue, SimpleWorker
    from rq.serializers import JSONSerializer

    from bot.jobs import FILE_QUEUE_NAME, QUEUE_NAME, RedisJobs
    from bot.storage.crypto import Vault

    class Haven:
        vault = Vault((Fernet.generate_key().decode(),))

    jobs = RedisJobs(Haven(), redis_url)
    for n in range(3):
        jobs.enqueue("handle_file", team_id="T1", event_id=f"EvF{n}", event={}, file={})
    jobs.enqueue("handle_message", team_id="T1", event_id="EvM", event={}, bot_user_id="U")
    connection = Redis.from_url(redis_url)
    queues = {name: Queue(name, connection=connection, serializer=JSONSerializer)
              for name in (QUEUE_NAME, FILE_QUEUE_NAME)}
    assert (queues[QUEUE_NAME].count, queues[FILE_QUEUE_NAME].count) == (1, 3)
    worker = SimpleWorker(list(queues.values()), connection=connection,
                          serializer=JSONSerializer)
    first, _queue = worker.dequeue_job_and_maintain_ttl(timeout=1)
    assert first.args[0] == "handle_message"  # queued last, taken first
    jobs.shutdown()
    connection.close()


def test_when_redis_is_unreachable_the_job_runs_here_rather_than_being_lost():
    from bot.jobs import JOBS, RedisJobs
    from bot.storage.crypto import Vault

    ran = []

    class Haven:
        vault = Vault((Fernet.generate_key().decode(),))

        def gateway(self, client, team_id):
            return (client, team_id)

        def handle_message(self, **kwargs):
            ran.append(kwargs)

    assert "handle_message" in JOBS
    RedisJobs(Haven(), f"redis://127.0.0.1:{free_port()}/0").enqueue(
        "handle_message", team_id="T1", client="client", event_id="Ev1", event={},
        bot_user_id=None)
    assert ran == [{"gateway": ("client", "T1"), "team_id": "T1", "event_id": "Ev1",
                    "event": {}, "bot_user_id": None}]


def test_a_notice_is_claimed_once_and_again_only_when_its_sender_was_cut_off(engine):
    from datetime import timedelta

    from sqlmodel import Session

    from bot.storage import queries as q
    from bot.storage.crypto import Vault
    from bot.storage.models import Notice
    from bot.storage.sealing import attach

    vault = Vault((Fernet.generate_key().decode(),))
    attach(engine, vault)
    with Session(engine) as session:
        flag = q.record_flag(session, vault=vault, team_id="T1", event_id="Ev1",
                             channel_id="C1", message_ts="1.0", author_id="U1", score=0.9,
                             categories=[], bundle={"text": "x"}, affected=["U2"])
        session.commit()
        notice = q.notices_for_flag(session, team_id="T1", flag_id=flag.id)[0]
        assert q.claim_notice(session, notice_id=notice.id, claim="a")  # one sends it ...
        session.commit()
        assert not q.claim_notice(session, notice_id=notice.id, claim="b")  # ... not another
        assert q.pending_notices(session) == []
        session.expire_all()
        row = session.get(Notice, notice.id)
        row.sent_at -= q.SENDING_LEASE + timedelta(seconds=1)  # its sender died meanwhile
        session.add(row)
        session.commit()
        assert [n.id for n in q.pending_notices(session)] == [notice.id]
        assert q.claim_notice(session, notice_id=notice.id, claim="b")
        session.commit()
        assert not q.renew_claim(session, notice_id=notice.id, claim="a")  # "a" lost it
        assert not q.claim_notice(session, notice_id=notice.id, claim="c")


def test_haven_worker_needs_a_queue(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HAVEN_"))}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
               PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{tmp_path / 'haven.db'}")
    out = subprocess.run([sys.executable, "-m", "bot", "worker"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "HAVEN_QUEUE_URL is not set" in out.stderr


@pytest.mark.parametrize("url", ["http://localhost:6379", "redis://", "localhost:6379"])
def test_a_queue_url_that_is_no_redis_url_is_refused(url):
    from bot.config import SettingsError, load_settings

    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "DATABASE_URL": "sqlite://", "HAVEN_ENCRYPTION_KEY": Fernet.generate_key().decode()}
    assert load_settings({**env, "HAVEN_QUEUE_URL": "redis://q:6379/0"}, None).queue_url
    with pytest.raises(SettingsError, match="HAVEN_QUEUE_URL"):
        load_settings({**env, "HAVEN_QUEUE_URL": url}, None)
