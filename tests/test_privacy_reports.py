"""Privacy of a report, tried as an attacker and as a bad day would: an anonymous reporter
who reports their own message is named nowhere; withdrawal erases everything derived from the
report (the confidant's verdict kept as a training example too); and a withdrawal while Slack
is down leaves nothing in Slack or the database once Slack is back."""

from __future__ import annotations

import json

from bot import blocks, render
from bot.demo import AUTHOR, CONFIDANT, GENERAL, TARGET
from bot.slack_double import wait_for
from bot.storage.models import Case, CaseMessage, Evidence, Example, Retraction
from tests.scenarios import latest_view, report_values, rows, set_up
from tests.test_cases import HURTFUL, cases_sent, last_dm, report, write
from tests.test_faults import sweep_every_minute


def close_with_verdict(local, case_dm: dict, verdict: str = "yes") -> None:
    opened = len(local.double.views)
    local.player.click(CONFIDANT, case_dm, blocks.CLOSE_BUTTON)
    local.player.submit(CONFIDANT, latest_view(local, opened + 1), {
        blocks.OUTCOME_BLOCK: {blocks.OUTCOME_INPUT: {"type": "radio_buttons",
                                                      "selected_option": {"value": "advice"}}},
        blocks.VERDICT_BLOCK: {blocks.VERDICT_INPUT: {"type": "radio_buttons",
                                                      "selected_option": {"value": verdict}}}})
    last_dm(local, TARGET, "was closed")


def withdraw(local) -> None:
    confirmation = last_dm(local, TARGET, "was sent to")
    local.player.click(TARGET, confirmation, blocks.WITHDRAW_BUTTON)
    assert wait_for(lambda: rows(local, Case)[0].status == "withdrawn")


def test_an_anonymous_reporter_of_their_own_message_is_named_nowhere(local):
    set_up(local)
    own = {"type": "message", "user": TARGET, "ts": "1700000005.000100",
           "text": f"<@{AUTHOR}> and <@{TARGET}> (me): this is what {HURTFUL} looks like"}
    local.player.shortcut(TARGET, GENERAL, own, blocks.REPORT_SHORTCUT)
    local.player.submit(TARGET, latest_view(local), report_values(note=f"me, <@{TARGET}>"))
    shown = render.blocks(wait_for(lambda: cases_sent(local))[0]["blocks"])
    assert TARGET not in json.dumps(local.double.dms_to(CONFIDANT))
    assert "*Author*: @person 2" in shown  # hidden like every other person it names
    assert "@person 1 and @person 2 (me)" in shown  # the reporter is not singled out


def test_a_named_reporter_of_their_own_message_is_shown_as_its_author(local):
    set_up(local)
    own = {"type": "message", "user": TARGET, "ts": "1700000005.000100", "text": HURTFUL}
    local.player.shortcut(TARGET, GENERAL, own, blocks.REPORT_SHORTCUT)
    local.player.submit(TARGET, latest_view(local), report_values(share_name=True))
    shown = render.blocks(wait_for(lambda: cases_sent(local))[0]["blocks"])
    assert f"Author*\n@{TARGET}" in shown or f"@{TARGET}" in shown


def test_withdrawal_erases_the_confidants_verdict_kept_as_an_example(local):
    case_dm = report(local)
    close_with_verdict(local, case_dm)
    assert [e.source for e in rows(local, Example)] == ["confidant"]
    withdraw(local)
    assert rows(local, Example) == []  # `haven train` and `haven feedback export` see nothing


