"""Buttons on the private notice."""

from __future__ import annotations

from slack_bolt import App

from bot.blocks import DISMISS_BUTTON, REPORT_BUTTON


def register(app: App) -> None:
    app.action(REPORT_BUTTON)(on_report)
    app.action(DISMISS_BUTTON)(on_dismiss)


def _flag_id(action: dict) -> int | None:
    value = str(action.get("value") or "")
    return int(value) if value.isdigit() else None


def on_report(ack, body: dict, action: dict, context, client) -> None:
    """Open the report modal, for the person the notice was sent to only."""
    ack()
    flag_id = _flag_id(action)
    if flag_id is None or not body.get("trigger_id"):
        return
    haven = context["haven"]
    team_id = context.team_id or ""
    haven.report_from_notice(gateway=haven.gateway(client, team_id), team_id=team_id,
                             user_id=body["user"]["id"], flag_id=flag_id,
                             trigger_id=body["trigger_id"])


def on_dismiss(ack, body: dict, action: dict, context, client) -> None:
    """"Not a problem": feedback, and the notice says thanks."""
    ack()
    flag_id = _flag_id(action)
    if flag_id is None:
        return
    haven = context["haven"]
    team_id = context.team_id or ""
    haven.dismiss(gateway=haven.gateway(client, team_id), team_id=team_id,
                  user_id=body["user"]["id"], flag_id=flag_id,
                  channel=(body.get("channel") or {}).get("id"),
                  ts=(body.get("message") or {}).get("ts"))
