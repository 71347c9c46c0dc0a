"""Every read and write of Haven's data. Keyword-only functions that take a session.

Every function is scoped to one workspace (``team_id``): no query crosses workspaces.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.storage.crypto import Vault
from bot.storage.models import (
    Admin,
    AuditLog,
    Case,
    CaseMessage,
    CaseNote,
    Confidant,
    Evidence,
    EvidenceFile,
    Example,
    Feedback,
    Flag,
    KnownImage,
    Notice,
    ProcessedEvent,
    Retraction,
    SeenRequest,
    TeamSetting,
    WatchedChannel,
    utcnow,
)
from bot.storage.sealing import person_key, vault_of

CASE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone
#: A notice is worth delivering for a day; Slack down longer than that, it is given up and
#: counted as undelivered for admins (a count, never its content).
NOTICE_USEFUL = timedelta(hours=24)
#: A claim on a notice ("sending") holds this long unless renewed: after a crash mid-send the
#: notice is due again within it. Before sending again Haven looks for the notice in the DM
#: (by its metadata), so a send that reached Slack just before the crash is not repeated.
SENDING_LEASE = timedelta(seconds=45)
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(minutes=5)  # the longest wait between two tries


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: 30 s, 1, 2, 4, then 5 min."""
    return min(FIRST_RETRY * 2 ** max(0, min(attempts, 20) - 1), LAST_RETRY)


# -- events -------------------------------------------------------------------------------
def claim_event(session: Session, *, event_id: str, team_id: str) -> None:
    """Record an event as handled, in the caller's transaction: committing it raises
    IntegrityError if the event was handled already (a retry, or another instance)."""
    session.add(ProcessedEvent(event_id=event_id, team_id=team_id))
    session.flush()


REPLAY_WINDOW = timedelta(minutes=10)  # Slack's signatures are valid for five


def first_sight(session: Session, *, key: str, team_id: str) -> bool:
    """Record a signed request; False when it was seen before (a replay). Old keys go."""
    session.exec(delete(SeenRequest).where(SeenRequest.at < utcnow() - REPLAY_WINDOW))
    session.add(SeenRequest(key=key, team_id=team_id))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    return True


# -- settings, channels, roster ------------------------------------------------------------
def get_setting(session: Session, *, team_id: str, key: str) -> str | None:
    """A workspace setting, or None."""
    row = session.get(TeamSetting, (team_id, key))
    return row.value if row else None


def settings_named(session: Session, *, key: str) -> list[tuple[str, str]]:
    """(workspace, value) of one setting in every workspace that has it."""
    return list(session.exec(select(TeamSetting.team_id, TeamSetting.value).where(
        TeamSetting.key == key)))


def set_setting(session: Session, *, team_id: str, key: str, value: str) -> None:
    """Create or replace a workspace setting."""
    session.merge(TeamSetting(team_id=team_id, key=key, value=value))


#: A person's own language is a workspace setting keyed by their keyed hash, never their id.
PERSON_LANGUAGE = "language:"


def person_language(session: Session, *, team_id: str, user_id: str | None) -> str | None:
    """The language a person chose in App Home, or None."""
    if not user_id:
        return None
    key = PERSON_LANGUAGE + person_key(session, team_id, user_id)
    return get_setting(session, team_id=team_id, key=key)


def set_person_language(session: Session, *, team_id: str, user_id: str,
                        language: str | None) -> None:
    """Store a person's own language; None goes back to the workspace's."""
    key = PERSON_LANGUAGE + person_key(session, team_id, user_id)
    if language is None:
        session.exec(delete(TeamSetting).where(TeamSetting.team_id == team_id,
                                               TeamSetting.key == key))
    else:
        set_setting(session, team_id=team_id, key=key, value=language)


def watched_channel(session: Session, *, team_id: str, channel_id: str) -> WatchedChannel | None:
    """The watch-list entry of a channel, or None when Haven must not read it."""
    return session.get(WatchedChannel, (team_id, channel_id))


def watch(session: Session, *, team_id: str, channel_id: str, name: str,
          admin_id: str, is_private: bool = False) -> bool:
    """Opt a channel in; False if it already was."""
    if watched_channel(session, team_id=team_id, channel_id=channel_id):
        return False
    session.add(WatchedChannel(team_id=team_id, channel_id=channel_id, name=name[:100],
                               added_by=admin_id, is_private=is_private))
    return True


def unwatch(session: Session, *, team_id: str, channel_id: str) -> bool:
    """Opt a channel out; False if it was not watched."""
    row = watched_channel(session, team_id=team_id, channel_id=channel_id)
    if row is None:
        return False
    session.delete(row)
    return True


def watched_channels(session: Session, *, team_id: str) -> list[WatchedChannel]:
    """The watch list, by name."""
    query = select(WatchedChannel).where(WatchedChannel.team_id == team_id)
    return list(session.exec(query.order_by(WatchedChannel.name)))


def add_confidant(session: Session, *, team_id: str, user_id: str, name: str,
                  kind: str | None = None, description: str | None = None) -> bool:
    """Put someone on the roster (again), or update their label and description; False if
    they already were on it."""
    row = session.get(Confidant, (team_id, user_id))
    was_active = row is not None and row.active
    row = row or Confidant(team_id=team_id, user_id=user_id)
    row.name, row.active = name[:200], True
    if kind is not None:
        row.kind = kind
    if description is not None:
        row.description = description[:300]
    session.add(row)
    return not was_active


