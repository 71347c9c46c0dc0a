"""Every message and modal Haven shows, built with slack_sdk's Block Kit models.

Functions are named after what the person sees and take ``_``, the person's texts
(:class:`bot.i18n.Texts`): every word comes from the catalogs in ``bot/locales``. Text a user
wrote goes through :func:`quote_user_text`: Slack markup in it is made harmless (no
``<!channel>`` pings, no links whose label hides where they go) and ``&``, ``<``, ``>`` are
escaped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.i18n import Texts

MAX_QUOTE = 2500  # section text may hold 3,000 characters; leave room for the frame
MAX_QUOTE_LINES = 40

# Action ids, callback ids and block ids: the listeners match on these.
REPORT_BUTTON = "haven_report_open"
DISMISS_BUTTON = "haven_not_a_problem"  # "Not hurtful to me" (the id stays: old notices)
KEEP_EXAMPLE_BUTTON = "haven_keep_example"  # after it: may Haven learn from the text?
NO_EXAMPLE_BUTTON = "haven_no_example"
REPORT_SHORTCUT = "haven_report_message"
BLOCK_IMAGE_SHORTCUT = "haven_block_image"
REPORT_MODAL = "haven_report_submit"
CONFIDANT_BLOCK, CONFIDANT_INPUT = "confidant", "confidant_choice"
NOTE_BLOCK, NOTE_INPUT = "note", "note_text"
NAME_BLOCK, NAME_INPUT = "share_name", "share_name_choice"
LINK_BLOCK, LINK_INPUT = "message_link", "message_link_text"
HOLD_BLOCK, HOLD_INPUT = "hold", "hold_choice"
# The case: buttons carry the case id only (never a person), checked against the clicker.
ACK_BUTTON = "haven_case_ack"
REPLY_BUTTON = "haven_case_reply"  # the confidant writes to the reporter
WRITE_BUTTON = "haven_case_write"  # the reporter writes to the confidant
NOTES_BUTTON = "haven_case_notes"
CLOSE_BUTTON = "haven_case_close"
WITHDRAW_BUTTON = "haven_case_withdraw"
EXPORT_BUTTON = "haven_case_export"
CONTACT_BUTTON = "haven_contact_confidant"
CASE_MORE = "haven_case_more"  # the overflow menu: its options carry "<action id>:<case id>"
HOME_PAGE_BUTTON = "haven_home_page"  # value "<list>:<page>"
MY_LANGUAGE_SELECT = "haven_my_language"
MAX_BUTTONS = 3  # buttons shown on a case; the rest go in the overflow menu
REASSIGN_BUTTON, REASSIGN_MODAL = "haven_case_reassign", "haven_reassign_submit"
RELAY_MODAL, RELAY_BLOCK, RELAY_INPUT = "haven_relay_submit", "relay", "relay_text"
NOTES_MODAL, NOTE_ADD_BLOCK, NOTE_ADD_INPUT = "haven_notes_submit", "new_note", "new_note_text"
CLOSE_MODAL, OUTCOME_BLOCK, OUTCOME_INPUT = "haven_close_submit", "outcome", "outcome_choice"
VERDICT_BLOCK, VERDICT_INPUT = "verdict", "verdict_choice"
# Admin settings in the App Home.
SETTINGS_BUTTON, SETTINGS_MODAL = "haven_settings_open", "haven_settings_submit"
WATCH_BUTTON, UNWATCH_BUTTON = "haven_channel_add", "haven_channel_remove"
CHANNEL_BUTTON, CHANNEL_MODAL = "haven_channel_edit", "haven_channel_submit"
ROSTER_ADD_BUTTON, ROSTER_EDIT_BUTTON = "haven_roster_add", "haven_roster_edit"
ROSTER_REMOVE_BUTTON, ROSTER_MODAL = "haven_roster_remove", "haven_roster_submit"
OUTCOMES = ("advice", "referred", "withdrawn", "other")
CATEGORIES = ("insult", "threat", "sexual", "identity_hate", "profanity")

_USER = re.compile(r"^@([UW][A-Z0-9]{2,20})(?:\|[^>]*)?$")
_CHANNEL = re.compile(r"^#(C[A-Z0-9]{2,20})(?:\|([^>]*))?$")
_MARKUP = re.compile(r"<([^<>\n]{1,500})>")


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _readable_markup(inner: str) -> str:
    """One ``<...>`` of a message as safe mrkdwn: mentions stay, everything else is text."""
    if user := _USER.match(inner):
        return f"<@{user.group(1)}>"  # a mention inside a DM notifies nobody
    if channel := _CHANNEL.match(inner):
        return f"<#{channel.group(1)}>"
    if inner.startswith("!"):
        special = inner[1:].split("|")[-1].split("^")[0]
        return escape("@" + special.lstrip("@"))  # <!channel> -> "@channel", no ping
    target, _, label = inner.partition("|")
    if label and label != target:
        return escape(f"{label} ({target})")  # show where a link really goes
    return escape(target)


def quote_user_text(text: str, limit: int = MAX_QUOTE, max_lines: int = MAX_QUOTE_LINES) -> str:
    """A user's message as a safe mrkdwn block quote of at most ``limit`` characters.

    The budget counts the final text (escaped, quoted), so no message, however long or
    however full of ``&`` and newlines, can push a block past Slack's limit.
    """
    pieces, done = [], 0
    for match in _MARKUP.finditer(text[:limit * 2]):
        pieces += (escape(_unescape(text[done:match.start()])),
                   _readable_markup(_unescape(match.group(1))))
        done = match.end()
    pieces.append(escape(_unescape(text[done:limit * 2])))
    lines = ["> " + line for line in "".join(pieces).strip().splitlines() if line.strip()]
    out, used = [], 0
    for line in lines[:max_lines]:
        if used + len(line) + 1 > limit:
            line = _cut(line, limit - used - 3)
            if len(line) > 2:
                out.append(line + " …")
            break
        out.append(line)
        used += len(line) + 1
    else:
        if len(lines) > max_lines or len(text) > limit * 2:
            out.append("> …")
    return "\n".join(out) or "> _(no text)_"


def _cut(line: str, size: int) -> str:
    """``line`` cut to ``size`` characters, never inside an ``&...;`` entity or ``<...>``."""
    line = line[:max(size, 0)]
    for opener, closer in (("&", ";"), ("<", ">")):
        start = line.rfind(opener)
        if start != -1 and line.find(closer, start) == -1:
            line = line[:start]
    return line




def _time(ts, _: Texts | None = None) -> str:
    try:
        moment = datetime.fromtimestamp(float(ts or ""), UTC)
    except (ValueError, TypeError, OverflowError, OSError):
        return _("common.unknown_time") if _ else "?"
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|" \
           f"{moment:%Y-%m-%d %H:%M} UTC>"


def _when(moment: datetime | None, _: Texts) -> str:
    """A stored time as Slack shows dates (in the reader's own time zone)."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _time(moment.timestamp(), _)


_SLACK_LINK = re.compile(r"^https://[a-z0-9-]+(?:\.enterprise)?\.slack\.com/archives/"
                         r"[CGD][A-Z0-9]{2,20}/p\d{10,20}(?:\?[a-z_=&.0-9]*)?$")


def _link(permalink: str | None, label: str) -> str:
    """A link only to a real Slack message; anything else is shown as plain text."""
    if isinstance(permalink, str) and _SLACK_LINK.match(permalink):
        return f"<{permalink}|{label}>"
    return escape(f"{label}: {permalink}") if permalink else label


def section(text: str, *, verbatim: bool = False) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text, verbatim=verbatim))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _image_lines(bundle: dict, _: Texts) -> list[SectionBlock]:
    """What Haven saw in an image: a known offensive image, and the text it read."""
    if bundle.get("kind") != "image":
        return []
    lines = []
    if bundle.get("matched_known_image") is not None:
        lines.append(_("evidence.known_image"))
    if bundle.get("ocr_text"):
        lines.append(_("evidence.ocr_text") + "\n" + quote_user_text(bundle["ocr_text"],
                                                                      limit=1200))
    return [section("\n".join(lines), verbatim=True)] if lines else []


