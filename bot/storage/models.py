"""All of Haven's tables. Every row carries the workspace (``team_id``) it belongs to, and
its Enterprise Grid org (``enterprise_id``) when there is one: :func:`bot.storage.db.
make_engine` fills that in on every insert, from the workspace.

Message text, evidence, notes and relay messages are stored only encrypted (``*_cipher``
columns, see :mod:`bot.storage.crypto`); unflagged messages are never stored at all. Nor is
the Slack id of anyone a flag or case concerns, or where Haven's DMs to them are: those are
sealed or key-hashed (:mod:`bot.storage.sealing`). The roster and the admins stay readable:
every employee sees the roster, and neither says who reported whom.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.storage.sealing import sealed


def utcnow() -> datetime:
    """Timezone-aware now (stored as UTC)."""
    return datetime.now(UTC)


class Sealing:
    """For a table with sealed properties (:func:`bot.storage.sealing.sealed`): its
    constructor takes them like columns (SQLModel alone would drop them without a word)."""

    __sealed__ = True

    def __init__(self, **values):
        kind = type(self)
        properties = {k: values.pop(k) for k in list(values)
                      if isinstance(getattr(kind, k, None), property)}
        super().__init__(**values)
        for name, value in properties.items():
            setattr(self, name, value)


class TeamSetting(SQLModel, table=True):
    """A workspace setting (threshold, retention, ...) as text."""

    team_id: str = Field(primary_key=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=1000)


class WatchedChannel(SQLModel, table=True):
    """A channel an admin opted in; Haven reads no other channel."""

    team_id: str = Field(primary_key=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    channel_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(default="", max_length=100)
    is_private: bool = False
    threshold: float | None = None
    shadow: bool = False  # flags are recorded but nobody is notified (to tune the threshold)
    group: str = Field(default="", max_length=60)  # a label for figures ("Sales", ...)
    added_by: str = Field(max_length=32)
    added_at: datetime = Field(default_factory=utcnow)


class Confidant(SQLModel, table=True):
    """A person on the confidant roster."""

    team_id: str = Field(primary_key=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    user_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(default="", max_length=200)
    kind: str = Field(default="internal", max_length=20)  # internal | external
    description: str = Field(default="", max_length=300)  # shown to employees
    active: bool = True
    added_at: datetime = Field(default_factory=utcnow)


class Admin(SQLModel, table=True):
    """An admin who configured Haven: reminded when something needs an admin."""

    team_id: str = Field(primary_key=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    user_id: str = Field(primary_key=True, max_length=32)
    seen_at: datetime = Field(default_factory=utcnow)


class Evidence(SQLModel, table=True):
    """An encrypted snapshot: message text, author, channel, time, permalink, note."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    cipher: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    kept_by: str | None = Field(default=None, max_length=32)  # keyed hash of its reporter
    created_at: datetime = Field(default_factory=utcnow)


