"""Confidants and reporters after a report: acknowledgement, the anonymous relay, notes,
closing, withdrawal, joint reports and export — end to end over HTTP with signed requests."""

from __future__ import annotations

import json

from bot import blocks, render
from bot.demo import AUTHOR, COLLEAGUE, CONFIDANT, GENERAL, TARGET
from bot.slack_double import wait_for
from bot.storage.models import Case, CaseMessage, CaseNote, Evidence, Example, Flag, Notice
from tests.scenarios import latest_view, report_values, rows, set_up

HURTFUL = "nobody wants you on this team, just quit already"


def report(local, *, reporter: str = TARGET, share_name: bool = False, hold: bool = False,
           note: str | None = None, first: bool = True) -> dict:
    """``reporter`` is sent a hurtful message and reports it; returns the confidant's DM."""
    if first:
        set_up(local)
    before = len(cases_sent(local))
    local.player.message(AUTHOR, GENERAL, f"<@{reporter}> {HURTFUL}")
    notice = wait_for(lambda: [m for m in local.double.dms_to(reporter)
                               if any(b.get("block_id") == "notice_actions"
                                      for b in m["blocks"])])[-1]
    opened = len(local.double.views)
    local.player.click(reporter, notice, blocks.REPORT_BUTTON)
    modal = latest_view(local, opened + 1)
    values = report_values(share_name=share_name, note=note)
    if hold:
        values[blocks.HOLD_BLOCK] = {blocks.HOLD_INPUT: {"type": "checkboxes",
                                                         "selected_options": [{"value": "hold"}]}}
    local.player.submit(reporter, modal, values)
    if hold:
        wait_for(lambda: any("held" in m["text"] for m in local.double.dms_to(reporter)))
        return {}
    assert wait_for(lambda: len(cases_sent(local)) > before)
    return cases_sent(local)[-1]


def cases_sent(local) -> list[dict]:
    """The case DMs the confidant received."""
    return [m for m in local.double.dms_to(CONFIDANT) if "New case" in m["text"]]


def last_dm(local, user: str, containing: str, count: int = 1) -> dict:
    """The newest DM to ``user`` whose text contains ``containing`` (waits for ``count``)."""
    found = wait_for(lambda: len([m for m in local.double.dms_to(user)
                                  if containing in m["text"]]) >= count)
    assert found, f"no DM to {user} with {containing!r}"
    return [m for m in local.double.dms_to(user) if containing in m["text"]][-1]


def write(local, user: str, message: dict, action_id: str, text: str) -> None:
    """Click a relay button, then send ``text`` in the modal it opens."""
    opened = len(local.double.views)
    local.player.click(user, message, action_id)
    modal = latest_view(local, opened + 1)
    local.player.submit(user, modal, {blocks.RELAY_BLOCK: {blocks.RELAY_INPUT: {
        "type": "plain_text_input", "value": text}}})


def everything_the_confidant_got(local) -> str:
    """Every DM, modal and upload the confidant received, as raw JSON."""
    dms = local.double.dms_to(CONFIDANT)
    views = [v["view"] for v in local.double.views]
    return json.dumps(dms) + json.dumps(views)


# -- acknowledgement and closing -------------------------------------------------------------
def test_acknowledging_tells_the_reporter_privately_and_updates_the_case(local):
    case_dm = report(local)
    local.player.click(CONFIDANT, case_dm, blocks.ACK_BUTTON)
    told = last_dm(local, TARGET, "has seen your report")
    assert rows(local, Case)[0].number in told["text"]
    updated = wait_for(lambda: "acknowledged" in render.blocks(
        local.double.dms_to(CONFIDANT)[0]["blocks"]))
    assert updated
    case, = rows(local, Case)
    assert case.status == "acknowledged" and case.acknowledged_at is not None
    assert blocks.ACK_BUTTON not in json.dumps(local.double.dms_to(CONFIDANT)[0]["blocks"])