# -- the affected person --------------------------------------------------------------------
def private_notice(_: Texts, *, flag_id: int, bundle: dict,
                   categories: str = "") -> tuple[str, list]:
    """The DM to a person a flagged message (or image) was aimed at; a threat also says
    where to get urgent help."""
    text = _("notice.title_image" if bundle.get("kind") == "image" else "notice.title")
    blocks = [
        section(_("notice.body", title=text, channel=f"<#{bundle['channel']}>",
                   author=f"<@{bundle['author']}>", time=_time(bundle.get("ts"), _))),
        *_image_lines(bundle, _),
        section(quote_user_text(bundle.get("text", "")), verbatim=True),
        section(_("notice.next", link=_link(bundle.get("permalink"), _("notice.open")))),
    ]
    if "threat" in categories.split(","):
        blocks.append(_context(_("notice.urgent")))
    blocks.append(ActionsBlock(block_id="notice_actions", elements=[
        ButtonElement(text=_("notice.report"), action_id=REPORT_BUTTON,
                      value=str(flag_id), style="primary"),
        ButtonElement(text=_("notice.dismiss"), action_id=DISMISS_BUTTON, value=str(flag_id)),
    ]))
    return text, blocks


def notice_dismissed(_: Texts, *, flag_id: int, days: int) -> tuple[str, list]:
    """The notice after "Not hurtful to me": what Haven keeps, for how long, who sees it;
    and the choice whether the text may serve as an example for the model."""
    text = _("notice.dismissed_title")
    return text, [
        section(_("notice.dismissed_ask", title=text, days=days)),
        ActionsBlock(block_id="notice_example", elements=[
            ButtonElement(text=_("notice.keep_example"), action_id=KEEP_EXAMPLE_BUTTON,
                          value=str(flag_id)),
            ButtonElement(text=_("notice.no_example"), action_id=NO_EXAMPLE_BUTTON,
                          value=str(flag_id)),
        ]),
    ]


