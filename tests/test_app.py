"""The Slack app end to end: signed requests in, Web API calls out, over real HTTP."""

from __future__ import annotations

import copy
import json
import logging
import time
import urllib.request

from bot import render
from bot.blocks import (
    DISMISS_BUTTON,
    KEEP_EXAMPLE_BUTTON,
    NO_EXAMPLE_BUTTON,
    REPORT_BUTTON,
    REPORT_SHORTCUT,
)
from bot.demo import ADMIN, AUTHOR, CONFIDANT, GENERAL, TARGET, TEAM_CHANNEL
from bot.slack_double import BOT_USER_ID, wait_for
from bot.storage.models import Case, Evidence, Example, Feedback, Flag, Notice, WatchedChannel
from tests.postgres import every_value
from tests.scenarios import command, latest_view, report_values, rows, set_up

HURTFUL = "nobody wants you on this team, just quit already"



def hurtful_message(local, target: str = TARGET, **extra) -> list[dict]:
    """Mark posts a hurtful message at ``target`` in #general; returns the target's DMs."""
    status, _ = local.player.message(AUTHOR, GENERAL, f"<@{target}> {HURTFUL}", **extra)
    assert status == 200
    return wait_for(lambda: local.double.dms_to(target))


# -- configuration ------------------------------------------------------------------------
def test_admin_watches_a_public_channel_and_haven_joins_it(local):
    reply = command(local, ADMIN, f"watch <#{TEAM_CHANNEL}|sales>")
    assert "now watches" in reply
    assert [c["channel"] for c in local.double.calls_to("conversations.join")] == [TEAM_CHANNEL]
    assert [r.channel_id for r in rows(local, WatchedChannel)] == [TEAM_CHANNEL]


def test_a_private_channel_asks_the_admin_to_invite_haven(local):
    reply = command(local, ADMIN, "watch <#C0PRIVATE1|hr-private>")
    assert "private channel" in reply and "/invite" in reply
    assert not local.double.calls_to("conversations.join")


def test_non_admins_are_refused_politely_and_nothing_changes(local):
    for text in (f"watch <#{GENERAL}|general>", f"confidant add <@{AUTHOR}>", "status",
                 "threshold 0.1"):
        reply = command(local, TARGET, text)
        assert reply.startswith("Sorry, only workspace admins")
    assert rows(local, WatchedChannel) == []


def test_help_is_for_everyone_and_admins_see_more(local):
    assert "/haven report" in command(local, TARGET, "help")
    assert "/haven watch" not in command(local, TARGET, "help")
    assert "/haven watch" in command(local, ADMIN, "help")
    assert "don't know" in command(local, TARGET, "frobnicate")


def test_a_slow_slack_answer_comes_through_the_response_url(local):
    local.double.slow("users.info", 2.5)
    status, body = local.player.command(ADMIN, "status")
    assert status == 200 and body == ""  # acked in time, empty
    assert wait_for(lambda: local.double.responses)
    assert "Watched channels" in local.double.responses[-1]["text"]


def test_threshold_per_workspace_and_per_channel(local):
    set_up(local)
    assert "0.90" in command(local, ADMIN, "threshold 0.9")
    assert "between 0.05 and 0.99" in command(local, ADMIN, "threshold 7")
    assert "Threshold for" in command(local, ADMIN, f"threshold <#{GENERAL}|general> 0.99")
    mild = f"<@{TARGET}> honestly you can be a bit of an idiot in meetings"
    local.player.message(AUTHOR, GENERAL, mild)
    time.sleep(1.0)
    assert local.double.dms_to(TARGET) == []
    command(local, ADMIN, f"threshold <#{GENERAL}|general> 0.2")
    local.player.message(AUTHOR, GENERAL, mild)
    assert wait_for(lambda: local.double.dms_to(TARGET))


def test_confidants_unwatch_and_status(local):
    set_up(local)
    status = command(local, ADMIN, "status")
    assert f"<#{GENERAL}>" in status and f"<@{CONFIDANT}>" in status
    assert "/haven stats" in status and "flags," not in status  # no live counts
    assert "no longer offered" in command(local, ADMIN, f"confidant remove <@{CONFIDANT}|x>")
    assert "no longer watches" in command(local, ADMIN, f"unwatch <#{GENERAL}|general>")
    assert "none yet" in command(local, ADMIN, "status")


