"""Admins' settings (commands and App Home), shadow mode, the author nudge, alert
categories, the App Home per role, figures, and Dutch for a Dutch user."""

from __future__ import annotations

import json
import re
import time

from bot import blocks, home, render
from bot.demo import ADMIN, AUTHOR, COLLEAGUE, CONFIDANT, DUTCH, GENERAL, TARGET
from bot.slack_double import wait_for
from bot.storage.models import AuditLog, Case, Confidant, Flag, Notice, TeamSetting, WatchedChannel
from tests.scenarios import command, latest_view, report_values, rows, set_up
from tests.test_cases import HURTFUL, report

# (issue 12: "I will find out where you live and hurt you" scores 0.79, under the workplace
# threshold of 0.90 -- a known miss of the current model)
THREAT = "I will find you and kill you"


def open_home(local, user: str) -> dict:
    """``user`` opens Haven's Home tab; returns the view Haven published for them."""
    before = len(local.double.homes)
    local.player.event({"type": "app_home_opened", "user": user, "tab": "home",
                        "channel": "D0HOME"})

    def theirs() -> list[dict]:
        return [h for h in local.double.homes[before:] if h["user_id"] == user]

    assert wait_for(theirs)
    local.haven.jobs.join(10)  # a refresh still running would publish after ours
    return {**theirs()[-1]["view"], "id": "V0HOME"}


def settings(local) -> dict[str, str]:
    return {s.key: s.value for s in rows(local, TeamSetting)}


# -- shadow mode, nudge, categories ------------------------------------------------------------
def test_shadow_mode_records_flags_but_notifies_nobody(local):
    set_up(local)
    assert "shadow mode" in command(local, ADMIN, f"shadow <#{GENERAL}|general> on")
    local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> {HURTFUL}")
    assert wait_for(lambda: rows(local, Flag))
    flag, = rows(local, Flag)
    assert flag.shadow and flag.evidence_id is None  # nothing anyone could report
    wait_for(lambda: False, timeout=0.3)
    assert local.double.dms_to(TARGET) == [] and rows(local, Notice) == []
    assert "notified again" in command(local, ADMIN, f"shadow <#{GENERAL}|general> off")
    local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> {HURTFUL} again")
    assert wait_for(lambda: local.double.dms_to(TARGET))


def test_the_author_nudge_is_off_by_default_and_private_when_on(local):
    set_up(local)
    local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> {HURTFUL}")
    assert wait_for(lambda: local.double.dms_to(TARGET))
    assert local.double.ephemerals == []
    assert "nudge" in command(local, ADMIN, "nudge on")
    local.player.message(AUTHOR, GENERAL, f"<@{COLLEAGUE}> {HURTFUL}")
    nudge = wait_for(lambda: local.double.ephemerals)
    assert nudge and nudge[0]["user"] == AUTHOR and nudge[0]["channel"] == GENERAL
    assert "hurtful" in nudge[0]["text"] and "edit" in nudge[0]["text"]
    for word in ("notif", "report", "confidant", "Pim", COLLEAGUE):
        assert word not in nudge[0]["text"]  # it never says whether anyone was told
    assert not local.double.dms_to(AUTHOR)


def test_only_the_chosen_categories_alert(local):
    set_up(local)
    assert "threats" in command(local, ADMIN, "categories threat")
    local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> {HURTFUL}")  # an insult, no threat
    local.player.message(AUTHOR, GENERAL, f"<@{COLLEAGUE}> {THREAT}")
    assert wait_for(lambda: local.double.dms_to(COLLEAGUE))
    wait_for(lambda: False, timeout=0.3)
    assert local.double.dms_to(TARGET) == []
    assert "Use `/haven categories" in command(local, ADMIN, "categories jokes")