def notice_example_answered(_: Texts, *, kept: bool, days: int) -> tuple[str, list]:
    """The notice once the person said whether the text may be kept as an example."""
    text = _("notice.dismissed_title")
    key = "notice.dismissed_kept" if kept else "notice.dismissed_not_kept"
    return text, [section(_(key, title=text, days=days))]


def author_nudge(_: Texts) -> str:
    """The optional private nudge to the author of a flagged message (an ephemeral)."""
    return _("nudge.text")


# -- reporting -------------------------------------------------------------------------------
@dataclass
class RosterEntry:
    """A confidant as employees see them."""

    user_id: str
    name: str
    kind: str = "internal"
    description: str = ""


def _confidant_label(entry: RosterEntry, _: Texts) -> str:
    return f"{entry.name or entry.user_id} ({_('roster.' + entry.kind)})"[:75]


def report_modal(_: Texts, *, confidants: list[RosterEntry], metadata: dict,
                 ask_for_link: bool = False, chosen: str | None = None,
                 can_hold: bool = False) -> View:
    """The modal to report to a confidant."""
    title = _("report.title")
    if not confidants:
        return View(type="modal", callback_id=REPORT_MODAL, title=title, close=_("common.close"),
                    private_metadata=json.dumps(metadata),
                    blocks=[section(_("report.no_confidant"))])
    options = [Option(value=c.user_id, text=_confidant_label(c, _)) for c in confidants[:100]]
    initial = next((o for o in options if o.value == chosen), None)
    blocks = [
        section(_("report.intro")),
        InputBlock(block_id=CONFIDANT_BLOCK, label=_("report.confidant"),
                   element=StaticSelectElement(action_id=CONFIDANT_INPUT, options=options,
                                               placeholder=_("report.choose"),
                                               initial_option=initial)),
    ]
    if ask_for_link:
        blocks.append(InputBlock(block_id=LINK_BLOCK, label=_("report.link"), optional=True,
                                 element=PlainTextInputElement(
                                     action_id=LINK_INPUT, max_length=500,
                                     placeholder=_("report.link_hint"))))
    blocks += [
        InputBlock(block_id=NOTE_BLOCK, label=_("report.note"), optional=True,
                   element=PlainTextInputElement(action_id=NOTE_INPUT, multiline=True,
                                                 max_length=2900)),
        InputBlock(block_id=NAME_BLOCK, label=_("report.name"), optional=True,
                   element=CheckboxesElement(action_id=NAME_INPUT, options=[Option(
                       value="share", text=_("report.share_name"))])),
        _context(_("report.anonymity")),
    ]
    if can_hold:
        blocks += [
            InputBlock(block_id=HOLD_BLOCK, label=_("report.together"), optional=True,
                       element=CheckboxesElement(action_id=HOLD_INPUT, options=[Option(
                           value="hold", text=_("report.hold"))])),
            _context(_("report.hold_explained")),
        ]
    return View(type="modal", callback_id=REPORT_MODAL, title=title, submit=_("report.send"),
                close=_("common.cancel"), private_metadata=json.dumps(metadata), blocks=blocks)


