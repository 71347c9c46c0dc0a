"""Modal submissions: the report, the relay, notes, closing a case, admins' settings."""

from __future__ import annotations

import re

from slack_bolt import App

from bot import blocks, home
from bot.listeners import user_of
from bot.service import metadata_of


def register(app: App) -> None:
    app.view(blocks.REPORT_MODAL)(on_report_submitted)
    app.view(blocks.RELAY_MODAL)(on_relay_submitted)
    app.view(blocks.NOTES_MODAL)(on_notes_submitted)
    app.view(blocks.CLOSE_MODAL)(on_close_submitted)
    app.view(blocks.SETTINGS_MODAL)(on_settings_submitted)
    app.view(blocks.CHANNEL_MODAL)(on_channel_submitted)
    app.view(blocks.ROSTER_MODAL)(on_roster_submitted)
    app.view(blocks.REASSIGN_MODAL)(on_reassign_submitted)


_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,30}$")


def _value(values, block: str, action: str) -> dict:
    entry = values.get(block) if isinstance(values, dict) else None
    entry = entry.get(action) if isinstance(entry, dict) else None
    return entry if isinstance(entry, dict) else {}


def _string(value) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _values(view: dict) -> dict:
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    return values if isinstance(values, dict) else {}


def _text(values, block: str, action: str | None = None) -> str | None:
    return _string(_value(values, block, action or block).get("value"))


def _choice(values, block: str, action: str | None = None) -> str | None:
    option = _value(values, block, action or block).get("selected_option")
    return _string(option.get("value")) if isinstance(option, dict) else None


def _choices(values, block: str, action: str | None = None) -> list[str]:
    options = _value(values, block, action or block).get("selected_options")
    return [o["value"] for o in options if isinstance(o, dict) and isinstance(
        o.get("value"), str)] if isinstance(options, list) else []


def _case_id(view: dict) -> int | None:
    case = metadata_of(view).get("case")
    return case if isinstance(case, int) and not isinstance(case, bool) and case > 0 else None


def _setup(context, client):
    haven = context["haven"]
    team_id = str(context.team_id or "")
    return haven, team_id, haven.gateway(client, team_id)


def on_report_submitted(ack, body: dict, view: dict, context, client) -> None:
    """Check the choice (errors go back into the modal), ack, then create and deliver."""
    haven, team_id, gateway = _setup(context, client)
    values, user_id = _values(view), user_of(body)
    confidant = _choice(values, blocks.CONFIDANT_BLOCK, blocks.CONFIDANT_INPUT)
    hold = "hold" in _choices(values, blocks.HOLD_BLOCK, blocks.HOLD_INPUT)
    errors = haven.check_report(gateway=gateway, team_id=team_id, user_id=user_id,
                                confidant_id=confidant, hold=hold, metadata=metadata_of(view))
    if errors or user_id is None:
        ack(response_action="errors", errors=errors or {
            blocks.CONFIDANT_BLOCK: haven.texts(gateway, user_id)("report.retry")})
        return
    ack()
    haven.submit_report(
        gateway=gateway, team_id=team_id, user_id=user_id, metadata=metadata_of(view),
        confidant_id=confidant, note=_text(values, blocks.NOTE_BLOCK, blocks.NOTE_INPUT),
        show_name="share" in _choices(values, blocks.NAME_BLOCK, blocks.NAME_INPUT),
        link=_text(values, blocks.LINK_BLOCK, blocks.LINK_INPUT), hold=hold)


def on_reassign_submitted(ack, body: dict, view: dict, context, client) -> None:
    """Another confidant for a report nobody received: checked, then delivered."""
    haven, team_id, gateway = _setup(context, client)
    case_id, user_id = _case_id(view), user_of(body)
    confidant = _choice(_values(view), blocks.CONFIDANT_BLOCK, blocks.CONFIDANT_INPUT)
    errors = haven.check_report(gateway=gateway, team_id=team_id, user_id=user_id,
                                confidant_id=confidant)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    if case_id and user_id:
        haven.jobs.submit(haven.reassign, gateway=gateway, team_id=team_id, user_id=user_id,
                          case_id=case_id, confidant_id=confidant)


