"""Every read and write of Haven's data. Keyword-only functions that take a session.

Every function is scoped to one workspace (``team_id``): no query crosses workspaces.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from bot.storage.crypto import Vault
from bot.storage.models import (
    Admin,
    AuditLog,
    Case,
    Confidant,
    Evidence,
    EvidenceFile,
    Feedback,
    Flag,
    KnownImage,
    Notice,
    ProcessedEvent,
    TeamSetting,
    WatchedChannel,
    utcnow,
)

CASE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone
MAX_NOTICE_ATTEMPTS = 5


# -- events -------------------------------------------------------------------------------
def claim_event(session: Session, *, event_id: str, team_id: str) -> None:
    """Record an event as handled, in the caller's transaction: committing it raises
    IntegrityError if the event was handled already (a retry, or another instance)."""
    session.add(ProcessedEvent(event_id=event_id, team_id=team_id))
    session.flush()


# -- settings, channels, roster ------------------------------------------------------------
def get_setting(session: Session, *, team_id: str, key: str) -> str | None:
    """A workspace setting, or None."""
    row = session.get(TeamSetting, (team_id, key))
    return row.value if row else None


def set_setting(session: Session, *, team_id: str, key: str, value: str) -> None:
    """Create or replace a workspace setting."""
    session.merge(TeamSetting(team_id=team_id, key=key, value=value))


def watched_channel(session: Session, *, team_id: str, channel_id: str) -> WatchedChannel | None:
    """The watch-list entry of a channel, or None when Haven must not read it."""
    return session.get(WatchedChannel, (team_id, channel_id))


def watch(session: Session, *, team_id: str, channel_id: str, name: str,
          admin_id: str, is_private: bool = False) -> bool:
    """Opt a channel in; False if it already was."""
    if watched_channel(session, team_id=team_id, channel_id=channel_id):
        return False
    session.add(WatchedChannel(team_id=team_id, channel_id=channel_id, name=name,
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


def add_confidant(session: Session, *, team_id: str, user_id: str, name: str) -> bool:
    """Put someone on the roster (again); False if they already were."""
    row = session.get(Confidant, (team_id, user_id))
    if row is not None and row.active:
        return False
    session.merge(Confidant(team_id=team_id, user_id=user_id, name=name, active=True))
    return True


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
def store_evidence(session: Session, *, vault: Vault, team_id: str, bundle: dict) -> Evidence:
    """Encrypt and add an evidence bundle."""
    cipher, digest = vault.seal(bundle)
    evidence = Evidence(team_id=team_id, cipher=cipher, sha256=digest)
    session.add(evidence)
    session.flush()
    return evidence


def record_flag(session: Session, *, vault: Vault, team_id: str, event_id: str,
                channel_id: str, message_ts: str, author_id: str, score: float,
                categories: list[str], bundle: dict, affected: list[str]) -> Flag:
    """Flag, evidence and one pending notice per affected person, in the caller's transaction
    (committed before anyone is notified)."""
    evidence = store_evidence(session, vault=vault, team_id=team_id, bundle=bundle)
    flag = Flag(team_id=team_id, event_id=event_id, channel_id=channel_id,
                message_ts=message_ts, author_id=author_id, score=score,
                categories=",".join(categories), evidence_id=evidence.id)
    session.add(flag)
    session.flush()
    for user_id in affected:
        session.add(Notice(team_id=team_id, flag_id=flag.id, user_id=user_id))
    return flag


def pending_notices(session: Session, *, team_id: str | None = None,
                    limit: int = 100) -> list[Notice]:
    """Notices not yet delivered (after a crash or a Slack outage)."""
    query = select(Notice).where(Notice.status == "pending",
                                 Notice.attempts < MAX_NOTICE_ATTEMPTS)
    if team_id is not None:
        query = query.where(Notice.team_id == team_id)
    return list(session.exec(query.order_by(Notice.id).limit(limit)))


def noticed_about_message(session: Session, *, team_id: str, channel_id: str,
                          message_ts: str) -> set[str]:
    """People already given a notice about this message (an edit must not notify again)."""
    query = select(Notice.user_id).join(Flag, Flag.id == Notice.flag_id).where(
        Flag.team_id == team_id, Flag.channel_id == channel_id, Flag.message_ts == message_ts)
    return set(session.exec(query))


def claim_notice(session: Session, *, notice_id: int) -> bool:
    """Mark a pending notice as being sent; False if someone else already claimed it."""
    result = session.exec(update(Notice).where(Notice.id == notice_id,
                                               Notice.status == "pending")
                          .values(status="sending", attempts=Notice.attempts + 1))
    return result.rowcount == 1


def release_notice(session: Session, *, notice_id: int) -> None:
    """A send failed: back to pending for the next sweep, or failed after too many tries."""
    notice = session.get(Notice, notice_id)
    notice.status = "failed" if notice.attempts >= MAX_NOTICE_ATTEMPTS else "pending"
    session.add(notice)


def notice_sent(session: Session, *, notice_id: int, dm_channel: str, dm_ts: str) -> None:
    """Record a delivered notice and where it is (to update it later)."""
    notice = session.get(Notice, notice_id)
    notice.status, notice.dm_channel, notice.dm_ts, notice.sent_at = \
        "sent", dm_channel, dm_ts, utcnow()
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
    cutoff = datetime.now(UTC) - older_than
    return list(session.exec(select(Case).where(
        Case.confidant_id.is_not(None), Case.delivered_at.is_(None),
        Case.created_at < cutoff).limit(100)))


def notices_for_flag(session: Session, *, team_id: str, flag_id: int) -> list[Notice]:
    """The notices of one flag."""
    query = select(Notice).where(Notice.team_id == team_id, Notice.flag_id == flag_id)
    return list(session.exec(query))


def notice_for(session: Session, *, team_id: str, flag_id: int, user_id: str) -> Notice | None:
    """The notice a person received about a flag: proof they may act on it."""
    query = select(Notice).where(Notice.team_id == team_id, Notice.flag_id == flag_id,
                                 Notice.user_id == user_id)
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
    if session.exec(select(Feedback).where(Feedback.flag_id == flag_id,
                                           Feedback.user_id == user_id)).first():
        return False
    session.add(Feedback(team_id=team_id, flag_id=flag_id, user_id=user_id, verdict=verdict))
    return True


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
              note_cipher: bytes | None = None) -> Case:
    """A new case; without a confidant it waits, evidence kept, until one is configured."""
    case = Case(team_id=team_id, number=new_case_number(session, team_id=team_id),
                reporter_id=reporter_id, confidant_id=confidant_id, show_name=show_name,
                evidence_id=evidence_id, flag_id=flag_id, note_cipher=note_cipher,
                status="open" if confidant_id else "awaiting_confidant")
    session.add(case)
    if flag_id is not None:
        flag = session.get(Flag, flag_id)
        if flag is not None:
            flag.status = "reported"
            session.add(flag)
    session.flush()
    audit(session, team_id=team_id, actor=reporter_id, action="case_opened",
          subject=f"case:{case.number}")
    return case


# -- figures -------------------------------------------------------------------------------
SMALL_COUNT = 5


def suppressed(count: int) -> str:
    """A count as admins may see it: small numbers could identify someone."""
    return str(count) if count >= SMALL_COUNT else f"fewer than {SMALL_COUNT}"


def activity(session: Session, *, team_id: str, days: int = 30) -> dict[str, str]:
    """Anonymous aggregate figures for admins: flags and cases in the last ``days``."""
    since = datetime.now(UTC) - timedelta(days=days)
    flags = session.exec(select(func.count()).select_from(Flag).where(
        Flag.team_id == team_id, Flag.created_at >= since)).one()
    cases = session.exec(select(func.count()).select_from(Case).where(
        Case.team_id == team_id, Case.created_at >= since)).one()
    return {"flags": suppressed(flags), "cases": suppressed(cases)}


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
                    label: str, added_by: str) -> KnownImage:
    """Register an offensive image by its perceptual hashes and the words in it."""
    row = KnownImage(team_id=team_id, hashes=",".join(hashes),
                     words=" ".join(sorted(words))[:2000], label=label[:200],
                     added_by=added_by)
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
                       ) -> list[tuple[int, list[str], set[str]]]:
    """(id, hashes, words) of the known images, as image matching wants them."""
    return [(k.id, k.hashes.split(","), set(k.words.split()))
            for k in known_images(session, team_id=team_id)]


def remove_known_image(session: Session, *, image_id: int) -> bool:
    """Forget a known image; False if there was none with that id."""
    row = session.get(KnownImage, image_id)
    if row is None:
        return False
    session.delete(row)
    return True


# -- retention and erasure ------------------------------------------------------------------
FLAG_RETENTION = timedelta(days=30)  # a flag nobody reported is forgotten after this
DRAFT_RETENTION = timedelta(days=1)  # evidence kept for a report modal that was cancelled
EVENT_RETENTION = timedelta(days=7)  # Slack retries within minutes; ids need not live long


def _delete_evidence(session: Session, evidence_ids: list[int]) -> None:
    if evidence_ids:
        session.exec(delete(EvidenceFile).where(EvidenceFile.evidence_id.in_(evidence_ids)))
        session.exec(delete(Evidence).where(Evidence.id.in_(evidence_ids)))


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    """Erase what the privacy model says must not be kept: flags nobody reported (with their
    evidence, notices and feedback) after FLAG_RETENTION, evidence of cancelled reports after
    DRAFT_RETENTION, and handled-event ids after EVENT_RETENTION. Returns flags erased."""
    now = now or datetime.now(UTC)
    flags = list(session.exec(select(Flag).where(Flag.status != "reported",
                                                 Flag.created_at < now - FLAG_RETENTION)))
    flag_ids = [f.id for f in flags]
    if flag_ids:
        session.exec(delete(Notice).where(Notice.flag_id.in_(flag_ids)))
        session.exec(delete(Feedback).where(Feedback.flag_id.in_(flag_ids)))
        session.exec(delete(Flag).where(Flag.id.in_(flag_ids)))
        kept = set(session.exec(select(Case.evidence_id)))
        _delete_evidence(session, [f.evidence_id for f in flags if f.evidence_id not in kept])
    used = set(session.exec(select(Flag.evidence_id))) | set(session.exec(select(Case.evidence_id)))
    drafts = [e for e in session.exec(select(Evidence.id).where(
        Evidence.created_at < now - DRAFT_RETENTION)) if e not in used]
    _delete_evidence(session, drafts)
    session.exec(delete(ProcessedEvent).where(ProcessedEvent.received_at < now - EVENT_RETENTION))
    return len(flag_ids)


def purge_team(session: Session, *, team_id: str) -> None:
    """Erase everything Haven holds about a workspace (the app was uninstalled)."""
    for table in (Notice, Feedback, AuditLog, Case, Flag, EvidenceFile, Evidence, KnownImage,
                  Confidant, Admin, WatchedChannel, TeamSetting, ProcessedEvent):
        session.exec(delete(table).where(table.team_id == team_id))
