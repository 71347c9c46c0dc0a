"""Serving Haven: HTTP (Waitress, a production WSGI server) or Socket Mode."""

from __future__ import annotations

import faulthandler
import io
import json
import logging
import os
import re
import signal
import threading
import time

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.signature import SignatureVerifier
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer

from bot.app import create_app
from bot.config import GET_TOKENS, Settings
from bot.notify import make_client
from bot.service import Haven
from bot.storage.crypto import Vault
from bot.storage.db import make_engine, migrate

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
#: What Bolt raises while reading a payload whose fields have types no Slack request has,
#: or that nests deeper than Python's JSON parser recurses (signed, yet no Slack request).
MALFORMED = (TypeError, AttributeError, KeyError, ValueError, IndexError, RecursionError)
#: Slack's headers as Slack writes them. Anything else is refused before the verifier
#: sees it: ``int()`` takes Arabic digits and raises on 5,000 of them, a repeated header
#: arrives joined with a comma, and ``hmac.compare_digest`` raises on non-ASCII text.
TIMESTAMP = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
MAX_BODY_BYTES = 2 * 1024 * 1024
THREADS = 8
DRAIN_SECONDS = 10  # for the requests in flight at SIGTERM (Slack waits 3 s for an ack)
#: A request must arrive whole within this time. Waitress's own timeout is for idle
#: connections only, and a byte every few seconds (slowloris) keeps resetting it.
REQUEST_SECONDS = 10
IDLE_SECONDS = 30  # a kept-alive connection with no request in flight (Waitress: 120)
#: Open connections Waitress keeps (its default, 100, let 150 slow ones lock Slack out);
#: poll() has no select()'s limit of 1,024 descriptors.
CONNECTIONS = 1000
MAINTENANCE_SECONDS = 1  # how often the deadlines are checked (Waitress: every 30 s)


def wsgi_app(bolt: App, signing_secret: str):
    """``POST /slack/events`` for Slack, ``GET /healthz`` for the load balancer, and the
    OAuth install pages when several workspaces are served."""
    slack = SlackRequestHandler(bolt, path=EVENTS_PATH)
    verifier = SignatureVerifier(signing_secret)

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            return _answer(start_response, "200 OK", {"status": "ok"})
        if environ.get("PATH_INFO") == EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
            refused = _screen(environ, verifier)
            if refused:
                return _answer(start_response, *refused)
            try:
                return slack(environ, start_response)
            except MALFORMED as error:  # signed, yet a shape Bolt cannot read: not a 500
                log.info("malformed payload refused: %s", type(error).__name__)
                return _answer(start_response, "400 Bad Request", {"error": "malformed payload"})
        return slack(environ, start_response)

    return application


def _answer(start_response, status: str, payload: dict) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body)))])
    return [body]


def _screen(environ, verifier: SignatureVerifier) -> tuple[str, dict] | None:
    """Refuse, before Bolt parses it, what is not signed by Slack (401) or is too large to
    be a Slack request (400). Puts the body back for Bolt."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if not 0 <= length <= MAX_BODY_BYTES:
        return "400 Bad Request", {"error": "bad length"}
    raw = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(raw)
    stamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if not (TIMESTAMP.fullmatch(stamp) and SIGNATURE.fullmatch(signature)
            and verifier.is_valid(body=raw, timestamp=stamp, signature=signature)):
        return "401 Unauthorized", {"error": "invalid signature"}
    return None


class StartError(RuntimeError):
    """Haven cannot start (Slack refuses the token or cannot be reached, the port is taken);
    the message says so in one line."""


def prepare(settings: Settings, model_loader=None) -> tuple[Haven, App]:
    """Migrate the database (refusing keys that cannot open its data), check Slack, load
    the model, build the app."""
    client = make_client(None if settings.oauth else settings.slack_bot_token,
                         settings.slack_api_url)
    engine = make_engine(settings.database_url)
    migrate(engine, Vault(settings.encryption_keys))  # refuses keys that cannot open the data
    check_slack(settings, client)
    haven = Haven(settings, engine, model_loader=model_loader)
    log.info("model %s loaded (threshold %.2f)", haven.model.card.get("name"),
             haven.model.threshold)
    return haven, create_app(settings, haven, client=client)


def check_slack(settings: Settings, client: WebClient) -> None:
    """``auth.test``, once at start: raise :class:`StartError` if Slack refuses the bot token
    or cannot be reached. (With OAuth there is no one token: any answer will do.)"""
    quiet = logging.getLogger("haven.start")  # the one line below says it all
    quiet.propagate, quiet.disabled = False, True
    checker = WebClient(token=client.token, base_url=client.base_url, timeout=client.timeout,
                        logger=quiet, retry_handlers=client.retry_handlers)
    try:
        checker.auth_test()
    except SlackApiError as error:
        if not settings.oauth:
            raise StartError(f"Slack refused SLACK_BOT_TOKEN "
                             f"({error.response.get('error', 'no reason given')}). "
                             f"{GET_TOKENS}") from None
    except (OSError, SlackClientError) as error:
        raise StartError(f"cannot reach Slack at {settings.slack_api_url} "
                         f"({_reason(error)}): check the network, a proxy or SLACK_API_URL"
                         ) from None


#: What an operator installs so that Haven reads the text in images (Debian and Ubuntu).
INSTALL_OCR = "apt install tesseract-ocr tesseract-ocr-eng tesseract-ocr-nld"


def ocr_problem() -> str | None:
    """Why Haven cannot read English and Dutch text in images here, or ``None``."""
    import subprocess

    import pytesseract

    try:
        listed = subprocess.run([pytesseract.pytesseract.tesseract_cmd, "--list-langs"],
                                capture_output=True, text=True, timeout=30).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return "Tesseract is not installed"
    missing = [lang for lang in ("eng", "nld") if lang not in listed]
    return f"Tesseract lacks its {' and '.join(missing)} data" if missing else None


def check_ocr() -> None:
    """Once at start: without Tesseract and its data, one warning line. Haven still runs:
    images are then judged by their alt text, title and known-image hashes."""
    problem = ocr_problem()
    if problem:
        log.warning("%s, so the text in images is not read; images are still judged by their "
                    "alt text, title and known offensive images. To read it: %s", problem,
                    INSTALL_OCR)


def _reason(error: Exception) -> str:
    """What went wrong on the way to Slack, without a URL's query or a token."""
    reason = getattr(error, "reason", None) or error
    return getattr(reason, "strerror", None) or type(reason).__name__


