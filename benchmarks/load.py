"""Haven under load: signed message events sent at a fixed rate to a running ``haven serve``
on loopback, against the Slack Web API double; side by side with a reference (a bare Bolt
app behind the same Waitress server, acking and doing nothing) in the same run.

Run: ``python benchmarks/load.py [--rate 200] [--seconds 60] [--hurtful 0.1]
[--database-url URL] [--no-reference]``. Prints, for Haven and the reference: events sent,
acked events/s, ack latency p50/p99, errors; and for Haven the time from sending a hurtful
message to its private notice arriving at the double (p50/p99), and notices missing.

The generator is open-loop (events go out on schedule, whatever the answers), from a pool
of threads with keep-alive connections; Haven runs in its own process, as in production.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.demo import ADMIN, AUTHOR, CONFIDANT, GENERAL, sample_workspace  # noqa: E402
from bot.slack_double import (  # noqa: E402
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM_ID,
    SlackDouble,
    SlackPlayer,
    wait_for,
)

HURTFUL = "nobody wants you on this team, just quit already you useless idiot"
BENIGN = ("the deploy is done, thanks everyone", "can someone review my PR before lunch?",
          "standup moved to 10:15 tomorrow", "great work on the demo today!",
          "I'll be offline this afternoon, dentist")
SENDERS = 24  # threads, each with its own keep-alive connection
REFERENCE_APP = """
import sys
from slack_bolt import App
from slack_sdk import WebClient
from waitress.server import create_server
from slack_bolt.adapter.wsgi import SlackRequestHandler
app = App(signing_secret=sys.argv[1], client=WebClient(token=sys.argv[2], base_url=sys.argv[4]))
app.event("message")(lambda: None)
create_server(SlackRequestHandler(app), host="127.0.0.1", port=int(sys.argv[3]),
              threads=8).run()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def healthy(port: int, path: str = "/healthz") -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        connection.request("GET", path)
        return connection.getresponse().status < 500
    except OSError:
        return False


class Sender(threading.local):
    """One keep-alive connection per thread."""

    def connection(self, port: int) -> http.client.HTTPConnection:
        if getattr(self, "conn", None) is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        return self.conn