def remove_confidant(session: Session, *, team_id: str, user_id: str) -> bool:
    """Take someone off the roster (their past cases stay theirs); False if not on it."""
    row = session.get(Confidant, (team_id, user_id))
    if row is None or not row.active:
        return False
    row.active = False
    session.add(row)
    return True


def confidants(session: Session, *, team_id: str) -> list[Confidant]:
    """The active roster, by name."""
    query = select(Confidant).where(Confidant.team_id == team_id, Confidant.active)
    return list(session.exec(query.order_by(Confidant.name)))


def is_confidant(session: Session, *, team_id: str, user_id: str) -> bool:
    """Whether ``user_id`` is on the active roster."""
    row = session.get(Confidant, (team_id, user_id))
    return bool(row and row.active)


def note_admin(session: Session, *, team_id: str, user_id: str) -> None:
    """Remember an admin who configured Haven (to remind them when needed)."""
    session.merge(Admin(team_id=team_id, user_id=user_id, seen_at=utcnow()))


def admins(session: Session, *, team_id: str) -> list[str]:
    """Admins who configured Haven."""
    return list(session.exec(select(Admin.user_id).where(Admin.team_id == team_id)))


# -- flags, evidence, notices --------------------------------------------------------------
def store_evidence(session: Session, *, vault: Vault, team_id: str, bundle: dict,
                   kept_by: str | None = None) -> Evidence:
    """Encrypt and add an evidence bundle (``kept_by``: the person it was kept for, stored
    as a keyed hash)."""
    cipher, digest = vault.seal(bundle)
    evidence = Evidence(team_id=team_id, cipher=cipher, sha256=digest,
                        kept_by=person_key(session, team_id, kept_by))
    session.add(evidence)
    session.flush()
    return evidence


