"""The message shortcut "Report to a confidant"."""

from __future__ import annotations

from slack_bolt import App

from bot.blocks import REPORT_SHORTCUT

SHORTCUTS = (REPORT_SHORTCUT,)


def register(app: App) -> None:
    app.shortcut(REPORT_SHORTCUT)(on_report_message)


def on_report_message(ack, body: dict, context, client) -> None:
    """Keep the message as evidence and open the report modal."""
    ack()
    haven = context["haven"]
    team_id = context.team_id or ""
    channel = (body.get("channel") or {}).get("id")
    message = body.get("message")
    if not isinstance(channel, str) or not isinstance(message, dict):
        return
    haven.report_from_shortcut(gateway=haven.gateway(client, team_id), team_id=team_id,
                               user_id=body["user"]["id"], channel_id=channel,
                               message=message, trigger_id=body["trigger_id"])