# -- detection and the private notice -------------------------------------------------------
def test_a_hurtful_message_privately_notifies_the_person_it_mentions(local):
    set_up(local)
    notices = hurtful_message(local)
    assert len(notices) == 1
    shown = render.blocks(notices[0]["blocks"])
    assert "may be hurtful to you" in shown
    assert "[ Report to a confidant ]" in shown and "[ Not hurtful to me ]" in shown
    assert "112" not in shown  # urgent help is for threats
    assert "https://acme.slack.com/archives/C0GENERAL/" in shown
    # Nobody else learns anything: nothing in the channel, nothing to the author.
    assert local.double.channel_messages(GENERAL) == []
    assert local.double.dms_to(AUTHOR) == []
    assert not local.double.calls_to("reactions.add")


def test_evidence_is_stored_encrypted_before_the_notice(local):
    set_up(local)
    hurtful_message(local)
    flag, = rows(local, Flag)
    evidence = next(e for e in rows(local, Evidence) if e.id == flag.evidence_id)
    assert HURTFUL.encode() not in evidence.cipher
    bundle = local.haven.vault.open(evidence.cipher)
    assert bundle["text"].endswith(HURTFUL) and bundle["author"] == AUTHOR
    assert bundle["permalink"].startswith("https://") and len(evidence.sha256) == 64
    if local.haven.engine.dialect.name == "sqlite":
        database = (local.folder / "haven.db").read_bytes()
    else:
        database = every_value(local.haven.engine)
    assert HURTFUL.encode() not in database


def test_a_thread_reply_notifies_the_author_of_the_parent(local):
    set_up(local)
    local.player.message(AUTHOR, GENERAL, "you are a pathetic useless idiot",
                         thread_ts="1700000000.000100", parent_user_id=TARGET)
    assert wait_for(lambda: local.double.dms_to(TARGET))


def test_an_edit_that_turns_hurtful_is_judged(local):
    set_up(local)
    local.player.event({"type": "message", "subtype": "message_changed", "channel": GENERAL,
                        "ts": "1700000001.000200",
                        "message": {"type": "message", "user": AUTHOR,
                                    "text": f"<@{TARGET}> you are a worthless moron",
                                    "ts": "1700000000.000300"},
                        "previous_message": {"user": AUTHOR, "text": "ok",
                                             "ts": "1700000000.000300"}})
    assert wait_for(lambda: local.double.dms_to(TARGET))


def test_kind_messages_bots_and_unwatched_channels_are_left_alone(local):
    set_up(local)
    local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> fucking great job on the demo!")
    local.player.message(AUTHOR, TEAM_CHANNEL, f"<@{TARGET}> {HURTFUL}")  # not watched
    local.player.event({"type": "message", "subtype": "bot_message", "bot_id": "B0OTHER",
                        "channel": GENERAL, "text": f"<@{TARGET}> {HURTFUL}", "ts": "1.2"})
    local.player.message(BOT_USER_ID, GENERAL, f"<@{TARGET}> {HURTFUL}")
    hurtful_message(local, target=CONFIDANT)  # a marker: events are handled in order
    time.sleep(0.3)
    assert local.double.dms_to(TARGET) == []
    assert len(rows(local, Flag)) == 1


def test_slack_retries_of_one_event_give_one_flag_and_one_notice(local):
    set_up(local)
    event = {"type": "message", "user": AUTHOR, "channel": GENERAL, "ts": "1700000000.000900",
             "text": f"<@{TARGET}> {HURTFUL}"}
    for retry in range(3):
        local.player.event(event, event_id="Ev0RETRY01",
                           headers={"X-Slack-Retry-Num": str(retry)} if retry else None)
    assert wait_for(lambda: local.double.dms_to(TARGET))
    time.sleep(0.5)
    assert len(rows(local, Flag)) == 1 and len(local.double.dms_to(TARGET)) == 1


def test_in_a_private_channel_only_members_get_the_evidence(local):
    local.double.workspace.add_channel("C0PRIVATE2", "team-private", private=True,
                                       member=True, members=(AUTHOR, TARGET))
    command(local, ADMIN, "watch <#C0PRIVATE2|team-private>")
    local.player.message(AUTHOR, "C0PRIVATE2", f"<@{TARGET}> <@{CONFIDANT}> {HURTFUL}")
    assert wait_for(lambda: local.double.dms_to(TARGET))
    time.sleep(0.3)
    assert local.double.dms_to(CONFIDANT) == []  # mentioned, but not a member


