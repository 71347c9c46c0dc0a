"""The only code that calls the Slack Web API."""

from __future__ import annotations

import http.client
import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.models.views import View

log = logging.getLogger(__name__)

USER_CACHE_SECONDS = 300
#: What a Web API call raises when Slack says no or cannot be reached (after the client's
#: own retries): an error answer, a time-out, a refused or broken connection.
SLACK_FAILURES = (SlackApiError, OSError, http.client.HTTPException)
#: Slack's answers that mean a message Haven wants gone or changed is gone already.
GONE = {"message_not_found", "channel_not_found", "is_archived", "cant_update_message"}


def reason(error: BaseException) -> str:
    """What went wrong, fit for a log line: Slack's error code or the exception's type."""
    return str(error.response.get("error")) if isinstance(error, SlackApiError) \
        else type(error).__name__


class NoPayloads(logging.Filter):
    """Slack's libraries put whole request bodies (message text) into some warnings, such
    as Bolt's "Unhandled request": keep the record, drop the body."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        carries_body = "body" in message.lower() and record.levelno >= logging.WARNING
        if message.startswith("Unhandled request") or carries_body:
            record.msg = f"{message.split('(')[0].strip()} (content not logged)"
            record.args = ()
        return True


def quiet_logger(name: str) -> logging.Logger:
    """A logger for Slack's libraries that never goes below INFO: at DEBUG they log request
    and response bodies (message text, evidence), whatever LOG_LEVEL says."""
    logger = logging.getLogger(name)
    logger.setLevel(max(logging.INFO, logger.getEffectiveLevel()))
    if not any(isinstance(f, NoPayloads) for f in logger.filters):
        logger.addFilter(NoPayloads())
    return logger


def make_client(token: str, api_url: str) -> WebClient:
    """A Web API client aimed at ``api_url`` that retries rate limits and server errors."""
    return WebClient(token=token, base_url=api_url, timeout=10,
                     logger=quiet_logger("haven.slack_sdk"), retry_handlers=[
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ])


class UserCache:
    """users.info answers for a few minutes: admin checks and names are asked often."""

    def __init__(self):
        self._lock = threading.Lock()
        self._users: dict[tuple[str, str], tuple[float, dict]] = {}

    def get(self, key: tuple[str, str]) -> dict | None:
        with self._lock:
            hit = self._users.get(key)
        return hit[1] if hit and time.monotonic() - hit[0] < USER_CACHE_SECONDS else None

    def put(self, key: tuple[str, str], user: dict) -> None:
        with self._lock:
            self._users[key] = (time.monotonic(), user)


class SlackGateway:
    """Haven's Slack calls, on one workspace's client."""

    def __init__(self, client: WebClient, users: UserCache, team_id: str = ""):
        self.client = client
        self.users = users
        self.team_id = team_id

    def user(self, user_id: str) -> dict:
        """users.info (cached); an empty dict when Slack cannot say."""
        cached = self.users.get((self.team_id, user_id))
        if cached is not None:
            return cached
        try:
            user = self.client.users_info(user=user_id, include_locale=True)["user"]
        except SLACK_FAILURES as error:  # no user id in the log: it could name a reporter
            log.warning("users.info failed: %s", reason(error))
            return {}
        self.users.put((self.team_id, user_id), user)
        return user

    def is_admin(self, user_id: str) -> bool:
        """Workspace admins and owners may configure Haven."""
        user = self.user(user_id)
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    def name(self, user_id: str) -> str:
        """A person's display name, falling back to their real name or id."""
        user = self.user(user_id)
        profile = user.get("profile") or {}
        return (profile.get("display_name") or profile.get("real_name") or user.get("real_name")
                or user.get("name") or user_id)

    def channel(self, channel_id: str) -> dict | None:
        """conversations.info, or None if Haven cannot see the channel."""
        try:
            return self.client.conversations_info(channel=channel_id)["channel"]
        except SlackApiError as error:
            log.info("conversations.info failed for %s: %s", channel_id,
                     error.response.get("error"))
            return None

    def members(self, channel_id: str) -> set[str] | None:
        """Members of a channel, or None if Slack cannot say."""
        people: set[str] = set()
        try:
            for page in self.client.conversations_members(channel=channel_id, limit=1000):
                people.update(page.get("members") or [])
        except SlackApiError as error:
            log.warning("conversations.members failed for %s: %s", channel_id,
                        error.response.get("error"))
            return None
        return people

    def join(self, channel_id: str) -> str | None:
        """Join a public channel; the Slack error code if that failed."""
        try:
            self.client.conversations_join(channel=channel_id)
        except SlackApiError as error:
            return str(error.response.get("error"))
        return None

    def permalink(self, channel_id: str, ts: str) -> str | None:
        """A link to a message. If chat.getPermalink fails, the link is built from the
        workspace address (auth.test) the way Slack builds it; None if neither works."""
        try:
            return self.client.chat_getPermalink(channel=channel_id, message_ts=ts)["permalink"]
        except Exception as error:
            log.info("chat.getPermalink failed for %s: %s", channel_id, type(error).__name__)
        try:
            base = self.client.auth_test().get("url") or ""
        except Exception:
            return None
        if not base.startswith("https://") or not ts.replace(".", "").isdigit():
            return None
        return f"{base.rstrip('/')}/archives/{channel_id}/p{ts.replace('.', '')}"

    def send_dm(self, user_id: str, text: str, blocks: list, *,
                tag: tuple[str, str] | None = None) -> tuple[str, str]:
        """A direct message from Haven; (channel, ts). ``tag`` (kind, key) goes into the
        message's metadata, so that :meth:`find_dm` can find it again. Raises one of
        SLACK_FAILURES on failure."""
        channel = self.dm_channel(user_id)
        metadata = {"event_type": tag[0], "event_payload": {"key": tag[1]}} if tag else None
        response = self.client.chat_postMessage(channel=channel, text=text,
                                                blocks=blocks or None,  # [] is not valid
                                                metadata=metadata,
                                                unfurl_links=False, unfurl_media=False)
        return channel, response["ts"]

    def dm_channel(self, user_id: str) -> str:
        """The DM channel between Haven and a person (conversations.open)."""
        return self.client.conversations_open(users=user_id)["channel"]["id"]

    def find_dm(self, user_id: str, tag: tuple[str, str],
                since: float) -> tuple[str, str] | None:
        """(channel, ts) of a message Haven posted in its DM with ``user_id`` since ``since``
        (a Unix time) carrying ``tag`` in its metadata; None if there is none. A send whose
        answer was lost (a time-out, a crash) is thus not repeated. Without the im:history
        scope (an install from before it was asked for) Haven cannot look: None, logged."""
        channel = self.dm_channel(user_id)
        cursor = None
        for _page in range(10):
            try:
                answer = self.client.conversations_history(
                    channel=channel, oldest=f"{max(0.0, since - 60):.6f}", limit=200,
                    include_all_metadata=True, cursor=cursor)
            except SlackApiError as error:
                if error.response.get("error") in {"missing_scope", "not_allowed_token_type"}:
                    log.warning("cannot look for an earlier send (%s): sending again",
                                error.response.get("error"))
                    return None
                raise
            for message in answer.get("messages") or []:
                metadata = message.get("metadata") or {}
                if metadata.get("event_type") == tag[0] and \
                        (metadata.get("event_payload") or {}).get("key") == tag[1]:
                    return channel, str(message.get("ts"))
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not (answer.get("has_more") and cursor):
                return None
        return None

    def update(self, channel: str, ts: str, text: str, blocks: list) -> None:
        """Replace a message Haven sent."""
        self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)

    def open_view(self, trigger_id: str, view: View) -> None:
        """Open a modal for the person who clicked."""
        self.client.views_open(trigger_id=trigger_id, view=view)

    def replace_view(self, view_id: str | None, view: View) -> None:
        """Show ``view`` in place of an open modal; a modal closed meanwhile is fine."""
        if not view_id:
            return
        try:
            self.client.views_update(view_id=view_id, view=view)
        except SlackApiError as error:
            log.info("views.update failed: %s", error.response.get("error"))

    def locale(self, user_id: str) -> str | None:
        """The person's Slack locale (``nl-NL``, ``en-US``), if Slack says."""
        locale = self.user(user_id).get("locale")
        return locale if isinstance(locale, str) else None

    def ephemeral(self, channel: str, user_id: str, text: str,
                  thread_ts: str | None = None) -> None:
        """A message in a channel that only ``user_id`` sees."""
        self.client.chat_postEphemeral(channel=channel, user=user_id, text=text,
                                       thread_ts=thread_ts)

    def delete(self, posted: str | None) -> bool:
        """Remove a message Haven sent (``posted`` is "channel:ts"). True once Slack confirms
        it is gone (deleted now, or gone already); False to try again later."""
        channel, _, ts = (posted or "").partition(":")
        if not (channel and ts):
            return True
        try:
            self.client.chat_delete(channel=channel, ts=ts)
        except SLACK_FAILURES as error:
            log.info("chat.delete failed: %s", reason(error))
            return isinstance(error, SlackApiError) and error.response.get("error") in GONE
        return True

    def update_posted(self, posted: str | None, text: str, blocks: list) -> bool:
        """Replace a message Haven sent (``posted`` is "channel:ts"), if there is one. True
        once Slack confirms (or the message is gone); False to try again later."""
        channel, _, ts = (posted or "").partition(":")
        if not (channel and ts):
            return True
        try:
            self.update(channel, ts, text, blocks)
        except SLACK_FAILURES as error:
            log.info("chat.update failed: %s", reason(error))
            return isinstance(error, SlackApiError) and error.response.get("error") in GONE
        return True

    def send_file(self, user_id: str, *, filename: str, content: str, title: str,
                  comment: str) -> None:
        """A document in the person's DM with Haven (files.uploadV2)."""
        channel = self.client.conversations_open(users=user_id)["channel"]["id"]
        self.client.files_upload_v2(channel=channel, filename=filename, title=title,
                                    content=content, initial_comment=comment)

    def publish_home(self, user_id: str, view: View) -> None:
        """Show ``view`` in the person's Home tab."""
        self.client.views_publish(user_id=user_id, view=view)
