"""The App Home tab, one section per role a person has, and the admins' settings modals.

Everyone sees how Haven works, the confidants (with a button to contact one) and their own
reports. A confidant also sees their open cases; an admin also sees the settings. Nobody's
Home shows another person's report.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot import blocks
from bot.i18n import LANGUAGES, Texts
from bot.storage import queries as q
from bot.storage.db import session_scope

log = logging.getLogger(__name__)

PAGE = 5  # cases (or channels) per page of a section: the whole Home stays within 100 blocks
MAX_ROSTER = 20  # confidants listed (a roster beyond that is not a real workspace's)
MAX_BLOCKS = 100  # Slack refuses a Home view with more
# Settings modal fields.
S_THRESHOLD, S_CATEGORIES, S_NUDGE = "s_threshold", "s_categories", "s_nudge"
S_FLAG_DAYS, S_CASE_MONTHS, S_LANGUAGE = "s_flag_days", "s_case_months", "s_language"
C_THRESHOLD, C_SHADOW, C_GROUP, C_CHANNEL = "c_threshold", "c_shadow", "c_group", "c_channel"
R_PERSON, R_KIND, R_DESCRIPTION = "r_person", "r_kind", "r_description"


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def _age(moment: datetime | None, _: Texts, now: datetime) -> str:
    if moment is None:
        return "—"
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    hours = max(0, int((now - moment).total_seconds() // 3600))
    count, unit = (hours // 24, "day") if hours >= 24 else (hours, "hour")
    return _(f"common.{unit}") if count == 1 else _(f"common.{unit}s", count=count)


# -- the Home tab ---------------------------------------------------------------------------
def _page(items: list, page: int, section: str, _: Texts) -> tuple[list, list]:
    """One page of ``items`` and, when there are more, a line saying which, with
    *Previous* / *Next* buttons (they carry ``section:page``)."""
    pages = max(1, -(-len(items) // PAGE))
    page = min(max(page, 0), pages - 1)
    shown = items[page * PAGE:(page + 1) * PAGE]
    if pages == 1:
        return shown, []
    first = page * PAGE + 1
    nav = [ContextBlock(elements=[MarkdownTextObject(text=_(
        "home.page_" + section, first=first, last=first + len(shown) - 1, total=len(items)))])]
    buttons = [ButtonElement(text=_("home." + word), action_id=blocks.HOME_PAGE_BUTTON,
                             value=f"{section}:{to}")
               for word, to in (("previous", page - 1), ("next", page + 1)) if 0 <= to < pages]
    return shown, [*nav, ActionsBlock(block_id=f"home_page_{section}", elements=buttons)]


def mine_section(_: Texts, mine: list[blocks.CaseInfo], now: datetime, page: int = 0) -> list:
    """The person's own reports, with what they can do with each."""
    out: list = [DividerBlock(), _section(_("home.mine"))]
    shown, nav = _page(mine, page, "mine", _)
    for case in shown:
        out.append(_section(_("home.mine_line", number=case.number,
                              status=_("status." + case.status),
                              age=_age(case.created_at, _, now))))
        if buttons := blocks.reporter_buttons(case, _):
            out.append(ActionsBlock(block_id=f"home_mine_{case.id}", elements=buttons))
    if not mine:
        out.append(ContextBlock(elements=[MarkdownTextObject(text=_("home.mine_none"))]))
    return out + nav


def about_section(_: Texts, roster: list[blocks.RosterEntry], user_id: str | None) -> list:
    """How Haven works and the confidants, each with a button to contact them (not
    oneself: a confidant sees "that is you" instead)."""
    out: list = [DividerBlock(), _section(_("home.how")), _section(_("home.confidants"))]
    for entry in roster[:MAX_ROSTER]:
        label = f"*<@{entry.user_id}>* · {_('roster.' + entry.kind)}"
        if entry.user_id == user_id:
            label += f" · _{_('home.you')}_"
        if entry.description:
            label += "\n" + blocks.escape(entry.description)
        out.append(SectionBlock(text=MarkdownTextObject(text=label), accessory=None
                                if entry.user_id == user_id else ButtonElement(
                                    text=_("home.contact"), action_id=blocks.CONTACT_BUTTON,
                                    value=entry.user_id)))
    if not roster:
        out.append(_section(_("home.no_confidants")))
    return [*out, _section(_("home.how_to_report"))]


