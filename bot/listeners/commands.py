"""The ``/haven`` slash command."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as Late

from slack_bolt import App

from bot.listeners import text_of

#: Answer in the acknowledgement when the answer is ready this fast (Slack allows 3 s);
#: otherwise acknowledge and answer through the response URL.
ANSWER_IN_ACK_SECONDS = 2.0
_workers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="haven-command")


def register(app: App) -> None:
    app.command("/haven")(on_haven)


def on_haven(ack, command: dict, respond, context, client) -> None:
    """``report`` opens the modal; everything else answers privately."""
    haven = context["haven"]
    team_id = str(context.team_id or command.get("team_id") or "")
    user_id, trigger_id = text_of(command.get("user_id")), text_of(command.get("trigger_id"))
    if user_id is None:
        ack()
        return
    gateway = haven.gateway(client, team_id)
    text = (text_of(command.get("text")) or "").strip()
    if text.lower().split()[:1] == ["report"] and trigger_id:
        ack()
        haven.report_from_command(gateway=gateway, team_id=team_id, user_id=user_id,
                                  trigger_id=trigger_id)
        return
    answer = _workers.submit(haven.command, gateway=gateway, team_id=team_id,
                             user_id=user_id, text=text)
    try:
        ack(text=answer.result(timeout=ANSWER_IN_ACK_SECONDS).text, response_type="ephemeral")
    except Late:
        ack()
        respond(text=answer.result().text, response_type="ephemeral")