_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,20})(?:\|[^>]*)?>")


def hide_people(text: str, keep: str | None, label, numbers: dict[str, int] | None = None) -> str:
    """Replace every mention but ``keep``'s (the author's) by "@person 1", "@person 2", ...:
    when the reporter is anonymous, the confidant must not learn which of the people a
    message names is the one who reported it. ``numbers`` (person -> number) is shared
    between the texts of one case, so that "person 1" is the same person everywhere."""
    numbers = {} if numbers is None else numbers

    def neutral(match: re.Match) -> str:
        if match.group(1) == keep:
            return match.group(0)
        number = numbers.setdefault(match.group(1), len(numbers) + 1)
        return "@" + label(number)

    return _MENTION.sub(neutral, text)


@dataclass
class CaseInfo:
    """What a case DM or a Home entry shows. ``reporter_id`` is None for an anonymous
    reporter: then no user id of theirs reaches any block, link or metadata."""

    id: int
    number: str
    status: str
    reporter_id: str | None = None
    outcome: str | None = None
    created_at: datetime | None = None
    last_activity_at: datetime | None = None
    other_cases: int = 0
    joint: tuple[str, ...] = ()


def _reporter(case: CaseInfo, _: Texts) -> str:
    return f"<@{case.reporter_id}>" if case.reporter_id else _("case.the_reporter")


def _at_most_three(buttons: list[ButtonElement], _: Texts, case_id: int) -> list:
    """A case's buttons: the first ones as buttons, the rest in one overflow menu (Slack
    allows an overflow no per-option confirmation: buttons that need one stay buttons)."""
    if len(buttons) <= MAX_BUTTONS:
        return buttons
    shown, rest = buttons[:MAX_BUTTONS - 1], buttons[MAX_BUTTONS - 1:]
    options = [Option(value=f"{b.action_id}:{case_id}", text=b.text.text) for b in rest]
    return [*shown, OverflowMenuElement(action_id=CASE_MORE, options=options)]


def confidant_buttons(case: CaseInfo, _: Texts) -> ActionsBlock | None:
    value = str(case.id)
    if case.status in {"closed", "withdrawn", "expired"}:
        return None
    buttons = []
    if case.status == "open":
        buttons.append(ButtonElement(text=_("case.acknowledge"), action_id=ACK_BUTTON,
                                     value=value, style="primary"))
    buttons += [
        ButtonElement(text=_("case.reply"), action_id=REPLY_BUTTON, value=value),
        ButtonElement(text=_("case.notes"), action_id=NOTES_BUTTON, value=value),
        ButtonElement(text=_("case.close"), action_id=CLOSE_BUTTON, value=value),
    ]
    return ActionsBlock(block_id=f"case_{case.id}",
                        elements=_at_most_three(buttons, _, case.id))