# -- who may change what ---------------------------------------------------------------------
def test_employees_can_change_no_setting_by_command_or_by_forged_modal(local):
    set_up(local)
    for text in (f"shadow <#{GENERAL}|general> on", "nudge on", "categories threat",
                 "retention flags 1", "language nl", f"group <#{GENERAL}|general> HR",
                 f"confidant add <@{TARGET}> external", "stats"):
        assert command(local, TARGET, text).startswith("Sorry, only workspace admins")
    forged = {"type": "modal", "callback_id": blocks.SETTINGS_MODAL, "blocks": []}
    status, body = local.player.submit(TARGET, forged, {
        home.S_THRESHOLD: {home.S_THRESHOLD: {"type": "plain_text_input", "value": "0.99"}},
        home.S_FLAG_DAYS: {home.S_FLAG_DAYS: {"type": "plain_text_input", "value": "1"}},
        home.S_CASE_MONTHS: {home.S_CASE_MONTHS: {"type": "plain_text_input", "value": "1"}}})
    assert status == 200 and json.loads(body)["response_action"] == "errors"
    forged = {"type": "modal", "callback_id": blocks.CHANNEL_MODAL, "blocks": [],
              "private_metadata": json.dumps({"channel": GENERAL})}
    local.player.submit(TARGET, forged, {home.C_SHADOW: {home.C_SHADOW: {
        "type": "radio_buttons", "selected_option": {"value": "on"}}}})
    local.player.submit(TARGET, {"type": "modal", "callback_id": blocks.ROSTER_MODAL,
                                 "blocks": [], "private_metadata": json.dumps(
                                     {"person": TARGET})}, {})
    assert settings(local) == {}
    assert not rows(local, WatchedChannel)[0].shadow
    assert [c.user_id for c in rows(local, Confidant)] == [CONFIDANT]


def test_admins_change_settings_in_the_app_home_and_every_change_is_audited(local):
    set_up(local)
    view = open_home(local, ADMIN)
    shown = render.view(view)
    assert "Settings (admins)" in shown and f"#{GENERAL}" in shown
    local.player.click_view(ADMIN, view, blocks.SETTINGS_BUTTON)
    modal = latest_view(local)
    errors = json.loads(local.player.submit(ADMIN, modal, {
        home.S_THRESHOLD: {home.S_THRESHOLD: {"type": "plain_text_input", "value": "2"}},
        home.S_FLAG_DAYS: {home.S_FLAG_DAYS: {"type": "plain_text_input", "value": "14"}},
        home.S_CASE_MONTHS: {home.S_CASE_MONTHS: {"type": "plain_text_input", "value": "6"}},
    })[1])
    assert errors["response_action"] == "errors" and home.S_THRESHOLD in errors["errors"]
    status, body = local.player.submit(ADMIN, modal, {
        home.S_THRESHOLD: {home.S_THRESHOLD: {"type": "plain_text_input", "value": "0.6"}},
        home.S_CATEGORIES: {home.S_CATEGORIES: {"type": "checkboxes", "selected_options": [
            {"value": "threat"}, {"value": "sexual"}]}},
        home.S_NUDGE: {home.S_NUDGE: {"type": "radio_buttons",
                                      "selected_option": {"value": "on"}}},
        home.S_FLAG_DAYS: {home.S_FLAG_DAYS: {"type": "plain_text_input", "value": "14"}},
        home.S_CASE_MONTHS: {home.S_CASE_MONTHS: {"type": "plain_text_input", "value": "6"}},
        home.S_LANGUAGE: {home.S_LANGUAGE: {"type": "static_select",
                                            "selected_option": {"value": "nl"}}}})
    assert status == 200 and body == ""
    assert settings(local) == {"threshold": "0.6", "alert_categories": "threat,sexual",
                               "nudge": "on", "flag_retention_days": "14",
                               "case_retention_months": "6", "language": "nl"}
    changed = [a.subject for a in rows(local, AuditLog) if a.action == "setting_changed"]
    assert {"threshold", "nudge", "language", "flag_retention_days"} <= set(changed)
    assert all(a.actor == ADMIN for a in rows(local, AuditLog) if a.action == "setting_changed")


def test_admins_edit_a_channel_and_the_roster_from_the_home(local):
    set_up(local)
    view = open_home(local, ADMIN)
    local.player.click_view(ADMIN, view, blocks.CHANNEL_BUTTON, GENERAL)
    local.player.submit(ADMIN, latest_view(local), {
        home.C_THRESHOLD: {home.C_THRESHOLD: {"type": "plain_text_input", "value": "0.8"}},
        home.C_SHADOW: {home.C_SHADOW: {"type": "radio_buttons",
                                        "selected_option": {"value": "on"}}},
        home.C_GROUP: {home.C_GROUP: {"type": "plain_text_input", "value": "Sales"}}})
    assert wait_for(lambda: rows(local, WatchedChannel)[0].shadow)
    channel, = rows(local, WatchedChannel)
    assert channel.threshold == 0.8 and channel.group == "Sales"
    local.player.click_view(ADMIN, view, blocks.ROSTER_ADD_BUTTON)
    local.player.submit(ADMIN, latest_view(local, 2), {
        home.R_PERSON: {home.R_PERSON: {"type": "users_select", "selected_user": COLLEAGUE}},
        home.R_KIND: {home.R_KIND: {"type": "radio_buttons",
                                    "selected_option": {"value": "external"}}},
        home.R_DESCRIPTION: {home.R_DESCRIPTION: {"type": "plain_text_input",
                                                  "value": "Independent, Bureau Veilig"}}})
    assert wait_for(lambda: len(rows(local, Confidant)) == 2)
    pim = next(c for c in rows(local, Confidant) if c.user_id == COLLEAGUE)
    assert pim.kind == "external" and pim.description == "Independent, Bureau Veilig"
    employee = render.view(open_home(local, TARGET))
    assert "external" in employee and "Independent, Bureau Veilig" in employee
    local.player.click_view(ADMIN, open_home(local, ADMIN), blocks.ROSTER_EDIT_BUTTON, COLLEAGUE)
    modal = latest_view(local, 3)
    local.player.click_view(ADMIN, modal, blocks.ROSTER_REMOVE_BUTTON, COLLEAGUE)
    assert wait_for(lambda: [c.user_id for c in rows(local, Confidant) if c.active]
                    == [CONFIDANT])


