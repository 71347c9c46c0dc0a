"""A case after it is reported: delivery, the confidant's buttons, the anonymous relay,
notes, closing, withdrawal and export.

Every action re-checks who may take it: a case's confidant acts as confidant, its reporter
as reporter, nobody else at all — whatever ids a payload carries. The confidant never
receives the user id of a reporter who chose to stay anonymous.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from slack_sdk.errors import SlackApiError
from sqlalchemy import func
from sqlalchemy.orm.exc import StaleDataError

from bot import blocks
from bot.i18n import DEFAULT_LANGUAGE, Texts
from bot.notify import SlackGateway
from bot.storage import queries as q
from bot.storage.db import session_scope
from bot.storage.models import Case, CaseMessage, Evidence, utcnow

log = logging.getLogger(__name__)

CONFIDANT, REPORTER = "confidant", "reporter"
LIVE = {"open", "acknowledged"}
WITHDRAWABLE = ("held", "awaiting_confidant", "open", "acknowledged", "closed")


#: A send this long after its case or relay message was made is a retry: Haven first looks
#: whether Slack took an earlier try whose answer was lost.
RETRY_AFTER = timedelta(seconds=30)


def timestamp(moment: datetime) -> float:
    """A stored datetime (naive from SQLite: UTC) as a Unix time."""
    return _aware(moment).timestamp()


def _older_than(moment: datetime | None, age: timedelta) -> bool:
    return moment is not None and _aware(moment) < q.utcnow() - age


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _where(channel: str, ts: str) -> str:
    return f"{channel}:{ts}"


def _reason(error: Exception) -> str:
    return str(error.response.get("error")) if isinstance(error, SlackApiError) \
        else type(error).__name__


class CaseWork:
    """Case handling, mixed into :class:`bot.service.Haven`."""

    # -- who may act ----------------------------------------------------------------------
    def _case(self, team_id: str, case_id: int, user_id: str, role: str) -> Case | None:
        """The case if ``user_id`` holds ``role`` in it (same workspace), else None."""
        with session_scope(self.engine) as session:
            case = q.case_by_id(session, team_id=team_id, case_id=case_id)
        if case is None or not user_id:
            return None
        holder = case.confidant_id if role == CONFIDANT else case.reporter_id
        return case if holder == user_id else None

    def role_in(self, team_id: str, case_id: int, user_id: str) -> str | None:
        """``confidant`` or ``reporter`` when the person is one of the two, else None."""
        for role in (CONFIDANT, REPORTER):
            if self._case(team_id, case_id, user_id, role) is not None:
                return role
        return None

    @staticmethod
    def info(case: Case, *, for_confidant: bool, other_cases: int = 0,
             joint: tuple[str, ...] = ()) -> blocks.CaseInfo:
        """What a DM or the Home tab may show of a case to one side."""
        named = for_confidant and case.show_name
        return blocks.CaseInfo(id=case.id, number=case.number, status=case.status,
                               reporter_id=case.reporter_id if named else None,
                               outcome=case.outcome, created_at=case.created_at,
                               last_activity_at=case.last_activity_at,
                               other_cases=other_cases, joint=joint)

    # -- delivery -------------------------------------------------------------------------
    def _confidant_view(self, gateway: SlackGateway, team_id: str, case_id: int,
                        action: str) -> tuple[Case, str, list] | None:
        """The confidant's case DM, rendered from the evidence (each read is audited)."""
        with session_scope(self.engine) as session:
            case = q.case_by_id(session, team_id=team_id, case_id=case_id)
            if case is None or case.evidence_id is None:
                return None
            bundle = q.read_evidence(session, vault=self.vault, team_id=team_id,
                                     evidence_id=case.evidence_id, actor="confidant",
                                     action=action)
            bundle["sha256"] = session.get(Evidence, case.evidence_id).sha256
            others = q.other_cases_about(session, team_id=team_id, case=case)
            joint = q.joint_numbers(session, team_id=team_id, case=case)
        note = self.vault.open(case.note_cipher)["note"] if case.note_cipher else None
        if not bundle.get("permalink") and bundle.get("channel") and bundle.get("ts"):
            bundle["permalink"] = gateway.permalink(bundle["channel"], bundle["ts"])
        text, body = blocks.case_for_confidant(
            self.texts(gateway, case.confidant_id),
            case=self.info(case, for_confidant=True, other_cases=others, joint=joint),
            bundle=bundle, note=note, anonymous_id=None if case.show_name else case.reporter_id)
        return case, text, body

    def deliver_case(self, gateway: SlackGateway, team_id: str, case_id: int) -> bool:
        """Send a case to its confidant, then confirm to the reporter. A failure leaves it
        undelivered for the sweep; the evidence is never lost."""
        if self._confidant_left(gateway, team_id, case_id):
            return False
        view = self._confidant_view(gateway, team_id, case_id, "evidence_sent_to_confidant")
        if view is None:
            return False
        case, text, body = view
        if case.confidant_id is None:
            self._confirm(gateway, team_id, case)
            return False
        with session_scope(self.engine) as session:
            if not q.claim_delivery(session, case_id=case_id):
                return False  # another sweep or instance is delivering it
        tag = ("haven_case", f"{team_id}:{case_id}")
        try:
            # a retry (the sweep): Slack may have taken an earlier try whose answer was lost
            found = gateway.find_dm(case.confidant_id, tag, since=timestamp(case.created_at)) \
                if _older_than(case.created_at, RETRY_AFTER) else None
            channel, ts = found or gateway.send_dm(case.confidant_id, text, body, tag=tag)
        except Exception as error:
            log.warning("case %s not delivered to its confidant: %s", case.id, _reason(error))
            with session_scope(self.engine) as session:
                q.release_delivery(session, case_id=case_id)
            return False
        with session_scope(self.engine) as session:
            row = session.get(Case, case_id)
            row.confidant_dm = _where(channel, ts)
            session.add(row)
        self._confirm(gateway, team_id, row)
        return True

    def _confidant_left(self, gateway: SlackGateway, team_id: str, case_id: int) -> bool:
        """A report not yet delivered whose confidant left the roster (a held report, say)
        goes back to its reporter, who chooses again; nobody else reads it meanwhile."""
        with session_scope(self.engine) as session:
            case = q.case_by_id(session, team_id=team_id, case_id=case_id)
            if case is None or case.confidant_id is None or case.delivered_at is not None or \
                    q.is_confidant(session, team_id=team_id, user_id=case.confidant_id):
                return False
            moved = q.transition(session, team_id=team_id, case_id=case_id, before=("open",),
                                 after="awaiting_confidant", confidant_id=None)
        if moved:
            text, body = blocks.confidant_gone(self.texts(gateway, case.reporter_id),
                                               case=self.info(case, for_confidant=False))
            try:
                gateway.send_dm(case.reporter_id, text, body)
            except Exception as error:
                log.warning("case %s: reporter not asked to choose: %s", case.id,
                            _reason(error))
        return True

    def open_reassign(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                      case_id: int, trigger_id: str) -> bool:
        """The reporter chooses another confidant for a report nobody has received."""
        case = self._case(team_id, case_id, user_id, REPORTER)
        if case is None or case.status != "awaiting_confidant":
            return False
        view = blocks.reassign_modal(self.texts(gateway, user_id), confidants=self._roster(
            team_id), case=self.info(case, for_confidant=False))
        return self._open(gateway, trigger_id, view)

    def reassign(self, *, gateway: SlackGateway, team_id: str, user_id: str, case_id: int,
                 confidant_id: str) -> bool:
        """Send a waiting report to the confidant the reporter chose now."""
        if self._case(team_id, case_id, user_id, REPORTER) is None:
            return False
        with session_scope(self.engine) as session:
            if not q.is_confidant(session, team_id=team_id, user_id=confidant_id) or \
                    not q.transition(session, team_id=team_id, case_id=case_id,
                                     before=("awaiting_confidant",), after="open",
                                     confidant_id=confidant_id):
                return False
        return self.deliver_case(gateway, team_id, case_id)

    def deliver_joint(self, gateway: SlackGateway, team_id: str, case_ids: list[int]) -> None:
        """Reports held for a joint case, and the one that released them: each confidant
        gets an introduction, then each report addressed to them."""
        with session_scope(self.engine) as session:
            cases = [q.case_by_id(session, team_id=team_id, case_id=i) for i in case_ids]
        for confidant in {c.confidant_id for c in cases if c.confidant_id}:
            mine = [c.number for c in cases if c.confidant_id == confidant]
            if len(mine) < 2:
                continue  # the other report went to another confidant: nothing to introduce
            text, body = blocks.joint_case_intro(self.texts(gateway, confidant), numbers=mine)
            try:
                gateway.send_dm(confidant, text, body)
            except Exception as error:
                log.warning("joint case introduction not delivered: %s", _reason(error))
        for case in cases:
            self.deliver_case(gateway, team_id, case.id)

    def confirm_held(self, gateway: SlackGateway, team_id: str, case_id: int) -> None:
        """Tell the reporter their report is held until someone else reports the author."""
        with session_scope(self.engine) as session:
            case = q.case_by_id(session, team_id=team_id, case_id=case_id)
        self._confirm(gateway, team_id, case)

    def _confirm(self, gateway: SlackGateway, team_id: str, case: Case) -> None:
        _ = self.texts(gateway, case.reporter_id)
        text, body = blocks.report_confirmation(_, case=self.info(case, for_confidant=False),
                                                confidant_id=case.confidant_id,
                                                show_name=case.show_name)
        try:
            channel, ts = gateway.send_dm(case.reporter_id, text, body)
        except Exception as error:
            log.warning("confirmation of case %s not delivered: %s", case.id, _reason(error))
            return
        with session_scope(self.engine) as session:
            row = session.get(Case, case.id)
            row.reporter_dm = _where(channel, ts)
            session.add(row)

    def _refresh(self, gateway: SlackGateway, team_id: str, case_id: int) -> None:
        """Re-draw the confidant's case DM (status, buttons) after a change."""
        view = self._confidant_view(gateway, team_id, case_id, "evidence_viewed")
        if view is not None:
            case, text, body = view
            gateway.update_posted(case.confidant_dm, text, body)

    def _tell_reporter(self, gateway: SlackGateway, case: Case) -> None:
        _ = self.texts(gateway, case.reporter_id)
        text, body = blocks.case_update_for_reporter(_, case=self.info(case,
                                                                       for_confidant=False))
        try:
            gateway.send_dm(case.reporter_id, text, body)
        except Exception as error:
            log.warning("case %s: reporter not told: %s", case.id, _reason(error))

    # -- the confidant ----------------------------------------------------------------------
    def acknowledge(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                    case_id: int) -> bool:
        """The confidant has seen the case: the reporter is told, privately."""
        if self._case(team_id, case_id, user_id, CONFIDANT) is None:
            return False
        now = utcnow()
        with session_scope(self.engine) as session:
            if not q.transition(session, team_id=team_id, case_id=case_id, before=("open",),
                                after="acknowledged", acknowledged_at=now,
                                first_response_at=func.coalesce(Case.first_response_at, now)):
                return True  # a double click, or another instance was first
            q.audit(session, team_id=team_id, actor="confidant", action="case_acknowledged",
                    subject=f"case:{session.get(Case, case_id).number}")
        self._after_change(gateway, team_id, case_id)
        return True

    def _after_change(self, gateway: SlackGateway, team_id: str, case_id: int) -> None:
        """Tell the reporter (first: that must not wait on anything else), then re-draw
        the confidant's case DM."""
        with session_scope(self.engine) as session:
            case = q.case_by_id(session, team_id=team_id, case_id=case_id)
        self._tell_reporter(gateway, case)
        try:
            self._refresh(gateway, team_id, case_id)
        except Exception as error:
            log.warning("case %s: DM not updated: %s", case_id, _reason(error))

    def close_case(self, *, gateway: SlackGateway, team_id: str, user_id: str, case_id: int,
                   outcome: str, verdict: str | None = None) -> bool:
        """Close with an outcome; the reporter is told. A verdict on the message ("was it
        hurtful?") becomes a labelled example for the model."""
        if outcome not in blocks.OUTCOMES or \
                self._case(team_id, case_id, user_id, CONFIDANT) is None:
            return False
        now = utcnow()
        with session_scope(self.engine) as session:
            if not q.transition(session, team_id=team_id, case_id=case_id, before=tuple(LIVE),
                                after="closed", outcome=outcome, closed_at=now,
                                first_response_at=func.coalesce(Case.first_response_at, now)):
                return True
            q.audit(session, team_id=team_id, actor="confidant", action="case_closed",
                    subject=f"case:{session.get(Case, case_id).number}")
            flag_id = session.get(Case, case_id).flag_id
            if verdict in {"yes", "no"}:
                self._learn(session, team_id, flag_id, source="confidant", case_id=case_id,
                            label="harassing" if verdict == "yes" else "benign")
        self._after_change(gateway, team_id, case_id)
        return True

    def open_notes(self, *, gateway: SlackGateway, team_id: str, user_id: str, case_id: int,
                   trigger_id: str) -> bool:
        """The confidant's notes on a case, in a modal (the read is audited)."""
        case = self._case(team_id, case_id, user_id, CONFIDANT)
        if case is None:
            return False
        with session_scope(self.engine) as session:
            notes = [(n.created_at, self.vault.open(n.cipher)["text"])
                     for n in q.case_notes(session, team_id=team_id, case_id=case_id)]
            q.audit(session, team_id=team_id, actor="confidant", action="notes_viewed",
                    subject=f"case:{case.number}")
        view = blocks.notes_modal(self.texts(gateway, user_id),
                                  case=self.info(case, for_confidant=True), notes=notes)
        return self._open(gateway, trigger_id, view)

    def add_note(self, *, team_id: str, user_id: str, case_id: int, text: str) -> bool:
        """Keep a note on a case, encrypted, for the confidant alone."""
        case = self._case(team_id, case_id, user_id, CONFIDANT)
        if case is None or case.status in {"withdrawn", "expired"} or not text.strip():
            return False
        with session_scope(self.engine) as session:
            q.add_case_note(session, vault=self.vault, case=case, text=text[:2900])
            q.audit(session, team_id=team_id, actor="confidant", action="note_added",
                    subject=f"case:{case.number}")
        return True

    def open_close(self, *, gateway: SlackGateway, team_id: str, user_id: str, case_id: int,
                   trigger_id: str) -> bool:
        """The modal to close a case with its outcome."""
        case = self._case(team_id, case_id, user_id, CONFIDANT)
        if case is None or case.status not in LIVE:
            return False
        view = blocks.close_modal(self.texts(gateway, user_id),
                                  case=self.info(case, for_confidant=True))
        return self._open(gateway, trigger_id, view)

    @staticmethod
    def _open(gateway: SlackGateway, trigger_id: str, view) -> bool:
        try:
            gateway.open_view(trigger_id, view)
        except SlackApiError as error:
            log.warning("modal not opened: %s", error.response.get("error"))
            return False
        return True

    # -- the relay --------------------------------------------------------------------------
    def open_relay(self, *, gateway: SlackGateway, team_id: str, user_id: str, case_id: int,
                   trigger_id: str) -> bool:
        """The modal to write to the other side of a case."""
        role = self.role_in(team_id, case_id, user_id)
        case = role and self._case(team_id, case_id, user_id, role)
        if not case or case.status not in LIVE:
            return False
        view = blocks.relay_modal(self.texts(gateway, user_id),
                                  case=self.info(case, for_confidant=role == CONFIDANT),
                                  to_reporter=role == CONFIDANT)
        return self._open(gateway, trigger_id, view)

    def relay(self, *, gateway: SlackGateway, team_id: str, user_id: str, case_id: int,
              text: str) -> bool:
        """Pass a message to the other side; it is stored encrypted with the case first,
        so a Slack failure delays it (the sweep resends) but never loses it."""
        role = self.role_in(team_id, case_id, user_id)
        case = role and self._case(team_id, case_id, user_id, role)
        if not case or case.status not in LIVE or not text.strip():
            return False
        with session_scope(self.engine) as session:
            case = session.get(Case, case_id)
            message = q.add_case_message(session, vault=self.vault, case=case, sender=role,
                                         text=text[:2900])
            q.audit(session, team_id=team_id, actor=role, action="relay_message",
                    subject=f"case:{case.number}")
        delivered = self._pass_on(gateway, case, message)
        _ = self.texts(gateway, user_id)
        receipt = blocks.relay_sent(_, number=case.number) if delivered else \
            _("relay.failed", number=case.number)
        try:
            gateway.send_dm(user_id, receipt, [])
        except Exception as error:
            log.info("relay receipt not delivered: %s", _reason(error))
        return delivered

    def _pass_on(self, gateway: SlackGateway, case: Case, message: CaseMessage) -> bool:
        to_reporter = message.sender == CONFIDANT
        recipient = case.reporter_id if to_reporter else case.confidant_id
        text = self.vault.open(message.cipher)["text"]
        title, body = blocks.relay_message(
            self.texts(gateway, recipient), text=text, to_reporter=to_reporter,
            case=self.info(case, for_confidant=not to_reporter))
        tag = ("haven_relay", f"{case.team_id}:{message.id}")
        try:
            found = gateway.find_dm(recipient, tag, since=timestamp(message.created_at)) \
                if _older_than(message.created_at, RETRY_AFTER) else None
            channel, ts = found or gateway.send_dm(recipient, title, body, tag=tag)
        except Exception as error:
            log.warning("relay message of case %s not delivered: %s", case.id, _reason(error))
            return False
        if not self._record_posted(message.id, _where(channel, ts)):
            # the report was withdrawn while this was on its way: Haven's copy goes too
            with session_scope(self.engine) as session:
                q.retract(session, team_id=case.team_id, posted=_where(channel, ts),
                          kind="delete")
            self.retract(lambda team: gateway if team == case.team_id else None,
                         team_id=case.team_id)
            return False
        return True

    def _record_posted(self, message_id: int, where: str) -> bool:
        """Where a relay message went; False when it was erased meanwhile (a withdrawal,
        which locks the case's messages while it erases them)."""
        try:
            with session_scope(self.engine) as session:
                row = session.get(CaseMessage, message_id, with_for_update=True)
                if row is None:
                    return False
                row.posted = where
                session.add(row)
        except StaleDataError:  # erased between reading and writing
            return False
        return True

    def resend_relay(self, gateway_for) -> int:
        """Relay messages a Slack failure left behind (the sweep); ``gateway_for(team_id)``
        gives each workspace's Slack calls, or None when it cannot be reached."""
        with session_scope(self.engine) as session:
            waiting = [(m, session.get(Case, m.case_id)) for m in q.unsent_case_messages(session)]
        sent = 0
        for message, case in waiting:
            gateway = case and case.status in LIVE and gateway_for(case.team_id)
            if gateway:
                sent += self._pass_on(gateway, case, message)
        return sent

    # -- the reporter -----------------------------------------------------------------------
    def withdraw(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                 case_id: int) -> bool:
        """Withdraw a report: evidence, relay and notes are erased at once, Haven's copies of
        relay messages are removed from Slack, and the confidant is told."""
        case = self._case(team_id, case_id, user_id, REPORTER)
        if case is None:
            return False
        with session_scope(self.engine) as session:
            if not q.transition(session, team_id=team_id, case_id=case_id,
                                before=WITHDRAWABLE, after="withdrawing"):
                return False  # withdrawn already (a double click)
            q.withdraw_case(session, team_id=team_id, case_id=case_id)  # queues retractions
        self.compact_soon()  # no copy of the erased evidence stays behind on disk
        # the case DM and the confirmation change, relay messages go: queued with the
        # erasure, tried now, and retried by the sweep until Slack confirms each
        self.retract(lambda team: gateway if team == team_id else None, team_id=team_id)
        if case.confidant_id and case.delivered_at:
            _ = self.texts(gateway, case.confidant_id)
            text, body = blocks.case_withdrawn_for_confidant(_, number=case.number)
            try:
                gateway.send_dm(case.confidant_id, text, body)
            except Exception as error:
                log.warning("confidant not told of withdrawal: %s", _reason(error))
        return True

    def retract(self, gateway_for, team_id: str | None = None) -> int:
        """Delete or change the messages Haven sent about what was just erased (relay
        messages go; notices and case DMs keep a short note), so no copy stays in Slack. An
        item Slack did not confirm stays queued, and is tried again after a backoff."""
        with session_scope(self.engine) as session:
            todo = q.retractions(session, team_id=team_id)
        done = 0
        for item in todo:
            gateway = gateway_for(item.team_id)
            if gateway is None:
                continue
            if self._retract_one(gateway, item):
                with session_scope(self.engine) as session:
                    q.retracted(session, retraction_id=item.id)
                done += 1
            else:
                with session_scope(self.engine) as session:
                    if not q.retraction_failed(session, retraction_id=item.id):
                        log.error("retraction %s given up after 30 days", item.id)
        return done

    def _retract_one(self, gateway: SlackGateway, item) -> bool:
        """True once Slack confirmed the change (or the message is gone)."""
        if item.kind == "delete":
            return gateway.delete(item.posted)
        _ = Texts(self.setting(item.team_id, "language", DEFAULT_LANGUAGE))
        if item.kind == "withdrawn":
            text, body = blocks.case_withdrawn_for_confidant(_, number=item.number or "")
        elif item.kind in {"withdrew", "withdrew_u"}:
            text, body = blocks.case_withdrawn_for_reporter(
                _, number=item.number or "", delivered=item.kind == "withdrew")
        else:
            text, body = _("retention.erased"), [blocks.section(_("retention.erased"))]
        return gateway.update_posted(item.posted, text, body)

    def export_for_reporter(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                            case_id: int) -> bool:
        """The reporter asks for their case as a document: their consent is recorded in the
        case, and the document comes to their DM with Haven."""
        from bot.export import ExportRefused, case_document

        case = self._case(team_id, case_id, user_id, REPORTER)
        if case is None:
            return False
        _ = self.texts(gateway, user_id)
        with session_scope(self.engine) as session:
            row = session.get(Case, case_id)
            row.export_consent_at = row.export_consent_at or utcnow()
            session.add(row)
            q.audit(session, team_id=team_id, actor="reporter", action="export_consent",
                    subject=f"case:{case.number}")
        try:
            with session_scope(self.engine) as session:
                document = case_document(session, vault=self.vault, team_id=team_id,
                                         number=case.number, actor="reporter", language=_.language)
        except ExportRefused:
            gateway.send_dm(user_id, _("mine.export_failed", number=case.number), [])
            return False
        try:
            gateway.send_file(user_id, filename=f"{case.number}.md", content=document,
                              title=case.number,
                              comment=blocks.export_message(_, number=case.number))
        except SlackApiError as error:
            log.warning("export of case %s not delivered: %s", case.id, _reason(error))
            return False
        return True