def case_for_confidant(_: Texts, *, case: CaseInfo, bundle: dict, note: str | None,
                       anonymous_id: str | None = None) -> tuple[str, list]:
    """The DM to the chosen confidant: the case, its preserved evidence and its buttons.
    With ``anonymous_id`` (a reporter who keeps their name), that id appears nowhere."""
    text = _("case.new", number=case.number)
    author = bundle.get("author") if isinstance(bundle.get("author"), str) else None
    # the author is named, unless the anonymous reporter reported their own message
    keep = author if anonymous_id is None or author != anonymous_id else None
    numbers: dict[str, int] = {}

    def label(number: int) -> str:
        return _("case.person", n=number)

    def shown(words: str) -> str:
        if anonymous_id is None:
            return words
        return hide_people(words, keep, label, numbers)

    def author_field() -> str:
        if not author:
            return _("common.unknown")
        if author == keep or anonymous_id is None:
            return f"<@{author}>"
        return "@" + label(numbers.setdefault(author, len(numbers) + 1))

    blocks = [
        HeaderBlock(text=_("case.header", number=case.number)),
        section(_("case.asked", who=_reporter(case, _))),
    ]
    if case.joint:
        blocks.append(_context(_("case.joint", numbers=", ".join(case.joint))))
    blocks += [
        section(quote_user_text(shown(bundle.get("text", ""))), verbatim=True),
        *_image_lines(bundle, _),
        SectionBlock(fields=[
            MarkdownTextObject(text=_("case.author") + "\n" + author_field()),
            MarkdownTextObject(text=_("case.channel") + "\n" + (
                f"<#{bundle['channel']}>" if bundle.get("channel") else _("common.unknown"))),
            MarkdownTextObject(text=_("case.posted") + "\n" + _time(bundle.get("ts"), _)),
            MarkdownTextObject(text=_("case.message") + "\n" + _link(
                bundle.get("permalink"), _("case.permalink"))),
        ]),
    ]
    if note:
        blocks.append(section(_("case.note") + "\n" + quote_user_text(shown(note)),
                              verbatim=True))
    if case.other_cases:
        blocks.append(section(_("case.other_cases", count=case.other_cases)))
    blocks.append(_context(_("case.integrity", sha=bundle.get("sha256", "")[:16])))
    blocks.append(_context(_("case.status_line", status=_("status." + case.status))))
    if buttons := confidant_buttons(case, _):
        blocks.append(buttons)
    return text, blocks


def case_withdrawn_for_confidant(_: Texts, *, number: str) -> tuple[str, list]:
    """What the confidant's case DM becomes when the reporter withdraws: nothing left."""
    text = _("case.withdrawn_title", number=number)
    return text, [section(_("case.withdrawn", title=text))]


def joint_case_intro(_: Texts, *, numbers: list[str]) -> tuple[str, list]:
    """Before a joint case's reports: several people reported the same author."""
    text = _("case.joint_title", count=len(numbers))
    return text, [section(_("case.joint_intro", title=text, numbers=", ".join(numbers)))]


def reporter_buttons(case: CaseInfo, _: Texts) -> list[ButtonElement]:
    """Write, export, withdraw: a closed case is erased rather than withdrawn."""
    value = str(case.id)
    buttons = []
    if case.status in {"open", "acknowledged"}:
        buttons.append(ButtonElement(text=_("mine.write"), action_id=WRITE_BUTTON, value=value))
    if case.status not in {"withdrawn", "expired"}:
        buttons.append(ButtonElement(text=_("mine.export"), action_id=EXPORT_BUTTON,
                                     value=value))
        word = "mine.erase" if case.status == "closed" else "mine.withdraw"
        buttons.append(ButtonElement(
            text=_(word), action_id=WITHDRAW_BUTTON, value=value, style="danger",
            confirm=ConfirmObject(title=_(word + "_confirm_title"),
                                  text=_(word + "_confirm"),
                                  confirm=_(word), deny=_("common.cancel"),
                                  style="danger")))
    return buttons


