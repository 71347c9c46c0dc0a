"""Events API: messages in watched channels, and the App Home."""

from __future__ import annotations

from slack_bolt import App

from bot import home


def register(app: App) -> None:
    app.event("message")(on_message)
    app.event("app_home_opened")(on_home_opened)
    app.event("app_uninstalled")(on_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)


def on_message(body: dict, event: dict, context, client) -> None:
    """Hand the message to the job queue: judge it, flag it, notify the people it concerns."""
    haven = context["haven"]
    team_id = str(context.team_id or body.get("team_id") or "")
    haven.jobs.enqueue("handle_message", team_id=team_id, client=client,
                       event_id=str(body.get("event_id") or ""), event=event,
                       bot_user_id=context.bot_user_id)


def on_home_opened(event: dict, context, client) -> None:
    """Show the App Home: how Haven works and who the confidants are."""
    if event.get("tab", "home") != "home" or not isinstance(event.get("user"), str):
        return
    haven = context["haven"]
    home.publish(haven, haven.gateway(client, context.team_id or ""), event["user"])


def on_uninstalled(body: dict, context) -> None:
    """Uninstalling Haven erases everything it kept about the workspace."""
    context["haven"].forget_workspace(str(context.team_id or body.get("team_id") or ""))


def on_tokens_revoked(body: dict, event: dict, context) -> None:
    """Revoking Haven's bot token is uninstalling it; a user token alone changes nothing."""
    tokens = event.get("tokens") if isinstance(event, dict) else None
    if isinstance(tokens, dict) and tokens.get("bot"):
        on_uninstalled(body, context)