def test_closing_with_an_outcome_tells_the_reporter_and_feeds_the_model(local):
    case_dm = report(local)
    opened = len(local.double.views)
    local.player.click(CONFIDANT, case_dm, blocks.CLOSE_BUTTON)
    modal = latest_view(local, opened + 1)
    assert "advice given" in render.view(modal) and "referred" in render.view(modal)
    local.player.submit(CONFIDANT, modal, {
        blocks.OUTCOME_BLOCK: {blocks.OUTCOME_INPUT: {"type": "radio_buttons",
                                                      "selected_option": {"value": "referred"}}},
        blocks.VERDICT_BLOCK: {blocks.VERDICT_INPUT: {"type": "radio_buttons",
                                                      "selected_option": {"value": "yes"}}}})
    told = last_dm(local, TARGET, "was closed")
    assert "referred" in render.blocks(told["blocks"])
    case, = rows(local, Case)
    assert case.status == "closed" and case.outcome == "referred"
    example, = [e for e in rows(local, Example) if e.source == "confidant"]
    assert example.label == "harassing" and HURTFUL.encode() not in example.text_cipher


# -- the relay -------------------------------------------------------------------------------
def test_the_anonymous_relay_never_shows_the_reporter_to_the_confidant(local):
    case_dm = report(local, note=f"It was about me, <@{TARGET}>")
    write(local, CONFIDANT, case_dm, blocks.REPLY_BUTTON, "Thank you. Shall we talk?")
    to_reporter = last_dm(local, TARGET, "Your confidant wrote")
    assert "Shall we talk?" in render.blocks(to_reporter["blocks"])
    write(local, TARGET, to_reporter, blocks.WRITE_BUTTON, "Yes please, tomorrow at ten")
    to_confidant = last_dm(local, CONFIDANT, "wrote about case")
    shown = render.blocks(to_confidant["blocks"])
    assert "tomorrow at ten" in shown and "The reporter" in shown
    assert TARGET not in everything_the_confidant_got(local)
    stored = rows(local, CaseMessage)
    assert [m.sender for m in stored] == ["confidant", "reporter"]
    assert all(b"tomorrow" not in m.cipher and b"talk" not in m.cipher for m in stored)
    assert rows(local, Case)[0].first_response_at is not None


def test_a_named_reporter_is_shown_by_name_in_the_relay(local):
    case_dm = report(local, share_name=True)
    write(local, CONFIDANT, case_dm, blocks.REPLY_BUTTON, "Hello")
    to_reporter = last_dm(local, TARGET, "Your confidant wrote")
    write(local, TARGET, to_reporter, blocks.WRITE_BUTTON, "Hi")
    assert f"<@{TARGET}>" in last_dm(local, CONFIDANT, "wrote about case")["text"]


def test_nobody_else_can_act_on_a_case_by_replaying_its_buttons(local):
    case_dm = report(local)
    for intruder in (AUTHOR, COLLEAGUE, TARGET):  # the reporter is no confidant either
        local.player.click(intruder, case_dm, blocks.ACK_BUTTON)
        local.player.click(intruder, case_dm, blocks.NOTES_BUTTON)
        local.player.click(intruder, case_dm, blocks.CLOSE_BUTTON)
    forged = {"type": "modal", "callback_id": blocks.RELAY_MODAL,
              "private_metadata": json.dumps({"case": rows(local, Case)[0].id}), "blocks": []}
    local.player.submit(AUTHOR, forged, {blocks.RELAY_BLOCK: {blocks.RELAY_INPUT: {
        "type": "plain_text_input", "value": "I know who you are"}}})
    confirmation = last_dm(local, TARGET, "was sent to")
    local.player.click(AUTHOR, confirmation, blocks.WITHDRAW_BUTTON)
    wait_for(lambda: False, timeout=0.5)
    assert rows(local, Case)[0].status == "open"
    assert rows(local, CaseMessage) == [] and rows(local, CaseNote) == []
    assert not any("I know who you are" in json.dumps(m) for m in local.double.messages)
    assert len(local.double.views) == 1  # only the reporter's own modal ever opened


