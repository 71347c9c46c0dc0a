"""Haven's HTTP path under hostile conditions, on loopback against the Slack double:

1. slowloris: CONNECTIONS connections that send part of a request line, then a byte every
   five seconds; meanwhile the time to answer ``GET /healthz`` and a signed message event;
2. a write-locked database (another connection holds SQLite's write lock): the time and
   status of ten ``/haven status`` commands sent at once, a message event and /healthz;
3. the status code of each malformed request of issue 11, item 13.

Run: ``python benchmarks/hostile_http.py [--only slowloris|locked|statuses]``. To measure
another checkout, put it first: ``PYTHONPATH=/path/to/checkout python benchmarks/...``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
# benchmarks/classifier.py would shadow the classifier package; a checkout on PYTHONPATH (or
# the installed one) comes first, this one last
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE.parent)]

from bot.demo import ADMIN, AUTHOR, CONFIDANT, GENERAL, TARGET, LocalHaven  # noqa: E402

CONNECTIONS = 150
TRICKLE_SECONDS = 5
SAMPLES = 5
TIMEOUT = 40  # seconds a measured request may take before it counts as timed out


def timed(call) -> tuple[float, str]:
    """Seconds and outcome (status, or the error's name) of ``call()``."""
    started = time.monotonic()
    try:
        outcome = str(call())
    except Exception as error:  # a time-out or a reset is the figure we want
        outcome = type(error).__name__
    return time.monotonic() - started, outcome


def healthz(local) -> int:
    with urllib.request.urlopen(local.url + "/healthz", timeout=TIMEOUT) as answer:
        return answer.status


def post(local, body: bytes, headers: list[tuple[str, str]],
         kind: str = "application/json") -> int:
    """POST with exactly these headers; the status (waits up to TIMEOUT)."""
    connection = http.client.HTTPConnection("127.0.0.1", local.server.effective_port,
                                            timeout=TIMEOUT)
    try:
        connection.putrequest("POST", "/slack/events", skip_accept_encoding=True)
        for name, value in [("Content-Type", kind),
                            ("Content-Length", str(len(body))), *headers]:
            connection.putheader(name, value.encode("utf-8"))
        connection.endheaders(body)
        return connection.getresponse().status
    finally:
        connection.close()


_ids = iter(range(1, 1_000_000))


def signed(local, body: str, kind: str = "application/json") -> int:
    """POST a body signed as Slack signs it; the status."""
    stamp = str(int(time.time()))
    signature = local.player.verifier.generate_signature(timestamp=stamp, body=body)
    return post(local, body.encode(), [("X-Slack-Request-Timestamp", stamp),
                                       ("X-Slack-Signature", signature)], kind)


def message(local) -> int:
    n = next(_ids)
    return signed(local, json.dumps({
        "type": "event_callback", "team_id": "T0HAVEN01", "event_id": f"EvBench{n}",
        "api_app_id": "A0HAVEN01", "event": {
            "type": "message", "user": AUTHOR, "channel": GENERAL, "text": "hello",
            "ts": f"{int(time.time())}.{n:06d}", "channel_type": "channel"},
        "authorizations": [{"team_id": "T0HAVEN01", "user_id": "U0HAVEN01", "is_bot": True}]}))


def command(local, text: str) -> int:
    return signed(local, urllib.parse.urlencode({
        "team_id": "T0HAVEN01", "user_id": ADMIN, "command": "/haven", "text": text,
        "channel_id": GENERAL, "response_url": local.double.response_url(),
        "trigger_id": f"trig.bench.{next(_ids)}", "api_app_id": "A0HAVEN01"}),
        "application/x-www-form-urlencoded")


def slowloris(local) -> None:
    stop = threading.Event()
    socks = []
    for _ in range(CONNECTIONS):
        sock = socket.create_connection(("127.0.0.1", local.server.effective_port), timeout=5)
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: haven\r\nX-Slow: ")
        socks.append(sock)

    def trickle():
        while not stop.wait(TRICKLE_SECONDS):
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.send(b"a")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    time.sleep(1)
    health, events = [], []
    for _ in range(SAMPLES):
        health.append(timed(lambda: healthz(local)))
        events.append(timed(lambda: message(local)))
    stop.set()
    thread.join()
    for sock in socks:
        sock.close()
    for name, samples in (("/healthz", health), ("message event ack", events)):
        seconds = [s for s, _ in samples]
        print(f"slowloris x{CONNECTIONS}: {name}: median {statistics.median(seconds):.2f} s, "
              f"max {max(seconds):.2f} s, outcomes {sorted({o for _, o in samples})}")


def locked(local) -> None:
    path = Path(local.settings.database_url.split(":///", 1)[1])
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with ThreadPoolExecutor(12) as pool:
        commands = [pool.submit(timed, lambda: command(local, "status")) for _ in range(10)]
        time.sleep(0.5)  # the commands are in: now an event and the health check
        event = pool.submit(timed, lambda: message(local))
        health = pool.submit(timed, lambda: healthz(local))
        results = [c.result() for c in commands]
        event, health = event.result(), health.result()
    holder.execute("ROLLBACK")
    holder.close()
    seconds = [s for s, _ in results]
    print(f"write-locked database: 10 x /haven status: median {statistics.median(seconds):.2f}"
          f" s, max {max(seconds):.2f} s, outcomes {sorted({o for _, o in results})}")
    print(f"write-locked database: message event ack {event[0]:.2f} s ({event[1]}), "
          f"/healthz {health[0]:.2f} s ({health[1]})")


def statuses(local) -> None:
    event = json.dumps({"type": "event_callback", "team_id": "T0HAVEN01",
                        "event": {"type": "app_mention", "user": ADMIN}}).encode()
    now = str(int(time.time()))

    def sign(stamp: str) -> str:
        return local.player.verifier.generate_signature(timestamp=stamp, body=event)

    arabic = now.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    cases = {
        "no signature headers": [],
        "signature without timestamp": [("X-Slack-Signature", sign(now))],
        **{f"timestamp {label}": [("X-Slack-Request-Timestamp", stamp),
                                  ("X-Slack-Signature", sign(stamp))]
           for label, stamp in (("empty", ""), ("abc", "abc"), ("1e9", "1e9"),
                                ("float", now + ".5"), ("5,000 digits", "9" * 5000),
                                ("Arabic digits", arabic))},
        "non-ASCII signature": [("X-Slack-Request-Timestamp", now),
                                ("X-Slack-Signature", "v0=" + "é" * 64)],
        "duplicate timestamp headers": [("X-Slack-Request-Timestamp", now),
                                        ("X-Slack-Request-Timestamp", now),
                                        ("X-Slack-Signature", sign(now))],
    }
    for name, headers in cases.items():
        print(f"status: {name}: {timed(lambda h=headers: post(local, event, h))[1]}")
    verification = json.dumps({"type": "url_verification", "challenge": "c"}).encode()
    print(f"status: unsigned url_verification: {post(local, verification, [])}")
    deep = '{"type": "event_callback", "event": ' + "[" * 100_000 + "]" * 100_000 + "}"
    print(f"status: signed, deeply nested JSON: "
          f"{local.player.post(deep, 'application/json')[0]}")
    string_event = json.dumps({"type": "event_callback", "team_id": "T0HAVEN01",
                               "event_id": "EvS", "event": "message"})
    print(f"status: signed, event a string: "
          f"{local.player.post(string_event, 'application/json')[0]}")
    status, body = local.player.command(ADMIN, "retention flags inf")
    print(f"status: /haven retention flags inf: {status} "
          f"{(json.loads(body).get('text', '')[:40] if status == 200 and body else '')!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("slowloris", "locked", "statuses"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, LocalHaven(Path(folder)) as local:
        for text in (f"watch <#{GENERAL}|general>", f"confidant add <@{CONFIDANT}>"):
            local.player.command(ADMIN, text)
        local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> warm-up")
        for name, run in (("statuses", statuses), ("slowloris", slowloris),
                          ("locked", locked)):
            if args.only in (None, name):
                run(local)


if __name__ == "__main__":
    main()
