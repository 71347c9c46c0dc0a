"""The report modal's submission."""

from __future__ import annotations

from slack_bolt import App

from bot import blocks
from bot.listeners import user_of
from bot.service import metadata_of


def register(app: App) -> None:
    app.view(blocks.REPORT_MODAL)(on_report_submitted)


def _value(values, block: str, action: str) -> dict:
    entry = values.get(block) if isinstance(values, dict) else None
    entry = entry.get(action) if isinstance(entry, dict) else None
    return entry if isinstance(entry, dict) else {}


def _string(value) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def on_report_submitted(ack, body: dict, view: dict, context, client) -> None:
    """Check the choice (errors go back into the modal), ack, then create and deliver."""
    haven = context["haven"]
    team_id = str(context.team_id or "")
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else {}
    choice = _value(values, blocks.CONFIDANT_BLOCK, blocks.CONFIDANT_INPUT).get("selected_option")
    confidant = _string(choice.get("value")) if isinstance(choice, dict) else None
    user_id = user_of(body)
    errors = haven.check_report(team_id=team_id, confidant_id=confidant)
    if errors or user_id is None:
        ack(response_action="errors", errors=errors or {blocks.CONFIDANT_BLOCK: "Try again."})
        return
    ack()
    shared = _value(values, blocks.NAME_BLOCK, blocks.NAME_INPUT).get("selected_options")
    haven.submit_report(
        gateway=haven.gateway(client, team_id), team_id=team_id, user_id=user_id,
        metadata=metadata_of(view), confidant_id=confidant,
        note=_string(_value(values, blocks.NOTE_BLOCK, blocks.NOTE_INPUT).get("value")),
        show_name=isinstance(shared, list) and any(
            isinstance(o, dict) and o.get("value") == "share" for o in shared),
        link=_string(_value(values, blocks.LINK_BLOCK, blocks.LINK_INPUT).get("value")))