# -- the Home tab for each role ------------------------------------------------------------
def test_the_home_tab_shows_each_person_what_their_roles_allow(local):
    report(local)
    employee = render.view(open_home(local, TARGET))
    assert "Your reports" in employee and rows(local, Case)[0].number in employee
    assert "[ Contact ]" in employee and "[ Withdraw ]" in employee
    assert "Your cases as confidant" not in employee and "Settings (admins)" not in employee
    confidant = render.view(open_home(local, CONFIDANT))
    assert "Your cases as confidant" in confidant and rows(local, Case)[0].number in confidant
    assert re.search(r"new · opened \d+ hours ago · last activity \d+ hours ago", confidant)
    assert "Settings (admins)" not in confidant
    admin = render.view(open_home(local, ADMIN))
    assert "Settings (admins)" in admin and rows(local, Case)[0].number not in admin
    assert "Your cases as confidant" not in admin
    bystander = render.view(open_home(local, COLLEAGUE))
    assert rows(local, Case)[0].number not in bystander


def test_contact_in_the_home_opens_the_report_modal_with_that_confidant(local):
    set_up(local)
    view = open_home(local, TARGET)
    local.player.click_view(TARGET, view, blocks.CONTACT_BUTTON, CONFIDANT)
    modal = latest_view(local)
    select = next(b for b in modal["blocks"] if b.get("block_id") == blocks.CONFIDANT_BLOCK)
    assert select["element"]["initial_option"]["value"] == CONFIDANT
    local.player.submit(TARGET, modal, report_values(note="Can we talk?"))
    assert wait_for(lambda: local.double.dms_to(CONFIDANT))


def test_withdrawing_from_the_home_updates_it(local):
    report(local)
    view = open_home(local, TARGET)
    local.player.click_view(TARGET, view, blocks.WITHDRAW_BUTTON)
    assert wait_for(lambda: "withdrawn" in render.view(local.double.homes[-1]["view"]))
    assert rows(local, Case)[0].status == "withdrawn"


# -- figures ---------------------------------------------------------------------------------
def last_month(local) -> None:
    """Move every flag to last month: /haven stats counts whole months only."""
    from datetime import UTC, datetime, timedelta

    from sqlmodel import Session

    moment = datetime.now(UTC).replace(day=1) - timedelta(days=3)
    with Session(local.haven.engine) as session:
        for flag in rows(local, Flag):
            flag.created_at = moment
            session.add(flag)
        session.commit()


def test_stats_never_show_a_count_under_five(local):
    set_up(local)
    for _ in range(3):
        local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> {HURTFUL}")
    assert wait_for(lambda: len(rows(local, Flag)) == 3)
    assert "Flags: fewer than 5" in command(local, ADMIN, "stats")  # this month counts, so far
    last_month(local)
    stats = command(local, ADMIN, "stats")
    assert "fewer than 5" in stats
    assert not re.search(r"(?<![\d.,:-])[1-4](?![\d.,:%-])", stats.replace("12 months", ""))
    assert TARGET not in stats and AUTHOR not in stats and "general" not in stats
    for _ in range(3):
        local.player.message(AUTHOR, GENERAL, f"<@{COLLEAGUE}> {HURTFUL}")
    assert wait_for(lambda: len(rows(local, Flag)) == 6)
    last_month(local)
    assert "Flags: 6" in command(local, ADMIN, "stats")