def on_relay_submitted(ack, body: dict, view: dict, context, client) -> None:
    """A relay message: stored with the case, then passed to the other side."""
    ack()
    haven, team_id, gateway = _setup(context, client)
    case_id, user_id = _case_id(view), user_of(body)
    text = _text(_values(view), blocks.RELAY_BLOCK, blocks.RELAY_INPUT)
    if case_id and user_id and text:
        haven.jobs.submit(haven.relay, gateway=gateway, team_id=team_id, user_id=user_id,
                          case_id=case_id, text=text)


def on_notes_submitted(ack, body: dict, view: dict, context, client) -> None:
    """A new note, for the confidant alone."""
    ack()
    haven, team_id, _gateway = _setup(context, client)
    case_id, user_id = _case_id(view), user_of(body)
    text = _text(_values(view), blocks.NOTE_ADD_BLOCK, blocks.NOTE_ADD_INPUT)
    if case_id and user_id and text:
        haven.add_note(team_id=team_id, user_id=user_id, case_id=case_id, text=text)


def on_close_submitted(ack, body: dict, view: dict, context, client) -> None:
    """Close the case with its outcome; the reporter is told."""
    values = _values(view)
    outcome = _choice(values, blocks.OUTCOME_BLOCK, blocks.OUTCOME_INPUT)
    haven, team_id, gateway = _setup(context, client)
    case_id, user_id = _case_id(view), user_of(body)
    if outcome not in blocks.OUTCOMES:
        ack(response_action="errors", errors={
            blocks.OUTCOME_BLOCK: haven.texts(gateway, user_id)("close.choose")})
        return
    ack()
    if case_id and user_id:
        haven.jobs.submit(haven.close_case, gateway=gateway, team_id=team_id,
                          user_id=user_id, case_id=case_id, outcome=outcome,
                          verdict=_choice(values, blocks.VERDICT_BLOCK, blocks.VERDICT_INPUT))


def _answer(ack, errors, haven, gateway, user_id) -> None:
    """Errors back into the modal, or close it and show the admin's Home as it is now."""
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    haven.jobs.submit(home.publish, haven, gateway, user_id)


def on_settings_submitted(ack, body: dict, view: dict, context, client) -> None:
    """The workspace settings modal (admins only: checked again here)."""
    haven, team_id, gateway = _setup(context, client)
    values, user_id = _values(view), user_of(body) or ""
    errors = haven.save_settings(
        gateway=gateway, team_id=team_id, user_id=user_id,
        threshold=_text(values, home.S_THRESHOLD) or "",
        categories=_choices(values, home.S_CATEGORIES), nudge=_choice(values, home.S_NUDGE),
        flag_days=_text(values, home.S_FLAG_DAYS) or "",
        case_months=_text(values, home.S_CASE_MONTHS) or "",
        language=_choice(values, home.S_LANGUAGE))
    _answer(ack, errors, haven, gateway, user_id)


def on_channel_submitted(ack, body: dict, view: dict, context, client) -> None:
    """A watched channel's threshold, shadow mode and group."""
    haven, team_id, gateway = _setup(context, client)
    values, user_id = _values(view), user_of(body) or ""
    channel = metadata_of(view).get("channel") or _value(
        values, home.C_CHANNEL, home.C_CHANNEL).get("selected_conversation")
    if not isinstance(channel, str) or not _CHANNEL_ID.match(channel):
        ack()
        return
    errors = haven.save_channel(gateway=gateway, team_id=team_id, user_id=user_id,
                                channel_id=channel, threshold=_text(values, home.C_THRESHOLD),
                                shadow=_choice(values, home.C_SHADOW),
                                group=_text(values, home.C_GROUP))
    _answer(ack, errors, haven, gateway, user_id)


def on_roster_submitted(ack, body: dict, view: dict, context, client) -> None:
    """Add a confidant, or change one's label and description."""
    haven, team_id, gateway = _setup(context, client)
    values, user_id = _values(view), user_of(body) or ""
    person = metadata_of(view).get("person") or _value(
        values, home.R_PERSON, home.R_PERSON).get("selected_user")
    errors = haven.save_roster(gateway=gateway, team_id=team_id, user_id=user_id,
                               person=person if isinstance(person, str) else None,
                               kind=_choice(values, home.R_KIND),
                               description=_text(values, home.R_DESCRIPTION))
    _answer(ack, errors, haven, gateway, user_id)