def test_case_notes_are_encrypted_and_for_the_confidant_alone(local):
    case_dm = report(local)
    opened = len(local.double.views)
    local.player.click(CONFIDANT, case_dm, blocks.NOTES_BUTTON)
    modal = latest_view(local, opened + 1)
    assert "No notes yet" in render.view(modal)
    local.player.submit(CONFIDANT, modal, {blocks.NOTE_ADD_BLOCK: {blocks.NOTE_ADD_INPUT: {
        "type": "plain_text_input", "value": "Seems a pattern; ask about March"}}})
    assert wait_for(lambda: rows(local, CaseNote))
    assert b"pattern" not in rows(local, CaseNote)[0].cipher
    local.player.click(CONFIDANT, case_dm, blocks.NOTES_BUTTON)
    assert "ask about March" in render.view(latest_view(local, opened + 2))
    assert not any("March" in json.dumps(m) for m in local.double.dms_to(TARGET))


# -- withdrawal ------------------------------------------------------------------------------
def test_withdrawal_erases_evidence_relay_and_notes_at_once(local):
    case_dm = report(local)
    write(local, CONFIDANT, case_dm, blocks.REPLY_BUTTON, "Can we talk on Friday?")
    relayed = last_dm(local, TARGET, "Your confidant wrote")
    opened = len(local.double.views)
    local.player.click(CONFIDANT, case_dm, blocks.NOTES_BUTTON)
    local.player.submit(CONFIDANT, latest_view(local, opened + 1), {blocks.NOTE_ADD_BLOCK: {
        blocks.NOTE_ADD_INPUT: {"type": "plain_text_input", "value": "first talk"}}})
    assert wait_for(lambda: rows(local, CaseNote))
    confirmation = last_dm(local, TARGET, "was sent to")
    local.player.click(TARGET, confirmation, blocks.WITHDRAW_BUTTON)
    told = last_dm(local, CONFIDANT, "was withdrawn")
    assert "erased" in render.blocks(told["blocks"])
    case, = rows(local, Case)
    assert case.status == "withdrawn" and case.evidence_id is None
    assert rows(local, Evidence) == [] and rows(local, CaseMessage) == []
    assert rows(local, CaseNote) == [] and case.note_cipher is None
    assert [f.evidence_id for f in rows(local, Flag)] == [None]
    # The retractions are queued with the withdrawal and sent by the outbox, a moment later.
    assert wait_for(lambda: relayed["ts"] in [m["ts"] for m in local.double.deleted])
    assert wait_for(lambda: HURTFUL not in json.dumps(local.double.dms_to(CONFIDANT)))


# -- report together -------------------------------------------------------------------------
def test_a_held_report_waits_for_a_second_reporter_then_both_arrive_jointly(local):
    report(local, reporter=TARGET, hold=True)
    assert local.double.dms_to(CONFIDANT) == []  # nothing delivered while held
    assert rows(local, Case)[0].status == "held"
    report(local, reporter=COLLEAGUE, share_name=True, first=False)
    intro = last_dm(local, CONFIDANT, "Joint case")
    assert "2 people" in intro["text"]
    assert wait_for(lambda: len(cases_sent(local)) == 2)
    cases = cases_sent(local)
    assert {c.status for c in rows(local, Case)} == {"open"}
    assert len({c.joint_key for c in rows(local, Case)}) == 1
    assert TARGET not in everything_the_confidant_got(local)  # each decides on their name
    assert COLLEAGUE in json.dumps(cases)


def test_the_confidant_sees_how_many_other_cases_concern_the_same_author(local):
    report(local, reporter=TARGET)
    second = report(local, reporter=COLLEAGUE, first=False)
    assert "Other cases about the same author:* 1" in render.blocks(second["blocks"])
    assert AUTHOR in json.dumps(second)  # the author of the message, not of the other case


