"""Haven end to end on this machine: the real app and server, a Slack double, and what each
person sees. ``haven demo`` prints it; the tests use :class:`LocalHaven` the same way."""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from pathlib import Path

from bot import blocks, render
from bot.blocks import (
    CONFIDANT_BLOCK,
    CONFIDANT_INPUT,
    NAME_BLOCK,
    NAME_INPUT,
    NOTE_BLOCK,
    NOTE_INPUT,
    REPORT_BUTTON,
)
from bot.config import load_settings
from bot.server import EVENTS_PATH, make_server, prepare
from bot.slack_double import (
    BOT_TOKEN,
    SIGNING_SECRET,
    SlackDouble,
    SlackPlayer,
    Workspace,
    wait_for,
)

ADMIN, CONFIDANT, TARGET, AUTHOR = "U0ADMIN01", "U0VERTR01", "U0SANNE01", "U0MARK001"
COLLEAGUE, DUTCH = "U0PIM0001", "U0DAAN001"
GENERAL, TEAM_CHANNEL = "C0GENERAL", "C0SALES01"


def sample_workspace() -> Workspace:
    """A small company: an admin, a confidant, and two colleagues."""
    workspace = Workspace()
    workspace.add_user(ADMIN, "Aisha (admin)", admin=True)
    workspace.add_user(CONFIDANT, "Ingrid (vertrouwenspersoon)")
    workspace.add_user(TARGET, "Sanne")
    workspace.add_user(AUTHOR, "Mark")
    workspace.add_user(COLLEAGUE, "Pim")
    workspace.add_user(DUTCH, "Daan", locale="nl-NL")
    workspace.add_channel(GENERAL, "general", member=True)
    workspace.add_channel(TEAM_CHANNEL, "sales")
    workspace.add_channel("C0PRIVATE1", "hr-private", private=True)
    return workspace


