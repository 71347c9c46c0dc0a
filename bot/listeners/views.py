"""The report modal's submission."""

from __future__ import annotations

from slack_bolt import App

from bot import blocks
from bot.service import metadata_of


def register(app: App) -> None:
    app.view(blocks.REPORT_MODAL)(on_report_submitted)


def _value(values: dict, block: str, action: str) -> dict:
    return (values.get(block) or {}).get(action) or {}


def on_report_submitted(ack, body: dict, view: dict, context, client) -> None:
    """Check the choice (errors go back into the modal), ack, then create and deliver."""
    haven = context["haven"]
    team_id = context.team_id or ""
    values = (view.get("state") or {}).get("values") or {}
    choice = _value(values, blocks.CONFIDANT_BLOCK, blocks.CONFIDANT_INPUT)
    confidant = (choice.get("selected_option") or {}).get("value")
    errors = haven.check_report(team_id=team_id, confidant_id=confidant)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    shared = _value(values, blocks.NAME_BLOCK, blocks.NAME_INPUT).get("selected_options") or []
    haven.submit_report(
        gateway=haven.gateway(client, team_id), team_id=team_id, user_id=body["user"]["id"],
        metadata=metadata_of(view), confidant_id=confidant,
        note=_value(values, blocks.NOTE_BLOCK, blocks.NOTE_INPUT).get("value") or None,
        show_name=any(o.get("value") == "share" for o in shared),
        link=_value(values, blocks.LINK_BLOCK, blocks.LINK_INPUT).get("value") or None)