# -- export ----------------------------------------------------------------------------------
def test_the_reporter_exports_their_case_with_consent_recorded(local):
    case_dm = report(local, note="for my lawyer")
    write(local, CONFIDANT, case_dm, blocks.REPLY_BUTTON, "Noted")
    confirmation = last_dm(local, TARGET, "was sent to")
    local.player.click(TARGET, confirmation, blocks.EXPORT_BUTTON)
    upload = wait_for(lambda: [u for u in local.double.uploads.values() if u.get("channel")])
    assert upload
    document = upload[0]["content"]
    case, = rows(local, Case)
    assert case.number in document and HURTFUL in document and "Noted" in document
    assert rows(local, Evidence)[0].sha256 in document
    assert case.export_consent_at is not None
    assert upload[0]["channel"] == local.double.dms_to(TARGET)[0]["channel"]


def test_notice_buttons_of_an_expired_flag_do_nothing(local):
    set_up(local)
    local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> {HURTFUL}")
    notice = wait_for(lambda: local.double.dms_to(TARGET))[0]
    from sqlmodel import Session

    with Session(local.haven.engine) as session:
        flag = session.get(Flag, rows(local, Flag)[0].id)
        flag.evidence_id, flag.status = None, "expired"
        session.add(flag)
        session.commit()
    local.player.click(TARGET, notice, blocks.REPORT_BUTTON)
    wait_for(lambda: False, timeout=0.3)
    assert local.double.views == [] and rows(local, Notice)


# -- what the review found --------------------------------------------------------------------
def test_an_anonymous_reporter_is_not_singled_out_among_the_people_a_message_names(local):
    set_up(local)
    local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> <@{COLLEAGUE}> {HURTFUL}")
    notice = wait_for(lambda: local.double.dms_to(TARGET))[0]
    local.player.click(TARGET, notice, blocks.REPORT_BUTTON)
    local.player.submit(TARGET, latest_view(local), report_values())
    shown = render.blocks(wait_for(lambda: cases_sent(local))[0]["blocks"])
    assert "@person 1 @person 2" in shown and COLLEAGUE not in shown and TARGET not in shown
    assert f"@{AUTHOR}" in shown  # the author stays named


def test_a_forged_draft_cannot_borrow_someone_elses_evidence(local):
    set_up(local)
    message = {"type": "message", "user": AUTHOR, "ts": "1700000005.000100", "text": HURTFUL}
    local.player.shortcut(TARGET, GENERAL, message, blocks.REPORT_SHORTCUT)
    evidence_id = json.loads(latest_view(local)["private_metadata"])["evidence"]
    forged = {"type": "modal", "callback_id": blocks.REPORT_MODAL, "blocks": [],
              "private_metadata": json.dumps({"evidence": evidence_id, "by": COLLEAGUE})}
    local.player.submit(COLLEAGUE, forged, report_values())
    wait_for(lambda: False, timeout=0.4)
    assert rows(local, Case) == [] and not local.double.dms_to(CONFIDANT)


def test_a_double_click_on_withdraw_tells_the_confidant_once(local):
    report(local)
    confirmation = last_dm(local, TARGET, "was sent to")
    local.player.click(TARGET, confirmation, blocks.WITHDRAW_BUTTON)
    local.player.click(TARGET, confirmation, blocks.WITHDRAW_BUTTON)
    last_dm(local, CONFIDANT, "was withdrawn")
    wait_for(lambda: False, timeout=0.5)
    posted = [c for c in local.double.calls_to("chat.postMessage")
              if "was withdrawn" in c.get("text", "")]
    assert len(posted) == 1  # one DM (and the case DM itself now says so)


