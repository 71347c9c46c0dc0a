"""The App Home tab: how Haven works, in plain words, and who the confidants are."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import DividerBlock, HeaderBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.storage import queries as q
from bot.storage.db import session_scope

log = logging.getLogger(__name__)


def home_view(confidants: list[tuple[str, str]]) -> View:
    """The Home tab for an employee."""
    roster = "\n".join(f"• <@{user_id}>" for user_id, _ in confidants) or \
        "_No confidant has been set up yet._"
    return View(type="home", blocks=[
        HeaderBlock(text="Haven"),
        SectionBlock(text=MarkdownTextObject(text=(
            "Haven helps you deal with hurtful messages at work. In the channels your admins "
            "opted in, it notices messages that may be hurtful and tells *only the person "
            "they are aimed at*, privately. You decide whether anything happens next: you "
            "can send the message, kept safe as evidence, to a confidant."))),
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text="*Confidants (vertrouwenspersonen)*\n"
                                             + roster)),
        SectionBlock(text=MarkdownTextObject(text=(
            "To report: use `/haven report`, or a message's menu *⋯ → Report to a "
            "confidant*. Only you and the confidant you choose will see your report; admins "
            "see anonymous totals only."))),
    ])


def publish(haven, gateway, user_id: str) -> None:
    """Publish the Home tab for one person."""
    with session_scope(haven.engine) as session:
        roster = [(c.user_id, c.name) for c in q.confidants(session, team_id=gateway.team_id)]
    try:
        gateway.client.views_publish(user_id=user_id, view=home_view(roster))
    except SlackApiError as error:
        log.info("views.publish failed: %s", error.response.get("error"))