def test_an_edit_does_not_notify_the_same_person_twice(local):
    set_up(local)
    hurtful_message(local, ts="1700000100.000100")
    local.player.event({"type": "message", "subtype": "message_changed", "channel": GENERAL,
                        "ts": "1700000101.000100",
                        "message": {"type": "message", "user": AUTHOR,
                                    "text": f"<@{TARGET}> {HURTFUL}!!", "ts": "1700000100.000100"},
                        "previous_message": {"text": "x", "ts": "1700000100.000100"}})
    assert wait_for(lambda: len(rows(local, Flag)) == 2)
    time.sleep(0.3)
    assert len(local.double.dms_to(TARGET)) == 1


def test_a_huge_message_still_gives_a_valid_notice(local):
    set_up(local)
    text = f"<@{TARGET}> you are a useless idiot\n" + "&<>\n" * 5000
    local.player.message(AUTHOR, GENERAL, text)
    notice = wait_for(lambda: local.double.dms_to(TARGET))
    assert notice and all(len((b.get("text") or {}).get("text", "")) <= 3000
                          for b in notice[0]["blocks"])


def test_user_text_cannot_ping_the_channel_or_disguise_a_link(local):
    set_up(local)
    text = (f"<@{TARGET}> <!channel> you are a disgusting idiot, read "
            "<https://evil.example/steal|https://intranet.acme.nl/policy> *fake bold*")
    local.player.message(AUTHOR, GENERAL, text)
    notice = wait_for(lambda: local.double.dms_to(TARGET))[0]
    raw = json.dumps(notice["blocks"])
    assert "<!channel>" not in raw and "<https://evil.example" not in raw
    assert "https://intranet.acme.nl/policy (https://evil.example/steal)" in \
        render.blocks(notice["blocks"])


# -- the notice's buttons ----------------------------------------------------------------------
def test_not_a_problem_is_recorded_as_feedback(local):
    set_up(local)
    notice = hurtful_message(local)[0]
    local.player.click(TARGET, notice, DISMISS_BUTTON)
    assert wait_for(lambda: rows(local, Feedback))
    assert wait_for(lambda: "Noted" in local.double.dms_to(TARGET)[0]["text"])


def test_not_hurtful_to_me_says_what_is_kept_and_keeps_no_example_unless_allowed(local):
    set_up(local)
    notice = hurtful_message(local)[0]
    local.player.click(TARGET, notice, DISMISS_BUTTON)
    asked = wait_for(lambda: [m for m in local.double.dms_to(TARGET) if "Noted" in m["text"]])[0]
    asked = copy.deepcopy(asked)  # the double updates the message in place
    shown = render.blocks(asked["blocks"])
    assert "Nothing more happens" not in shown
    assert "for 30 days" in shown and "nobody sees it unless the message is reported" in shown
    assert "[ Keep it as an example ]  [ Don't keep it ]" in shown
    assert rows(local, Example) == []  # nothing kept before the person says so
    local.player.click(TARGET, asked, NO_EXAMPLE_BUTTON)
    assert wait_for(lambda: "Nothing is kept" in render.blocks(
        local.double.dms_to(TARGET)[0]["blocks"]))
    assert rows(local, Example) == [] and [f.verdict for f in rows(local, Feedback)] == [
        "no_example"]
    local.player.click(TARGET, asked, KEEP_EXAMPLE_BUTTON)  # the old buttons, pressed late
    time.sleep(0.3)
    assert rows(local, Example) == []


def test_an_example_is_kept_only_when_the_person_allows_it_and_only_once(local):
    set_up(local)
    notice = hurtful_message(local)[0]
    local.player.click(TARGET, notice, DISMISS_BUTTON)
    asked = copy.deepcopy(wait_for(lambda: [m for m in local.double.dms_to(TARGET)
                                            if "Noted" in m["text"]])[0])
    local.player.click(AUTHOR, asked, KEEP_EXAMPLE_BUTTON)  # not the author's to give
    local.player.click(TARGET, asked, KEEP_EXAMPLE_BUTTON)
    local.player.click(TARGET, asked, KEEP_EXAMPLE_BUTTON)  # a double click
    assert wait_for(lambda: "is kept as an example" in render.blocks(
        local.double.dms_to(TARGET)[0]["blocks"]))
    assert wait_for(lambda: rows(local, Example))
    time.sleep(0.3)
    example, = rows(local, Example)
    assert example.source == "not_a_problem" and example.label == "benign"