def draft_evidence(session: Session, *, team_id: str, evidence_id: int,
                   user_id: str) -> Evidence | None:
    """Evidence kept for ``user_id``'s report and not yet part of any flag or case; None for
    anything else (an id from another person, workspace or case)."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.team_id != team_id or \
            evidence.kept_by != person_key(session, team_id, user_id):
        return None
    used = session.exec(select(Case.id).where(Case.evidence_id == evidence_id)).first()
    flagged = session.exec(select(Flag.id).where(Flag.evidence_id == evidence_id)).first()
    return None if used is not None or flagged is not None else evidence


def record_flag(session: Session, *, vault: Vault, team_id: str, event_id: str,
                channel_id: str, message_ts: str, author_id: str, score: float,
                categories: list[str], bundle: dict | None, affected: list[str],
                shadow: bool = False, channel_group: str = "") -> Flag:
    """Flag, evidence and one pending notice per affected person, in the caller's transaction
    (committed before anyone is notified). A shadow-mode flag (``bundle`` None) keeps no
    evidence: nobody will be told about it, so nobody could report it."""
    evidence = store_evidence(session, vault=vault, team_id=team_id, bundle=bundle) \
        if bundle is not None else None
    flag = Flag(team_id=team_id, event_id=event_id, channel_id=channel_id,
                message_ts=message_ts, author_key=person_key(session, team_id, author_id) or "",
                score=score,
                categories=",".join(categories), evidence_id=evidence and evidence.id,
                shadow=shadow, channel_group=channel_group[:60])
    session.add(flag)
    session.flush()
    for user_id in affected:
        notice = Notice(team_id=team_id, flag_id=flag.id,
                        message_key=f"{channel_id}:{message_ts}"[:64])
        notice.user_id = user_id  # sealed, with its keyed hash, when the session flushes
        session.add(notice)
    return flag


def pending_notices(session: Session, *, team_id: str | None = None,
                    limit: int = 100) -> list[Notice]:
    """Notices due now: pending and past their backoff, or cut off mid-send."""
    query = select(Notice).where(_notice_due(utcnow()))
    if team_id is not None:
        query = query.where(Notice.team_id == team_id)
    return list(session.exec(query.order_by(Notice.id).limit(limit)))


def noticed_about_message(session: Session, *, team_id: str, channel_id: str,
                          message_ts: str) -> set[str]:
    """People already given a notice about this message (an edit must not notify again)."""
    query = select(Notice).join(Flag, Flag.id == Notice.flag_id).where(
        Flag.team_id == team_id, Flag.channel_id == channel_id, Flag.message_ts == message_ts)
    return {notice.user_id for notice in session.exec(query)}


def _notice_due(now: datetime):
    """Pending and past its backoff, or 'sending' under a claim older than SENDING_LEASE
    (``sent_at`` holds when the claim was taken or renewed until the notice is sent)."""
    waiting = and_(Notice.status == "pending",
                   or_(Notice.due_at.is_(None), Notice.due_at <= now))
    cut_off = and_(Notice.status == "sending",
                   or_(Notice.sent_at.is_(None), Notice.sent_at < now - SENDING_LEASE))
    return or_(waiting, cut_off)


def claim_notice(session: Session, *, notice_id: int, claim: str) -> bool:
    """Mark a due notice as being sent by ``claim``, from now; False if another thread,
    process or instance claimed it first (one conditional update: the database decides)."""
    now = utcnow()
    result = session.exec(update(Notice).where(Notice.id == notice_id, _notice_due(now))
                          .values(status="sending", attempts=Notice.attempts + 1,
                                  sent_at=now, claim=claim))
    return result.rowcount == 1


def renew_claim(session: Session, *, notice_id: int, claim: str) -> bool:
    """Just before posting: the claim is still ours (and good for another lease)."""
    result = session.exec(update(Notice).where(
        Notice.id == notice_id, Notice.status == "sending", Notice.claim == claim)
        .values(sent_at=utcnow()))
    return result.rowcount == 1


def release_notice(session: Session, *, notice_id: int) -> str:
    """A send failed: pending again after a backoff, or undelivered once a day has passed
    since the message. Returns the new status."""
    notice = session.get(Notice, notice_id)
    if notice is None or notice.status != "sending":
        return notice.status if notice is not None else "gone"
    now = utcnow()
    if _aware(notice.created_at) < now - NOTICE_USEFUL:
        notice.status, notice.due_at = "undelivered", None
    else:
        notice.status, notice.due_at = "pending", now + backoff(notice.attempts)
    notice.claim = None
    session.add(notice)
    return notice.status


def give_up_notices(session: Session) -> int:
    """Notices still waiting a day after their message: no longer useful, counted for
    admins as undelivered."""
    result = session.exec(update(Notice).where(
        Notice.status.in_(("pending", "sending")), _notice_due(utcnow()),
        Notice.created_at < utcnow() - NOTICE_USEFUL).values(status="undelivered", claim=None))
    return result.rowcount


def undelivered_notices(session: Session, *, team_id: str) -> tuple[int, int]:
    """(waiting to be retried, given up) notices of a workspace: counts only."""
    rows = session.exec(select(Notice.status, func.count()).where(
        Notice.team_id == team_id, or_(Notice.status == "undelivered", and_(
            Notice.status.in_(("pending", "sending")), Notice.attempts > 0)))
        .group_by(Notice.status))
    counts = dict(rows.all())
    return counts.get("pending", 0) + counts.get("sending", 0), counts.get("undelivered", 0)


def next_due(session: Session) -> datetime | None:
    """When the next waiting notice or retraction is due (the sweep wakes up then)."""
    moments = [session.exec(select(func.min(Notice.due_at)).where(
                   Notice.status == "pending")).one(),
               session.exec(select(func.min(Notice.sent_at)).where(
                   Notice.status == "sending")).one(),
               session.exec(select(func.min(Retraction.due_at))).one()]
    due = [_aware(m) + (SENDING_LEASE if i == 1 else timedelta(0))
           for i, m in enumerate(moments) if m is not None]
    return min(due, default=None)


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def notice_sent(session: Session, *, notice_id: int, dm_channel: str, dm_ts: str) -> None:
    """Record a delivered notice and where it is (to update it later)."""
    notice = session.get(Notice, notice_id)
    notice.status, notice.dm_channel, notice.dm_ts, notice.sent_at = \
        "sent", dm_channel, dm_ts, utcnow()
    notice.due_at = notice.claim = None
    session.add(notice)


def take_daily_slot(session: Session, *, team_id: str, key: str) -> bool:
    """True at most once a day per workspace and key (rate-limits reminders)."""
    now = datetime.now(UTC)
    last = get_setting(session, team_id=team_id, key=key)
    if last and now - datetime.fromisoformat(last) < timedelta(days=1):
        return False
    set_setting(session, team_id=team_id, key=key, value=now.isoformat())
    return True


def undelivered_cases(session: Session, *, older_than: timedelta = timedelta(minutes=1)
                      ) -> list[Case]:
    """Cases with a confidant that did not reach them (left behind by a crash or outage)."""
    cutoff = utcnow() - older_than
    return list(session.exec(select(Case).where(
        Case.confidant_cipher.is_not(None), _delivery_due(utcnow()),
        Case.status.in_(["open", "awaiting_confidant"]), Case.created_at < cutoff).limit(100)))


def _delivery_due(now: datetime):
    """Not delivered, or claimed for delivery by a sender that died (its claim, the time in
    ``delivered_at`` while ``confidant_dm`` is empty, is older than SENDING_LEASE)."""
    return or_(Case.delivered_at.is_(None), and_(
        Case.confidant_dm_cipher.is_(None), Case.delivered_at < now - SENDING_LEASE))


def notices_for_flag(session: Session, *, team_id: str, flag_id: int) -> list[Notice]:
    """The notices of one flag."""
    query = select(Notice).where(Notice.team_id == team_id, Notice.flag_id == flag_id)
    return list(session.exec(query))


def notice_for(session: Session, *, team_id: str, flag_id: int, user_id: str) -> Notice | None:
    """The notice a person received about a flag: proof they may act on it."""
    query = select(Notice).where(Notice.team_id == team_id, Notice.flag_id == flag_id,
                                 Notice.user_key == person_key(session, team_id, user_id))
    return session.exec(query).first()


def flag_for_event(session: Session, *, team_id: str, event_id: str) -> Flag | None:
    """The flag an event (or one file of it, ``event:file``) was recorded as."""
    query = select(Flag).where(Flag.team_id == team_id, Flag.event_id == event_id)
    return session.exec(query).first()


def flag_by_id(session: Session, *, team_id: str, flag_id: int) -> Flag | None:
    """A flag of this workspace."""
    flag = session.get(Flag, flag_id)
    return flag if flag is not None and flag.team_id == team_id else None


def read_evidence(session: Session, *, vault: Vault, team_id: str, evidence_id: int,
                  actor: str, action: str) -> dict:
    """Decrypt an evidence bundle, writing the access to the audit log."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.team_id != team_id:
        raise LookupError(f"no evidence {evidence_id} in this workspace")
    audit(session, team_id=team_id, actor=actor, action=action, subject=f"evidence:{evidence_id}")
    return vault.open(evidence.cipher)


