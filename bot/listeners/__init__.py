"""Slack triggers, one module per kind. Each registers its own callbacks.

The ids below are the single source of truth that ``manifest.json`` is checked against.
"""

from __future__ import annotations

from slack_bolt import App

EVENTS = ("message", "app_home_opened", "app_uninstalled", "tokens_revoked")
COMMANDS = ("/haven",)
SHORTCUTS = ("haven_report_message", "haven_block_image")
#: The bot scopes Haven asks for when a workspace installs it (OAuth) and in manifest.json.
BOT_SCOPES = (
    'channels:history',
    'groups:history',
    'channels:read',
    'groups:read',
    'channels:join',
    'chat:write',
    'im:write',
    'im:history',
    'users:read',
    'commands',
    'files:read',
    'files:write',
)


def user_of(body: dict) -> str | None:
    """The acting user of an interaction payload, or None if the payload is malformed."""
    user = body.get("user") if isinstance(body, dict) else None
    user_id = user.get("id") if isinstance(user, dict) else None
    return user_id if isinstance(user_id, str) and user_id else None


def text_of(value) -> str | None:
    """A string field of a payload, or None."""
    return value if isinstance(value, str) and value else None


def register(app: App) -> None:
    """Register every listener on ``app``."""
    from bot.listeners import actions, commands, events, shortcuts, views

    for module in (events, commands, shortcuts, actions, views):
        module.register(app)
