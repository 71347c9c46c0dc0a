"""From a Slack ``message`` event to what Haven needs to judge it. No Slack calls here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.files import is_image_entry

MAX_CLASSIFIED_CHARS = 20_000  # longer messages are judged on their first 20,000 characters
MAX_FILES = 10

#: Subtypes that are not someone writing something (joins, topic changes, deletions, ...).
_IGNORED_SUBTYPES = {
    "bot_message", "message_deleted", "channel_join", "channel_leave", "channel_topic",
    "channel_purpose", "channel_name", "channel_archive", "channel_unarchive", "group_join",
    "group_leave", "pinned_item", "unpinned_item", "ekm_access_denied", "tombstone",
    "message_replied", "assistant_app_thread", "huddle_thread",
}
_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,20})(?:\|[^>]*)?>")
_ID = re.compile(r"^[A-Z0-9]{2,32}$")


@dataclass(frozen=True)
class Message:
    """A message someone wrote in a channel (or an edit of one)."""

    channel: str
    ts: str
    author: str
    text: str
    thread_ts: str | None
    parent_author: str | None
    edited: bool
    files: tuple[str, ...] = ()  # ids of the images shared with the message

    @property
    def is_reply(self) -> bool:
        """A reply in a thread (not the thread's parent itself)."""
        return self.thread_ts is not None and self.thread_ts != self.ts

    def bundle(self, permalink: str | None) -> dict:
        """The evidence snapshot of this message."""
        return {"text": self.text, "author": self.author, "channel": self.channel,
                "ts": self.ts, "thread_ts": self.thread_ts, "edited": self.edited,
                "permalink": permalink}


def _valid_id(value) -> bool:
    return isinstance(value, str) and bool(_ID.match(value))


def message_from_event(event: dict, bot_user_id: str | None) -> Message | None:
    """The message in a ``message`` event, or None for anything Haven must not judge:
    bots (itself included), joins and other system messages, deletions, malformed events."""
    if not isinstance(event, dict) or event.get("subtype") in _IGNORED_SUBTYPES:
        return None
    edited = event.get("subtype") == "message_changed"
    inner = event.get("message") if edited else event
    if not isinstance(inner, dict) or inner.get("bot_id") or inner.get("subtype") == "bot_message":
        return None
    if edited and isinstance(event.get("previous_message"), dict) and \
            event["previous_message"].get("text") == inner.get("text"):
        return None  # an unfurl or reaction update, not a new text
    author, channel, ts = inner.get("user"), event.get("channel"), inner.get("ts")
    text = inner.get("text") if inner.get("text") is not None or inner.get("files") else None
    text = "" if text is None and inner.get("files") else text
    if not (_valid_id(author) and _valid_id(channel) and isinstance(ts, str)
            and isinstance(text, str)) or author == bot_user_id:
        return None
    thread_ts = inner.get("thread_ts") if isinstance(inner.get("thread_ts"), str) else None
    parent = inner.get("parent_user_id")
    files = inner.get("files") if isinstance(inner.get("files"), list) else []
    return Message(channel=channel, ts=ts, author=author, text=text[:MAX_CLASSIFIED_CHARS],
                   thread_ts=thread_ts, parent_author=parent if _valid_id(parent) else None,
                   edited=edited, files=tuple(f["id"] for f in files[:MAX_FILES]
                                              if is_image_entry(f)))


def mentioned_users(text: str) -> list[str]:
    """User ids @mentioned in a message, in order, without repeats."""
    return list(dict.fromkeys(_MENTION.findall(text)))


def affected_people(message: Message, bot_user_id: str | None) -> list[str]:
    """Who a flagged message may hurt: the people it mentions, and the author of the thread
    it answers — never its own author, never Haven."""
    people = mentioned_users(message.text)
    if message.is_reply and message.parent_author:
        people.append(message.parent_author)
    return [p for p in dict.fromkeys(people) if p not in {message.author, bot_user_id}]


def flagged_categories(categories: dict[str, float], cut: float = 0.5) -> list[str]:
    """The categories a flag is recorded with."""
    return sorted(name for name, score in categories.items() if score >= cut)
