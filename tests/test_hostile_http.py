"""Hostile HTTP: malformed signature headers, bodies Bolt cannot parse, and slow clients
(slowloris). Each gets a 4xx or is cut off; Haven keeps answering Slack and ``/healthz``."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
import urllib.parse
import urllib.request

import pytest

from bot.demo import ADMIN, GENERAL, LocalHaven
from bot.server import EVENTS_PATH, REQUEST_SECONDS
from bot.slack_double import wait_for


@pytest.fixture(scope="module")
def served(tmp_path_factory, model):
    with LocalHaven(tmp_path_factory.mktemp("hostile-http"), model_loader=lambda: model) as local:
        local.player.command(ADMIN, f"watch <#{GENERAL}|general>")
        yield local


def raw_post(local, body: bytes, headers: list[tuple[str, str]],
             timeout: float = 10) -> tuple[int, bytes]:
    """POST with exactly these headers (repeated, missing or non-ASCII ones included)."""
    connection = http.client.HTTPConnection("127.0.0.1", local.server.effective_port,
                                            timeout=timeout)
    try:
        connection.putrequest("POST", EVENTS_PATH, skip_accept_encoding=True)
        for name, value in [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body))), *headers]:
            connection.putheader(name, value.encode("utf-8"))
        connection.endheaders(body)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def signed(local, body: bytes, stamp: str) -> str:
    return local.player.verifier.generate_signature(timestamp=stamp, body=body)


def now() -> str:
    return str(int(time.time()))


EVENT = json.dumps({"type": "event_callback", "team_id": "T0HAVEN01", "event_id": "EvX",
                    "event": {"type": "app_mention", "user": ADMIN}}).encode()
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

#: name -> headers for EVENT, given the served app (for signatures that are otherwise valid)
BAD_HEADERS = {
    "no signature headers": lambda local: [],
    "signature without timestamp": lambda local: [
        ("X-Slack-Signature", signed(local, EVENT, now()))],
    "empty timestamp": lambda local: [
        ("X-Slack-Request-Timestamp", ""), ("X-Slack-Signature", signed(local, EVENT, ""))],
    "timestamp abc": lambda local: [
        ("X-Slack-Request-Timestamp", "abc"), ("X-Slack-Signature", signed(local, EVENT, "abc"))],
    "timestamp 1e9": lambda local: [
        ("X-Slack-Request-Timestamp", "1e9"), ("X-Slack-Signature", signed(local, EVENT, "1e9"))],
    "float timestamp": lambda local: [
        ("X-Slack-Request-Timestamp", now() + ".5"),
        ("X-Slack-Signature", signed(local, EVENT, now() + ".5"))],
    "5000-digit timestamp": lambda local: [
        ("X-Slack-Request-Timestamp", "9" * 5000),
        ("X-Slack-Signature", signed(local, EVENT, "9" * 5000))],
    "Arabic-digit timestamp": lambda local: [
        ("X-Slack-Request-Timestamp", now().translate(ARABIC)),
        ("X-Slack-Signature", signed(local, EVENT, now().translate(ARABIC)))],
    "non-ASCII signature": lambda local: [
        ("X-Slack-Request-Timestamp", now()), ("X-Slack-Signature", "v0=" + "é" * 64)],
    "duplicate timestamp headers": lambda local: [
        ("X-Slack-Request-Timestamp", now()), ("X-Slack-Request-Timestamp", now()),
        ("X-Slack-Signature", signed(local, EVENT, now()))],
}


@pytest.mark.parametrize("case", BAD_HEADERS)
def test_malformed_signature_headers_are_refused_with_401(served, case):
    status, _ = raw_post(served, EVENT, BAD_HEADERS[case](served))
    assert status == 401


def test_an_unsigned_url_verification_is_refused_with_401(served):
    body = json.dumps({"type": "url_verification", "challenge": "c", "token": "t"}).encode()
    assert raw_post(served, body, [])[0] == 401


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


SIGNED_BODIES = {
    "deeply nested JSON": ("application/json", '{"type": "event_callback", "event": '
                           + nested(100_000) + "}"),
    "deeply nested interaction": ("application/x-www-form-urlencoded", urllib.parse.urlencode(
        {"payload": '{"type": "block_actions", "actions": ' + nested(100_000) + "}"})),
}


@pytest.mark.parametrize("case", SIGNED_BODIES)
def test_signed_but_unparseable_bodies_are_refused_with_400(served, case):
    kind, body = SIGNED_BODIES[case]
    assert served.player.post(body, kind)[0] == 400
    assert served.player.command(ADMIN, "help")[0] == 200  # and Haven carries on


def test_an_event_that_is_a_string_is_not_an_error(served):
    body = json.dumps({"type": "event_callback", "team_id": "T0HAVEN01", "event_id": "EvS",
                       "event": "message"})
    assert served.player.post(body, "application/json")[0] in {200, 400}


@pytest.mark.parametrize("amount", ["inf", "-inf", "1e400", "nan", "Infinity"])
def test_retention_with_an_infinite_number_gets_the_usage_in_slack(served, amount):
    status, body = served.player.command(ADMIN, f"retention flags {amount}")
    assert status == 200
    assert "/haven retention flags 30" in json.loads(body)["text"]


def test_socket_mode_survives_nested_and_odd_envelopes(served):
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.slack_double import TEAM_ID
    from bot.socket_double import SocketModeDouble

    served.double.socket = SocketModeDouble().start()
    handler = SocketModeHandler(served.bolt, "xapp-1-A0HAVEN01-1-hostile")
    handler.connect()
    try:
        assert served.double.socket.wait_connected(30)
        served.double.socket.send_raw('{"envelope_id": "env-deep", "type": "events_api", '
                                      '"payload": ' + nested(100_000) + "}")
        odd = served.double.socket.send("events_api", {
            "type": "event_callback", "team_id": TEAM_ID, "event_id": "EvOdd",
            "event": "message"})
        # refused (400), so not acked: Bolt acks only a 200 on the socket
        served.double.socket.send("interactive", {
            "type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": ADMIN},
            "actions": [[[[[[["x"]]]]]]]})
        assert served.double.socket.ack_for(odd) is not None  # acked and ignored
        help_ = served.double.socket.send("slash_commands", {
            "team_id": TEAM_ID, "user_id": ADMIN, "command": "/haven", "text": "help",
            "channel_id": GENERAL, "response_url": served.double.response_url()},
            accepts_response=True)
        assert served.double.socket.ack_for(help_) is not None  # still connected and working
    finally:
        handler.close()
        served.double.socket.stop()


class Slowloris:
    """``count`` connections that each send part of a request line, then a byte a second,
    for at most a minute. One the server closes is counted and opened again."""

    def __init__(self, port: int, count: int):
        self.port, self.count = port, count
        self.cut = 0  # connections the server closed
        self.rounds = 0  # times every connection has trickled a byte
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def _open(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: haven\r\nX-Slow: ")
        sock.setblocking(False)
        return sock

    def __enter__(self) -> Slowloris:
        self.socks = [self._open() for _ in range(self.count)]
        self._thread.start()
        return self

    def _trickle(self) -> None:
        deadline = time.monotonic() + 60
        while not self._stop.wait(1) and time.monotonic() < deadline:
            for i, sock in enumerate(self.socks):
                try:
                    closed = sock.recv(1024) == b""  # the server's answer or its FIN
                except BlockingIOError:
                    closed = False
                except OSError:
                    closed = True
                if not closed:
                    with contextlib.suppress(OSError):
                        sock.send(b"a")
                    continue
                sock.close()
                self.cut += 1
                with contextlib.suppress(OSError):
                    self.socks[i] = self._open()
            self.rounds += 1

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.socks:
            sock.close()


def seconds_to_answer(call) -> float:
    started = time.monotonic()
    call()
    return time.monotonic() - started


def test_slowloris_neither_blocks_slack_nor_the_health_check(served):
    def healthz():
        with urllib.request.urlopen(served.url + "/healthz", timeout=10) as answer:
            assert answer.status == 200

    def event():
        status, _ = served.player.message(ADMIN, GENERAL, "good morning")
        assert status == 200

    with Slowloris(served.server.effective_port, 150) as attack:
        assert wait_for(lambda: attack.rounds >= 2)  # under way: every one has trickled
        for _ in range(3):
            assert seconds_to_answer(healthz) < 3
            assert seconds_to_answer(event) < 3
        # no request may take longer than REQUEST_SECONDS to arrive: the trickles are cut
        assert wait_for(lambda: attack.cut >= 150, timeout=REQUEST_SECONDS + 10)
