"""Serving Haven: HTTP (Waitress, a production WSGI server) or Socket Mode."""

from __future__ import annotations

import json
import logging
import threading

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.app import create_app
from bot.config import Settings
from bot.service import Haven
from bot.storage.db import make_engine, migrate

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 2 * 1024 * 1024
THREADS = 8


def wsgi_app(bolt: App):
    """``POST /slack/events`` for Slack, ``GET /healthz`` for the load balancer."""
    slack = SlackRequestHandler(bolt, path=EVENTS_PATH)

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            body = json.dumps({"status": "ok"}).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        return slack(environ, start_response)

    return application


def prepare(settings: Settings, model_loader=None) -> tuple[Haven, App]:
    """Migrate the database, load the model, build the app."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    haven = Haven(settings, engine, model_loader=model_loader)
    log.info("model %s loaded (threshold %.2f)", haven.model.card.get("name"),
             haven.model.threshold)
    return haven, create_app(settings, haven)


SWEEP_SECONDS = 60


def recover(haven: Haven, bolt: App) -> None:
    """Send the notices and cases a crash or a Slack outage left behind."""
    sent = haven.sweep(haven.gateway(bolt.client, ""))
    if sent:
        log.info("recovery: delivered %d notices or cases", sent)


def sweep_forever(haven: Haven, bolt: App, stop: threading.Event) -> None:
    """The recovery sweep at start-up, then every minute."""
    while True:
        try:
            recover(haven, bolt)
        except Exception as error:
            log.error("sweep failed: %s", type(error).__name__)
        if stop.wait(SWEEP_SECONDS):
            return


def make_server(settings: Settings, bolt: App, host: str = "0.0.0.0", port: int | None = None):
    """A Waitress server for the app (not yet serving)."""
    from waitress.server import create_server

    return create_server(wsgi_app(bolt), host=host, port=settings.port if port is None else port,
                         threads=THREADS, max_request_body_size=MAX_BODY_BYTES, ident="haven")


def serve(settings: Settings) -> None:
    """Run Haven until interrupted."""
    haven, bolt = prepare(settings)
    threading.Thread(target=sweep_forever, args=(haven, bolt, threading.Event()),
                     daemon=True).start()
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("Socket Mode")
        SocketModeHandler(bolt, settings.slack_app_token).start()
        return
    server = make_server(settings, bolt)
    log.info("listening on http://%s:%s%s", server.effective_host, server.effective_port,
             EVENTS_PATH)
    server.run()