def test_withdrawal_keeps_other_peoples_feedback_on_the_same_message(local):
    from bot.demo import COLLEAGUE

    set_up(local)
    local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> <@{COLLEAGUE}> {HURTFUL}")
    notices = wait_for(lambda: local.double.dms_to(COLLEAGUE) and local.double.dms_to(TARGET))
    assert notices
    local.player.click(COLLEAGUE, local.double.dms_to(COLLEAGUE)[0], blocks.DISMISS_BUTTON)
    asked = wait_for(lambda: [m for m in local.double.dms_to(COLLEAGUE)
                              if any(b.get("block_id") == "notice_example" for b in m["blocks"])])
    local.player.click(COLLEAGUE, asked[0], blocks.KEEP_EXAMPLE_BUTTON)  # allowed to keep it
    assert wait_for(lambda: rows(local, Example))
    local.player.click(TARGET, local.double.dms_to(TARGET)[0], blocks.REPORT_BUTTON)
    local.player.submit(TARGET, latest_view(local), report_values())
    close_with_verdict(local, wait_for(lambda: cases_sent(local))[0])
    withdraw(local)
    assert [e.source for e in rows(local, Example)] == ["not_a_problem"]  # not the reporter's


def test_a_withdrawal_while_slack_is_down_leaves_nothing_once_slack_is_back(local, clock):
    case_dm = report(local)
    write(local, CONFIDANT, case_dm, blocks.REPLY_BUTTON, "Can we talk on Friday?")
    relayed = last_dm(local, TARGET, "Your confidant wrote")
    local.double.down = True  # Slack answers 503 to everything during the withdrawal
    withdraw(local)
    assert wait_for(lambda: rows(local, Retraction) and all(
        r.attempts >= 1 for r in rows(local, Retraction)), timeout=30)
    assert HURTFUL in json.dumps(local.double.dms_to(CONFIDANT))  # still shown, for now
    assert rows(local, Evidence) == [] and rows(local, CaseMessage) == []  # erased at once

    local.double.down = False
    back = sweep_every_minute(local, clock, range(1, 8), until=lambda: not rows(local, Retraction))
    assert back > 0, [(r.kind, r.attempts) for r in rows(local, Retraction)]
    assert HURTFUL not in json.dumps(local.double.dms_to(CONFIDANT))
    assert HURTFUL not in json.dumps(local.double.dms_to(TARGET))
    assert relayed["ts"] in [m["ts"] for m in local.double.deleted]
    case_dm_now = local.double.dms_to(CONFIDANT)[0]
    assert "was withdrawn" in case_dm_now["text"]
    assert wait_for(lambda: any("withdrawn" in m["text"] for m in local.double.dms_to(TARGET)))
    print(f"\nwithdrawal during a Slack outage: nothing left {back} min after Slack was back")


def test_a_retraction_slack_keeps_refusing_is_retried_not_dropped(local, clock):
    case_dm = report(local)
    local.double.fail("chat.update", times=50, status=200, error="internal_error")
    withdraw(local)
    assert wait_for(lambda: rows(local, Retraction), timeout=10)
    sweep_every_minute(local, clock, range(1, 3))
    left = rows(local, Retraction)
    assert left and all(r.attempts >= 1 for r in left)
    local.double.faults.clear()
    sweep_every_minute(local, clock, range(3, 12), until=lambda: not rows(local, Retraction))
    assert rows(local, Retraction) == []
    assert HURTFUL not in json.dumps(local.double.dms_to(CONFIDANT))
    assert case_dm["ts"] in [m["ts"] for m in local.double.dms_to(CONFIDANT)]


def test_a_relay_message_on_its_way_during_a_withdrawal_does_not_stay_behind(local):
    case_dm = report(local)
    confirmation = last_dm(local, TARGET, "was sent to")
    local.double.slow("chat.postMessage", 2)  # the relay message is still on its way ...
    write(local, CONFIDANT, case_dm, blocks.REPLY_BUTTON, "Can we talk on Friday?")
    local.player.click(TARGET, confirmation, blocks.WITHDRAW_BUTTON)  # ... when she withdraws
    assert wait_for(lambda: rows(local, Case)[0].status == "withdrawn")
    assert wait_for(lambda: any("Can we talk" in json.dumps(m) for m in local.double.deleted),
                    timeout=15)
    assert "Can we talk" not in json.dumps(local.double.dms_to(TARGET))
    assert rows(local, CaseMessage) == []
    # The retraction's row goes once Slack's answer is recorded, just after the delete.
    assert wait_for(lambda: rows(local, Retraction) == [])