SWEEP_SECONDS = 60


def recover(haven: Haven, bolt: App) -> None:
    """Send the notices and cases a crash or a Slack outage left behind."""
    sent = haven.sweep(haven.gateway(bolt.client, ""))
    if sent:
        log.info("recovery: delivered %d notices or cases", sent)


def sweep_forever(haven: Haven, bolt: App, stop: threading.Event) -> None:
    """The maintenance thread: the recovery sweep at start-up, then every minute or sooner
    when a retry is due; and in between, each compaction a withdrawal or purge asked for,
    within a second or so."""
    while True:
        wait = SWEEP_SECONDS
        try:
            recover(haven, bolt)
            wait = haven.next_sweep_in(SWEEP_SECONDS)
        except Exception as error:
            log.error("sweep failed: %s", type(error).__name__)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                haven.compact_if_due()
            except Exception as error:
                log.error("compaction failed: %s", type(error).__name__)
            if stop.wait(min(1.0, max(0.0, deadline - time.monotonic()))):
                return


def make_server(settings: Settings, bolt: App, host: str | None = None,
                port: int | None = None):
    """A Waitress server for the app (not yet serving), on HAVEN_HOST and PORT unless
    given, that closes connections whose request takes over REQUEST_SECONDS to arrive."""
    return DeadlineServer(
        wsgi_app(bolt, settings.slack_signing_secret),
        host=settings.host if host is None else host,
        port=settings.port if port is None else port, threads=THREADS,
        max_request_body_size=MAX_BODY_BYTES, ident="haven", connection_limit=CONNECTIONS,
        channel_timeout=IDLE_SECONDS, cleanup_interval=MAINTENANCE_SECONDS,
        asyncore_use_poll=True)


def health_server(settings: Settings, connected) -> DeadlineServer:
    """Socket Mode has no HTTP endpoint for Slack, but a container's health check and a load
    balancer still ask ``GET /healthz`` on HAVEN_HOST and PORT: 200 while ``connected()``
    (the socket to Slack is open), else 503. Bound, not yet serving; raises
    :class:`StartError` if the port is taken."""

    def application(environ, start_response):
        if environ.get("PATH_INFO") != "/healthz" or environ.get("REQUEST_METHOD") != "GET":
            return _answer(start_response, "404 Not Found", {"error": "not found"})
        try:
            up = connected()
        except Exception:  # not yet connected, or the client is being replaced
            up = False
        return _answer(start_response, "200 OK", {"status": "ok"}) if up else \
            _answer(start_response, "503 Service Unavailable", {"status": "disconnected"})

    try:
        return DeadlineServer(application, host=settings.host, port=settings.port, threads=2,
                              max_request_body_size=1024, ident="haven", connection_limit=100,
                              channel_timeout=IDLE_SECONDS, cleanup_interval=MAINTENANCE_SECONDS,
                              asyncore_use_poll=True)
    except OSError as error:
        raise StartError(f"cannot listen on {settings.host}:{settings.port} for /healthz "
                         f"({error.strerror}): set HAVEN_HOST or PORT") from None


class DeadlineChannel(HTTPChannel):
    """A connection that notes when the request being read began to arrive."""

    def received(self, data: bytes) -> bool:
        """Waitress's parsing, then the arrival time of a request still incomplete."""
        result = super().received(data)
        if self.request is not None and not hasattr(self.request, "arriving_since"):
            self.request.arriving_since = time.time()
        return result