def record_feedback(session: Session, *, team_id: str, flag_id: int, user_id: str,
                    verdict: str) -> bool:
    """Feedback on a flag from a person it was about; False if already given."""
    user_key = person_key(session, team_id, user_id)
    if session.exec(select(Feedback).where(Feedback.flag_id == flag_id,
                                           Feedback.user_key == user_key)).first():
        return False
    session.add(Feedback(team_id=team_id, flag_id=flag_id, user_key=user_key, verdict=verdict))
    return True


def answer_example(session: Session, *, team_id: str, flag_id: int, user_id: str,
                   keep: bool) -> bool:
    """Record whether a person who said "not hurtful to me" lets Haven keep the text as an
    example. True only the first time (a double click or a second answer changes nothing)."""
    result = session.exec(update(Feedback).where(
        Feedback.team_id == team_id, Feedback.flag_id == flag_id,
        Feedback.user_key == person_key(session, team_id, user_id),
        Feedback.verdict == "not_a_problem").values(verdict="example" if keep else "no_example"))
    return result.rowcount == 1


def audit(session: Session, *, team_id: str, actor: str, action: str, subject: str) -> None:
    """Append to the audit log (who did what to which evidence or case; never content)."""
    session.add(AuditLog(team_id=team_id, actor=actor, action=action, subject=subject))


# -- cases ---------------------------------------------------------------------------------
def new_case_number(session: Session, *, team_id: str) -> str:
    """A short, unambiguous case number not yet used in this workspace."""
    while True:
        number = "HVN-" + "".join(secrets.choice(CASE_ALPHABET) for _ in range(5))
        taken = session.exec(select(Case.id).where(Case.team_id == team_id,
                                                   Case.number == number)).first()
        if taken is None:
            return number


def open_case(session: Session, *, team_id: str, reporter_id: str, confidant_id: str | None,
              show_name: bool, evidence_id: int, flag_id: int | None,
              note_cipher: bytes | None = None, held: bool = False,
              author_key: str | None = None, categories: str = "",
              channel_group: str = "") -> Case:
    """A new case; without a confidant it waits, evidence kept, until one is configured;
    ``held`` waits for a second report about the same author."""
    status = "held" if held else ("open" if confidant_id else "awaiting_confidant")
    case = Case(team_id=team_id, number=new_case_number(session, team_id=team_id),
                show_name=show_name,
                evidence_id=evidence_id, flag_id=flag_id, note_cipher=note_cipher,
                status=status, author_key=author_key, categories=categories,
                channel_group=channel_group)
    case.reporter_id, case.confidant_id = reporter_id, confidant_id  # sealed at the flush
    session.add(case)
    if flag_id is not None:
        flag = session.get(Flag, flag_id)
        if flag is not None:
            flag.status = "reported"
            session.add(flag)
    session.flush()
    audit(session, team_id=team_id, actor="reporter", action="case_opened",
          subject=f"case:{case.number}")
    return case


def transition(session: Session, *, team_id: str, case_id: int, before: tuple[str, ...],
               after: str, **values) -> bool:
    """Move a case from one of the ``before`` statuses to ``after`` (and set ``values``) in
    one conditional UPDATE: of two simultaneous clicks, or two instances, exactly one wins.
    A new ``confidant_id`` is stored sealed, with its keyed hash."""
    if "confidant_id" in values:
        confidant = values.pop("confidant_id")
        values["confidant_key"] = person_key(session, team_id, confidant)
        values["confidant_cipher"] = vault_of(session).seal_bytes(confidant.encode()) \
            if confidant else None
    result = session.exec(update(Case).where(
        Case.id == case_id, Case.team_id == team_id, Case.status.in_(before)
    ).values(status=after, last_activity_at=utcnow(), **values))
    return result.rowcount == 1


def claim_delivery(session: Session, *, case_id: int) -> bool:
    """Claim a case's delivery to its confidant (one sender only); undone by
    :func:`release_delivery` when Slack did not take it."""
    result = session.exec(update(Case).where(
        Case.id == case_id, _delivery_due(utcnow())).values(delivered_at=utcnow()))
    return result.rowcount == 1


def release_delivery(session: Session, *, case_id: int) -> None:
    """The delivery failed: the sweep will try again."""
    session.exec(update(Case).where(Case.id == case_id).values(delivered_at=None))


def case_by_id(session: Session, *, team_id: str, case_id: int) -> Case | None:
    """A case of this workspace, or None (an id from another workspace finds nothing)."""
    case = session.get(Case, case_id)
    return case if case is not None and case.team_id == team_id else None


def join_held_cases(session: Session, *, team_id: str, case_id: int) -> list[int]:
    """If other reports about the same author are held, join them with this one: they get
    one joint key and leave the held state. Returns the joined case ids (with this one), or
    [] when there is nothing to join."""
    case = session.get(Case, case_id)
    if case is None or case.author_key is None:
        return []
    held = list(session.exec(select(Case).where(
        Case.team_id == team_id, Case.author_key == case.author_key, Case.status == "held",
        Case.id != case.id, Case.reporter_key != case.reporter_key).order_by(Case.id)))
    if not held:
        return []
    key = secrets.token_hex(8)
    for row in (*held, case):
        row.joint_key = key
        if row.status == "held":
            row.status = "open" if row.confidant_id else "awaiting_confidant"
        session.add(row)
    return [row.id for row in held] + [case.id]


