"""Buttons: on the private notice, on cases (both sides), and in the App Home.

Buttons carry a flag id, a case id, a channel or a person; the service checks on every
click that the person clicking may act on it.
"""

from __future__ import annotations

import re

from slack_bolt import App

from bot import blocks, home
from bot.i18n import LANGUAGES
from bot.listeners import text_of, user_of

_ID = re.compile(r"^[CGUW][A-Z0-9]{2,20}$")


def register(app: App) -> None:
    app.action(blocks.REPORT_BUTTON)(on_report)
    app.action(blocks.DISMISS_BUTTON)(on_dismiss)
    app.action(blocks.KEEP_EXAMPLE_BUTTON)(on_example_answer)
    app.action(blocks.NO_EXAMPLE_BUTTON)(on_example_answer)
    for action_id in (blocks.ACK_BUTTON, blocks.REPLY_BUTTON, blocks.WRITE_BUTTON,
                      blocks.NOTES_BUTTON, blocks.CLOSE_BUTTON, blocks.WITHDRAW_BUTTON,
                      blocks.EXPORT_BUTTON, blocks.REASSIGN_BUTTON, blocks.CASE_MORE):
        app.action(action_id)(on_case_button)
    for action_id in (blocks.CONTACT_BUTTON, blocks.SETTINGS_BUTTON, blocks.CHANNEL_BUTTON,
                      blocks.ROSTER_ADD_BUTTON, blocks.ROSTER_EDIT_BUTTON,
                      blocks.WATCH_BUTTON, blocks.UNWATCH_BUTTON,
                      blocks.ROSTER_REMOVE_BUTTON):
        app.action(action_id)(on_home_button)
    app.action(blocks.HOME_PAGE_BUTTON)(on_home_page)
    app.action(blocks.MY_LANGUAGE_SELECT)(on_my_language)


def _number(action: dict) -> int | None:
    value = action.get("value") if isinstance(action, dict) else None
    if isinstance(value, str) and 0 < len(value) <= 18 and value.isascii() and value.isdigit():
        return int(value)
    return None


def _slack_id(action: dict) -> str | None:
    value = action.get("value") if isinstance(action, dict) else None
    return value if isinstance(value, str) and _ID.match(value) else None


def _setup(body: dict, context, client):
    haven = context["haven"]
    team_id = str(context.team_id or "")
    return haven, team_id, haven.gateway(client, team_id)


def on_report(ack, body: dict, action: dict, context, client) -> None:
    """Open the report modal, for the person the notice was sent to only."""
    ack()
    flag_id, user_id, trigger_id = _number(action), user_of(body), text_of(body.get("trigger_id"))
    if flag_id is None or user_id is None or trigger_id is None:
        return
    haven, team_id, gateway = _setup(body, context, client)
    haven.report_from_notice(gateway=gateway, team_id=team_id, user_id=user_id,
                             flag_id=flag_id, trigger_id=trigger_id)


def _where(body: dict) -> dict:
    """The DM message a button was pressed in (to update it)."""
    channel, message = body.get("channel"), body.get("message")
    return {"channel": text_of(channel.get("id")) if isinstance(channel, dict) else None,
            "ts": text_of(message.get("ts")) if isinstance(message, dict) else None}


def on_dismiss(ack, body: dict, action: dict, context, client) -> None:
    """"Not hurtful to me": feedback, and the notice asks about keeping an example."""
    ack()
    flag_id, user_id = _number(action), user_of(body)
    if flag_id is None or user_id is None:
        return
    haven, team_id, gateway = _setup(body, context, client)
    haven.dismiss(gateway=gateway, team_id=team_id, user_id=user_id, flag_id=flag_id,
                  **_where(body))


def on_example_answer(ack, body: dict, action: dict, context, client) -> None:
    """Keep the dismissed message's text as an example for the model, or not."""
    ack()
    flag_id, user_id = _number(action), user_of(body)
    if flag_id is None or user_id is None:
        return
    haven, team_id, gateway = _setup(body, context, client)
    haven.answer_example(gateway=gateway, team_id=team_id, user_id=user_id, flag_id=flag_id,
                         keep=action.get("action_id") == blocks.KEEP_EXAMPLE_BUTTON,
                         **_where(body))


def _from_overflow(action: dict) -> dict:
    """An option of a case's overflow menu as the button it stands for."""
    option = action.get("selected_option") if isinstance(action, dict) else None
    value = option.get("value") if isinstance(option, dict) else None
    button, _, case = value.rpartition(":") if isinstance(value, str) else ("", "", "")
    allowed = (blocks.ACK_BUTTON, blocks.REPLY_BUTTON, blocks.NOTES_BUTTON, blocks.CLOSE_BUTTON,
               blocks.WRITE_BUTTON, blocks.EXPORT_BUTTON)
    return {"action_id": button, "value": case} if button in allowed else {}