class DeadlineServer(TcpWSGIServer):
    """Waitress's TCP server whose maintenance also closes each connection whose request
    has been arriving for over REQUEST_SECONDS (Slack gives up after three)."""

    channel_class = DeadlineChannel

    def maintenance(self, now: float) -> None:
        """Close idle connections (Waitress) and those too slow to send a request."""
        super().maintenance(now)
        cutoff = now - REQUEST_SECONDS
        for channel in self.active_channels.values():
            if getattr(channel.request, "arriving_since", now) < cutoff:
                channel.will_close = True


def serve(settings: Settings) -> None:
    """Run Haven until SIGTERM or SIGINT; then stop taking events, finish what was acked,
    and return (a second signal exits at once). Raises :class:`StartError` if it cannot
    start."""
    haven, bolt = prepare(settings)
    check_ocr()  # here, not in prepare: the demo and the tests that call it need no OCR
    if not settings.socket_mode:
        allow_open_files(CONNECTIONS + 200)  # the connections, and the files Haven opens
    def connected() -> bool:
        socket = listener.client  # Bolt's Socket Mode client, replaced on reconnection
        return socket.is_connected()

    health = health_server(settings, connected) if settings.socket_mode else None
    listener = listen(settings, bolt)
    stop = threading.Event()
    stop_on_signals(stop)
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1`: every thread's stack, for operators
    sweeper = threading.Thread(target=sweep_forever, args=(haven, bolt, stop),
                               name="haven-sweep", daemon=True)
    sweeper.start()
    if settings.socket_mode:
        log.info("Socket Mode; health check on http://%s:%s/healthz", health.effective_host,
                 health.effective_port)
        checks = threading.Thread(target=run_until, args=(health, stop), name="haven-health",
                                  daemon=True)
        checks.start()
        stop.wait()
        listener.close()
        checks.join(timeout=5)
        health.close()
    else:
        log.info("listening on http://%s:%s%s", listener.effective_host,
                 listener.effective_port, EVENTS_PATH)
        run_until(listener, stop)
        drain(listener)
    shut_down(haven, bolt, sweeper)


def allow_open_files(count: int) -> None:
    """Raise this process's limit on open files to ``count`` where the system allows it
    (it is often 1,024, fewer than CONNECTIONS and Haven's own files together)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count if hard == resource.RLIM_INFINITY else min(count, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def listen(settings: Settings, bolt: App):
    """The HTTP server, bound; or the Socket Mode connection, open. Raises
    :class:`StartError` if the port is taken or Slack refuses the app-level token."""
    if not settings.socket_mode:
        try:
            return make_server(settings, bolt)
        except OSError as error:
            raise StartError(f"cannot listen on {settings.host}:{settings.port} "
                             f"({error.strerror}): set HAVEN_HOST or PORT") from None
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(bolt, settings.slack_app_token)
    try:
        handler.connect()
    except SlackApiError as error:
        raise StartError(f"Slack refused SLACK_APP_TOKEN "
                         f"({error.response.get('error', 'no reason given')}). {GET_TOKENS}"
                         ) from None
    except (OSError, SlackClientError) as error:
        raise StartError(f"cannot reach Slack's Socket Mode ({_reason(error)})") from None
    return handler


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM or SIGINT sets ``stop``; a second one ends the process at once."""

    def handler(signum, _frame):
        if stop.is_set():
            os._exit(128 + signum)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)


def run_until(server, stop: threading.Event) -> None:
    """Waitress's loop, until ``stop`` is set (within a second)."""
    while not stop.is_set():
        server.asyncore.loop(timeout=server.adj.asyncore_loop_timeout, map=server._map,
                             use_poll=server.adj.asyncore_use_poll, count=1)


def drain(server, seconds: float = DRAIN_SECONDS) -> None:
    """Close the listening socket (new connections are refused: the load balancer sends
    them elsewhere), answer the requests in flight, then close every connection. A request
    cut off unanswered was not acked: Slack sends it again."""
    from waitress import wasyncore

    log.info("stopping: no new requests")
    wasyncore.dispatcher.close(server)  # the listener only; open connections stay
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(
            channel.requests or channel.total_outbufs_len
            for channel in list(server.active_channels.values())):
        server.asyncore.loop(timeout=0.05, map=server._map,
                             use_poll=server.adj.asyncore_use_poll, count=1)
    server.task_dispatcher.shutdown(cancel_pending=False, timeout=seconds)
    wasyncore.close_all(server._map, ignore_all=True)


def shut_down(haven: Haven, bolt: App, sweeper: threading.Thread) -> None:
    """After the last request: finish the listeners Bolt runs after the ack, then the jobs
    of this process (with HAVEN_QUEUE_URL the jobs wait in Redis instead), let the sweep
    finish its round, compact if asked, close the database."""
    bolt.listener_runner.listener_executor.shutdown(wait=True)
    haven.jobs.shutdown()
    sweeper.join()
    haven.compact_if_due()  # one a last withdrawal asked for
    haven.engine.dispose()
    log.info("stopped")
