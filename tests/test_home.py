"""The App Home: each role's work first, buttons a person can use, lists that page rather
than stop at Slack's 100 blocks, and each person's own language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import blocks, home, render
from bot.demo import ADMIN, CONFIDANT, TARGET
from bot.i18n import Texts
from bot.slack_double import TEAM_ID, wait_for
from bot.storage import queries as q
from bot.storage.db import session_scope
from bot.storage.models import TeamSetting
from tests.scenarios import command, rows
from tests.test_cases import report
from tests.test_settings import open_home

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def cases(count: int, status: str = "open") -> list[blocks.CaseInfo]:
    return [blocks.CaseInfo(id=n, number=f"HVN-{n:05d}", status=status,
                            created_at=NOW - timedelta(days=n), last_activity_at=NOW)
            for n in range(1, count + 1)]


def test_a_confidants_open_cases_come_before_the_explanations(local):
    report(local)
    shown = render.view(open_home(local, CONFIDANT))
    assert shown.index("Your cases as confidant") < shown.index("Haven helps you")
    assert shown.index("HVN-") < shown.index("Confidants (vertrouwenspersonen)")


def test_a_confidant_is_not_offered_a_button_to_contact_themselves(local):
    report(local)
    view = open_home(local, CONFIDANT)
    contacts = [b["accessory"]["value"] for b in view["blocks"]
                if b.get("accessory", {}).get("action_id") == blocks.CONTACT_BUTTON]
    assert CONFIDANT not in contacts
    assert "that is you" in render.view(view)
    employee = open_home(local, TARGET)  # everyone else can contact them
    assert CONFIDANT in [b["accessory"]["value"] for b in employee["blocks"]
                         if b.get("accessory", {}).get("action_id") == blocks.CONTACT_BUTTON]


def test_a_case_shows_at_most_three_buttons_and_the_rest_in_a_menu():
    _ = Texts("en")
    for status in ("open", "acknowledged"):
        actions = blocks.confidant_buttons(cases(1, status)[0], _).to_dict()["elements"]
        assert len(actions) <= blocks.MAX_BUTTONS
    shown = render.blocks([blocks.confidant_buttons(cases(1)[0], _).to_dict()])
    assert shown == "[ Acknowledge ]  [ Reply to reporter ]  [ ⋯ Notes | Close ]"


def test_the_confidant_closes_a_case_from_the_menu(local):
    case_dm = report(local)
    views = len(local.double.views)
    local.player.click(CONFIDANT, case_dm, blocks.CASE_MORE, f"{blocks.CLOSE_BUTTON}:1")
    assert wait_for(lambda: len(local.double.views) > views)
    assert local.double.views[-1]["view"]["callback_id"] == blocks.CLOSE_MODAL


def test_a_forged_menu_option_does_nothing(local):
    case_dm = report(local)
    views = len(local.double.views)
    for forged in (f"{blocks.WITHDRAW_BUTTON}:1", "haven_settings_open:1", "x", ":"):
        status, _ = local.player.click(CONFIDANT, {**case_dm, "blocks": [{
            "type": "actions", "elements": [{"type": "overflow", "action_id": blocks.CASE_MORE,
                                             "options": [{"value": forged, "text": {
                                                 "type": "plain_text", "text": "x"}}]}]}]},
            blocks.CASE_MORE, forged)
        assert status == 200
    local.haven.jobs.join(5)
    assert len(local.double.views) == views


def test_a_closed_case_is_erased_not_withdrawn():
    _ = Texts("en")
    closed, = [b.to_dict() for b in blocks.reporter_buttons(cases(1, "closed")[0], _)
               if b.action_id == blocks.WITHDRAW_BUTTON]
    assert closed["text"]["text"] == "Erase now"
    assert "Withdraw" not in str(closed) and "closed case" in closed["confirm"]["title"]["text"]
    open_, = [b.to_dict() for b in blocks.reporter_buttons(cases(1)[0], _)
              if b.action_id == blocks.WITHDRAW_BUTTON]
    assert open_["text"]["text"] == "Withdraw"


def test_the_busiest_home_pages_its_lists_and_stays_within_slacks_limit():
    _ = Texts("nl")
    roster = [blocks.RosterEntry(f"U0C{n:07d}", f"C{n}", "internal", "x" * 200)
              for n in range(40)]
    channels = [type("Channel", (), {"channel_id": f"C0{n:08d}", "threshold": None,
                                     "shadow": False, "group": "Sales"})() for n in range(60)]
    sections = [*home.confidant_section(_, cases(23), NOW),
                *home.mine_section(_, cases(31, "acknowledged"), NOW),
                *home.admin_section(_, channels=channels, roster=roster, summary="s",
                                    threshold=0.7),
                *home.about_section(_, roster, "U0C0000001"),
                *home.language_section(_, chosen=None, workspace="nl")]
    assert len(sections) + 1 <= home.MAX_BLOCKS  # + the header
    shown = render.blocks([b.to_dict() for b in sections])
    assert "Meldingen 1–5 van 23" in shown and "Meldingen 1–5 van 31" in shown
    assert "Kanalen 1–5 van 60" in shown
    last = render.blocks([b.to_dict() for b in home.confidant_section(_, cases(23), NOW, 4)])
    assert "Meldingen 21–23 van 23" in last and "HVN-00023" in last and "HVN-00020" not in last
    assert "[ Vorige ]" in last and "[ Volgende ]" not in last


def test_the_next_page_of_a_list_is_published_on_request(local):
    with session_scope(local.haven.engine) as session:
        for n in range(7):
            q.watch(session, team_id=TEAM_ID, channel_id=f"C0PAGE{n:04d}",
                    name=f"p{n}", admin_id=ADMIN)
    view = open_home(local, ADMIN)
    assert "Channels 1–5 of 7" in render.view(view)
    before = len(local.double.homes)
    local.player.click_view(ADMIN, view, blocks.HOME_PAGE_BUTTON, "channels:1")
    assert wait_for(lambda: len(local.double.homes) > before)
    assert "Channels 6–7 of 7" in render.view(local.double.homes[-1]["view"])


def test_a_person_chooses_their_own_language_in_the_home(local):
    assert "Nederlands" in command(local, ADMIN, "language nl")
    assert "*Taal van de werkruimte:* Nederlands" in command(local, ADMIN, "status")
    view = open_home(local, TARGET)  # an en-US Slack: the workspace's Dutch wins
    assert "Jouw taal" in render.view(view)
    before = len(local.double.homes)
    local.player.click_view(TARGET, view, blocks.MY_LANGUAGE_SELECT, "en")
    assert wait_for(lambda: [h for h in local.double.homes[before:] if h["user_id"] == TARGET])
    local.haven.jobs.join(5)
    assert "Your language" in render.view(local.double.homes[-1]["view"])
    assert "Haven now watches" not in command(local, TARGET, "help")  # not an admin
    assert "/haven report" in command(local, TARGET, "help")
    assert "tell a confidant" in command(local, TARGET, "help")  # English for her alone
    assert "vertel een vertrouwenspersoon" in command(local, ADMIN, "help")
    keys = [s.key for s in rows(local, TeamSetting)]
    assert not [k for k in keys if TARGET in k]  # the choice is found by a keyed hash
    local.player.click_view(TARGET, local.double.homes[-1]["view"], blocks.MY_LANGUAGE_SELECT,
                            "default")
    local.haven.jobs.join(5)
    assert wait_for(lambda: "vertel een vertrouwenspersoon" in command(local, TARGET, "help"))
