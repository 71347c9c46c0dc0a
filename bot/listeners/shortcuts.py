"""The message shortcut "Report to a confidant"."""

from __future__ import annotations

from slack_bolt import App

from bot.blocks import BLOCK_IMAGE_SHORTCUT, REPORT_SHORTCUT
from bot.listeners import text_of, user_of


def register(app: App) -> None:
    app.shortcut(REPORT_SHORTCUT)(on_report_message)
    app.shortcut(BLOCK_IMAGE_SHORTCUT)(on_block_image)


def on_report_message(ack, body: dict, context, client) -> None:
    """Keep the message as evidence and open the report modal."""
    ack()
    haven = context["haven"]
    team_id = str(context.team_id or "")
    channel = body.get("channel")
    channel = text_of(channel.get("id")) if isinstance(channel, dict) else None
    message, user_id = body.get("message"), user_of(body)
    trigger_id = text_of(body.get("trigger_id"))
    if not (channel and isinstance(message, dict) and user_id and trigger_id):
        return
    haven.report_from_shortcut(gateway=haven.gateway(client, team_id), team_id=team_id,
                               user_id=user_id, channel_id=channel, message=message,
                               trigger_id=trigger_id)


def on_block_image(ack, body: dict, context, client) -> None:
    """Admins: remember this message's images as known offensive images; the answer comes
    as a DM to the admin (nobody else sees anything)."""
    ack()
    haven = context["haven"]
    team_id = str(context.team_id or "")
    message, user_id = body.get("message"), user_of(body)
    if not isinstance(message, dict) or user_id is None:
        return
    gateway = haven.gateway(client, team_id)
    reply = haven.block_images(gateway=gateway, team_id=team_id, user_id=user_id,
                               message=message)
    haven.jobs.submit(gateway.send_dm, user_id, reply.text, [])