class LocalHaven:
    """Haven served over HTTP on loopback, talking to a :class:`SlackDouble`."""

    def __init__(self, folder: Path, workspace: Workspace | None = None,
                 env: dict[str, str] | None = None, model_loader=None):
        self.folder = Path(folder)
        self.double = SlackDouble(workspace or sample_workspace())
        self.env = env or {}
        self.model_loader = model_loader

    def __enter__(self) -> LocalHaven:
        self.double.start()
        self.settings = load_settings(env={
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.double.api_url,
            "DATABASE_URL": f"sqlite:///{self.folder / 'haven.db'}", **self.env},
            dotenv_path=None)
        self.haven, self.bolt = prepare(self.settings, self.model_loader)
        self.server = make_server(self.settings, self.bolt, host="127.0.0.1", port=0)
        self._thread = threading.Thread(target=self.server.run, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.player = SlackPlayer(self.url + EVENTS_PATH, self.double)
        return self

    def player_for(self, team_id: str, enterprise_id: str | None = None) -> SlackPlayer:
        """Someone in another workspace (installed with :meth:`install`)."""
        return SlackPlayer(self.url + EVENTS_PATH, self.double, team_id=team_id,
                           enterprise_id=enterprise_id)

    def install(self, team_id: str, enterprise_id: str = "") -> tuple[int, str]:
        """Install Haven into a workspace the way a person does: open ``/slack/install``,
        follow Slack's consent (the double), come back to ``/slack/oauth_redirect``."""
        import re
        import urllib.request

        with urllib.request.urlopen(self.url + "/slack/install", timeout=10) as opened:
            page = opened.read().decode()
            cookie = (opened.headers.get("Set-Cookie") or "").split(";")[0]  # a browser would
        state = re.search(r"state=([\w-]+)", page)  # keep it although Slack marks it Secure
        code = f"install-{team_id}" + (f"-{enterprise_id}" if enterprise_id else "")
        request = urllib.request.Request(
            f"{self.url}/slack/oauth_redirect?code={code}&state="
            f"{state.group(1) if state else ''}", headers={"Cookie": cookie})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def __exit__(self, *exc) -> None:
        self.server.close()
        self.server.task_dispatcher.shutdown()
        self.double.stop()
        self.haven.engine.dispose()


def _names(double: SlackDouble) -> dict[str, str]:
    names = {u: d["real_name"] for u, d in double.workspace.users.items()}
    names.update({c: d["name"] for c, d in double.workspace.channels.items()})
    return names


def answer(local: LocalHaven, user: str, text: str) -> str:
    """``/haven <text>`` as ``user``; the private answer (in the ack or, when it took
    longer, posted to the response URL)."""
    before = len(local.double.responses)
    _, body = local.player.command(user, text)
    if body:
        return json.loads(body)["text"]
    wait_for(lambda: len(local.double.responses) > before)
    return local.double.responses[-1]["text"]


def run(out=print) -> int:
    """The whole flow, printed as each person sees it. Returns 0 when every step worked."""
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder, LocalHaven(Path(folder)) as local:
        double, player, names = local.double, local.player, _names(local.double)

        def show(who: str, text: str) -> None:
            out(f"\n--- {who} sees ---\n{text}")

        out("Haven demo: an admin sets Haven up, a hurtful message is posted, the person it "
            "is aimed at reports it to a confidant. Everything below runs through Haven's "
            "real HTTP endpoint with signed requests, against a local Slack double.")
        for command in (f"watch <#{GENERAL}|general>", f"confidant add <@{CONFIDANT}>"):
            out(f"\n> Aisha types: /haven {render.mrkdwn(command, names)}")
            show("Aisha (only she)", render.mrkdwn(answer(local, ADMIN, command), names))
        text = f"<@{TARGET}> nobody wants you on this team, just quit already"
        out(f"\n> Mark posts in #general: {render.mrkdwn(text, names)}")
        player.message(AUTHOR, GENERAL, text)
        notice = wait_for(lambda: double.dms_to(TARGET))
        if not notice:
            out("!! no notice arrived")
            return 1
        show("Sanne, in a DM from Haven (nobody else is told)",
             render.blocks(notice[-1]["blocks"], names))
        out("\n> Sanne presses [ Report to a confidant ]")
        player.click(TARGET, notice[-1], REPORT_BUTTON)
        modal = wait_for(lambda: double.views)
        show("Sanne, in a modal", render.view(modal[-1]["view"], names))
        out("\n> Sanne picks Ingrid, adds a note, keeps her name to herself, presses [ Send ]")
        player.submit(TARGET, modal[-1]["view"], {
            CONFIDANT_BLOCK: {CONFIDANT_INPUT: {"type": "static_select",
                                                "selected_option": {"value": CONFIDANT}}},
            NOTE_BLOCK: {NOTE_INPUT: {"type": "plain_text_input",
                                      "value": "This is the third time this week."}},
            NAME_BLOCK: {NAME_INPUT: {"type": "checkboxes", "selected_options": []}}})
        case = wait_for(lambda: double.dms_to(CONFIDANT))
        confirmation = wait_for(lambda: len(double.dms_to(TARGET)) > 1)
        if not case or not confirmation:
            out("!! the case was not delivered")
            return 1
        show("Ingrid, the confidant, in a DM from Haven", render.blocks(case[-1]["blocks"],
                                                                        names))
        show("Sanne, in a DM from Haven", render.blocks(double.dms_to(TARGET)[-1]["blocks"],
                                                        names))
        if not _casework(local, show, out, case[-1]):
            return 1
        posted = [m for m in double.messages if not m["channel"].startswith("D")]
        out(f"\nMessages Haven posted in channels: {len(posted)}. DMs to Mark (the author): "
            f"{len(double.dms_to(AUTHOR))}.")
    return 0


def home_of(local: LocalHaven, user: str) -> dict | None:
    """``user`` opens Haven's Home tab; the view Haven published for them."""
    before = len(local.double.homes)
    local.player.event({"type": "app_home_opened", "user": user, "tab": "home",
                        "channel": "D0HOME"})
    published = wait_for(lambda: [h for h in local.double.homes[before:]
                                  if h["user_id"] == user])
    return published[-1]["view"] if published else None


def _casework(local: LocalHaven, show, out, case: dict) -> bool:
    """The confidant acknowledges, writes to the anonymous reporter, who answers; then the
    case is closed. Returns False when a step did not arrive."""
    double, player, names = local.double, local.player, _names(local.double)

    def newest(user: str, count: int) -> dict | None:
        arrived = wait_for(lambda: len(double.dms_to(user)) >= count)
        return double.dms_to(user)[-1] if arrived else None

    def write(user: str, message: dict, action_id: str, text: str) -> None:
        opened = len(double.views)
        player.click(user, message, action_id)
        if wait_for(lambda: len(double.views) > opened):
            player.submit(user, double.views[-1]["view"], {
                blocks.RELAY_BLOCK: {blocks.RELAY_INPUT: {"type": "plain_text_input",
                                                          "value": text}}})

    def show_home(local: LocalHaven, user: str, action: str, who: str) -> None:
        out(f"\n> {action}")
        view = home_of(local, user)
        show(who, render.view(view, names) if view else "!! no Home tab")

    out("\n> Ingrid presses [ Acknowledge ]")
    player.click(CONFIDANT, case, blocks.ACK_BUTTON)
    told = newest(TARGET, 3)
    if told is None:
        return False
    show("Sanne", render.blocks(told["blocks"], names))
    out("\n> Ingrid presses [ Reply to reporter ] and writes through Haven")
    write(CONFIDANT, case, blocks.REPLY_BUTTON, "Thank you for telling me. Shall we talk "
                                                 "on Thursday, by phone?")
    relayed = newest(TARGET, 4)
    if relayed is None:
        return False
    show("Sanne", render.blocks(relayed["blocks"], names))
    out("\n> Sanne presses [ Answer ]")
    write(TARGET, relayed, blocks.WRITE_BUTTON, "Yes, Thursday at ten works for me.")
    answer_ = wait_for(lambda: [m for m in double.dms_to(CONFIDANT) if "wrote" in m["text"]])
    if not answer_:
        return False
    show("Ingrid (Sanne stays \"the reporter\")", render.blocks(answer_[-1]["blocks"], names))
    show_home(local, CONFIDANT, "Ingrid opens Haven's Home tab", "Ingrid, in the Home tab")
    out("\n> After their talk, Ingrid picks Close in the case's ⋯ menu, and \"advice given\"")
    player.click(CONFIDANT, case, blocks.CLOSE_BUTTON)
    opened = wait_for(lambda: double.views[-1]["view"].get("callback_id") == blocks.CLOSE_MODAL)
    if not opened:
        return False
    player.submit(CONFIDANT, double.views[-1]["view"], {blocks.OUTCOME_BLOCK: {
        blocks.OUTCOME_INPUT: {"type": "radio_buttons", "selected_option": {"value": "advice"}}}})
    closed = wait_for(lambda: [m for m in double.dms_to(TARGET) if "closed" in m["text"]])
    if not closed:
        return False
    show("Sanne", render.blocks(closed[-1]["blocks"], names))
    show_home(local, TARGET, "Sanne opens Haven's Home tab", "Sanne, in the Home tab")
    out("\n> Aisha types: /haven stats")
    show("Aisha (anonymous figures only)", render.mrkdwn(answer(local, ADMIN, "stats"), names))
    return True