def other_cases_about(session: Session, *, team_id: str, case: Case) -> int:
    """How many other delivered cases concern the same author (a count, nothing more)."""
    if case.author_key is None:
        return 0
    return session.exec(select(func.count()).select_from(Case).where(
        Case.team_id == team_id, Case.author_key == case.author_key, Case.id != case.id,
        Case.status.in_(["open", "acknowledged", "closed"]))).one()


def joint_numbers(session: Session, *, team_id: str, case: Case) -> tuple[str, ...]:
    """The numbers of the other reports delivered together with ``case``."""
    if case.joint_key is None:
        return ()
    return tuple(session.exec(select(Case.number).where(
        Case.team_id == team_id, Case.joint_key == case.joint_key, Case.id != case.id
    ).order_by(Case.id)))


def cases_of(session: Session, *, team_id: str, reporter_id: str | None = None,
             confidant_id: str | None = None, open_only: bool = False) -> list[Case]:
    """A person's cases, newest first: the ones they reported, or those sent to them."""
    query = select(Case).where(Case.team_id == team_id)
    if reporter_id is not None:
        query = query.where(Case.reporter_key == person_key(session, team_id, reporter_id))
    if confidant_id is not None:
        query = query.where(Case.confidant_key == person_key(session, team_id, confidant_id),
                            Case.status != "held")
    if open_only:
        query = query.where(Case.status.in_(["open", "acknowledged", "awaiting_confidant"]))
    return list(session.exec(query.order_by(Case.created_at.desc()).limit(50)))


def add_case_message(session: Session, *, vault: Vault, case: Case, sender: str,
                     text: str) -> CaseMessage:
    """A relay message, encrypted, not yet passed on."""
    row = CaseMessage(team_id=case.team_id, case_id=case.id, sender=sender,
                      cipher=vault.seal({"text": text})[0])
    session.add(row)
    case.last_activity_at = utcnow()
    if sender == "confidant" and case.first_response_at is None:
        case.first_response_at = utcnow()
    session.add(case)
    session.flush()
    return row


def unsent_case_messages(session: Session, *, older_than: timedelta = timedelta(minutes=1)
                         ) -> list[CaseMessage]:
    """Relay messages a failure left behind (for the sweep)."""
    return list(session.exec(select(CaseMessage).where(
        CaseMessage.posted_cipher.is_(None), CaseMessage.created_at < utcnow() - older_than)))


def case_messages(session: Session, *, team_id: str, case_id: int) -> list[CaseMessage]:
    """A case's relay, oldest first."""
    return list(session.exec(select(CaseMessage).where(
        CaseMessage.team_id == team_id, CaseMessage.case_id == case_id
    ).order_by(CaseMessage.id)))


def add_case_note(session: Session, *, vault: Vault, case: Case, text: str) -> CaseNote:
    """A note for the confidant alone, encrypted."""
    row = CaseNote(team_id=case.team_id, case_id=case.id, cipher=vault.seal({"text": text})[0])
    session.add(row)
    return row


def case_notes(session: Session, *, team_id: str, case_id: int) -> list[CaseNote]:
    """A case's notes, oldest first."""
    return list(session.exec(select(CaseNote).where(
        CaseNote.team_id == team_id, CaseNote.case_id == case_id).order_by(CaseNote.id)))


# -- images -------------------------------------------------------------------------------
def store_evidence_file(session: Session, *, vault: Vault, team_id: str, evidence_id: int,
                        data: bytes, mimetype: str) -> EvidenceFile:
    """Keep an image with its evidence, encrypted."""
    row = EvidenceFile(team_id=team_id, evidence_id=evidence_id,
                       cipher=vault.seal_bytes(data), sha256=hashlib.sha256(data).hexdigest(),
                       mimetype=mimetype[:100])
    session.add(row)
    return row


def add_known_image(session: Session, *, team_id: str, hashes: list[str], words: set[str],
                    label: str, added_by: str, layout: str = "") -> KnownImage:
    """Register an offensive image by its perceptual hashes, the words in it and where they
    stand (``layout``, as :func:`bot.images.encode_layout` writes it)."""
    row = KnownImage(team_id=team_id, hashes=",".join(hashes),
                     words=" ".join(sorted(words))[:2000], label=label[:200],
                     added_by=added_by, layout=layout if len(layout) <= 2000 else "")
    session.add(row)
    session.flush()
    return row


def known_images(session: Session, *, team_id: str | None = None) -> list[KnownImage]:
    """Known images of a workspace and those registered for every workspace; all of them
    when ``team_id`` is None (the command line)."""
    query = select(KnownImage)
    if team_id is not None:
        query = query.where(KnownImage.team_id.in_([team_id, ""]))
    return list(session.exec(query.order_by(KnownImage.id)))


def known_fingerprints(session: Session, *, team_id: str | None = None
                       ) -> list[tuple[int, list[str], set[str], list]]:
    """(id, hashes, words, layout) of the known images, as image matching wants them."""
    from bot.images import decode_layout

    return [(k.id, k.hashes.split(","), set(k.words.split()), decode_layout(k.layout))
            for k in known_images(session, team_id=team_id)]


