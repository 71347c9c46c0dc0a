"""Buttons on the private notice."""

from __future__ import annotations

from slack_bolt import App

from bot.blocks import DISMISS_BUTTON, REPORT_BUTTON
from bot.listeners import text_of, user_of


def register(app: App) -> None:
    app.action(REPORT_BUTTON)(on_report)
    app.action(DISMISS_BUTTON)(on_dismiss)


def _flag_id(action: dict) -> int | None:
    value = action.get("value") if isinstance(action, dict) else None
    if isinstance(value, str) and 0 < len(value) <= 18 and value.isascii() and value.isdigit():
        return int(value)
    return None


def on_report(ack, body: dict, action: dict, context, client) -> None:
    """Open the report modal, for the person the notice was sent to only."""
    ack()
    flag_id, user_id, trigger_id = _flag_id(action), user_of(body), text_of(body.get("trigger_id"))
    if flag_id is None or user_id is None or trigger_id is None:
        return
    haven = context["haven"]
    team_id = str(context.team_id or "")
    haven.report_from_notice(gateway=haven.gateway(client, team_id), team_id=team_id,
                             user_id=user_id, flag_id=flag_id, trigger_id=trigger_id)


def on_dismiss(ack, body: dict, action: dict, context, client) -> None:
    """"Not a problem": feedback, and the notice says thanks."""
    ack()
    flag_id, user_id = _flag_id(action), user_of(body)
    if flag_id is None or user_id is None:
        return
    haven = context["haven"]
    team_id = str(context.team_id or "")
    channel, message = body.get("channel"), body.get("message")
    haven.dismiss(gateway=haven.gateway(client, team_id), team_id=team_id, user_id=user_id,
                  flag_id=flag_id,
                  channel=text_of(channel.get("id")) if isinstance(channel, dict) else None,
                  ts=text_of(message.get("ts")) if isinstance(message, dict) else None)
