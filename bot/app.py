"""The Bolt app: ``create_app(settings, haven=...)``."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot import listeners
from bot.config import Settings
from bot.notify import make_client, quiet_logger
from bot.service import Haven


def create_app(settings: Settings, haven: Haven, *, client: WebClient | None = None) -> App:
    """A Bolt app with every listener, Haven's services on each request's context, and the
    Web API client aimed at ``SLACK_API_URL``."""
    client = client or make_client(settings.slack_bot_token, settings.slack_api_url)
    app = App(signing_secret=settings.slack_signing_secret, client=client,
              logger=quiet_logger("haven.bolt"), process_before_response=False,
              request_verification_enabled=True, ignoring_self_events_enabled=True)

    @app.middleware
    def attach_haven(context, next):
        context["haven"] = haven
        next()

    listeners.register(app)
    return app