def remove_known_image(session: Session, *, image_id: int) -> bool:
    """Forget a known image; False if there was none with that id."""
    row = session.get(KnownImage, image_id)
    if row is None:
        return False
    session.delete(row)
    return True


# -- retention and erasure ------------------------------------------------------------------
#: Retention settings (TeamSetting keys): default amount and unit. A month is 30 days.
RETENTION = {
    "flag_retention_days": (30, timedelta(days=1)),  # unreported flags, held reports, examples
    "case_retention_months": (12, timedelta(days=30)),  # closed and withdrawn cases
}
MAX_RETENTION = timedelta(days=36500)
DRAFT_RETENTION = timedelta(days=1)  # evidence kept for a report modal that was cancelled
EVENT_RETENTION = timedelta(days=7)  # Slack retries within minutes; ids need not live long
GONE = ("withdrawn", "expired")  # cases whose evidence is erased already
PURGED = ("flags", "cases", "examples", "drafts")


def _period(key: str, value: str | None) -> timedelta:
    default, unit = RETENTION[key]
    try:
        amount = int(value) if value else default
    except ValueError:
        amount = default
    return min((amount if amount > 0 else default) * unit, MAX_RETENTION)


def retention_period(session: Session, *, team_id: str, key: str) -> timedelta:
    """How long a workspace keeps what ``key`` (a RETENTION setting) governs; the default
    when the setting is absent or not a positive whole number."""
    return _period(key, get_setting(session, team_id=team_id, key=key))


def _older_than_retention(session: Session, column, team_column, key: str, now: datetime):
    """SQL condition: ``column`` lies beyond its workspace's retention ``key``. One clause
    per distinct setting, so a sweep loads only what is due."""
    teams_by_period: dict[timedelta, list[str]] = defaultdict(list)
    for row in session.exec(select(TeamSetting).where(TeamSetting.key == key)):
        teams_by_period[_period(key, row.value)].append(row.team_id)
    custom = [team for teams in teams_by_period.values() for team in teams]
    return or_(and_(team_column.not_in(custom), column < now - _period(key, None)),
               *(and_(team_column.in_(teams), column < now - period)
                 for period, teams in teams_by_period.items()))


def _delete_evidence(session: Session, evidence_ids: list[int]) -> None:
    if evidence_ids:
        session.exec(delete(EvidenceFile).where(EvidenceFile.evidence_id.in_(evidence_ids)))
        session.exec(delete(Evidence).where(Evidence.id.in_(evidence_ids)))


def _erase_evidence(session: Session, evidence_ids: set[int | None]) -> None:
    """Delete the evidence (and its files) among ``evidence_ids`` that no flag or case still
    refers to: a flag and the cases reporting it share one evidence row."""
    wanted = sorted(i for i in evidence_ids if i is not None)
    if not wanted:
        return
    session.flush()
    used = set(session.exec(select(Flag.evidence_id).where(Flag.evidence_id.in_(wanted))))
    used |= set(session.exec(select(Case.evidence_id).where(Case.evidence_id.in_(wanted))))
    _delete_evidence(session, [i for i in wanted if i not in used])


def _skeleton(session: Session, flag: Flag) -> int | None:
    """Reduce a flag to the anonymous tally the figures need (month, categories, channel
    group); its notices and feedback go. Returns the evidence it let go of."""
    for notice in session.exec(select(Notice).where(Notice.flag_id == flag.id,
                                                    Notice.dm_ts.is_not(None))):
        retract(session, team_id=flag.team_id, posted=f"{notice.dm_channel}:{notice.dm_ts}",
                kind="expire")
    session.exec(delete(Notice).where(Notice.flag_id == flag.id))
    session.exec(delete(Feedback).where(Feedback.flag_id == flag.id))
    evidence_id = flag.evidence_id
    flag.status, flag.evidence_id, flag.author_key, flag.message_ts = "expired", None, "", ""
    flag.event_id = f"expired:{flag.id}"
    session.add(flag)
    return evidence_id


def _release_flag(session: Session, case: Case) -> int | None:
    """The case's flag becomes a skeleton unless another live report still needs it."""
    if case.flag_id is None:
        return None
    session.flush()
    other = session.exec(select(Case.id).where(
        Case.flag_id == case.flag_id, Case.id != case.id, Case.status.not_in(GONE),
        Case.reporter_key != "")).first()
    flag = session.get(Flag, case.flag_id)
    if other is not None or flag is None or flag.status == "expired":
        return None
    return _skeleton(session, flag)


def _erase_case_contents(session: Session, case: Case) -> set[int | None]:
    """Delete a case's relay messages and notes, forget its note and evidence (and its
    flag's, when no other report needs it). Returns the evidence it let go of."""
    for message in session.exec(select(CaseMessage).where(
            CaseMessage.case_id == case.id, CaseMessage.posted_cipher.is_not(None))):
        retract(session, team_id=case.team_id, posted=message.posted, kind="delete")
    session.exec(delete(CaseMessage).where(CaseMessage.case_id == case.id))
    session.exec(delete(CaseNote).where(CaseNote.case_id == case.id))
    let_go = {case.evidence_id}
    case.evidence_id, case.note_cipher = None, None
    session.add(case)
    return let_go | {_release_flag(session, case)}


