"""Every message and modal Haven shows, built with slack_sdk's Block Kit models.

Functions are named after what the person sees. Text a user wrote goes through
:func:`quote_user_text`: Slack markup in it is made harmless (no ``<!channel>`` pings, no
links whose label hides where they go) and ``&``, ``<``, ``>`` are escaped.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

MAX_QUOTE = 2500  # section text may hold 3,000 characters; leave room for the frame
MAX_QUOTE_LINES = 40

# Action ids, callback ids and block ids: the listeners match on these.
REPORT_BUTTON = "haven_report_open"
DISMISS_BUTTON = "haven_not_a_problem"
REPORT_SHORTCUT = "haven_report_message"
BLOCK_IMAGE_SHORTCUT = "haven_block_image"
REPORT_MODAL = "haven_report_submit"
CONFIDANT_BLOCK, CONFIDANT_INPUT = "confidant", "confidant_choice"
NOTE_BLOCK, NOTE_INPUT = "note", "note_text"
NAME_BLOCK, NAME_INPUT = "share_name", "share_name_choice"
LINK_BLOCK, LINK_INPUT = "message_link", "message_link_text"

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


def _time(ts) -> str:
    try:
        moment = datetime.fromtimestamp(float(ts or ""), UTC)
    except (ValueError, TypeError, OverflowError, OSError):
        return "unknown time"
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|" \
           f"{moment:%Y-%m-%d %H:%M} UTC>"


_SLACK_LINK = re.compile(r"^https://[a-z0-9-]+(?:\.enterprise)?\.slack\.com/archives/"
                         r"[CGD][A-Z0-9]{2,20}/p\d{10,20}(?:\?[a-z_=&.0-9]*)?$")


def _link(permalink: str | None, label: str) -> str:
    """A link only to a real Slack message; anything else is shown as plain text."""
    if isinstance(permalink, str) and _SLACK_LINK.match(permalink):
        return f"<{permalink}|{label}>"
    return escape(f"{label}: {permalink}") if permalink else label


def _image_lines(bundle: dict) -> list[SectionBlock]:
    """What Haven saw in an image: a known offensive image, and the text it read."""
    if bundle.get("kind") != "image":
        return []
    lines = []
    if bundle.get("matched_known_image") is not None:
        lines.append("It matches an image your admins marked as offensive.")
    if bundle.get("ocr_text"):
        lines.append("Text Haven read in the image:\n" + quote_user_text(bundle["ocr_text"],
                                                                        limit=1200))
    return [SectionBlock(text=MarkdownTextObject(text="\n".join(lines), verbatim=True))] \
        if lines else []


def private_notice(*, flag_id: int, bundle: dict) -> tuple[str, list]:
    """The DM to a person a flagged message (or image) was aimed at."""
    what = "an image" if bundle.get("kind") == "image" else "a message"
    text = f"Haven noticed {what} that may be hurtful to you"
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=(
            f"*{text}.*\nIt was posted in <#{bundle['channel']}> by <@{bundle['author']}> "
            f"({_time(bundle.get('ts'))}). Nobody else is told about this note: not the "
            "author, not the admins."))),
        *_image_lines(bundle),
        SectionBlock(text=MarkdownTextObject(text=quote_user_text(bundle.get("text", "")),
                                             verbatim=True)),
        SectionBlock(text=MarkdownTextObject(text=(
            f"{_link(bundle.get('permalink'), 'Open the message')}. If you want, a confidant "
            "(vertrouwenspersoon) can listen and advise; you decide what happens next. "
            "Haven has kept a copy, even if the message is deleted."))),
        ActionsBlock(block_id="notice_actions", elements=[
            ButtonElement(text="Report to a confidant", action_id=REPORT_BUTTON,
                          value=str(flag_id), style="primary"),
            ButtonElement(text="Not a problem", action_id=DISMISS_BUTTON, value=str(flag_id)),
        ]),
    ]
    return text, blocks


def notice_dismissed() -> tuple[str, list]:
    """The notice after "Not a problem": thanks, and the door stays open."""
    text = "Thanks for letting Haven know"
    return text, [SectionBlock(text=MarkdownTextObject(text=(
        f"*{text}.* Nothing more happens with this message. If you change your mind, use "
        "the message's *⋯ → Report to a confidant* shortcut or `/haven report`.")))]


def report_modal(*, confidants: list[tuple[str, str]], metadata: dict,
                 ask_for_link: bool = False) -> View:
    """The modal to report to a confidant; ``confidants`` are (user id, name) pairs."""
    if not confidants:
        return View(type="modal", callback_id=REPORT_MODAL, title="Report to a confidant",
                    close="Close", private_metadata=json.dumps(metadata), blocks=[
                        SectionBlock(text=MarkdownTextObject(text=(
                            "*No confidant has been set up in this workspace yet.* That is "
                            "not your fault, and what you wanted to report is kept safe. "
                            "The people who configured Haven have been reminded; you will "
                            "be able to send it as soon as a confidant is available."))),
                    ])
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=(
            "A confidant (vertrouwenspersoon) listens, advises and keeps what you share "
            "confidential. They will not start anything without you."))),
        InputBlock(block_id=CONFIDANT_BLOCK, label="Confidant", element=StaticSelectElement(
            action_id=CONFIDANT_INPUT, placeholder="Choose a confidant",
            options=[Option(value=user_id, text=name[:75] or user_id)
                     for user_id, name in confidants[:100]])),
    ]
    if ask_for_link:
        blocks.append(InputBlock(block_id=LINK_BLOCK, label="Link to the message (optional)",
                                 optional=True, element=PlainTextInputElement(
                                     action_id=LINK_INPUT, max_length=500,
                                     placeholder="Message menu ⋯ → Copy link")))
    blocks += [
        InputBlock(block_id=NOTE_BLOCK, label="Anything you want the confidant to know",
                   optional=True, element=PlainTextInputElement(
                       action_id=NOTE_INPUT, multiline=True, max_length=2900)),
        InputBlock(block_id=NAME_BLOCK, label="Your name", optional=True,
                   element=CheckboxesElement(action_id=NAME_INPUT, options=[Option(
                       value="share", text="The confidant may see my name")])),
        ContextBlock(elements=[MarkdownTextObject(text=(
            "Without your name the confidant sees only \"the reporter\" and can still answer "
            "you through Haven. They can open the original message, so if it names you, "
            "they may guess who you are."))]),
    ]
    return View(type="modal", callback_id=REPORT_MODAL, title="Report to a confidant",
                submit="Send", close="Cancel", private_metadata=json.dumps(metadata),
                blocks=blocks)


def hide_person(text: str, user_id: str | None, label: str = "the reporter") -> str:
    """Replace mentions of ``user_id`` by a label: an anonymous reporter stays anonymous even
    where the message they report mentions them."""
    if not user_id:
        return text
    return re.sub(r"<@" + re.escape(user_id) + r"(?:\|[^>]*)?>", f"@{label}", text)


def case_for_confidant(*, number: str, bundle: dict, note: str | None,
                       reporter_id: str | None, anonymous_id: str | None = None
                       ) -> tuple[str, list]:
    """The DM to the chosen confidant: the case and its preserved evidence. With
    ``anonymous_id`` (a reporter who keeps their name), that id appears nowhere."""
    who = f"<@{reporter_id}>" if reporter_id else "The reporter (who chose not to share " \
                                                  "their name)"
    text = f"New case {number} for you as confidant"
    blocks = [
        HeaderBlock(text=f"Case {number}"),
        SectionBlock(text=MarkdownTextObject(text=f"{who} asked you, as confidant, to look "
                                                  "at this.")),
        SectionBlock(text=MarkdownTextObject(text=quote_user_text(
            hide_person(bundle.get("text", ""), anonymous_id)), verbatim=True)),
        *_image_lines(bundle),
        SectionBlock(fields=[
            MarkdownTextObject(text=f"*Author*\n<@{bundle['author']}>"
                               if bundle.get("author") else "*Author*\nunknown"),
            MarkdownTextObject(text=f"*Channel*\n<#{bundle['channel']}>"
                               if bundle.get("channel") else "*Channel*\nunknown"),
            MarkdownTextObject(text=f"*Posted*\n{_time(bundle.get('ts'))}"),
            MarkdownTextObject(text=f"*Message*\n{_link(bundle.get('permalink'), 'permalink')}"),
        ]),
    ]
    if note:
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text="*Note from the reporter*\n" + quote_user_text(note), verbatim=True)))
    blocks += [
        ContextBlock(elements=[MarkdownTextObject(text=(
            f"Evidence SHA-256 `{bundle.get('sha256', '')[:16]}…` · kept encrypted by Haven. "
            "Only you and the reporter can see this case."))]),
    ]
    return text, blocks


def report_confirmation(*, number: str, confidant_id: str | None,
                        show_name: bool) -> tuple[str, list]:
    """The DM to the reporter after they submitted."""
    if confidant_id is None:
        text = f"Your report {number} is saved"
        body = (f"*{text}.* No confidant is set up yet; the admins have been reminded, and "
                "Haven will keep the evidence safe until one is.")
    else:
        text = f"Your report {number} was sent to <@{confidant_id}>"
        name = "with your name" if show_name else "without your name"
        body = (f"*{text}* ({name}).\nWhat happens next: the confidant reads it and answers "
                "you here, through Haven. They listen and advise; nothing happens without "
                "your consent. Keep the case number for your own records.")
    return text, [SectionBlock(text=MarkdownTextObject(text=body)),
                  DividerBlock()]


def admin_reminder_no_confidant() -> tuple[str, list]:
    """The DM to admins when someone tried to report but the roster is empty."""
    text = "Someone tried to report to a confidant, but Haven has no confidant yet"
    return text, [SectionBlock(text=MarkdownTextObject(text=(
        f"*{text}.* Their report is kept safe (you cannot see it). Add a confidant with "
        "`/haven confidant add @person` so it can be delivered.")))]


def help_text(is_admin: bool) -> str:
    """The answer to ``/haven help``."""
    lines = [
        "*Haven* helps you deal with hurtful messages at work, privately.",
        "• `/haven report` — tell a confidant about something that happened",
        "• Message menu *⋯ → Report to a confidant* — report one message",
        "• `/haven help` — this help",
    ]
    if is_admin:
        lines += [
            "*For admins*",
            "• `/haven watch #channel` / `/haven unwatch #channel` — opt a channel in or out",
            "• `/haven confidant add @person` / `/haven confidant remove @person`",
            "• `/haven threshold 0.7` — how sure Haven must be before it flags (0 to 1)",
            "• `/haven status` — channels, confidants and anonymous figures",
            "• `/haven image block <link to a message>` — mark its image as offensive",
        ]
    return "\n".join(lines)


def plain(text: str) -> PlainTextObject:
    """Plain text (no formatting at all)."""
    return PlainTextObject(text=text)
