"""The ``/haven`` slash command."""

from __future__ import annotations

from slack_bolt import App

COMMANDS = ("/haven",)


def register(app: App) -> None:
    app.command("/haven")(on_haven)


def on_haven(ack, command: dict, respond, context, client) -> None:
    """``report`` opens the modal; everything else answers privately."""
    ack()
    haven = context["haven"]
    team_id = context.team_id or command.get("team_id") or ""
    gateway = haven.gateway(client, team_id)
    text = str(command.get("text") or "").strip()
    if text.lower().split()[:1] == ["report"] and command.get("trigger_id"):
        haven.report_from_command(gateway=gateway, team_id=team_id,
                                  user_id=command["user_id"], trigger_id=command["trigger_id"])
        return
    reply = haven.command(gateway=gateway, team_id=team_id, user_id=command["user_id"],
                         text=text)
    respond(text=reply.text, response_type="ephemeral")