def language_section(_: Texts, *, chosen: str | None, workspace: str) -> list:
    """The person's own language: the workspace's, or one they choose."""
    default = _options([("default", _("home.my_language_default",
                                      language=_("home.language_" + workspace)))])
    langs = default + _options((code, _("home.language_" + code)) for code in LANGUAGES)
    current = next(o for o in langs if o.value == (chosen or "default"))
    return [DividerBlock(), SectionBlock(
        text=MarkdownTextObject(text=_("home.my_language") + "\n" + _("home.my_language_hint")),
        accessory=StaticSelectElement(action_id=blocks.MY_LANGUAGE_SELECT, options=langs,
                                      initial_option=current))]


def confidant_section(_: Texts, cases: list[blocks.CaseInfo], now: datetime,
                      page: int = 0) -> list:
    """A confidant's open cases: number, age, status, last activity."""
    out: list = [HeaderBlock(text=_("home.cases_title")), _section(_("home.cases_intro"))]
    shown, nav = _page(cases, page, "cases", _)
    for case in shown:
        out.append(_section(_("home.case_line", number=case.number,
                              status=_("status." + case.status),
                              age=_age(case.created_at, _, now),
                              activity=_age(case.last_activity_at, _, now))))
        if buttons := blocks.confidant_buttons(case, _):
            buttons.block_id = f"home_case_{case.id}"
            out.append(buttons)
    if not cases:
        out.append(ContextBlock(elements=[MarkdownTextObject(text=_("home.cases_none"))]))
    return out + nav


def admin_section(_: Texts, *, channels: list, roster: list[blocks.RosterEntry],
                  summary: str, threshold: float, page: int = 0) -> list:
    """Settings: channels (threshold, shadow mode, group), the roster, everything else."""
    out: list = [DividerBlock(), HeaderBlock(text=_("home.admin_title")),
                 _section(_("home.admin_intro")), _section(_("home.channels"))]
    shown, nav = _page(channels, page, "channels", _)
    for channel in shown:
        line = _("home.channel_line", channel=f"<#{channel.channel_id}>",
                 threshold=_.decimal(channel.threshold or threshold),
                 shadow=_("cmd.on" if channel.shadow else "cmd.off"),
                 group=blocks.escape(channel.group) or "—")
        out.append(SectionBlock(text=MarkdownTextObject(text=line), accessory=ButtonElement(
            text=_("home.edit"), action_id=blocks.CHANNEL_BUTTON, value=channel.channel_id)))
    if not channels:
        out.append(_section(_("home.no_channels")))
    out += nav
    out.append(_section(_("home.roster")))
    for entry in roster[:MAX_ROSTER]:
        text = f"<@{entry.user_id}> · {_('roster.' + entry.kind)}" + (
            f" — {blocks.escape(entry.description)}" if entry.description else "")
        out.append(SectionBlock(text=MarkdownTextObject(text=text), accessory=ButtonElement(
            text=_("home.edit"), action_id=blocks.ROSTER_EDIT_BUTTON, value=entry.user_id)))
    out += [
        _section(summary),
        ActionsBlock(block_id="home_admin", elements=[
            ButtonElement(text=_("home.settings"), action_id=blocks.SETTINGS_BUTTON,
                          value="settings", style="primary"),
            ButtonElement(text=_("home.watch"), action_id=blocks.WATCH_BUTTON, value="watch"),
            ButtonElement(text=_("home.add_confidant"), action_id=blocks.ROSTER_ADD_BUTTON,
                          value="add"),
        ]),
        ContextBlock(elements=[MarkdownTextObject(text=_("home.admin_privacy"))]),
    ]
    return out


def home_view(sections: list) -> View:
    """The Home tab from its sections. Lists are paged so that it never holds more than
    Slack's 100 blocks; should that ever fail, Slack refuses the view and the log says so,
    rather than Haven dropping what did not fit without a word."""
    if len(sections) > MAX_BLOCKS:
        log.error("Home tab of %d blocks: more than Slack's %d", len(sections), MAX_BLOCKS)
    return View(type="home", blocks=sections)