def _strip_case(session: Session, case: Case) -> set[int | None]:
    """Keep of a case only what the figures need: status, outcome, dates, categories,
    channel group. Nothing left says who reported, to whom, or about whom."""
    case.reporter_id, case.confidant_id, case.author_key = "", None, None
    for posted in (case.reporter_dm, case.confidant_dm):
        if posted:
            retract(session, team_id=case.team_id, posted=posted, kind="expire")
    case.reporter_dm, case.confidant_dm = None, None
    return _erase_case_contents(session, case)


def retract(session: Session, *, team_id: str, posted: str, kind: str,
            number: str | None = None) -> None:
    """Queue a message Haven sent for deletion or expiry in Slack (see :func:`retractions`)."""
    row = Retraction(team_id=team_id, kind=kind, number=number)
    row.posted = posted  # sealed at the flush: a DM's place says whose DM it is
    session.add(row)


#: A retraction Slack keeps refusing is given up after this long (logged as such).
RETRACTION_GIVE_UP = timedelta(days=30)


def retractions(session: Session, *, team_id: str | None = None,
                limit: int = 200) -> list[Retraction]:
    """Messages in Slack still to delete or expire and due now, oldest first; the caller
    deletes each row once Slack confirmed (:func:`retracted`) or reschedules it
    (:func:`retraction_failed`)."""
    now = utcnow()
    query = select(Retraction).where(or_(Retraction.due_at.is_(None), Retraction.due_at <= now))
    if team_id is not None:
        query = query.where(Retraction.team_id == team_id)
    return list(session.exec(query.order_by(Retraction.id).limit(limit)))


def retracted(session: Session, *, retraction_id: int) -> None:
    """Done with one retraction."""
    session.exec(delete(Retraction).where(Retraction.id == retraction_id))


def retraction_failed(session: Session, *, retraction_id: int) -> bool:
    """Slack did not confirm: try again after a backoff. False when it was given up."""
    row = session.get(Retraction, retraction_id)
    if row is None:
        return False
    now = utcnow()
    if _aware(row.created_at) < now - RETRACTION_GIVE_UP:
        session.delete(row)
        return False
    row.attempts += 1
    row.due_at = now + backoff(row.attempts)
    session.add(row)
    return True


def pending_retractions(session: Session, *, team_id: str) -> int:
    """Messages in Slack still waiting to be deleted or expired (a count, for admins)."""
    return session.exec(select(func.count()).select_from(Retraction).where(
        Retraction.team_id == team_id)).one()


def _due_flags(session: Session, now: datetime) -> list[Flag]:
    old = _older_than_retention(session, Flag.created_at, Flag.team_id,
                                "flag_retention_days", now)
    return list(session.exec(select(Flag).where(
        Flag.status.not_in(("reported", "expired")), old)))


def _due_cases(session: Session, now: datetime) -> list[Case]:
    held = and_(Case.status == "held", _older_than_retention(
        session, Case.created_at, Case.team_id, "flag_retention_days", now))
    ended = and_(Case.status.in_(("closed", "withdrawn")), Case.reporter_key != "",
                 _older_than_retention(session, Case.closed_at, Case.team_id,
                                       "case_retention_months", now))
    return list(session.exec(select(Case).where(or_(held, ended)).order_by(Case.id)))


def _due_examples(session: Session, now: datetime) -> list[Example]:
    old = _older_than_retention(session, Example.created_at, Example.team_id,
                                "flag_retention_days", now)
    return list(session.exec(select(Example).where(Example.text_cipher.is_not(None), old)))


def _drafts(session: Session, now: datetime) -> list[tuple[int, str]]:
    """(id, team) of evidence no flag or case refers to: a report modal that was cancelled."""
    flagged = select(Flag.evidence_id).where(Flag.evidence_id.is_not(None))
    reported = select(Case.evidence_id).where(Case.evidence_id.is_not(None))
    return list(session.exec(select(Evidence.id, Evidence.team_id).where(
        Evidence.created_at < now - DRAFT_RETENTION, Evidence.id.not_in(flagged),
        Evidence.id.not_in(reported))))


def purge(session: Session, *, now: datetime | None = None) -> Counter[str]:
    """Erase, in every workspace, what its retention settings say must not be kept:

    - unreported flags after ``flag_retention_days``: evidence, notices and feedback go, an
      anonymous skeleton stays for the figures;
    - held reports nobody joined, after ``flag_retention_days``: evidence, relay and notes go
      (status ``expired``); closed and withdrawn cases after ``case_retention_months``: the
      same, and who reported to whom, keeping status, outcome, dates and categories;
    - the text of examples for the model after ``flag_retention_days`` (the label stays);
    - evidence of cancelled reports after a day, handled-event ids after a week.

    Writes one audit row per workspace that lost something. Returns counts by kind."""
    now = now or datetime.now(UTC)
    erased: dict[str, Counter[str]] = defaultdict(Counter)
    let_go: set[int | None] = set()
    for flag in _due_flags(session, now):
        let_go.add(_skeleton(session, flag))
        erased[flag.team_id]["flags"] += 1
    for case in _due_cases(session, now):
        if case.status == "held":
            case.status = "expired"
        let_go |= _strip_case(session, case)
        erased[case.team_id]["cases"] += 1
    for example in _due_examples(session, now):
        example.text_cipher = None
        session.add(example)
        erased[example.team_id]["examples"] += 1
    _erase_evidence(session, let_go)
    drafts = _drafts(session, now)
    _delete_evidence(session, [evidence_id for evidence_id, _ in drafts])
    for _, team_id in drafts:
        erased[team_id]["drafts"] += 1
    session.exec(delete(ProcessedEvent).where(ProcessedEvent.received_at < now - EVENT_RETENTION))
    _audit_purge(session, erased)
    return sum(erased.values(), Counter())