def test_a_threat_notice_says_where_to_get_urgent_help(local):
    set_up(local)
    local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> I will kill you after work, watch out")
    notice = wait_for(lambda: local.double.dms_to(TARGET))[0]
    shown = render.blocks(notice["blocks"])
    assert "call 112" in shown and "0900-8844" in shown


def test_only_the_notified_person_can_use_the_notice(local):
    set_up(local)
    notice = hurtful_message(local)[0]
    local.player.click(AUTHOR, notice, REPORT_BUTTON)  # forwarded, or a forged click
    local.player.click(AUTHOR, notice, DISMISS_BUTTON)
    time.sleep(0.5)
    assert local.double.views == [] and rows(local, Feedback) == []


# -- reporting --------------------------------------------------------------------------------
def test_report_from_the_notice_reaches_the_confidant_anonymously(local):
    set_up(local)
    notice = hurtful_message(local)[0]
    local.player.click(TARGET, notice, REPORT_BUTTON)
    modal = latest_view(local)
    assert "Ingrid (vertrouwenspersoon)" in render.view(modal)
    local.player.submit(TARGET, modal, report_values(note="Third time this week"))
    case_dm = wait_for(lambda: local.double.dms_to(CONFIDANT))[0]
    shown = render.blocks(case_dm["blocks"])
    assert HURTFUL in shown and "Third time this week" in shown and f"@{AUTHOR}" in shown
    assert "chose not to share their name" in shown
    assert TARGET not in json.dumps(case_dm)  # anonymous: no user id anywhere
    confirmation = wait_for(lambda: len(local.double.dms_to(TARGET)) == 2)
    assert confirmation
    case, = rows(local, Case)
    assert case.number in local.double.dms_to(TARGET)[-1]["text"]
    assert rows(local, Flag)[0].status == "reported"


def test_the_message_shortcut_reports_any_message_with_the_name(local):
    set_up(local)
    message = {"type": "message", "user": AUTHOR, "ts": "1700000005.000100",
               "text": "see you at lunch"}
    local.player.shortcut(TARGET, TEAM_CHANNEL, message, REPORT_SHORTCUT)
    modal = latest_view(local)
    local.player.submit(TARGET, modal, report_values(share_name=True))
    case_dm = wait_for(lambda: local.double.dms_to(CONFIDANT))[0]
    assert f"@{TARGET}" in render.blocks(case_dm["blocks"])
    assert "see you at lunch" in render.blocks(case_dm["blocks"])


def test_haven_report_command_opens_the_modal_with_a_link_field(local):
    set_up(local)
    local.player.command(TARGET, "report")
    modal = latest_view(local)
    assert "Link to the message" in render.view(modal)
    local.player.submit(TARGET, modal, report_values(
        link="https://acme.slack.com/archives/C0GENERAL/p1700000000000100", note="In a DM"))
    assert wait_for(lambda: local.double.dms_to(CONFIDANT))


def test_a_removed_confidant_is_not_offered_and_is_refused(local):
    set_up(local)
    notice = hurtful_message(local)[0]
    local.player.click(TARGET, notice, REPORT_BUTTON)
    modal = latest_view(local)
    command(local, ADMIN, f"confidant remove <@{CONFIDANT}>")
    status, body = local.player.submit(TARGET, modal, report_values())
    assert status == 200 and json.loads(body)["response_action"] == "errors"
    assert rows(local, Case) == []
    command(local, ADMIN, f"confidant add <@{ADMIN}>")
    local.player.click(TARGET, notice, REPORT_BUTTON)
    assert "Ingrid" not in render.view(latest_view(local, 2))


def test_without_a_confidant_the_reporter_is_told_kindly_and_admins_reminded(local):
    set_up(local, confidant=False)
    notice = hurtful_message(local)[0]
    local.player.click(TARGET, notice, REPORT_BUTTON)
    shown = render.view(latest_view(local))
    assert "No confidant has been set up" in shown and "kept safe" in shown
    assert wait_for(lambda: local.double.dms_to(ADMIN))
    assert HURTFUL not in json.dumps(local.double.dms_to(ADMIN))
    assert len(rows(local, Evidence)) == 1  # the evidence is kept


# -- robustness ---------------------------------------------------------------------------------
def test_forged_and_stale_requests_get_401_and_change_nothing(local):
    body = json.dumps({"type": "event_callback", "team_id": "T0HAVEN01", "event_id": "Ev1",
                       "event": {"type": "message", "user": AUTHOR, "channel": GENERAL,
                                 "text": HURTFUL, "ts": "1.1"}})
    status, _ = local.player.post(body, "application/json", signature="v0=" + "0" * 64)
    assert status == 401
    status, _ = local.player.post(body, "application/json", timestamp=int(time.time()) - 600)
    assert status == 401
    status, _ = local.player.command(ADMIN, "status")
    assert status == 200  # a properly signed one still works