class Flag(SQLModel, table=True):
    """A message in a watched channel that scored above the threshold.

    When a flag expires its evidence, notices and author are erased; the row stays as an
    anonymous tally (month, categories, channel group) for the figures.
    """

    __table_args__ = (UniqueConstraint("team_id", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    event_id: str = Field(max_length=64)
    channel_id: str = Field(max_length=32)
    message_ts: str = Field(max_length=32)
    author_key: str = Field(default="", max_length=32)  # keyed hash of the author
    score: float
    categories: str = Field(default="", max_length=200)
    evidence_id: int | None = Field(default=None, foreign_key="evidence.id")
    status: str = Field(default="open", max_length=20)  # open|reported|dismissed|expired
    shadow: bool = False  # recorded in shadow mode: nobody was notified
    channel_group: str = Field(default="", max_length=60)
    created_at: datetime = Field(default_factory=utcnow)


class Notice(Sealing, SQLModel, table=True):
    """A private notice due to one affected person; sent exactly once."""

    # One notice per person per message, whichever instance handles the message or its edit.
    __table_args__ = (UniqueConstraint("flag_id", "user_key", name="uq_notice_flag_person"),
                      UniqueConstraint("team_id", "message_key", "user_key",
                                       name="uq_notice_message_person"))
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    flag_id: int = Field(foreign_key="flag.id", index=True)
    user_key: str = Field(default="", max_length=32)
    user_cipher: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    message_key: str | None = Field(default=None, max_length=64)  # "channel:ts"
    # pending | sending | sent | undelivered (Slack could not be reached for a whole day)
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    dm_channel_cipher: bytes | None = Field(default=None,
                                            sa_column=Column(LargeBinary, nullable=True))
    dm_ts: str | None = Field(default=None, max_length=32)
    sent_at: datetime | None = None  # while "sending": when the claim was taken or renewed
    created_at: datetime = Field(default_factory=utcnow)
    due_at: datetime | None = None  # a pending notice waits until then (backoff)
    claim: str | None = Field(default=None, max_length=32)  # who is sending it now

    user_id = sealed("user", keyed=True, blank="")  # the person it is for
    dm_channel = sealed("dm_channel")


class Case(Sealing, SQLModel, table=True):
    """A report to a confidant. Only its reporter and its confidant ever see it.

    Status: ``held`` (waiting for a second report about the same author), ``awaiting_
    confidant`` (no roster yet), ``open`` (sent), ``acknowledged``, ``closed``, ``withdrawn``
    (evidence, relay and notes erased), ``expired`` (a held report nobody joined). After the
    retention period a closed case keeps only what the anonymous figures need.
    """

    __table_args__ = (UniqueConstraint("team_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    number: str = Field(max_length=16)
    reporter_key: str = Field(default="", index=True, max_length=32)  # "" once erased
    reporter_cipher: bytes | None = Field(default=None,
                                          sa_column=Column(LargeBinary, nullable=True))
    confidant_key: str | None = Field(default=None, index=True, max_length=32)
    confidant_cipher: bytes | None = Field(default=None,
                                           sa_column=Column(LargeBinary, nullable=True))
    show_name: bool = False
    flag_id: int | None = Field(default=None, foreign_key="flag.id")
    evidence_id: int | None = Field(default=None, foreign_key="evidence.id")
    note_cipher: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    status: str = Field(default="open", max_length=30)
    author_key: str | None = Field(default=None, index=True, max_length=64)  # keyed hash
    joint_key: str | None = Field(default=None, max_length=16)  # reports delivered together
    categories: str = Field(default="", max_length=200)
    channel_group: str = Field(default="", max_length=60)
    outcome: str | None = Field(default=None, max_length=20)  # advice|referred|withdrawn|other
    confidant_dm_cipher: bytes | None = Field(default=None,
                                              sa_column=Column(LargeBinary, nullable=True))
    reporter_dm_cipher: bytes | None = Field(default=None,
                                             sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None
    acknowledged_at: datetime | None = None
    first_response_at: datetime | None = None
    last_activity_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    export_consent_at: datetime | None = None

    reporter_id = sealed("reporter", keyed=True, blank="")
    confidant_id = sealed("confidant", keyed=True)
    confidant_dm = sealed("confidant_dm")  # "channel:ts" of the case DM
    reporter_dm = sealed("reporter_dm")


class CaseMessage(Sealing, SQLModel, table=True):
    """A relay message between reporter and confidant, encrypted. ``posted`` is where
    Haven's copy went ("channel:ts"), so it can be removed when the case is withdrawn."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    case_id: int = Field(foreign_key="case.id", index=True)
    sender: str = Field(max_length=20)  # reporter | confidant
    cipher: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    posted_cipher: bytes | None = Field(default=None,
                                        sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)

    posted = sealed("posted")


class CaseNote(SQLModel, table=True):
    """A note the confidant keeps for themself, encrypted; nobody else ever sees it."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    case_id: int = Field(foreign_key="case.id", index=True)
    cipher: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Example(SQLModel, table=True):
    """A labelled example for the model: "Not a problem" clicks, confidants' outcomes,
    admins' corrections. Its text is kept (encrypted) only while retention allows."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    source: str = Field(max_length=30)  # not_a_problem | confidant | admin
    label: str = Field(max_length=20)  # harassing | benign
    case_id: int | None = Field(default=None, index=True)  # a confidant's verdict on a case
    language: str = Field(default="", max_length=8)
    categories: str = Field(default="", max_length=200)
    text_cipher: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)


class Feedback(SQLModel, table=True):
    """"Not a problem" from an affected person: feedback for the model, nothing more."""

    __table_args__ = (UniqueConstraint("flag_id", "user_key", name="uq_feedback_flag_person"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    flag_id: int = Field(foreign_key="flag.id")
    user_key: str = Field(max_length=32)  # keyed hash of the person who gave it
    verdict: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow)


class ProcessedEvent(SQLModel, table=True):
    """Events already handled: Slack retries, and several instances may receive one."""

    event_id: str = Field(primary_key=True, max_length=64)
    team_id: str = Field(default="", max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    received_at: datetime = Field(default_factory=utcnow)


class Retraction(Sealing, SQLModel, table=True):
    """A message Haven sent that must go now that what it showed was erased: ``delete`` it
    (a relay message), ``expire`` it (replace a notice or a case DM by a short note), or
    mark a case DM ``withdrawn``. The row stays until Slack confirms."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    posted_cipher: bytes | None = Field(default=None,
                                        sa_column=Column(LargeBinary, nullable=True))
    kind: str = Field(max_length=10)  # delete | expire | withdrawn | withdrew | withdrew_u
    number: str | None = Field(default=None, max_length=16)  # the case a "withdrawn" names
    attempts: int = 0
    due_at: datetime | None = None  # after a Slack failure: tried again from then on
    created_at: datetime = Field(default_factory=utcnow)

    posted = sealed("posted")  # "channel:ts"


class SeenRequest(SQLModel, table=True):
    """Signed interactive requests already taken: a replayed one is refused, whichever
    instance it reaches (the key is the request's signature; kept for ten minutes)."""

    key: str = Field(primary_key=True, max_length=64)
    team_id: str = Field(default="", max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    at: datetime = Field(default_factory=utcnow, index=True)


class AuditLog(SQLModel, table=True):
    """Every view of evidence, export, setting change and purge: who, what, when (never
    the content)."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=32)
    action: str = Field(max_length=40)
    subject: str = Field(max_length=64)


class EvidenceFile(SQLModel, table=True):
    """An image kept as evidence (encrypted), with its SHA-256."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    evidence_id: int = Field(foreign_key="evidence.id", index=True)
    cipher: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    mimetype: str = Field(default="", max_length=100)


class KnownImage(SQLModel, table=True):
    """An image an admin marked as offensive: only its perceptual hashes are kept.

    ``team_id`` is empty for images registered from the command line (``haven images add``),
    which apply to every workspace of this installation.
    """

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(default="", index=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # Grid org
    hashes: str = Field(max_length=200)  # comma-separated hex pHashes: whole, centre
    words: str = Field(default="", max_length=2000)  # the words read in it, space-separated
    layout: str = Field(default="", max_length=2000)  # where they stand (bot.images.encode_layout)
    label: str = Field(default="", max_length=200)
    added_by: str = Field(default="", max_length=32)
    added_at: datetime = Field(default_factory=utcnow)


class SealedSecret(SQLModel, table=True):
    """A secret of this installation (not of one workspace), encrypted with the Fernet keys:
    the key of the keyed hashes, made once so that a key rotation does not change it."""

    name: str = Field(primary_key=True, max_length=64)
    team_id: str = Field(default="", max_length=32)  # "": the whole installation
    enterprise_id: str | None = Field(default=None, max_length=32)
    cipher: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
