"""One deployment, several workspaces: Slack's OAuth install, a bot token per workspace,
and no way for one workspace to see or touch another's data."""

from __future__ import annotations

import json

import pytest
from sqlmodel import SQLModel

from bot import blocks
from bot.demo import ADMIN, AUTHOR, CONFIDANT, GENERAL, TARGET, LocalHaven, sample_workspace
from bot.slack_double import CLIENT_ID, CLIENT_SECRET, TEAM_ID, wait_for
from bot.storage.installations import BOTS_TABLE, INSTALLATIONS_TABLE
from bot.storage.models import Case, Flag, WatchedChannel
from tests.scenarios import latest_view, report_values, rows

OTHER = "T0OTHER01"
B_ADMIN, B_CONFIDANT, B_TARGET, B_AUTHOR = "U0BADMIN1", "U0BVERTR1", "U0BTARGT1", "U0BAUTHR1"
B_CHANNEL = "C0BGENRL1"
HURTFUL = "nobody wants you on this team, just quit already"


@pytest.fixture
def grid(tmp_path, model):
    """Haven with OAuth, installed into two workspaces of the double."""
    workspace = sample_workspace()
    for user, name, admin in ((B_ADMIN, "Bea", True), (B_CONFIDANT, "Bram", False),
                              (B_TARGET, "Britt", False), (B_AUTHOR, "Bob", False)):
        workspace.add_user(user, name, admin=admin)
        workspace.users[user]["team_id"] = OTHER
    workspace.add_channel(B_CHANNEL, "b-general", member=True)
    env = {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": CLIENT_ID,
           "SLACK_CLIENT_SECRET": CLIENT_SECRET}
    with LocalHaven(tmp_path, workspace=workspace, env=env,
                    model_loader=lambda: model) as running:
        for team in (TEAM_ID, OTHER):
            status, page = running.install(team)
            assert status == 200 and "Thank you" in page
        yield running


def command(player, user: str, text: str) -> str:
    """The private answer: in the ack, or (when it took over 2 s, as on a busy machine)
    posted to the response URL."""
    before = len(player.double.responses)
    status, body = player.command(user, text)
    assert status == 200
    if body:
        return json.loads(body)["text"]
    assert wait_for(lambda: len(player.double.responses) > before)
    return player.double.responses[-1]["text"]


def set_up_both(grid) -> None:
    a, b = grid.player, grid.player_for(OTHER)
    assert "now watches" in command(a, ADMIN, f"watch <#{GENERAL}|general>")
    assert "is now a confidant" in command(a, ADMIN, f"confidant add <@{CONFIDANT}>")
    assert "now watches" in command(b, B_ADMIN, f"watch <#{B_CHANNEL}|b-general>")
    assert "is now a confidant" in command(b, B_ADMIN, f"confidant add <@{B_CONFIDANT}>")


def test_each_workspace_installs_haven_and_gets_its_own_token(grid):
    set_up_both(grid)
    grid.player_for(OTHER).message(B_AUTHOR, B_CHANNEL, f"<@{B_TARGET}> {HURTFUL}")
    assert wait_for(lambda: grid.double.dms_to(B_TARGET))
    posts = [a for m, a in grid.double.calls if m == "chat.postMessage"]
    assert posts and {a["_team"] for a in posts} == {OTHER}  # B's token, for B's people
    flag, = rows(grid, Flag)
    assert flag.team_id == OTHER


def test_tokens_are_stored_encrypted(grid):
    with grid.haven.engine.connect() as connection:
        for table in (BOTS_TABLE, INSTALLATIONS_TABLE):
            raw = json.dumps([list(map(str, r)) for r in connection.exec_driver_sql(
                f"SELECT * FROM {table}")])
            assert "xoxb-" not in raw and "gAAAA" in raw
    assert grid.haven.client_for(OTHER).token.startswith("xoxb-")