def test_rate_limits_and_server_errors_are_retried(local):
    set_up(local)
    local.double.fail("chat.postMessage", times=1, status=429, retry_after=1)
    local.double.fail("conversations.open", times=1, status=500)
    assert hurtful_message(local)
    assert len(local.double.calls_to("chat.postMessage")) == 2


def test_a_failed_notice_keeps_the_flag_and_is_sent_by_the_recovery_sweep(local, clock):
    from datetime import timedelta

    set_up(local)
    local.double.fail("conversations.open", times=1, status=200, error="fatal_error")
    local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> {HURTFUL}")
    assert wait_for(lambda: rows(local, Notice) and rows(local, Notice)[0].attempts == 1
                    and rows(local, Notice)[0].status == "pending")
    assert local.double.dms_to(TARGET) == [] and len(rows(local, Flag)) == 1
    from bot.server import recover

    clock.offset = timedelta(seconds=31)  # the first retry waits 30 s
    recover(local.haven, local.bolt)
    assert len(local.double.dms_to(TARGET)) == 1
    assert rows(local, Notice)[0].status == "sent"


def test_no_message_text_or_token_reaches_the_logs(local, caplog):
    caplog.set_level(logging.DEBUG)
    set_up(local)
    hurtful_message(local)
    local.player.click(TARGET, local.double.dms_to(TARGET)[0], REPORT_BUTTON)
    local.player.submit(TARGET, latest_view(local), report_values(note="secret note"))
    wait_for(lambda: local.double.dms_to(CONFIDANT))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("quit already", "secret note", local.settings.slack_bot_token,
                   local.settings.slack_signing_secret):
        assert secret not in logged


def test_healthz_answers(local):
    with urllib.request.urlopen(local.url + "/healthz", timeout=5) as response:
        assert response.status == 200 and json.loads(response.read())["status"] == "ok"


def test_malformed_payloads_never_give_a_500(local):
    import urllib.parse

    def interactive(payload: dict) -> int:
        return local.player.post(urllib.parse.urlencode({"payload": json.dumps(payload)}),
                                 "application/x-www-form-urlencoded")[0]

    team = {"team": {"id": "T0HAVEN01"}}
    statuses = [
        interactive({**team, "type": "block_actions", "user": "not-a-dict",
                     "actions": [{"action_id": REPORT_BUTTON, "value": "²"}]}),
        interactive({**team, "type": "block_actions", "user": {"id": TARGET},
                     "actions": [{"action_id": DISMISS_BUTTON, "value": ["1"]}]}),
        interactive({**team, "type": "message_action", "callback_id": REPORT_SHORTCUT,
                     "user": {"id": TARGET}, "channel": "C1", "message": "hi"}),
        interactive({**team, "type": "view_submission", "user": {"id": TARGET},
                     "view": {"callback_id": "haven_report_submit", "state": {"values": 7},
                              "private_metadata": "{not json"}}),
        local.player.event({"type": "message", "channel": GENERAL, "user": ["x"],
                            "text": {"a": 1}, "ts": 5})[0],
        local.player.post("token=x&command=/haven&team_id=T0HAVEN01",
                          "application/x-www-form-urlencoded")[0],
    ]
    assert all(status < 500 for status in statuses), statuses
    assert "Watched channels" in command(local, ADMIN, "status")


def test_confidant_add_understands_the_dutch_words_for_internal_and_external(local):
    """The Dutch interface shows "intern"/"extern": an admin who types what they read gets
    what they meant, not "extern" taken as the first word of the description."""
    from bot.demo import COLLEAGUE
    from bot.storage.models import Confidant

    set_up(local)
    command(local, ADMIN, f"confidant add <@{COLLEAGUE}> extern Onafhankelijk, Bureau Veilig")
    command(local, ADMIN, f"confidant add <@{CONFIDANT}> Intern HR-adviseur")
    roster = {c.user_id: c for c in rows(local, Confidant)}
    assert (roster[COLLEAGUE].kind, roster[COLLEAGUE].description) == \
        ("external", "Onafhankelijk, Bureau Veilig")
    assert (roster[CONFIDANT].kind, roster[CONFIDANT].description) == \
        ("internal", "HR-adviseur")