def report_confirmation(_: Texts, *, case: CaseInfo, confidant_id: str | None,
                        show_name: bool) -> tuple[str, list]:
    """The DM to the reporter after they submitted."""
    if case.status == "held":
        text = _("mine.held_title", number=case.number)
        body = _("mine.held", title=text)
    elif confidant_id is None:
        text = _("mine.saved_title", number=case.number)
        body = _("mine.saved", title=text)
    else:
        text = _("mine.sent_title", number=case.number, confidant=f"<@{confidant_id}>")
        body = _("mine.sent", title=text,
                 name=_("mine.with_name" if show_name else "mine.without_name"))
    blocks: list = [section(body)]
    if buttons := reporter_buttons(case, _):
        blocks.append(ActionsBlock(block_id=f"mine_{case.id}", elements=buttons))
    return text, blocks


def confidant_gone(_: Texts, *, case: CaseInfo) -> tuple[str, list]:
    """The confidant the reporter chose left the roster before the report reached them."""
    text = _("mine.confidant_gone_title", number=case.number)
    return text, [section(_("mine.confidant_gone", title=text)),
                  ActionsBlock(block_id=f"reassign_{case.id}", elements=[ButtonElement(
                      text=_("mine.choose"), action_id=REASSIGN_BUTTON, value=str(case.id),
                      style="primary")])]


def reassign_modal(_: Texts, *, case: CaseInfo, confidants: list[RosterEntry]) -> View:
    """Choose another confidant for a report that has not reached anyone yet."""
    options = [Option(value=c.user_id, text=_confidant_label(c, _)) for c in confidants[:100]]
    body = [section(_("mine.choose_about", number=case.number))]
    if options:
        body.append(InputBlock(block_id=CONFIDANT_BLOCK, label=_("report.confidant"),
                               element=StaticSelectElement(action_id=CONFIDANT_INPUT,
                                                           options=options,
                                                           placeholder=_("report.choose"))))
    else:
        body.append(section(_("report.no_confidant")))
    return View(type="modal", callback_id=REASSIGN_MODAL, title=_("report.title"),
                submit=_("report.send") if options else None, close=_("common.cancel"),
                private_metadata=json.dumps({"case": case.id}), blocks=body)


def case_update_for_reporter(_: Texts, *, case: CaseInfo) -> tuple[str, list]:
    """The reporter is told, privately, that their case was acknowledged or closed."""
    if case.status == "closed":
        text = _("mine.closed_title", number=case.number)
        body = _("mine.closed", title=text, outcome=_("outcome." + (case.outcome or "other")))
    else:
        text = _("mine.acknowledged_title", number=case.number)
        body = _("mine.acknowledged", title=text)
    blocks: list = [section(body)]
    if buttons := reporter_buttons(case, _):
        blocks.append(ActionsBlock(block_id=f"mine_{case.id}", elements=buttons))
    return text, blocks


def case_withdrawn_for_reporter(_: Texts, *, number: str,
                                delivered: bool = True) -> tuple[str, list]:
    """The reporter's confirmation that their case is withdrawn and erased (and whether the
    confidant, who never saw an undelivered report, was told)."""
    text = _("mine.withdrawn_title", number=number)
    return text, [section(_("mine.withdrawn" if delivered else "mine.withdrawn_unsent",
                            title=text))]


def relay_message(_: Texts, *, case: CaseInfo, text: str, to_reporter: bool) -> tuple[str, list]:
    """A relay message as the other side receives it, with a button to answer."""
    if to_reporter:
        title = _("relay.from_confidant", number=case.number)
        button = ButtonElement(text=_("relay.answer"), action_id=WRITE_BUTTON, value=str(case.id))
    else:
        title = _("relay.from_reporter", number=case.number, who=_reporter(case, _))
        button = ButtonElement(text=_("relay.answer"), action_id=REPLY_BUTTON, value=str(case.id))
    blocks = [section(f"*{title}*"), section(quote_user_text(text), verbatim=True),
              ActionsBlock(block_id=f"relay_{case.id}", elements=[button])]
    return title, blocks


