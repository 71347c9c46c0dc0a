"""The Bolt app: ``create_app(settings, haven=...)``."""

from __future__ import annotations

import hashlib
import logging

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.logger.messages import (
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)
from slack_bolt.middleware import Middleware
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request.payload_utils import is_slash_command
from slack_sdk import WebClient

from bot import listeners
from bot.config import Settings
from bot.notify import make_client, quiet_logger
from bot.service import Haven
from bot.storage.installations import state_store


def create_app(settings: Settings, haven: Haven, *, client: WebClient | None = None) -> App:
    """A Bolt app with every listener, Haven's services on each request's context, and the
    Web API client aimed at ``SLACK_API_URL``. With ``SLACK_CLIENT_ID`` it serves every
    workspace that installs it (``/slack/install``), each with its own bot token."""
    client = client or make_client(None if settings.oauth else settings.slack_bot_token,
                                   settings.slack_api_url)
    haven.base_client = client
    oauth = OAuthSettings(
        client_id=settings.slack_client_id, client_secret=settings.slack_client_secret,
        scopes=list(listeners.BOT_SCOPES), installation_store=haven.installations,
        state_store=state_store(haven.engine), installation_store_bot_only=True,
        logger=quiet_logger("haven.oauth")) if settings.oauth else None
    # auth.test answers are cached per token: one call per workspace, not one per request
    authorize = InstallationStoreAuthorize(
        installation_store=haven.installations, client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret, bot_only=True, cache_enabled=True,
        client=client, logger=quiet_logger("haven.authorize")) if settings.oauth else None
    app = App(signing_secret=settings.slack_signing_secret, client=client, oauth_settings=oauth,
              authorize=authorize, installation_store=haven.installations,
              logger=bolt_logger(), process_before_response=False,
              request_verification_enabled=True, ignoring_self_events_enabled=True,
              # `haven serve` checks the token itself, with a clear message (server.prepare)
              token_verification_enabled=False,
              before_authorize=ShapeCheck())

    app.use(HavenContext(haven))
    listeners.register(app)
    return app


class TokenByDesign(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment itself, then warns on every start
    that it goes unused: Haven hands Bolt a client with that token (or, with several
    workspaces, an installation store) on purpose. Those two warnings are dropped."""

    EXPECTED = frozenset({warning_client_prioritized_and_token_skipped(),
                          warning_token_skipped()})

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self.EXPECTED


def bolt_logger() -> logging.Logger:
    """Bolt's logger: never below INFO, no payloads, no warnings about Haven's own design."""
    logger = quiet_logger("haven.bolt")
    if not any(isinstance(f, TokenByDesign) for f in logger.filters):
        logger.addFilter(TokenByDesign())
    return logger


def well_formed(body: dict) -> bool:
    """Whether an interaction payload has the shape Slack always gives it. Bolt itself
    indexes these fields, so a payload without them must stop here (signed or not)."""
    kind = body.get("type")
    if kind not in {"block_actions", "view_submission", "view_closed", "message_action",
                    "shortcut", "block_suggestion"}:
        return True
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return False
    if kind.startswith("view_"):
        view = body.get("view")
        return isinstance(view, dict) and isinstance(view.get("type"), str)
    if kind == "block_actions":
        actions = body.get("actions")
        return isinstance(actions, list) and all(isinstance(a, dict) for a in actions)
    return True


def _unhandled_event(body) -> bool:
    """An event Haven does not subscribe to (or one without a usable type)."""
    if not isinstance(body, dict) or body.get("type") != "event_callback":
        return False
    event = body.get("event")
    return not isinstance(event, dict) or event.get("type") not in listeners.EVENTS


def _interactive(req: BoltRequest) -> bool:
    """Commands, buttons, modals and shortcuts: what a replay could repeat. (Events are
    deduplicated by their id: Slack itself retries them.)"""
    return not (isinstance(req.body, dict) and req.body.get("type") in {
        "event_callback", "url_verification", "app_rate_limited"})


def _signature(req: BoltRequest) -> str:
    signature = (req.headers.get("x-slack-signature") or [""])[0]
    stamp = (req.headers.get("x-slack-request-timestamp") or [""])[0]
    return hashlib.sha256(f"{stamp}:{signature}".encode()).hexdigest()


class ShapeCheck(Middleware):
    """Turns away payloads whose shape no real Slack request has (400, instead of an error
    deep inside Bolt), and acks events Haven does not handle. It runs before Bolt's own
    authorization, which indexes ``event`` as a dict (a string there was a 500)."""

    def process(self, *, req: BoltRequest, resp: BoltResponse, next):
        if isinstance(req.body, dict) and not well_formed(req.body):
            return BoltResponse(status=400, body="malformed payload")
        if _unhandled_event(req.body):
            return BoltResponse(status=200, body="")  # Slack would retry anything else
        return next()


class HavenContext(Middleware):
    """Puts Haven's services on every request's context, after refusing replays."""

    def __init__(self, haven: Haven):
        self.haven = haven

    def process(self, *, req: BoltRequest, resp: BoltResponse, next):
        if req.context.enterprise_id and req.context.team_id:
            self.haven.note_enterprise(req.context.team_id, req.context.enterprise_id)
        # (Socket Mode has no signatures to replay: Slack's websocket is authenticated)
        if req.mode == "http" and _interactive(req):
            team_id = req.context.team_id or ""
            seen = self.haven.first_sight(_signature(req), team_id)
            if seen is None:  # the database is locked: say so now, not after Slack gave up
                return busy(req.body, self.haven.busy_text(team_id))
            if not seen:
                return BoltResponse(status=401, body="replayed request")
        req.context["haven"] = self.haven
        return next()


def busy(body: dict, text: str) -> BoltResponse:
    """The answer to an interaction Haven could not take. A command gets the text privately
    in Slack; a button, modal or shortcut a 503, which Slack shows as a failure (a modal
    stays open with what was typed, for another try). A 2xx would drop the click silently,
    and Slack does not send interactions again."""
    if is_slash_command(body):
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
    return BoltResponse(status=503, body=text)
