"""Slack triggers, one module per kind. Each registers its own callbacks.

The ids below are the single source of truth that ``manifest.json`` is checked against.
"""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, commands, events, shortcuts, views

EVENTS = events.EVENTS
COMMANDS = commands.COMMANDS
SHORTCUTS = shortcuts.SHORTCUTS


def register(app: App) -> None:
    """Register every listener on ``app``."""
    for module in (events, commands, shortcuts, actions, views):
        module.register(app)
