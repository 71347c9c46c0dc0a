"""Helpers for scenario tests: set Haven up and act as people would."""

from __future__ import annotations

from bot.blocks import (
    CONFIDANT_BLOCK,
    CONFIDANT_INPUT,
    LINK_BLOCK,
    LINK_INPUT,
    NAME_BLOCK,
    NAME_INPUT,
    NOTE_BLOCK,
    NOTE_INPUT,
)
from bot.demo import ADMIN, CONFIDANT, GENERAL, answer
from bot.slack_double import wait_for


def command(local, user: str, text: str) -> str:
    """Run ``/haven <text>`` and return the private answer (in the ack, or sent later to
    the response URL)."""
    return answer(local, user, text)


def set_up(local, *, confidant: bool = True) -> None:
    """An admin watches #general and (optionally) adds a confidant."""
    assert "now watches" in command(local, ADMIN, f"watch <#{GENERAL}|general>")
    if confidant:
        assert "is now a confidant" in command(local, ADMIN, f"confidant add <@{CONFIDANT}>")


def report_values(confidant: str | None = CONFIDANT, note: str | None = None,
                  share_name: bool = False, link: str | None = None) -> dict:
    """The ``state.values`` of a filled-in report modal."""
    values = {
        CONFIDANT_BLOCK: {CONFIDANT_INPUT: {"type": "static_select", "selected_option":
                                            {"value": confidant} if confidant else None}},
        NOTE_BLOCK: {NOTE_INPUT: {"type": "plain_text_input", "value": note}},
        NAME_BLOCK: {NAME_INPUT: {"type": "checkboxes", "selected_options":
                                  [{"value": "share"}] if share_name else []}},
    }
    if link is not None:
        values[LINK_BLOCK] = {LINK_INPUT: {"type": "plain_text_input", "value": link}}
    return values


def rows(local, table) -> list:
    """Every row of ``table`` in Haven's database."""
    from sqlmodel import Session, select

    with Session(local.haven.engine) as session:
        return list(session.exec(select(table)))


def latest_view(local, count: int = 1) -> dict:
    """The newest modal Haven opened, once ``count`` have been opened."""
    assert wait_for(lambda: len(local.double.views) >= count)
    return local.double.views[-1]["view"]