def on_case_button(ack, body: dict, action: dict, context, client) -> None:
    """A case button: modals open at once (the trigger expires in 3 s); the rest is a job."""
    ack()
    if action.get("action_id") == blocks.CASE_MORE:
        action = _from_overflow(action)
    case_id, user_id = _number(action), user_of(body)
    trigger_id = text_of(body.get("trigger_id"))
    if case_id is None or user_id is None:
        return
    haven, team_id, gateway = _setup(body, context, client)
    args = {"gateway": gateway, "team_id": team_id, "user_id": user_id, "case_id": case_id}
    action_id = action.get("action_id")
    opens = {blocks.REPLY_BUTTON: haven.open_relay, blocks.WRITE_BUTTON: haven.open_relay,
             blocks.NOTES_BUTTON: haven.open_notes, blocks.CLOSE_BUTTON: haven.open_close,
             blocks.REASSIGN_BUTTON: haven.open_reassign}
    if action_id in opens:
        if trigger_id:
            opens[action_id](trigger_id=trigger_id, **args)
        return
    work = {blocks.ACK_BUTTON: haven.acknowledge, blocks.WITHDRAW_BUTTON: haven.withdraw,
            blocks.EXPORT_BUTTON: haven.export_for_reporter}[action_id]
    haven.jobs.submit(_then_home, haven, gateway, user_id, work, args,
                      from_home=_from_home(body))


def _from_home(body: dict) -> bool:
    view = body.get("view")
    return isinstance(view, dict) and view.get("type") == "home"


def _then_home(haven, gateway, user_id: str, work, args: dict, *, from_home: bool) -> None:
    """Do the work; if the click came from the Home tab, show the Home as it is now."""
    work(**args)
    if from_home:
        home.publish(haven, gateway, user_id)


def on_home_button(ack, body: dict, action: dict, context, client) -> None:
    """Contact a confidant; admins' settings buttons (each re-checks that they are admin)."""
    ack()
    user_id, trigger_id = user_of(body), text_of(body.get("trigger_id"))
    if user_id is None or trigger_id is None:
        return
    haven, team_id, gateway = _setup(body, context, client)
    action_id, target = action.get("action_id"), _slack_id(action)
    if action_id == blocks.CONTACT_BUTTON:
        if target:
            haven.report_from_command(gateway=gateway, team_id=team_id, user_id=user_id,
                                      trigger_id=trigger_id, chosen=target)
        return
    removals = {blocks.UNWATCH_BUTTON: haven.unwatch_from_home,
                blocks.ROSTER_REMOVE_BUTTON: haven.remove_from_roster}
    if action_id in removals:  # buttons inside an admin's modal, which then says what happened
        view = body.get("view") if isinstance(body.get("view"), dict) else {}
        if target:
            removals[action_id](gateway=gateway, team_id=team_id, user_id=user_id,
                                target=target, view_id=text_of(view.get("id")))
        return
    what = {blocks.SETTINGS_BUTTON: "settings", blocks.CHANNEL_BUTTON: "channel",
            blocks.ROSTER_ADD_BUTTON: "roster", blocks.ROSTER_EDIT_BUTTON: "roster",
            blocks.WATCH_BUTTON: "watch"}[action_id]
    if what in {"channel"} and target is None:
        return
    haven.open_settings(gateway=gateway, team_id=team_id, user_id=user_id,
                        trigger_id=trigger_id, what=what,
                        target=target if action_id != blocks.ROSTER_ADD_BUTTON else None)


def on_home_page(ack, body: dict, action: dict, context) -> None:
    """*Previous* / *Next* under a list in the Home tab: the Home with that page."""
    ack()
    value, user_id = action.get("value"), user_of(body)
    section, _, page = value.partition(":") if isinstance(value, str) else ("", "", "")
    if user_id is None or section not in {"cases", "mine", "channels"} or not (
            page.isascii() and page.isdigit() and len(page) <= 4):
        return
    haven, _team_id, gateway = _setup(body, context, context.client)
    haven.jobs.submit(home.publish, haven, gateway, user_id, {section: int(page)})


def on_my_language(ack, body: dict, action: dict, context) -> None:
    """A person chose their own language in the Home tab; the Home follows at once."""
    ack()
    option, user_id = action.get("selected_option"), user_of(body)
    value = option.get("value") if isinstance(option, dict) else None
    if user_id is None or value not in {"default", *LANGUAGES}:
        return
    haven, _team_id, gateway = _setup(body, context, context.client)
    haven.jobs.submit(_then_home, haven, gateway, user_id, haven.choose_language,
                      {"gateway": gateway, "user_id": user_id,
                       "language": None if value == "default" else value}, from_home=True)