def test_no_workspace_sees_or_touches_another_workspaces_data(grid):
    set_up_both(grid)
    a, b = grid.player, grid.player_for(OTHER)
    a.message(AUTHOR, GENERAL, f"<@{TARGET}> {HURTFUL}")
    notice = wait_for(lambda: grid.double.dms_to(TARGET))[0]
    a.click(TARGET, notice, blocks.REPORT_BUTTON)
    a.submit(TARGET, latest_view(grid), report_values())
    case_dm = wait_for(lambda: grid.double.dms_to(CONFIDANT))[0]
    status = command(b, B_ADMIN, "status")
    assert GENERAL not in status and CONFIDANT not in status and B_CHANNEL in status
    # B's people replay A's buttons and a forged modal, signed as workspace B
    b.click(B_CONFIDANT, case_dm, blocks.ACK_BUTTON)
    b.click(B_TARGET, notice, blocks.REPORT_BUTTON)
    forged = {"type": "modal", "callback_id": blocks.RELAY_MODAL, "blocks": [],
              "private_metadata": json.dumps({"case": rows(grid, Case)[0].id})}
    b.submit(B_CONFIDANT, forged, {blocks.RELAY_BLOCK: {blocks.RELAY_INPUT: {
        "type": "plain_text_input", "value": "cross-workspace"}}})
    b.submit(B_TARGET, {"type": "modal", "callback_id": blocks.REPORT_MODAL, "blocks": [],
                        "private_metadata": json.dumps({"flag": rows(grid, Flag)[0].id})},
             report_values(confidant=B_CONFIDANT))
    wait_for(lambda: False, timeout=0.5)
    assert [c.status for c in rows(grid, Case)] == ["open"]
    assert not grid.double.dms_to(B_CONFIDANT)
    assert "cross-workspace" not in json.dumps(grid.double.messages)
    assert {f.team_id for f in rows(grid, Flag)} == {TEAM_ID}


def test_uninstalling_erases_only_that_workspace(grid):
    set_up_both(grid)
    grid.player_for(OTHER).event({"type": "app_uninstalled"})
    assert wait_for(lambda: [w.team_id for w in rows(grid, WatchedChannel)] == [TEAM_ID])
    assert grid.haven.client_for(OTHER) is None
    assert grid.haven.client_for(TEAM_ID) is not None
    status, _ = grid.player_for(OTHER).command(B_ADMIN, "status")
    assert status == 200  # answered politely by Bolt, nothing processed
    assert [w.team_id for w in rows(grid, WatchedChannel)] == [TEAM_ID]


def test_a_workspace_that_never_installed_haven_is_ignored(grid):
    stranger = grid.player_for("T0STRANGE")
    status, _ = stranger.message(B_AUTHOR, B_CHANNEL, f"<@{B_TARGET}> {HURTFUL}")
    assert status == 200
    wait_for(lambda: False, timeout=0.3)
    assert rows(grid, Flag) == [] and not grid.double.dms_to(B_TARGET)


def test_a_forged_oauth_redirect_installs_nothing(grid):
    import urllib.error
    import urllib.request

    url = f"{grid.url}/slack/oauth_redirect?code=install-T0EVIL001&state=made-up"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)
    assert refused.value.code == 400
    assert grid.haven.client_for("T0EVIL001") is None


def test_every_table_of_havens_data_carries_the_workspace():
    for table in SQLModel.metadata.sorted_tables:
        assert "team_id" in table.columns, table.name


def test_a_workspace_in_an_enterprise_grid_org_writes_rows_that_carry_the_org(grid):
    status, _ = grid.install("T0GRIDWS1", enterprise_id="E0GRID001")
    assert status == 200
    player = grid.player_for("T0GRIDWS1", enterprise_id="E0GRID001")
    assert "now watches" in command(player, B_ADMIN, f"watch <#{B_CHANNEL}|b-general>")
    player.message(B_AUTHOR, B_CHANNEL, f"<@{B_TARGET}> {HURTFUL}")
    assert wait_for(lambda: grid.double.dms_to(B_TARGET))
    written = [row for table in SQLModel.metadata.sorted_tables
               for row in _rows(grid, table) if row.team_id == "T0GRIDWS1"]
    assert {type(r).__name__ for r in written} >= {"Flag", "Evidence", "Notice",
                                                   "WatchedChannel", "ProcessedEvent"}
    missing = sorted({type(r).__name__ for r in written if r.enterprise_id is None})
    assert not missing
    assert {r.enterprise_id for r in written} == {"E0GRID001"}
    assert grid.haven.client_for("T0GRIDWS1") is not None  # the sweep finds its token


def _rows(grid, table) -> list:
    from sqlmodel import Session, select

    model = next(m for m in SQLModel.__subclasses__() if getattr(m, "__tablename__", "") ==
                 table.name)
    with Session(grid.haven.engine) as session:
        return list(session.exec(select(model)))


def test_every_table_of_havens_data_carries_the_org_too():
    for table in SQLModel.metadata.sorted_tables:
        assert "enterprise_id" in table.columns, table.name
