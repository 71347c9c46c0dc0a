"""What Haven does, as plain methods the listeners delegate to.

A message flows one way: listener -> :mod:`bot.pipeline` -> decision -> storage -> notify.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from bot import blocks
from bot.admin import AdminWork, Reply
from bot.casework import CaseWork, timestamp
from bot.config import Settings
from bot.files import fetch_image
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, Texts, language_of
from bot.images import ImageRejected, dictionary_for, judge
from bot.jobs import jobs_for
from bot.notify import SlackGateway, UserCache, make_client, reason
from bot.pipeline import Message, affected_people, flagged_categories, message_from_event
from bot.storage import queries as q
from bot.storage import sealing
from bot.storage.crypto import Vault
from bot.storage.db import (
    compact,
    lock_wait,
    remember_enterprise,
    session_scope,
    through_outages,
)
from bot.storage.installations import SealedInstallationStore
from bot.storage.models import Flag, Notice
from classifier.model import Result

log = logging.getLogger(__name__)

__all__ = ["Haven", "Reply", "metadata_of"]
#: How long work before Slack's ack waits for a lock another connection holds: Slack waits
#: three seconds in all, and a command takes up to two more to answer in the ack.
REQUEST_LOCK_SECONDS = 0.5
COMPACT_RETRY_SECONDS = 10  # after readers kept a compaction from finishing
_MENTIONS = re.compile(r"<@[UW][A-Z0-9]{2,20}(?:\|[^>]*)?>")  # no names in training data


@dataclass
class Watch:
    """How a watched channel is read: its threshold, shadow mode and figures group."""

    threshold: float
    shadow: bool
    group: str
    alert: frozenset[str]
    nudge: bool


class Haven(CaseWork, AdminWork):
    """Haven's behaviour over one database, one key set and one model."""

    def __init__(self, settings: Settings, engine, model_loader=None):
        self.settings = settings
        self.engine = engine
        self.vault = Vault(settings.encryption_keys)
        sealing.attach(engine, self.vault)  # ids at rest; the keyed hashes' own key
        self.users = UserCache()
        self._model = None
        self._model_loader = model_loader
        self._model_lock = threading.Lock()
        self.jobs = jobs_for(settings, self)  # in-process, or Redis (HAVEN_QUEUE_URL)
        self._dictionary: set[str] | None = None
        self.base_client = None  # the app's Web API client (set by create_app)
        self.installations = SealedInstallationStore(settings.slack_client_id, engine,
                                                     self.vault) if settings.oauth else None
        self._enterprises: dict[str, str] = {}
        self._compaction_due = threading.Event()
        self._compact_after = 0.0  # monotonic time before which compaction is not retried
        try:  # the Grid orgs of workspaces seen before
            with session_scope(engine) as session:
                known = q.settings_named(session, key="enterprise_id")
        except SQLAlchemyError:  # not migrated yet (a worker started before `haven migrate`)
            known = []
        for team_id, enterprise_id in known:
            remember_enterprise(team_id, enterprise_id)
            self._enterprises[team_id] = enterprise_id

    # -- model ------------------------------------------------------------------------
    @property
    def model(self):
        """The classifier, loaded on first use (once, whatever the number of threads)."""
        if self._model is None:
            with self._model_lock:
                if self._model is None:
                    if self._model_loader is None:
                        from classifier import load_model

                        self._model_loader = load_model
                    self._model = self._model_loader()
        return self._model

    def gateway(self, client, team_id: str) -> SlackGateway:
        """Slack calls for one workspace."""
        return SlackGateway(client, self.users, team_id)

    # -- workspaces ---------------------------------------------------------------------
    def note_enterprise(self, team_id: str, enterprise_id: str) -> None:
        """Remember a workspace's Enterprise Grid org (to find an org-wide install's token
        for work that runs outside a request, such as the sweep). In a request: a busy
        database leaves it to the next one."""
        if self._enterprises.get(team_id) != enterprise_id:
            remember_enterprise(team_id, enterprise_id)
            try:
                with session_scope(self.engine) as session, \
                        lock_wait(session, REQUEST_LOCK_SECONDS):
                    q.set_setting(session, team_id=team_id, key="enterprise_id",
                                  value=enterprise_id)
            except OperationalError:
                return
            self._enterprises[team_id] = enterprise_id

    def first_sight(self, key: str, team_id: str) -> bool | None:
        """False for a signed request already taken (a replay), on any instance; None if
        the database could not record it within REQUEST_LOCK_SECONDS (another connection
        holds the write lock, or the database is down)."""
        try:
            with session_scope(self.engine) as session, \
                    lock_wait(session, REQUEST_LOCK_SECONDS):
                return q.first_sight(session, key=key, team_id=team_id)
        except OperationalError as error:
            log.warning("replay guard: database busy (%s): request not taken",
                        type(error.orig).__name__)
            return None

    def busy_text(self, team_id: str) -> str:
        """'Not taken, try again', in the workspace's language (English if the database
        cannot say within REQUEST_LOCK_SECONDS)."""
        try:
            with session_scope(self.engine) as session, \
                    lock_wait(session, REQUEST_LOCK_SECONDS):
                language = q.get_setting(session, team_id=team_id, key="language")
        except SQLAlchemyError:
            language = None
        return Texts(language if language in LANGUAGES else DEFAULT_LANGUAGE)("common.busy")

    # -- maintenance ----------------------------------------------------------------------
    def compact_soon(self) -> None:
        """Ask the maintenance thread to compact the database (see :func:`compact`): never
        in a request or a job, since on SQLite it holds the write lock."""
        self._compaction_due.set()

    def compact_if_due(self) -> None:
        """Compact if a purge or withdrawal asked for it (the maintenance thread's work);
        if readers kept it from finishing, again in COMPACT_RETRY_SECONDS."""
        if not self._compaction_due.is_set() or time.monotonic() < self._compact_after:
            return
        self._compaction_due.clear()
        if not compact(self.engine):
            self._compaction_due.set()
            self._compact_after = time.monotonic() + COMPACT_RETRY_SECONDS

    def client_for(self, team_id: str):
        """A Web API client with the workspace's own bot token (from its installation), or
        the one client of a single-workspace deployment; None when it is not installed."""
        if self.installations is None:
            return self.base_client
        enterprise = self.setting(team_id, "enterprise_id") or None
        bot = self.installations.find_bot(enterprise_id=enterprise, team_id=team_id)
        if bot is None and enterprise:
            bot = self.installations.find_bot(enterprise_id=enterprise, team_id=None,
                                              is_enterprise_install=True)
        return make_client(bot.bot_token, self.settings.slack_api_url) if bot else None

    def team_gateway(self, team_id: str) -> SlackGateway | None:
        """Slack calls for one workspace, outside any request (the sweep, workers)."""
        client = self.client_for(team_id)
        return self.gateway(client, team_id) if client is not None else None

    # -- settings and language ----------------------------------------------------------
    def setting(self, team_id: str, key: str, default: str = "") -> str:
        """A workspace setting as text, or ``default``."""
        with session_scope(self.engine) as session:
            value = q.get_setting(session, team_id=team_id, key=key)
        return default if value is None else value

    def texts(self, gateway: SlackGateway, user_id: str | None) -> Texts:
        """The person's texts: the language they chose in App Home, else Dutch for a
        Dutch Slack locale, else the workspace's language (:func:`bot.i18n.language_of`)."""
        team_id = gateway.team_id
        with session_scope(self.engine) as session:
            default = q.get_setting(session, team_id=team_id, key="language")
            chosen = q.person_language(session, team_id=team_id, user_id=user_id)
        if chosen in LANGUAGES:
            return Texts(chosen)  # no need to ask Slack for the locale
        return Texts(language_of(gateway.locale(user_id) if user_id else None,
                                 default or DEFAULT_LANGUAGE))

    def choose_language(self, *, gateway: SlackGateway, user_id: str,
                        language: str | None) -> None:
        """A person's own language (``None``: the workspace's); their Home follows it."""
        if language is not None and language not in LANGUAGES:
            return
        with session_scope(self.engine) as session:
            q.set_person_language(session, team_id=gateway.team_id, user_id=user_id,
                                  language=language)

    def threshold(self, session, *, team_id: str, channel_threshold: float | None) -> float:
        """The flag threshold: the channel's, else the workspace's, else the model's."""
        if channel_threshold is not None:
            return channel_threshold
        value = q.get_setting(session, team_id=team_id, key="threshold")
        return float(value) if value else self.model.threshold

    # -- detection --------------------------------------------------------------------
    def handle_message(self, *, gateway: SlackGateway, team_id: str, event_id: str,
                       event: dict, bot_user_id: str | None) -> int | None:
        """Judge a message event; flag it, keep evidence and notify. Returns the flag id."""
        message = message_from_event(event, bot_user_id)
        if message is None or not event_id:
            return None
        watch = self.watch_of(team_id, message.channel)
        if watch is None:
            return None  # Haven reads only the channels on the watch list
        for file_id in message.files:  # OCR is slow: each image is a job of its own
            self.jobs.enqueue("handle_file", team_id=team_id, client=gateway.client,
                              event_id=event_id, event=event, file_id=file_id,
                              bot_user_id=bot_user_id)
        if not message.text.strip():
            return None
        result = self.model.classify([message.text])[0]
        if result.score < watch.threshold or not self._alerts(result, watch):
            return None
        return self._flag(gateway, team_id, event_id, message, result, bot_user_id, watch)

    def watch_of(self, team_id: str, channel_id: str) -> Watch | None:
        """How Haven reads a channel, or None when it is not on the watch list."""
        with session_scope(self.engine) as session:
            channel = q.watched_channel(session, team_id=team_id, channel_id=channel_id)
            if channel is None:
                return None
            threshold = self.threshold(session, team_id=team_id,
                                       channel_threshold=channel.threshold)
            alert = q.get_setting(session, team_id=team_id, key="alert_categories")
            nudge = q.get_setting(session, team_id=team_id, key="nudge") == "on"
            group = channel.group or ("private" if channel.is_private else "")
        categories = frozenset(blocks.CATEGORIES if alert is None else alert.split(","))
        return Watch(threshold=threshold, shadow=channel.shadow, group=group,
                     alert=categories, nudge=nudge)

    @staticmethod
    def _alerts(result, watch: Watch) -> bool:
        """Whether a flag's categories are among those the admins want alerts for (a flag
        no category explains always alerts: it is above the threshold)."""
        found = set(flagged_categories(result.categories))
        return not found or bool(found & watch.alert)

    def _flag(self, gateway, team_id, event_id, message, result, bot_user_id, watch: Watch,
              image=None) -> int | None:
        """Record a flag; then, unless the channel is in shadow mode, notify the people it
        concerns and (if the admins turned it on) nudge the author privately."""
        flag_id = self._record(gateway, team_id, event_id, message, result, bot_user_id,
                               image=image, watch=watch)
        if flag_id is None or watch.shadow:
            return flag_id
        self.deliver_notices(gateway=gateway, team_id=team_id, flag_id=flag_id)
        if watch.nudge and message.author:
            self._nudge(gateway, message)
        return flag_id

    def _nudge(self, gateway: SlackGateway, message: Message) -> None:
        """"This may come across as hurtful — edit?": only the author sees it, and it never
        says whether anyone was notified."""
        _ = self.texts(gateway, message.author)
        try:
            gateway.ephemeral(message.channel, message.author, blocks.author_nudge(_),
                              thread_ts=message.thread_ts)
        except SlackApiError as error:
            log.info("nudge not delivered: %s", error.response.get("error"))

    # -- images -------------------------------------------------------------------------
    @property
    def dictionary(self) -> set[str]:
        """English and Dutch words: what makes an OCR reading plausible."""
        if self._dictionary is None:
            self._dictionary = dictionary_for(self.model)
        return self._dictionary

    def judge_image(self, data: bytes, *, team_id: str | None, extra_texts=()) -> dict:
        """Read, match and classify one image (ImageRejected for what is no image)."""
        with session_scope(self.engine) as session:
            known = q.known_fingerprints(session, team_id=team_id)
        return judge(data, model=self.model, dictionary=self.dictionary, known=known,
                     extra_texts=extra_texts)

    def handle_file(self, *, gateway: SlackGateway, team_id: str, event_id: str, event: dict,
                    file_id: str, bot_user_id: str | None) -> int | None:
        """The job for one file of a message event (see :meth:`handle_image`)."""
        message = message_from_event(event, bot_user_id)
        watch = self.watch_of(team_id, message.channel) if message else None
        if message is None or watch is None:
            return None
        return self.handle_image(gateway=gateway, team_id=team_id, event_id=event_id,
                                 message=message, file_id=file_id, watch=watch,
                                 bot_user_id=bot_user_id)

    def handle_image(self, *, gateway: SlackGateway, team_id: str, event_id: str,
                     message: Message, file_id: str, watch: Watch,
                     bot_user_id: str | None) -> int | None:
        """Fetch an image shared in a watched channel; flag it when its text is hurtful or
        it matches a known offensive image. Skips (with the reason, never the content)
        what is not a readable image."""
        try:
            shared = fetch_image(gateway.client, gateway.client.token or "", file_id)
            verdict = self.judge_image(shared.data, team_id=team_id,
                                       extra_texts=(message.text, shared.alt_text,
                                                    shared.title))
        except ImageRejected as reason:
            log.info("file %s skipped: %s", file_id, reason)
            return None
        known = verdict["matched_known_image"] is not None
        result = Result(score=max(verdict["score"], watch.threshold if known else 0.0),
                        flagged=True, categories=verdict["categories"],
                        language=verdict["language"])
        if not known and (result.score < watch.threshold or not self._alerts(result, watch)):
            return None
        return self._flag(gateway, team_id, f"{event_id}:{file_id}", message, result,
                          bot_user_id, watch, image=(shared, verdict))

    def _record(self, gateway, team_id, event_id, message: Message, result,
                bot_user_id, *, image=None, watch: Watch) -> int | None:
        parent_author = message.parent_author
        if message.is_reply and parent_author is None:
            parent_author = self._thread_parent_author(gateway, message)
        if parent_author != message.parent_author:
            message = Message(**{**message.__dict__, "parent_author": parent_author})
        bundle = message.bundle(gateway.permalink(message.channel, message.ts))
        bundle.update(score=round(result.score, 4), language=result.language,
                      categories=flagged_categories(result.categories))
        if image is not None:
            shared, verdict = image
            bundle.update(kind="image", file_id=shared.file_id, file_name=shared.name,
                          ocr_text=verdict["ocr_text"], image_sha256=verdict["image_sha256"],
                          matched_known_image=verdict["matched_known_image"])
        affected = [] if watch.shadow else affected_people(message, bot_user_id)
        if affected and self._is_private(gateway, message):
            # Evidence from a private channel goes only to its members. When Slack cannot
            # list them, the people the message names are told rather than nobody.
            members = gateway.members(message.channel)
            affected = [p for p in affected if members is None or p in members]
        try:
            # One transaction: the event is claimed and the evidence is safe before any
            # notice goes out; a retried or duplicate event fails the claim and stops here.
            with session_scope(self.engine) as session:
                q.claim_event(session, event_id=event_id, team_id=team_id)
                already = q.noticed_about_message(session, team_id=team_id,
                                                  channel_id=message.channel,
                                                  message_ts=message.ts)
                flag = q.record_flag(
                    session, vault=self.vault, team_id=team_id, event_id=event_id,
                    channel_id=message.channel, message_ts=message.ts,
                    author_id=message.author, score=result.score,
                    categories=bundle["categories"], bundle=None if watch.shadow else bundle,
                    affected=[p for p in affected if p not in already],  # edits: once
                    shadow=watch.shadow, channel_group=watch.group)
                flag_id = flag.id
                if image is not None and flag.evidence_id is not None:
                    q.store_evidence_file(session, vault=self.vault, team_id=team_id,
                                          evidence_id=flag.evidence_id, data=image[0].data,
                                          mimetype=image[0].mimetype)
        except IntegrityError:
            log.info("event %s was already handled", event_id)
            if not watch.shadow:  # its notices too, unless a crash cut them off
                self._resume_notices(gateway, team_id, event_id)
            return None
        log.info("flag %s in %s (score %.2f)", flag_id, message.channel, result.score)
        return flag_id

    def _resume_notices(self, gateway: SlackGateway, team_id: str, event_id: str) -> None:
        """A retried job (its worker died) or a duplicate event finds the flag recorded:
        send the notices still pending. Each is claimed before it is sent, so a notice the
        first run is sending at this moment is not sent twice."""
        with session_scope(self.engine) as session:
            flag = q.flag_for_event(session, team_id=team_id, event_id=event_id)
            flag_id = flag.id if flag is not None else None
        if flag_id is not None:
            self.deliver_notices(gateway=gateway, team_id=team_id, flag_id=flag_id)

    def _is_private(self, gateway: SlackGateway, message: Message) -> bool:
        with session_scope(self.engine) as session:
            row = q.watched_channel(session, team_id=gateway.team_id,
                                    channel_id=message.channel)
        return bool(row and row.is_private)

    @staticmethod
    def _thread_parent_author(gateway: SlackGateway, message: Message) -> str | None:
        try:
            replies = gateway.client.conversations_replies(channel=message.channel,
                                                           ts=message.thread_ts, limit=1)
        except Exception:
            return None
        parent = (replies.get("messages") or [{}])[0]
        return parent.get("user") if isinstance(parent.get("user"), str) else None

    def deliver_notices(self, *, gateway: SlackGateway, team_id: str | None,
                        flag_id: int | None = None) -> int:
        """Send every pending notice (of one flag, or all: the recovery sweep). A notice that
        fails stays pending for the next sweep; the flag and its evidence are never lost."""
        with session_scope(self.engine) as session:
            if flag_id is not None:
                notices = [n for n in q.notices_for_flag(session, team_id=team_id,
                                                          flag_id=flag_id)
                           if n.status == "pending"]
            else:
                notices = q.pending_notices(session, team_id=team_id)
        sent = 0
        for notice in notices:
            sent += self._deliver_notice(gateway, notice.team_id, notice)
        return sent

    def _deliver_notice(self, gateway: SlackGateway, team_id: str, notice: Notice) -> int:
        """Claim, send, and record one notice. The claim (pending -> sending, in the
        database) makes sure two sweeps or two instances never send it at once; a notice
        tried before is first looked for in the DM, so a send whose answer was lost (a
        time-out, a crash) is recorded rather than repeated."""
        claim = secrets.token_hex(8)
        with session_scope(self.engine) as session:
            if not q.claim_notice(session, notice_id=notice.id, claim=claim):
                return 0
        tag = ("haven_notice", f"{team_id}:{notice.id}")
        try:
            if notice.attempts and (found := gateway.find_dm(
                    notice.user_id, tag, since=timestamp(notice.created_at))):
                log.info("notice %s was delivered before: recorded", notice.id)
                through_outages(self._record_sent, notice.id, *found, what="notice record")
                return 1
            with session_scope(self.engine) as session:
                flag = q.flag_by_id(session, team_id=team_id, flag_id=notice.flag_id)
                bundle = q.read_evidence(session, vault=self.vault, team_id=team_id,
                                         evidence_id=flag.evidence_id, actor="recipient",
                                         action="notice_sent")
                categories = flag.categories
            text, body = blocks.private_notice(self.texts(gateway, notice.user_id),
                                               flag_id=notice.flag_id, bundle=bundle,
                                               categories=categories)
            with session_scope(self.engine) as session:
                if not q.renew_claim(session, notice_id=notice.id, claim=claim):
                    return 0  # too slow: the lease ran out and someone else took it
            channel, ts = gateway.send_dm(notice.user_id, text, body, tag=tag)
        except Exception as error:
            with session_scope(self.engine) as session:
                status = q.release_notice(session, notice_id=notice.id)
            log.warning("notice %s not delivered (%s): %s", notice.id, status, reason(error))
            return 0
        # Slack has it: recording that must not fail on a database blip, or the notice
        # would stay "sending" and be looked for again after the lease
        through_outages(self._record_sent, notice.id, channel, ts, what="notice record")
        return 1

    def _record_sent(self, notice_id: int, channel: str, ts: str) -> None:
        with session_scope(self.engine) as session:
            q.notice_sent(session, notice_id=notice_id, dm_channel=channel, dm_ts=ts)

    # -- the notice's buttons -----------------------------------------------------------
    def dismiss(self, *, gateway: SlackGateway, team_id: str, user_id: str, flag_id: int,
                channel: str | None, ts: str | None) -> bool:
        """"Not hurtful to me": record the feedback (only from a person the notice was sent
        to; no text) and ask whether the text may be kept as an example."""
        try:
            done = self._dismiss(team_id, user_id, flag_id)
        except IntegrityError:
            done = True  # a double click: the feedback is already there
        if done:
            self._update_notice(gateway, channel, ts, blocks.notice_dismissed(
                self.texts(gateway, user_id), flag_id=flag_id, days=self._flag_days(team_id)))
        return done

    def _dismiss(self, team_id, user_id, flag_id) -> bool:
        with session_scope(self.engine) as session:
            if q.notice_for(session, team_id=team_id, flag_id=flag_id, user_id=user_id) is None:
                return False
            q.record_feedback(session, team_id=team_id, flag_id=flag_id, user_id=user_id,
                              verdict="not_a_problem")
        return True

    def answer_example(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                       flag_id: int, keep: bool, channel: str | None, ts: str | None) -> bool:
        """After "Not hurtful to me": keep the text as a labelled example, or not. Declined,
        no example exists; only the person who dismissed the notice can answer."""
        with session_scope(self.engine) as session:
            if not q.answer_example(session, team_id=team_id, flag_id=flag_id,
                                    user_id=user_id, keep=keep):
                return False  # not this person's notice, or answered already
            if keep:
                self._learn(session, team_id, flag_id, label="benign", source="not_a_problem")
        self._update_notice(gateway, channel, ts, blocks.notice_example_answered(
            self.texts(gateway, user_id), kept=keep, days=self._flag_days(team_id)))
        return True

    def _flag_days(self, team_id: str) -> int:
        with session_scope(self.engine) as session:
            period = q.retention_period(session, team_id=team_id, key="flag_retention_days")
        return period.days

    @staticmethod
    def _update_notice(gateway: SlackGateway, channel: str | None, ts: str | None,
                       message: tuple[str, list]) -> None:
        if channel and ts:
            try:
                gateway.update(channel, ts, *message)
            except SlackApiError as error:
                log.info("could not update notice: %s", error.response.get("error"))

    def _learn(self, session, team_id: str, flag_id: int | None, *, label: str,
               source: str, case_id: int | None = None) -> None:
        """Keep a flag's text as a labelled example for the model (text only while the
        retention period allows; the purge erases it with the flag)."""
        flag = q.flag_by_id(session, team_id=team_id, flag_id=flag_id) if flag_id else None
        if flag is None or flag.evidence_id is None:
            return
        bundle = q.read_evidence(session, vault=self.vault, team_id=team_id,
                                 evidence_id=flag.evidence_id, actor="haven",
                                 action="feedback_example")
        text = _MENTIONS.sub("<@U0PERSON>", bundle.get("ocr_text") or bundle.get("text") or "")
        q.record_example(session, vault=self.vault, team_id=team_id, source=source,
                         label=label, language=bundle.get("language") or "",
                         categories=flag.categories, text=text or None, case_id=case_id)

    # -- reporting ----------------------------------------------------------------------
    def _roster(self, team_id: str) -> list[blocks.RosterEntry]:
        with session_scope(self.engine) as session:
            return [blocks.RosterEntry(c.user_id, c.name, c.kind, c.description)
                    for c in q.confidants(session, team_id=team_id)]

    def _open_report_modal(self, gateway, team_id, user_id, trigger_id, metadata,
                           ask_for_link=False, chosen=None, can_hold=False) -> None:
        roster = self._roster(team_id)
        view = blocks.report_modal(self.texts(gateway, user_id), confidants=roster,
                                   metadata=metadata, ask_for_link=ask_for_link,
                                   chosen=chosen, can_hold=can_hold)
        try:  # the trigger expires in 3 s: the modal comes before anything else
            gateway.open_view(trigger_id, view)
        except SlackApiError as error:
            log.warning("report modal not opened: %s", error.response.get("error"))
        if not roster:
            self.jobs.submit(self._remind_admins, gateway, team_id)

    def report_from_notice(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                           flag_id: int, trigger_id: str) -> bool:
        """Open the report modal for a flag the person was notified about."""
        with session_scope(self.engine) as session:
            if q.notice_for(session, team_id=team_id, flag_id=flag_id, user_id=user_id) is None:
                return False
            flag = q.flag_by_id(session, team_id=team_id, flag_id=flag_id)
            if flag is None or flag.evidence_id is None:
                return False  # expired or erased meanwhile
        self._open_report_modal(gateway, team_id, user_id, trigger_id, {"flag": flag_id},
                                can_hold=True)
        return True

    def report_from_shortcut(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                             channel_id: str, message: dict, trigger_id: str) -> None:
        """Open the report modal for any message; its evidence is kept from this moment."""
        ts = message.get("ts") if isinstance(message.get("ts"), str) else None
        author = message.get("user") if isinstance(message.get("user"), str) else None
        bundle = {"text": str(message.get("text", "")), "author": author,
                  "channel": channel_id, "ts": ts, "thread_ts": None, "edited": False,
                  "permalink": None}  # fetched at delivery: the modal must open first
        with session_scope(self.engine) as session:
            evidence = q.store_evidence(session, vault=self.vault, team_id=team_id,
                                        bundle=bundle, kept_by=user_id)
            q.audit(session, team_id=team_id, actor="reporter", action="evidence_kept_for_report",
                    subject=f"evidence:{evidence.id}")
            evidence_id = evidence.id
        self._open_report_modal(gateway, team_id, user_id, trigger_id,
                                {"evidence": evidence_id, "by": user_id},
                                can_hold=author is not None and author != user_id)

    def report_from_command(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                            trigger_id: str, chosen: str | None = None) -> None:
        """Open the report modal without a message (``/haven report``, or *Contact* on a
        confidant in the Home tab)."""
        self._open_report_modal(gateway, team_id, user_id, trigger_id, {"by": user_id},
                                ask_for_link=True, chosen=chosen)

    def check_report(self, *, gateway: SlackGateway, team_id: str, user_id: str | None,
                     confidant_id: str | None, hold: bool = False,
                     metadata: dict | None = None) -> dict[str, str] | None:
        """Errors to show in the modal (a confidant removed meanwhile; a report to hold
        whose author is unknown), or None. Fast: it runs before the ack."""
        _ = self.texts(gateway, user_id)
        with session_scope(self.engine) as session:
            if not (confidant_id and q.is_confidant(session, team_id=team_id,
                                                    user_id=confidant_id)):
                return {blocks.CONFIDANT_BLOCK: _("report.choose_error")}
        if hold and not {"flag", "evidence"} & set(metadata or {}):
            return {blocks.HOLD_BLOCK: _("report.hold_unknown_author")}
        return None

    def submit_report(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                      metadata: dict, confidant_id: str, note: str | None,
                      show_name: bool, link: str | None, hold: bool = False) -> str | None:
        """Create the case and deliver it to the confidant (or hold it for a joint report);
        returns the case number, or None when the report does not belong to this person."""
        with session_scope(self.engine) as session:
            if not q.is_confidant(session, team_id=team_id, user_id=confidant_id):
                return None
            evidence_id, flag_id = self._evidence_for(session, team_id, user_id, metadata, link)
            if evidence_id is None:
                return None
            about = self._about(session, team_id, evidence_id, flag_id, user_id)
            case = q.open_case(session, team_id=team_id, reporter_id=user_id,
                               confidant_id=confidant_id, show_name=show_name,
                               evidence_id=evidence_id, flag_id=flag_id,
                               note_cipher=self.vault.seal({"note": note})[0] if note else None,
                               held=hold and about["author_key"] is not None, **about)
            case_id, number, held = case.id, case.number, case.status == "held"
            joint = q.join_held_cases(session, team_id=team_id, case_id=case_id)
        if held and not joint:
            self.confirm_held(gateway, team_id, case_id)
        elif joint:
            self.deliver_joint(gateway, team_id, joint)
        else:
            self.deliver_case(gateway, team_id, case_id)
        return number

    def _about(self, session, team_id: str, evidence_id: int, flag_id: int | None,
               reporter_id: str) -> dict:
        """What a case keeps in the clear for figures and joint reports: a keyed hash of the
        author (never the id), the categories and the channel group."""
        flag = session.get(Flag, flag_id) if flag_id else None
        bundle = q.read_evidence(session, vault=self.vault, team_id=team_id,
                                 evidence_id=evidence_id, actor="haven", action="case_indexed")
        author_key = flag.author_key if flag else \
            sealing.person_key(session, team_id, bundle.get("author"))
        if author_key == sealing.person_key(session, team_id, reporter_id):
            author_key = None  # a report about one's own message is linked to nobody
        group = flag.channel_group if flag else ""
        if not flag and bundle.get("channel"):
            row = q.watched_channel(session, team_id=team_id, channel_id=bundle["channel"])
            group = (row.group or ("private" if row.is_private else "")) if row else ""
        return {"author_key": author_key or None,
                "categories": flag.categories if flag else "", "channel_group": group}

    def _evidence_for(self, session, team_id, user_id, metadata, link):
        if "flag" in metadata:
            flag_id = _row_id(metadata["flag"])
            flag = flag_id and q.flag_by_id(session, team_id=team_id, flag_id=flag_id)
            notice = flag and q.notice_for(session, team_id=team_id, flag_id=flag.id,
                                           user_id=user_id)
            ok = notice is not None and flag.evidence_id is not None
            return (flag.evidence_id, flag.id) if ok else (None, None)
        if "evidence" in metadata:
            evidence_id = _row_id(metadata["evidence"])
            evidence = evidence_id and q.draft_evidence(session, team_id=team_id,
                                                        evidence_id=evidence_id,
                                                        user_id=user_id)
            return (evidence.id, None) if evidence else (None, None)
        bundle = {"text": "", "author": None, "channel": None, "ts": None, "link": link or None,
                  "permalink": link if link and link.startswith("https://") else None}
        evidence = q.store_evidence(session, vault=self.vault, team_id=team_id, bundle=bundle)
        return evidence.id, None

    def sweep(self, gateway: SlackGateway | None = None) -> int:
        """Deliver what a crash or a Slack outage left behind — pending notices, cases not
        yet delivered to their confidant, relay messages not yet passed on — and erase what
        has expired. Safe to run from several places at once."""
        with session_scope(self.engine) as session:
            erased = q.purge(session)
        if sum(erased.values()):
            log.info("retention: erased %s", ", ".join(f"{n} {k}" for k, n in erased.items()))
            self.compact_soon()  # no copy of erased evidence stays behind on disk
        gateways: dict[str, SlackGateway | None] = {}

        def for_team(team_id: str) -> SlackGateway | None:
            if team_id not in gateways:
                gateways[team_id] = self.team_gateway(team_id) if self.installations else \
                    self.gateway(self.base_client or gateway.client, team_id)
                if gateways[team_id] is None:
                    log.warning("workspace %s is not installed: its work waits", team_id)
            return gateways[team_id]

        self.retract(for_team)  # Haven's own messages about what the purge erased

        with session_scope(self.engine) as session:
            if given_up := q.give_up_notices(session):
                log.warning("%d notices undelivered after a day of trying", given_up)
            notices = q.pending_notices(session, team_id=None)
            waiting = [(c.team_id, c.id) for c in q.undelivered_cases(session)]
        sent = 0
        for notice in notices:
            if (team := for_team(notice.team_id)) is not None:
                sent += self._deliver_notice(team, notice.team_id, notice)
        for team_id, case_id in waiting:
            if (team := for_team(team_id)) is not None:
                sent += self.deliver_case(team, team_id, case_id)
        return sent + self.resend_relay(for_team)

    def next_sweep_in(self, longest: float) -> float:
        """Seconds until the sweep has something due (a notice's or a retraction's retry),
        at most ``longest``."""
        with session_scope(self.engine) as session:
            due = q.next_due(session)
        if due is None:
            return longest
        return min(longest, max(1.0, (due - datetime.now(UTC)).total_seconds() + 0.5))

    def forget_workspace(self, team_id: str) -> None:
        """The app was uninstalled or its tokens revoked: erase the workspace's data."""
        if team_id:
            enterprise = self.setting(team_id, "enterprise_id") or None
            with session_scope(self.engine) as session:
                q.purge_team(session, team_id=team_id)
            if self.installations is not None:
                self.installations.delete_all(enterprise_id=enterprise, team_id=team_id)
            self._enterprises.pop(team_id, None)
            log.info("workspace %s erased", team_id)

    def _remind_admins(self, gateway: SlackGateway, team_id: str) -> None:
        """At most one reminder a day: more would tell admins when someone tried to report."""
        with session_scope(self.engine) as session:
            if not q.take_daily_slot(session, team_id=team_id, key="admin_reminder"):
                return
            people = q.admins(session, team_id=team_id)
        for admin in people:
            text, body = blocks.admin_reminder_no_confidant(self.texts(gateway, admin))
            try:
                gateway.send_dm(admin, text, body)
            except SlackApiError as error:
                log.info("admin reminder not delivered: %s", error.response.get("error"))


def _row_id(value) -> int | None:
    """A database id from a payload, or None for anything that is not a sane one."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 18 else None


def metadata_of(view: dict) -> dict:
    """A modal's private metadata (Haven's own JSON); empty if unreadable."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