def publish(haven, gateway, user_id: str, pages: dict[str, int] | None = None) -> None:
    """Publish the Home tab for one person, with a section for each of their roles."""
    try:
        gateway.publish_home(user_id, build(haven, gateway, user_id, pages))
    except SlackApiError as error:
        log.info("views.publish failed: %s", error.response.get("error"))


def build(haven, gateway, user_id: str, pages: dict[str, int] | None = None) -> View:
    """The person's Home tab: the work of each of their roles first (a confidant's open
    cases, their own reports, an admin's settings), then how Haven works, then their
    language. ``pages``: the page shown of each list (``cases``, ``mine``, ``channels``)."""
    team_id, _ = gateway.team_id, haven.texts(gateway, user_id)
    pages, now = pages or {}, datetime.now(UTC)
    with session_scope(haven.engine) as session:
        roster = [blocks.RosterEntry(c.user_id, c.name, c.kind, c.description)
                  for c in q.confidants(session, team_id=team_id)]
        mine = [haven.info(c, for_confidant=False) for c in q.cases_of(
            session, team_id=team_id, reporter_id=user_id) if c.status != "expired"]
        theirs = [haven.info(c, for_confidant=True) for c in q.cases_of(
            session, team_id=team_id, confidant_id=user_id, open_only=True)]
        is_confidant = q.is_confidant(session, team_id=team_id, user_id=user_id)
        channels = q.watched_channels(session, team_id=team_id)
        threshold = haven.threshold(session, team_id=team_id, channel_threshold=None)
        chosen = q.person_language(session, team_id=team_id, user_id=user_id)
        workspace = q.get_setting(session, team_id=team_id, key="language") or "en"
    sections: list = [HeaderBlock(text="Haven")]
    if is_confidant or theirs:
        sections += confidant_section(_, theirs, now, pages.get("cases", 0))
    if mine:
        sections += mine_section(_, mine, now, pages.get("mine", 0))
    if gateway.is_admin(user_id):
        sections += admin_section(_, channels=channels, roster=roster, threshold=threshold,
                                  summary=haven.settings_summary(_, team_id),
                                  page=pages.get("channels", 0))
    sections += about_section(_, roster, user_id)
    if not mine:
        sections += mine_section(_, mine, now)
    sections += language_section(_, chosen=chosen, workspace=workspace)
    return home_view(sections)


# -- the admins' modals ---------------------------------------------------------------------
def _options(pairs) -> list[Option]:
    return [Option(value=value, text=label) for value, label in pairs]


def settings_modal(_: Texts, *, threshold: float, categories: list[str], nudge: bool,
                   flag_days: str, case_months: str, language: str) -> View:
    """Workspace settings: default threshold, alert categories, nudge, retention, language."""
    cats = _options((c, _("category." + c)) for c in blocks.CATEGORIES)
    chosen = [o for o in cats if o.value in categories]
    onoff = _options((("on", _("cmd.on")), ("off", _("cmd.off"))))
    langs = _options((code, _("home.language_" + code)) for code in LANGUAGES)
    return View(type="modal", callback_id=blocks.SETTINGS_MODAL, title=_("home.settings"),
                submit=_("notes.save"), close=_("common.cancel"), blocks=[
        InputBlock(block_id=S_THRESHOLD, label=_("home.threshold"), hint=_("home.threshold_hint"),
                   element=PlainTextInputElement(action_id=S_THRESHOLD, max_length=5,
                                                 initial_value=_.decimal(threshold))),
        InputBlock(block_id=S_CATEGORIES, label=_("home.categories"), optional=True,
                   element=CheckboxesElement(action_id=S_CATEGORIES, options=cats,
                                             initial_options=chosen or None)),
        InputBlock(block_id=S_NUDGE, label=_("home.nudge"), hint=_("home.nudge_hint"),
                   element=RadioButtonsElement(action_id=S_NUDGE, options=onoff,
                                               initial_option=onoff[0 if nudge else 1])),
        InputBlock(block_id=S_FLAG_DAYS, label=_("home.flag_days"),
                   element=PlainTextInputElement(action_id=S_FLAG_DAYS, max_length=3,
                                                 initial_value=flag_days)),
        InputBlock(block_id=S_CASE_MONTHS, label=_("home.case_months"),
                   element=PlainTextInputElement(action_id=S_CASE_MONTHS, max_length=3,
                                                 initial_value=case_months)),
        InputBlock(block_id=S_LANGUAGE, label=_("home.language"),
                   element=StaticSelectElement(action_id=S_LANGUAGE, options=langs,
                                               initial_option=next(
                                                   o for o in langs if o.value == language))),
    ])