def _audit_purge(session: Session, erased: dict[str, Counter[str]]) -> None:
    """One audit row per workspace that lost something: counts only."""
    for team_id, counts in erased.items():
        audit(session, team_id=team_id, actor="system", action="purge",
              subject=" ".join(f"{kind}:{counts[kind]}" for kind in PURGED))


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    """:func:`purge`, for the scheduled sweep. Returns the number of flags erased."""
    return purge(session, now=now)["flags"]


def withdraw_case(session: Session, *, team_id: str, case_id: int) -> list[str]:
    """The reporter withdraws a report: its evidence (and files), relay messages, notes and
    note are erased at once, and its flag too when no other report needs it. Returns where
    Haven's copies of the relay were posted ("channel:ts"), to delete them in Slack."""
    case = session.get(Case, case_id)
    if case is None or case.team_id != team_id:
        raise LookupError(f"no case {case_id} in this workspace")
    if case.status in GONE:
        return []
    # locked: a relay message being sent right now records where it went only after this
    # erasure, finds itself gone, and retracts its copy (casework._record_posted)
    posted = [m.posted for m in session.exec(select(CaseMessage).where(
        CaseMessage.case_id == case.id).order_by(CaseMessage.id).with_for_update()) if m.posted]
    now = utcnow()
    delivered = bool(case.confidant_id and case.delivered_at)
    if case.confidant_dm and delivered:  # the case DM no longer quotes anything
        retract(session, team_id=team_id, posted=case.confidant_dm, kind="withdrawn",
                number=case.number)
    if case.reporter_dm:
        retract(session, team_id=team_id, posted=case.reporter_dm,
                kind="withdrew" if delivered else "withdrew_u", number=case.number)
    case.status, case.outcome, case.closed_at, case.last_activity_at = \
        "withdrawn", "withdrawn", now, now
    # everything derived from the report goes too: a confidant's verdict kept as an example
    session.exec(delete(Example).where(Example.case_id == case.id))
    _erase_evidence(session, _erase_case_contents(session, case))
    audit(session, team_id=team_id, actor="reporter", action="case_withdrawn",
          subject=f"case:{case.number}")
    return posted


def record_example(session: Session, *, vault: Vault, team_id: str, source: str, label: str,
                   language: str, categories: str, text: str | None,
                   case_id: int | None = None) -> Example:
    """A labelled example for the model; its text is kept encrypted, and only while the
    workspace's flag retention allows. ``case_id``: the case whose verdict it came from
    (withdrawing the report erases it)."""
    cipher = vault.seal({"text": text})[0] if text is not None else None
    example = Example(team_id=team_id, source=source, label=label, language=language,
                      categories=categories, text_cipher=cipher, case_id=case_id)
    session.add(example)
    session.flush()
    return example


def purge_team(session: Session, *, team_id: str) -> None:
    """Erase everything Haven holds about a workspace (the app was uninstalled)."""
    for table in (Notice, Feedback, AuditLog, CaseMessage, CaseNote, Case, Flag, EvidenceFile,
                  Evidence, Example, KnownImage, Confidant, Admin, WatchedChannel, TeamSetting,
                  ProcessedEvent, SeenRequest, Retraction):
        session.exec(delete(table).where(table.team_id == team_id))


# -- the command line: audit log, exports ---------------------------------------------------
def audit_entries(session: Session, *, team_id: str | None = None,
                  since: datetime | None = None, limit: int = 100) -> list[AuditLog]:
    """The newest ``limit`` audit entries, oldest first; of every workspace when ``team_id``
    is None (the command line, run by the operator)."""
    query = select(AuditLog)
    if team_id is not None:
        query = query.where(AuditLog.team_id == team_id)
    if since is not None:
        query = query.where(AuditLog.at >= since)
    newest = session.exec(query.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit))
    return list(newest)[::-1]


def examples_with_text(session: Session) -> list[Example]:
    """Labelled examples whose text retention still keeps, in every workspace, oldest first
    (``haven feedback export``)."""
    return list(session.exec(select(Example).where(Example.text_cipher.is_not(None))
                             .order_by(Example.id)))


def cases_numbered(session: Session, *, number: str, team_id: str | None = None) -> list[Case]:
    """The case with this number in one workspace, or in each workspace that has one when
    ``team_id`` is None (the command line)."""
    query = select(Case).where(Case.number == number)
    if team_id is not None:
        query = query.where(Case.team_id == team_id)
    return list(session.exec(query.order_by(Case.team_id)))


def evidence_of(session: Session, *, team_id: str, evidence_id: int | None
                ) -> tuple[Evidence | None, list[EvidenceFile]]:
    """An evidence row of this workspace and its files; (None, []) if it was erased."""
    evidence = session.get(Evidence, evidence_id) if evidence_id is not None else None
    if evidence is None or evidence.team_id != team_id:
        return None, []
    files = session.exec(select(EvidenceFile).where(EvidenceFile.evidence_id == evidence.id)
                         .order_by(EvidenceFile.id))
    return evidence, list(files)