# -- Dutch --------------------------------------------------------------------------------------
def test_a_dutch_user_gets_everything_in_dutch(local):
    set_up(local)
    local.player.message(AUTHOR, GENERAL, f"<@{DUTCH}> niemand wil jou in dit team, stop gewoon")
    notice = wait_for(lambda: local.double.dms_to(DUTCH))[0]
    assert "Haven zag een bericht" in notice["text"]
    assert "[ Melden bij een vertrouwenspersoon ]" in render.blocks(notice["blocks"])
    local.player.click(DUTCH, notice, blocks.REPORT_BUTTON)
    modal = latest_view(local)
    assert modal["title"]["text"] == "Naar vertrouwenspersoon"
    assert "Je naam" in render.view(modal)
    local.player.submit(DUTCH, modal, report_values())
    confirmation = wait_for(lambda: [m for m in local.double.dms_to(DUTCH)
                                     if "verstuurd" in m["text"]])
    assert confirmation and "zonder je naam" in render.blocks(confirmation[0]["blocks"])
    assert "Vertrouwenspersonen" in render.view(open_home(local, DUTCH))
    assert "Ik ken" in command(local, DUTCH, "frobnicate")
    case_dm = [m for m in local.double.dms_to(CONFIDANT) if "New case" in m["text"]]
    assert case_dm  # the confidant's Slack is in English: their DM is English


def test_the_workspace_default_language_applies_to_people_without_a_known_locale(local):
    set_up(local)
    local.double.workspace.users[TARGET]["locale"] = "fr-FR"
    assert "Nederlands" in command(local, ADMIN, "language nl")
    local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> {HURTFUL}")
    notice = wait_for(lambda: local.double.dms_to(TARGET))[0]
    assert "Haven zag" in notice["text"]


def test_an_english_slack_locale_gets_the_workspaces_dutch(local):
    """Slack has no Dutch interface: Dutch employees run it in English (en-GB, en-US)."""
    set_up(local)
    local.double.workspace.users[TARGET]["locale"] = "en-GB"
    local.double.workspace.users[CONFIDANT]["locale"] = "en-US"
    assert "Nederlands" in command(local, ADMIN, "language nl")
    local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> {HURTFUL}")
    notice = wait_for(lambda: local.double.dms_to(TARGET))[0]
    shown = render.blocks(notice["blocks"])
    assert "Haven zag" in notice["text"] and "[ Laat maar ]" in shown
    assert "„" not in shown or "”" in shown


def test_dutch_admins_read_and_write_decimal_commas(local):
    set_up(local)
    assert "Nederlands" in command(local, ADMIN, "language nl")
    local.double.workspace.users[ADMIN]["locale"] = "en-US"  # as Dutch admins' Slack is
    assert "0,70" in command(local, ADMIN, "threshold 0,7")
    assert "tussen 0,05 en 0,99" in command(local, ADMIN, "threshold 7")
    assert "*Drempel:* 0,70" in command(local, ADMIN, "status")


def test_admins_watch_and_stop_watching_a_channel_from_the_home(local):
    from bot.demo import TEAM_CHANNEL

    view = open_home(local, ADMIN)
    local.player.click_view(ADMIN, view, blocks.WATCH_BUTTON)
    local.player.submit(ADMIN, latest_view(local), {
        home.C_CHANNEL: {home.C_CHANNEL: {"type": "conversations_select",
                                          "selected_conversation": TEAM_CHANNEL}},
        home.C_SHADOW: {home.C_SHADOW: {"type": "radio_buttons",
                                        "selected_option": {"value": "on"}}}})
    assert wait_for(lambda: rows(local, WatchedChannel))
    channel, = rows(local, WatchedChannel)
    assert channel.channel_id == TEAM_CHANNEL and channel.shadow
    assert [c["channel"] for c in local.double.calls_to("conversations.join")] == [TEAM_CHANNEL]
    assert wait_for(lambda: any("now watches" in m["text"] for m in local.double.dms_to(ADMIN)))
    local.player.click_view(TARGET, open_home(local, ADMIN), blocks.CHANNEL_BUTTON,
                            TEAM_CHANNEL)  # an employee replaying the admin's button
    local.player.click_view(ADMIN, open_home(local, ADMIN), blocks.CHANNEL_BUTTON, TEAM_CHANNEL)
    modal = latest_view(local, 2)
    local.player.click_view(TARGET, modal, blocks.UNWATCH_BUTTON, TEAM_CHANNEL)
    time.sleep(0.3)
    assert rows(local, WatchedChannel)  # refused: not an admin
    local.player.click_view(ADMIN, modal, blocks.UNWATCH_BUTTON, TEAM_CHANNEL)
    assert wait_for(lambda: rows(local, WatchedChannel) == [])