def channel_modal(_: Texts, *, channel_id: str | None, threshold: float | None = None,
                  shadow: bool = False, group: str = "") -> View:
    """One watched channel: threshold, shadow mode, figures group; without ``channel_id``,
    a channel to start watching."""
    onoff = _options((("on", _("cmd.on")), ("off", _("cmd.off"))))
    if channel_id is None:
        which = InputBlock(block_id=C_CHANNEL, label=_("home.which_channel"),
                           element=ConversationSelectElement(
                               action_id=C_CHANNEL, placeholder=_("home.which_channel"),
                               filter=ConversationFilter(include=["public", "private"],
                                                         exclude_bot_users=True)))
    else:
        which = SectionBlock(text=MarkdownTextObject(text=f"<#{channel_id}>"),
                             accessory=ButtonElement(text=_("home.unwatch"), style="danger",
                                                     action_id=blocks.UNWATCH_BUTTON,
                                                     value=channel_id))
    return View(type="modal", callback_id=blocks.CHANNEL_MODAL, title=_("home.channel_title"),
                submit=_("notes.save"), close=_("common.cancel"),
                private_metadata=json.dumps({"channel": channel_id} if channel_id else {}),
                blocks=[
        which,
        InputBlock(block_id=C_THRESHOLD, label=_("home.threshold"), optional=True,
                   hint=_("home.channel_threshold_hint"), element=PlainTextInputElement(
                       action_id=C_THRESHOLD, max_length=5,
                       initial_value=_.decimal(threshold) if threshold else None)),
        InputBlock(block_id=C_SHADOW, label=_("home.shadow"), hint=_("home.shadow_hint"),
                   element=RadioButtonsElement(action_id=C_SHADOW, options=onoff,
                                               initial_option=onoff[0 if shadow else 1])),
        InputBlock(block_id=C_GROUP, label=_("home.group"), optional=True,
                   hint=_("home.group_hint"), element=PlainTextInputElement(
                       action_id=C_GROUP, max_length=60, initial_value=group or None)),
    ])


def roster_modal(_: Texts, *, entry: blocks.RosterEntry | None) -> View:
    """Add a confidant, or edit one's label and description (and remove them)."""
    kinds = _options((k, _("roster." + k)) for k in ("internal", "external"))
    fields: list = []
    if entry is None:
        fields.append(InputBlock(block_id=R_PERSON, label=_("home.person"),
                                 element=blocks.user_select(R_PERSON, _("home.person"))))
    else:
        fields.append(SectionBlock(text=MarkdownTextObject(text=f"<@{entry.user_id}>"),
                                   accessory=ButtonElement(
                                       text=_("home.remove"), style="danger",
                                       action_id=blocks.ROSTER_REMOVE_BUTTON,
                                       value=entry.user_id)))
    kind = next(o for o in kinds if o.value == (entry.kind if entry else "internal"))
    fields += [
        InputBlock(block_id=R_KIND, label=_("home.kind"), element=RadioButtonsElement(
            action_id=R_KIND, options=kinds, initial_option=kind)),
        InputBlock(block_id=R_DESCRIPTION, label=_("home.description"), optional=True,
                   hint=_("home.description_hint"), element=PlainTextInputElement(
                       action_id=R_DESCRIPTION, max_length=300, multiline=True,
                       initial_value=(entry.description or None) if entry else None)),
    ]
    return View(type="modal", callback_id=blocks.ROSTER_MODAL, title=_("home.roster_title"),
                submit=_("notes.save"), close=_("common.cancel"),
                private_metadata=json.dumps({"person": entry.user_id} if entry else {}),
                blocks=fields)