def relay_modal(_: Texts, *, case: CaseInfo, to_reporter: bool) -> View:
    """Write to the other side of a case, through Haven."""
    hint = _("relay.hint_to_reporter" if to_reporter else "relay.hint_to_confidant")
    return View(type="modal", callback_id=RELAY_MODAL, title=_("relay.title"),
                submit=_("relay.send"), close=_("common.cancel"),
                private_metadata=json.dumps({"case": case.id}), blocks=[
                    section(_("relay.about", number=case.number) + "\n" + hint),
                    InputBlock(block_id=RELAY_BLOCK, label=_("relay.label"),
                               element=PlainTextInputElement(action_id=RELAY_INPUT,
                                                             multiline=True,
                                                             max_length=MAX_QUOTE - 100)),
                ])


def relay_sent(_: Texts, *, number: str) -> str:
    """The sender's receipt in their DM (their own words are not repeated)."""
    return _("relay.sent", number=number)


def notes_modal(_: Texts, *, case: CaseInfo, notes: list[tuple[datetime, str]]) -> View:
    """The confidant's own notes on a case, and a field to add one."""
    blocks: list = [section(_("notes.about", number=case.number))]
    for at, text in notes[-20:]:
        blocks.append(_context(_when(at, _)))
        blocks.append(section(quote_user_text(text, limit=1500), verbatim=True))
    if not notes:
        blocks.append(_context(_("notes.none")))
    blocks.append(InputBlock(block_id=NOTE_ADD_BLOCK, label=_("notes.add"), optional=True,
                             element=PlainTextInputElement(action_id=NOTE_ADD_INPUT,
                                                           multiline=True, max_length=2900)))
    return View(type="modal", callback_id=NOTES_MODAL, title=_("notes.title"),
                submit=_("notes.save"), close=_("common.close"),
                private_metadata=json.dumps({"case": case.id}), blocks=blocks)


def close_modal(_: Texts, *, case: CaseInfo) -> View:
    """Close a case with its outcome (and, optionally, a word for the model)."""
    outcomes = [Option(value=o, text=_("outcome." + o)) for o in OUTCOMES]
    verdicts = [Option(value=v, text=_("close.verdict_" + v)) for v in ("yes", "no")]
    return View(type="modal", callback_id=CLOSE_MODAL, title=_("close.title"),
                submit=_("close.submit"), close=_("common.cancel"),
                private_metadata=json.dumps({"case": case.id}), blocks=[
                    section(_("close.about", number=case.number)),
                    InputBlock(block_id=OUTCOME_BLOCK, label=_("close.outcome"),
                               element=RadioButtonsElement(action_id=OUTCOME_INPUT,
                                                           options=outcomes)),
                    InputBlock(block_id=VERDICT_BLOCK, label=_("close.verdict"), optional=True,
                               element=RadioButtonsElement(action_id=VERDICT_INPUT,
                                                           options=verdicts)),
                    _context(_("close.verdict_explained")),
                ])


def modal_message(_: Texts, *, title: str, text: str) -> View:
    """A modal that only says what happened (nothing left to submit)."""
    return View(type="modal", title=title, close=_("common.close"), blocks=[section(text)])


def export_message(_: Texts, *, number: str) -> str:
    """The text that comes with the exported document."""
    return _("mine.export_sent", number=number)


# -- admins -----------------------------------------------------------------------------------
def admin_reminder_no_confidant(_: Texts) -> tuple[str, list]:
    """The DM to admins when someone tried to report but the roster is empty."""
    text = _("admin.reminder_title")
    return text, [section(_("admin.reminder", title=text))]


def help_text(_: Texts, is_admin: bool) -> str:
    """The answer to ``/haven help``."""
    text = _("help.everyone")
    return text + "\n" + _("help.admins") if is_admin else text


def user_select(action_id: str, placeholder: str, initial: str | None = None
                ) -> UserSelectElement:
    """A people picker."""
    return UserSelectElement(action_id=action_id, placeholder=placeholder, initial_user=initial)