def haven_env(double: SlackDouble, port: int, database_url: str | None,
              queue_url: str | None, folder: Path) -> dict[str, str]:
    """The environment of ``haven serve`` and ``haven worker``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HAVEN_"))}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
               SLACK_API_URL=double.api_url, PORT=str(port), PYTHONPATH=str(ROOT),
               LOG_LEVEL="WARNING", DATABASE_URL=database_url or
               f"sqlite:///{folder / 'haven.db'}")
    from cryptography.fernet import Fernet

    env["HAVEN_ENCRYPTION_KEY"] = Fernet.generate_key().decode()  # shared by every process
    if queue_url:
        env["HAVEN_QUEUE_URL"] = queue_url
    return env


def start(command: str, env: dict[str, str], folder: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot", command], cwd=folder, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def start_redis() -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: healthy_port(port), 20)
    return server, f"redis://127.0.0.1:{port}/0"


def healthy_port(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def start_reference(port: int, api_url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", REFERENCE_APP, SIGNING_SECRET, BOT_TOKEN,
                             str(port), api_url], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def run_load(port: int, player: SlackPlayer, *, rate: float, seconds: float,
             hurtful: float, targets: list[str]) -> dict:
    """Send ``rate`` events/s for ``seconds``; returns latencies, errors and send times."""
    sender, counter = Sender(), itertools.count()
    acks: list[float] = []
    errors: list[str] = []
    sent_at: dict[str, float] = {}
    lock = threading.Lock()
    every = max(1, round(1 / hurtful)) if hurtful else 0

    def one(n: int) -> None:
        target = targets[n // every] if every and n % every == 0 else None
        text = f"<@{target}> {HURTFUL}" if target else BENIGN[n % len(BENIGN)]
        event = {"type": "message", "user": AUTHOR, "channel": GENERAL, "text": text,
                 "ts": f"{1_800_000_000 + n}.000100", "channel_type": "channel"}
        body = json.dumps({"token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0HAVEN01",
                           "type": "event_callback", "event": event,
                           "event_id": f"EvLoad{n:08d}", "event_time": int(time.time())})
        stamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                   "X-Slack-Signature": player.verifier.generate_signature(timestamp=stamp,
                                                                           body=body)}
        started = time.perf_counter()
        if target:
            with lock:
                sent_at[target] = time.time()
        try:
            connection = sender.connection(port)
            connection.request("POST", "/slack/events", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException) as error:
            sender.conn = None
            ok, response = False, type(error).__name__
        elapsed = time.perf_counter() - started
        with lock:
            acks.append(elapsed)
            if not ok:
                errors.append(str(getattr(response, "status", response)))

    total = int(rate * seconds)
    begin = time.perf_counter()
    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        for n in range(total):
            delay = begin + n / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, next(counter))
    wall = time.perf_counter() - begin
    return {"sent": total, "wall": wall, "acks": acks, "errors": errors, "sent_at": sent_at}


def notice_latencies(double: SlackDouble, sent_at: dict[str, float], wait: float) -> tuple:
    """Seconds from sending each hurtful message to its notice reaching the double."""
    wait_for(lambda: len({m["channel"] for m in double.messages}) >= len(sent_at), wait)
    arrived: dict[str, float] = {}
    for message in list(double.messages):
        user = message["channel"][1:]  # the double's DM channel is "D" + the user id
        if user in sent_at and user not in arrived:
            arrived[user] = message["at"]
    latencies = [arrived[u] - sent_at[u] for u in sent_at if u in arrived]
    return latencies, len(sent_at) - len(latencies)


def report(name: str, result: dict) -> dict:
    acks = result["acks"]
    return {"name": name, "sent": result["sent"],
            "acked_per_s": (len(acks) - len(result["errors"])) / result["wall"],
            "ack_p50_ms": 1000 * percentile(acks, 0.50),
            "ack_p99_ms": 1000 * percentile(acks, 0.99), "errors": len(result["errors"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--hurtful", type=float, default=0.1,
                        help="share of messages that are hurtful and mention someone")
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--workers", type=int, default=0,
                        help="with N > 0: start a Redis server and N `haven worker` processes "
                             "(HAVEN_QUEUE_URL); default: jobs run inside `haven serve`")
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args(argv)

    workspace = sample_workspace()
    targets = [f"U0LD{n:05d}" for n in range(int(args.rate * args.seconds * args.hurtful) + 2)]
    for user in targets:
        workspace.add_user(user, f"Colleague {user[-5:]}")
    double = SlackDouble(workspace).start()
    rows = []
    redis, queue_url = start_redis() if args.workers else (None, None)
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        env = haven_env(double, port, args.database_url, queue_url, Path(folder))
        haven = start("serve", env, Path(folder))
        workers = [start("worker", env, Path(folder)) for _ in range(args.workers)]
        try:
            if not wait_for(lambda: healthy(port), 60):
                print(haven.stderr.read() if haven.poll() is not None else "no answer")
                return 1
            player = SlackPlayer(f"http://127.0.0.1:{port}/slack/events", double)
            for text in (f"watch <#{GENERAL}|general>", f"confidant add <@{CONFIDANT}>"):
                player.command(ADMIN, text)
            run_load(port, player, rate=20, seconds=2, hurtful=0, targets=[])  # warm up
            result = run_load(port, player, rate=args.rate, seconds=args.seconds,
                              hurtful=args.hurtful, targets=targets)
            latencies, missing = notice_latencies(double, result["sent_at"], 30)
            row = report("Haven", result)
            row.update(notice_p50_ms=1000 * percentile(latencies, 0.5),
                       notice_p99_ms=1000 * percentile(latencies, 0.99),
                       notices=len(latencies), notices_missing=missing)
            rows.append(row)
        finally:
            for process in (haven, *workers):
                process.terminate()
                process.wait(30)
            if redis is not None:
                redis.terminate()
        if not args.no_reference:
            port = free_port()
            reference = start_reference(port, double.api_url)
            try:
                wait_for(lambda: healthy(port, "/slack/events"), 30)
                player = SlackPlayer(f"http://127.0.0.1:{port}/slack/events", double)
                run_load(port, player, rate=20, seconds=2, hurtful=0, targets=[])
                rows.append(report("bare Bolt app (reference)", run_load(
                    port, player, rate=args.rate, seconds=args.seconds, hurtful=0,
                    targets=[])))
            finally:
                reference.terminate()
                reference.wait(30)
    double.stop()
    print_table(rows, args)
    return 0


def print_table(rows: list[dict], args) -> None:
    database = "PostgreSQL" if args.database_url and "postgres" in args.database_url \
        else "SQLite"
    if args.workers:
        database += f", Redis queue and {args.workers} workers"
    print(f"\n{args.rate:g} signed message events/s for {args.seconds:g} s on loopback "
          f"({os.cpu_count()} cores, {database}, {args.hurtful:.0%} hurtful):\n")
    print(f"{'':28} {'sent':>7} {'acked/s':>8} {'ack p50':>8} {'ack p99':>8} {'errors':>7} "
          f"{'notice p50':>11} {'notice p99':>11} {'notices':>8}")
    for row in rows:
        notices = (f"{row['notice_p50_ms']:9.0f}ms {row['notice_p99_ms']:9.0f}ms "
                   f"{row['notices']:>4}/{row['notices'] + row['notices_missing']}"
                   if "notices" in row else f"{'—':>11} {'—':>11} {'—':>8}")
        print(f"{row['name']:28} {row['sent']:>7} {row['acked_per_s']:8.1f} "
              f"{row['ack_p50_ms']:6.1f}ms {row['ack_p99_ms']:6.1f}ms {row['errors']:>7} "
              f"{notices}")


if __name__ == "__main__":
    sys.exit(main())
