"""What Haven does, as plain methods the listeners delegate to.

A message flows one way: listener -> :mod:`bot.pipeline` -> decision -> storage -> notify.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot import blocks
from bot.config import Settings
from bot.files import fetch_image, is_image_entry
from bot.images import ImageRejected, dictionary_for, fingerprint, judge
from bot.jobs import JobQueue
from bot.notify import SlackGateway, UserCache
from bot.pipeline import Message, affected_people, flagged_categories, message_from_event
from bot.storage import queries as q
from bot.storage.crypto import Vault
from bot.storage.db import session_scope
from bot.storage.models import Case, Evidence, Notice, utcnow
from classifier.model import Result

log = logging.getLogger(__name__)

_CHANNEL_ARG = re.compile(r"^<#(C[A-Z0-9]+)(?:\|([^>]*))?>$|^(C[A-Z0-9]{2,})$")
_PERMALINK = re.compile(r"/archives/([CG][A-Z0-9]+)/p(\d{16})")
_USER_ARG = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$|^([UW][A-Z0-9]{2,})$")


@dataclass
class Reply:
    """What a slash command answers (privately, to the person who typed it)."""

    text: str


class Haven:
    """Haven's behaviour over one database, one key set and one model."""

    def __init__(self, settings: Settings, engine, model_loader=None):
        self.settings = settings
        self.engine = engine
        self.vault = Vault(settings.encryption_keys)
        self.users = UserCache()
        self._model = None
        self._model_loader = model_loader
        self._model_lock = threading.Lock()
        self.jobs = JobQueue()
        self._dictionary: set[str] | None = None

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
        with session_scope(self.engine) as session:
            channel = q.watched_channel(session, team_id=team_id, channel_id=message.channel)
            if channel is None:
                return None  # Haven reads only the channels on the watch list
            threshold = self.threshold(session, team_id=team_id,
                                       channel_threshold=channel.threshold)
        for file_id in message.files:  # OCR is slow: each image is a job of its own
            self.jobs.submit(self.handle_image, gateway=gateway, team_id=team_id,
                             event_id=event_id, message=message, file_id=file_id,
                             threshold=threshold, bot_user_id=bot_user_id)
        if not message.text.strip():
            return None
        result = self.model.classify([message.text])[0]
        if result.score < threshold:
            return None
        flag_id = self._record(gateway, team_id, event_id, message, result, bot_user_id)
        if flag_id is not None:
            self.deliver_notices(gateway=gateway, team_id=team_id, flag_id=flag_id)
        return flag_id

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

    def handle_image(self, *, gateway: SlackGateway, team_id: str, event_id: str,
                     message: Message, file_id: str, threshold: float,
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
        if verdict["score"] < threshold and verdict["matched_known_image"] is None:
            return None
        result = Result(score=max(verdict["score"], threshold if verdict[
            "matched_known_image"] else 0.0), flagged=True, categories=verdict["categories"],
            language=verdict["language"])
        flag_id = self._record(gateway, team_id, f"{event_id}:{file_id}", message, result,
                               bot_user_id, image=(shared, verdict))
        if flag_id is not None:
            self.deliver_notices(gateway=gateway, team_id=team_id, flag_id=flag_id)
        return flag_id

    def _record(self, gateway, team_id, event_id, message: Message, result,
                bot_user_id, image=None) -> int | None:
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
        affected = affected_people(message, bot_user_id)
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
                    categories=bundle["categories"], bundle=bundle,
                    affected=[p for p in affected if p not in already])  # edits: once
                flag_id = flag.id
                if image is not None:
                    q.store_evidence_file(session, vault=self.vault, team_id=team_id,
                                          evidence_id=flag.evidence_id, data=image[0].data,
                                          mimetype=image[0].mimetype)
        except IntegrityError:
            log.info("event %s was already handled", event_id)
            return None
        log.info("flag %s in %s (score %.2f)", flag_id, message.channel, result.score)
        return flag_id

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
        database) makes sure two sweeps or two instances never send it twice."""
        with session_scope(self.engine) as session:
            if not q.claim_notice(session, notice_id=notice.id):
                return 0
        try:
            with session_scope(self.engine) as session:
                flag = q.flag_by_id(session, team_id=team_id, flag_id=notice.flag_id)
                bundle = q.read_evidence(session, vault=self.vault, team_id=team_id,
                                         evidence_id=flag.evidence_id, actor=notice.user_id,
                                         action="notice_sent")
            text, body = blocks.private_notice(flag_id=notice.flag_id, bundle=bundle)
            channel, ts = gateway.send_dm(notice.user_id, text, body)
        except Exception as error:
            reason = error.response.get("error") if isinstance(error, SlackApiError) \
                else type(error).__name__
            log.warning("notice %s not delivered: %s", notice.id, reason)
            with session_scope(self.engine) as session:
                q.release_notice(session, notice_id=notice.id)
            return 0
        with session_scope(self.engine) as session:
            q.notice_sent(session, notice_id=notice.id, dm_channel=channel, dm_ts=ts)
        return 1

    # -- the notice's buttons -----------------------------------------------------------
    def dismiss(self, *, gateway: SlackGateway, team_id: str, user_id: str, flag_id: int,
                channel: str | None, ts: str | None) -> bool:
        """"Not a problem": record feedback (only from a person the notice was sent to)."""
        try:
            return self._dismiss(gateway, team_id, user_id, flag_id, channel, ts)
        except IntegrityError:
            return True  # a double click: the feedback is already there

    def _dismiss(self, gateway, team_id, user_id, flag_id, channel, ts) -> bool:
        with session_scope(self.engine) as session:
            if q.notice_for(session, team_id=team_id, flag_id=flag_id, user_id=user_id) is None:
                return False
            q.record_feedback(session, team_id=team_id, flag_id=flag_id, user_id=user_id,
                              verdict="not_a_problem")
            session.flush()
        if channel and ts:
            text, body = blocks.notice_dismissed()
            try:
                gateway.update(channel, ts, text, body)
            except SlackApiError as error:
                log.info("could not update notice: %s", error.response.get("error"))
        return True

    # -- reporting ----------------------------------------------------------------------
    def _roster(self, team_id: str) -> list[tuple[str, str]]:
        with session_scope(self.engine) as session:
            return [(c.user_id, c.name) for c in q.confidants(session, team_id=team_id)]

    def _open_report_modal(self, gateway, team_id, user_id, trigger_id, metadata,
                           ask_for_link=False) -> None:
        roster = self._roster(team_id)
        try:  # the trigger expires in 3 s: the modal comes before anything else
            gateway.open_view(trigger_id, blocks.report_modal(
                confidants=roster, metadata=metadata, ask_for_link=ask_for_link))
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
        self._open_report_modal(gateway, team_id, user_id, trigger_id, {"flag": flag_id})
        return True

    def report_from_shortcut(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                             channel_id: str, message: dict, trigger_id: str) -> None:
        """Open the report modal for any message; its evidence is kept from this moment."""
        ts = message.get("ts") if isinstance(message.get("ts"), str) else None
        bundle = {"text": str(message.get("text", "")), "author": message.get("user")
                  if isinstance(message.get("user"), str) else None,
                  "channel": channel_id, "ts": ts, "thread_ts": None, "edited": False,
                  "permalink": None}  # fetched at delivery: the modal must open first
        with session_scope(self.engine) as session:
            evidence = q.store_evidence(session, vault=self.vault, team_id=team_id,
                                        bundle=bundle)
            q.audit(session, team_id=team_id, actor=user_id, action="evidence_kept_for_report",
                    subject=f"evidence:{evidence.id}")
            evidence_id = evidence.id
        self._open_report_modal(gateway, team_id, user_id, trigger_id,
                                {"evidence": evidence_id, "by": user_id})

    def report_from_command(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                            trigger_id: str) -> None:
        """Open the report modal without a message (``/haven report``)."""
        self._open_report_modal(gateway, team_id, user_id, trigger_id, {"by": user_id},
                                ask_for_link=True)

    def check_report(self, *, team_id: str, confidant_id: str | None) -> dict[str, str] | None:
        """Errors to show in the modal (a confidant removed meanwhile), or None. Fast: it runs
        before the ack."""
        with session_scope(self.engine) as session:
            if confidant_id and q.is_confidant(session, team_id=team_id, user_id=confidant_id):
                return None
        return {blocks.CONFIDANT_BLOCK: "Please choose a confidant from the list."}

    def submit_report(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                      metadata: dict, confidant_id: str, note: str | None,
                      show_name: bool, link: str | None) -> str | None:
        """Create the case and deliver it to the confidant; returns the case number, or None
        when the report does not belong to this person."""
        with session_scope(self.engine) as session:
            if not q.is_confidant(session, team_id=team_id, user_id=confidant_id):
                return None
            evidence_id, flag_id = self._evidence_for(session, team_id, user_id, metadata, link)
            if evidence_id is None:
                return None
            case = q.open_case(session, team_id=team_id, reporter_id=user_id,
                               confidant_id=confidant_id, show_name=show_name,
                               evidence_id=evidence_id, flag_id=flag_id,
                               note_cipher=self.vault.seal({"note": note})[0] if note else None)
            case_id, number = case.id, case.number
        self._deliver_case(gateway, team_id, case_id, note)
        return number

    def _evidence_for(self, session, team_id, user_id, metadata, link):
        if "flag" in metadata:
            flag = q.flag_by_id(session, team_id=team_id, flag_id=int(metadata["flag"]))
            notice = flag and q.notice_for(session, team_id=team_id, flag_id=flag.id,
                                           user_id=user_id)
            return (flag.evidence_id, flag.id) if notice else (None, None)
        if "evidence" in metadata:
            evidence = session.get(Evidence, int(metadata["evidence"]))
            ok = evidence is not None and evidence.team_id == team_id and \
                metadata.get("by") == user_id
            return (evidence.id, None) if ok else (None, None)
        bundle = {"text": "", "author": None, "channel": None, "ts": None, "link": link or None,
                  "permalink": link if link and link.startswith("https://") else None}
        evidence = q.store_evidence(session, vault=self.vault, team_id=team_id, bundle=bundle)
        return evidence.id, None

    def _deliver_case(self, gateway: SlackGateway, team_id: str, case_id: int,
                      note: str | None) -> None:
        with session_scope(self.engine) as session:
            case = session.get(Case, case_id)
            bundle = q.read_evidence(session, vault=self.vault, team_id=team_id,
                                     evidence_id=case.evidence_id, actor=case.confidant_id,
                                     action="evidence_sent_to_confidant")
            bundle["sha256"] = session.get(Evidence, case.evidence_id).sha256
            number, reporter, confidant, show = (case.number, case.reporter_id,
                                                 case.confidant_id, case.show_name)
        if not bundle.get("permalink") and bundle.get("channel") and bundle.get("ts"):
            bundle["permalink"] = gateway.permalink(bundle["channel"], bundle["ts"])
        text, body = blocks.case_for_confidant(number=number, bundle=bundle, note=note,
                                               reporter_id=reporter if show else None,
                                               anonymous_id=None if show else reporter)
        try:
            gateway.send_dm(confidant, text, body)
        except Exception as error:
            log.warning("case %s not delivered to its confidant: %s", number,
                        type(error).__name__)
            return
        with session_scope(self.engine) as session:
            row = session.get(Case, case_id)
            row.delivered_at = utcnow()
            session.add(row)
        text, body = blocks.report_confirmation(number=number, confidant_id=confidant,
                                                show_name=show)
        try:
            gateway.send_dm(reporter, text, body)
        except Exception as error:
            log.warning("confirmation of case %s not delivered: %s", number,
                        type(error).__name__)

    def sweep(self, gateway: SlackGateway) -> int:
        """Deliver what a crash or a Slack outage left behind — pending notices and cases
        not yet delivered to their confidant — and erase what has expired. Safe to run from
        several places at once."""
        with session_scope(self.engine) as session:
            expired = q.purge_expired(session)
        if expired:
            log.info("retention: erased %d unreported flags", expired)
        sent = self.deliver_notices(gateway=gateway, team_id=None)
        with session_scope(self.engine) as session:
            waiting = q.undelivered_cases(session)
        for case in waiting:
            note = self.vault.open(case.note_cipher)["note"] if case.note_cipher else None
            self._deliver_case(self.gateway(gateway.client, case.team_id), case.team_id,
                               case.id, note)
            sent += 1
        return sent

    def forget_workspace(self, team_id: str) -> None:
        """The app was uninstalled or its tokens revoked: erase the workspace's data."""
        if team_id:
            with session_scope(self.engine) as session:
                q.purge_team(session, team_id=team_id)
            log.info("workspace %s erased", team_id)

    def _remind_admins(self, gateway: SlackGateway, team_id: str) -> None:
        """At most one reminder a day: more would tell admins when someone tried to report."""
        with session_scope(self.engine) as session:
            if not q.take_daily_slot(session, team_id=team_id, key="admin_reminder"):
                return
            people = q.admins(session, team_id=team_id)
        text, body = blocks.admin_reminder_no_confidant()
        for admin in people:
            try:
                gateway.send_dm(admin, text, body)
            except SlackApiError as error:
                log.info("admin reminder not delivered: %s", error.response.get("error"))

    # -- /haven -------------------------------------------------------------------------
    def command(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                text: str) -> Reply:
        """Answer an admin or help subcommand of ``/haven`` (``report`` is handled apart)."""
        words = (text or "").split()
        verb = words[0].lower() if words else "help"
        if verb == "help" or verb not in ADMIN_COMMANDS:
            prefix = "" if verb == "help" or not words else \
                f"I don't know `{blocks.escape(words[0][:30])}`. "
            return Reply(prefix + blocks.help_text(gateway.is_admin(user_id)))
        if not gateway.is_admin(user_id):
            return Reply("Sorry, only workspace admins and owners can change Haven's settings. "
                         "Try `/haven help` to see what you can do.")
        with session_scope(self.engine) as session:
            q.note_admin(session, team_id=team_id, user_id=user_id)
        return ADMIN_COMMANDS[verb](self, gateway, team_id, user_id, words[1:])

    def _watch(self, gateway, team_id, user_id, args) -> Reply:
        channel_id, name = _channel_arg(args)
        if channel_id is None:
            return Reply("Which channel? Use `/haven watch #channel`.")
        info = gateway.channel(channel_id) or {}
        name = name or info.get("name") or channel_id
        with session_scope(self.engine) as session:
            added = q.watch(session, team_id=team_id, channel_id=channel_id, name=name,
                            admin_id=user_id, is_private=bool(info.get("is_private")))
        lines = [f"Haven now watches <#{channel_id}>." if added
                 else f"Haven was already watching <#{channel_id}>."]
        if info.get("is_private") and not info.get("is_member"):
            lines.append("It is a private channel: please invite Haven there with "
                         "`/invite @Haven` so it can read new messages.")
        elif not info.get("is_member"):
            error = gateway.join(channel_id)
            if error:
                lines.append(f"Haven could not join it ({blocks.escape(error)}): please "
                             "invite it with `/invite @Haven`.")
        return Reply(" ".join(lines))

    def _unwatch(self, gateway, team_id, user_id, args) -> Reply:
        channel_id, _ = _channel_arg(args)
        if channel_id is None:
            return Reply("Which channel? Use `/haven unwatch #channel`.")
        with session_scope(self.engine) as session:
            removed = q.unwatch(session, team_id=team_id, channel_id=channel_id)
        return Reply(f"Haven no longer reads <#{channel_id}>." if removed
                     else f"Haven was not watching <#{channel_id}>.")

    def _confidant(self, gateway, team_id, user_id, args) -> Reply:
        action = args[0].lower() if args else ""
        person, name = _user_arg(args[1:2])
        if action not in {"add", "remove"} or person is None:
            return Reply("Use `/haven confidant add @person` or `/haven confidant remove "
                         "@person`.")
        with session_scope(self.engine) as session:
            if action == "add":
                changed = q.add_confidant(session, team_id=team_id, user_id=person,
                                          name=gateway.name(person) or name or person)
                return Reply(f"<@{person}> is now a confidant." if changed
                             else f"<@{person}> already was a confidant.")
            changed = q.remove_confidant(session, team_id=team_id, user_id=person)
        return Reply(f"<@{person}> is no longer offered as a confidant; cases they already "
                     "have stay with them." if changed else f"<@{person}> was not a confidant.")

    def _threshold(self, gateway, team_id, user_id, args) -> Reply:
        channel_id, _ = _channel_arg(args[:1])
        value = args[1] if channel_id and len(args) > 1 else (args[0] if args else "")
        try:
            threshold = float(value)
        except ValueError:
            threshold = -1.0
        if not 0.05 <= threshold <= 0.99:
            return Reply("Use `/haven threshold 0.7` (between 0.05 and 0.99; higher flags "
                         "less), or `/haven threshold #channel 0.7`.")
        with session_scope(self.engine) as session:
            if channel_id:
                row = q.watched_channel(session, team_id=team_id, channel_id=channel_id)
                if row is None:
                    return Reply(f"Haven is not watching <#{channel_id}>.")
                row.threshold = threshold
                session.add(row)
                return Reply(f"Threshold for <#{channel_id}> set to {threshold:.2f}.")
            q.set_setting(session, team_id=team_id, key="threshold", value=str(threshold))
        return Reply(f"Threshold set to {threshold:.2f} for every watched channel without "
                     "its own.")

    def _image(self, gateway, team_id, user_id, args) -> Reply:
        """``/haven image block <link to a message>``: its images become known offensive."""
        link = args[1].strip("<>").split("|")[0] if len(args) > 1 else ""
        found = _PERMALINK.search(link)
        if not args or args[0].lower() != "block" or not found:
            return Reply("Use `/haven image block <link to the message>` (message menu ⋯ → "
                         "Copy link).")
        channel, ts = found.group(1), f"{found.group(2)[:10]}.{found.group(2)[10:]}"
        try:
            history = gateway.client.conversations_history(channel=channel, latest=ts,
                                                           inclusive=True, limit=1)
        except SlackApiError as error:
            reason = blocks.escape(str(error.response.get("error")))
            return Reply(f"Haven cannot read that message ({reason}).")
        messages = history.get("messages") or []
        if not messages or messages[0].get("ts") != ts:
            return Reply("Haven cannot find that message.")
        return self.block_images(gateway=gateway, team_id=team_id, user_id=user_id,
                                 message=messages[0])

    def block_images(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                     message: dict) -> Reply:
        """Register the images of a message as known offensive images (admins only)."""
        if not gateway.is_admin(user_id):
            return Reply("Sorry, only workspace admins and owners can mark images.")
        files = message.get("files") if isinstance(message.get("files"), list) else []
        added = 0
        for entry in files:
            if not is_image_entry(entry):
                continue
            try:
                shared = fetch_image(gateway.client, gateway.client.token or "", entry["id"])
                print_ = fingerprint(shared.data, self.dictionary)
            except ImageRejected as reason:
                log.info("file %s not registered: %s", entry["id"], reason)
                continue
            with session_scope(self.engine) as session:
                q.add_known_image(session, team_id=team_id, hashes=print_.hashes,
                                  words=print_.words, label=shared.name, added_by=user_id)
                q.note_admin(session, team_id=team_id, user_id=user_id)
            added += 1
        if not added:
            return Reply("That message has no image Haven could read.")
        return Reply(f"Marked {added} image(s) as offensive. Haven keeps only a fingerprint; "
                     "similar images posted in watched channels will be flagged.")

    def _status(self, gateway, team_id, user_id, args) -> Reply:
        with session_scope(self.engine) as session:
            channels = q.watched_channels(session, team_id=team_id)
            roster = q.confidants(session, team_id=team_id)
            figures = q.activity(session, team_id=team_id)
            default = self.threshold(session, team_id=team_id, channel_threshold=None)
        watched = ", ".join(f"<#{c.channel_id}>" + (f" ({c.threshold:.2f})" if c.threshold
                                                   else "") for c in channels) or "none yet"
        people = ", ".join(f"<@{c.user_id}>" for c in roster) or "none yet"
        return Reply(f"*Watched channels:* {watched}\n*Confidants:* {people}\n"
                     f"*Threshold:* {default:.2f}\n*Last 30 days:* {figures['flags']} flags, "
                     f"{figures['cases']} reports (anonymous; small numbers are not shown).")


ADMIN_COMMANDS = {
    "watch": Haven._watch, "unwatch": Haven._unwatch, "confidant": Haven._confidant,
    "threshold": Haven._threshold, "status": Haven._status, "image": Haven._image,
}


def _channel_arg(args: list[str]) -> tuple[str | None, str | None]:
    match = _CHANNEL_ARG.match(args[0]) if args else None
    if not match:
        return None, None
    return match.group(1) or match.group(3), match.group(2) or None


def _user_arg(args: list[str]) -> tuple[str | None, str | None]:
    match = _USER_ARG.match(args[0]) if args else None
    if not match:
        return None, None
    return match.group(1) or match.group(3), match.group(2) or None


def metadata_of(view: dict) -> dict:
    """A modal's private metadata (Haven's own JSON); empty if unreadable."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