def test_withdrawal_retracts_the_notice_that_quoted_the_message(local):
    report(local)
    confirmation = last_dm(local, TARGET, "was sent to")
    local.player.click(TARGET, confirmation, blocks.WITHDRAW_BUTTON)
    assert wait_for(lambda: HURTFUL not in json.dumps(local.double.dms_to(TARGET)))


def test_self_reports_cannot_be_held_against_anyone(local):
    set_up(local)
    message = {"type": "message", "user": AUTHOR, "ts": "1700000005.000100", "text": HURTFUL}
    local.player.shortcut(AUTHOR, GENERAL, message, blocks.REPORT_SHORTCUT)
    ids = [b.get("block_id") for b in latest_view(local)["blocks"]]
    assert blocks.NOTE_BLOCK in ids and blocks.HOLD_BLOCK not in ids


def test_after_retention_havens_own_messages_no_longer_show_anything(local):
    from datetime import timedelta

    from sqlmodel import Session

    from bot.server import recover
    from bot.storage.models import utcnow

    case_dm = report(local)
    write(local, CONFIDANT, case_dm, blocks.REPLY_BUTTON, "See you on Friday")
    relayed = last_dm(local, TARGET, "Your confidant wrote")
    local.player.message(AUTHOR, GENERAL, f"<@{COLLEAGUE}> {HURTFUL}")  # never reported
    assert wait_for(lambda: local.double.dms_to(COLLEAGUE))
    opened = len(local.double.views)
    local.player.click(CONFIDANT, case_dm, blocks.CLOSE_BUTTON)
    local.player.submit(CONFIDANT, latest_view(local, opened + 1), {blocks.OUTCOME_BLOCK: {
        blocks.OUTCOME_INPUT: {"type": "radio_buttons", "selected_option": {"value": "advice"}}}})
    assert wait_for(lambda: rows(local, Case)[0].status == "closed")
    with Session(local.haven.engine) as session:
        case = session.get(Case, rows(local, Case)[0].id)
        case.closed_at = utcnow() - timedelta(days=400)
        session.add(case)
        for flag in rows(local, Flag):
            flag.created_at = utcnow() - timedelta(days=40)
            session.add(flag)
        session.commit()
    recover(local.haven, local.bolt)
    assert HURTFUL not in json.dumps(local.double.messages)  # notices and the case DM
    assert "See you on Friday" not in json.dumps(local.double.messages)
    assert relayed["ts"] in [m["ts"] for m in local.double.deleted]
    assert "erased" in local.double.dms_to(COLLEAGUE)[0]["text"]


def test_a_held_report_whose_confidant_left_goes_back_to_its_reporter(local):
    from bot.demo import ADMIN
    from tests.scenarios import command

    report(local, reporter=TARGET, hold=True)
    assert "is now a confidant" in command(local, ADMIN, f"confidant add <@{ADMIN}>")
    assert "no longer offered" in command(local, ADMIN, f"confidant remove <@{CONFIDANT}>")
    local.player.message(AUTHOR, GENERAL, f"<@{COLLEAGUE}> {HURTFUL}")  # a second report
    notice = wait_for(lambda: local.double.dms_to(COLLEAGUE))[0]
    opened = len(local.double.views)
    local.player.click(COLLEAGUE, notice, blocks.REPORT_BUTTON)
    local.player.submit(COLLEAGUE, latest_view(local, opened + 1), report_values(confidant=ADMIN))
    asked = last_dm(local, TARGET, "no longer available")
    assert local.double.dms_to(CONFIDANT) == []  # the one who left never reads it
    opened = len(local.double.views)
    local.player.click(TARGET, asked, blocks.REASSIGN_BUTTON)
    local.player.submit(TARGET, latest_view(local, opened + 1), report_values(confidant=ADMIN))
    assert wait_for(lambda: len([m for m in local.double.dms_to(ADMIN)
                                 if "New case" in m["text"]]) == 2)
    assert {c.confidant_id for c in rows(local, Case)} == {ADMIN}
