"""Retention as the workspace set it: what expires is erased — from the rows and from the
bytes of the database file — and only an anonymous tally stays for the figures."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlmodel import Session, select

from bot.cli import main
from bot.config import sqlite_path
from bot.storage import queries as q
from bot.storage.crypto import Vault
from bot.storage.db import ERASED_TABLES, compact
from bot.storage.models import (
    AuditLog,
    Case,
    CaseMessage,
    CaseNote,
    Evidence,
    EvidenceFile,
    Example,
    Feedback,
    Flag,
    Notice,
)
from bot.storage.sealing import attach
from tests.postgres import every_value

NOW = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
SECRET = "Sanne, everyone knows you slept your way into that job"


@pytest.fixture
def db(tmp_path, monkeypatch, database_url, engine):
    """A fresh database (SQLite and PostgreSQL), its vault, the SQLite file (None on
    PostgreSQL), and the environment the `haven` command reads."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HAVEN_ENCRYPTION_KEY", key)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    vault = Vault((key,))
    attach(engine, vault)
    return engine, vault, sqlite_path(database_url)


def flag(session: Session, vault: Vault, *, team: str = "T1", age: timedelta,
         text: str = SECRET, status: str = "open") -> Flag:
    """A flag with evidence, a notice and feedback, created ``age`` before NOW."""
    when = NOW - age
    evidence = q.store_evidence(session, vault=vault, team_id=team,
                                bundle={"text": text, "author": "UAUTHOR", "channel": "CGEN"})
    evidence.created_at = when
    row = Flag(team_id=team, event_id=f"Ev{evidence.id}", channel_id="CGEN", message_ts="1.2",
               author_key="k" * 32, score=0.9, categories="insult,sexual", status=status,
               evidence_id=evidence.id, channel_group="Sales", created_at=when)
    session.add(row)
    session.flush()
    notice = Notice(team_id=team, flag_id=row.id)
    notice.user_id = "UTARGET"
    session.add(notice)
    session.add(Feedback(team_id=team, flag_id=row.id, user_key="t" * 32, verdict="benign"))
    session.flush()
    return row


def case(session: Session, vault: Vault, *, status: str, age: timedelta,
         closed: timedelta | None = None, team: str = "T1", flagged: Flag | None = None,
         posted: str | None = "DREP:1.1") -> Case:
    """A case on ``flagged`` (or a new flag), with a note, a relay message and a note."""
    flagged = flagged or flag(session, vault, team=team, age=age, status="reported")
    row = Case(team_id=team, number=q.new_case_number(session, team_id=team),
               flag_id=flagged.id,
               evidence_id=flagged.evidence_id, note_cipher=vault.seal({"note": SECRET})[0],
               status=status, author_key="k" * 32, categories="insult", channel_group="Sales",
               outcome="advice" if closed else None, created_at=NOW - age,
               closed_at=NOW - closed if closed else None)
    row.reporter_id, row.confidant_id = "UREPORTER", "UCONF"
    session.add(row)
    session.flush()
    message = CaseMessage(team_id=team, case_id=row.id, sender="reporter",
                          cipher=vault.seal({"text": SECRET})[0])
    message.posted = posted
    session.add(message)
    session.add(CaseNote(team_id=team, case_id=row.id, cipher=vault.seal({"text": SECRET})[0]))
    session.flush()
    return row


def count(session: Session, table, **where) -> int:
    query = select(table)
    for column, value in where.items():
        query = query.where(getattr(table, column) == value)
    return len(list(session.exec(query)))


def on_disk(path: Path) -> bytes:
    """Every byte SQLite keeps for the database: the file and its write-ahead log."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def secrets_in(engine, vault: Vault) -> list[bytes]:
    """An old flag with an image and a held report, committed; the ciphertexts they keep."""
    with Session(engine) as session:
        old = flag(session, vault, age=timedelta(days=31))
        held = case(session, vault, status="held", age=timedelta(days=31))
        image = q.store_evidence_file(session, vault=vault, team_id="T1",
                                      evidence_id=old.evidence_id,
                                      data=SECRET.encode() * 60, mimetype="image/png")
        session.flush()
        ciphers = [session.get(Evidence, old.evidence_id).cipher, image.cipher[:64],
                   held.note_cipher, session.get(Evidence, held.evidence_id).cipher]
        ciphers += [m.cipher for m in session.exec(select(CaseMessage))]
        session.commit()
    return ciphers


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_purge_leaves_neither_plaintext_nor_ciphertext_on_disk(db, capsys):
    engine, vault, path = db
    ciphers = secrets_in(engine, vault)
    engine.dispose()
    before = on_disk(path)
    assert all(cipher in before for cipher in ciphers)  # the test can see them

    assert main(["purge", "--now", NOW.isoformat()]) == 0
    assert capsys.readouterr().out.strip() == "erased 1 flag, 1 case, 0 examples, 0 drafts"
    after = on_disk(path)
    assert not any(cipher in after for cipher in ciphers)
    assert SECRET.encode() not in after and b"slept your way" not in after


def table_files(engine) -> dict[str, int]:
    """PostgreSQL's file number of each of Haven's tables (VACUUM FULL writes new files)."""
    with engine.connect() as connection:
        return dict(connection.exec_driver_sql(
            "SELECT relname, pg_relation_filenode(oid) FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace").all())


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_purge_erases_the_rows_and_rewrites_their_tables_on_postgresql(db, capsys):
    engine, vault, _ = db
    ciphers = secrets_in(engine, vault)
    before, files = every_value(engine), table_files(engine)
    assert all(cipher in before for cipher in ciphers)  # the test can see them

    assert main(["purge", "--now", NOW.isoformat()]) == 0
    assert capsys.readouterr().out.strip() == "erased 1 flag, 1 case, 0 examples, 0 drafts"
    after = every_value(engine)
    assert not any(cipher in after for cipher in ciphers)
    assert SECRET.encode() not in after
    rewritten = {name for name, file in table_files(engine).items() if files[name] != file}
    assert rewritten == {model.__tablename__ for model in ERASED_TABLES}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_compacting_gives_up_rather_than_wait_behind_a_reader_on_postgresql(db):
    engine, _vault, _ = db
    with engine.connect() as reader:
        reader.execute(select(Evidence)).all()  # holds its lock until the transaction ends
        started = time.monotonic()
        assert compact(engine) is False
        assert time.monotonic() - started < 5
    assert compact(engine) is True
    # The pooled connections went back as they were: the app's own queries may still wait.
    pooled = [engine.connect() for _ in range(engine.pool.checkedin())]
    assert [c.exec_driver_sql("SHOW lock_timeout").scalar() for c in pooled] == ["0", "0"]
    for connection in pooled:
        connection.close()


def test_purge_refuses_a_malformed_date_in_one_line(db, capsys):
    assert main(["purge", "--now", "next tuesday"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("haven: --now") and error.count("\n") == 1


def test_flag_retention_is_a_workspace_setting(db):
    engine, vault, _ = db
    with Session(engine) as session:
        q.set_setting(session, team_id="T7", key="flag_retention_days", value="7")
        short = flag(session, vault, team="T7", age=timedelta(days=8))
        kept = flag(session, vault, team="T30", age=timedelta(days=20))
        recent = flag(session, vault, team="T7", age=timedelta(days=6))
        assert q.purge_expired(session, now=NOW) == 1
        session.commit()
        assert q.purge_expired(session, now=NOW) == 0  # a skeleton is not erased twice
        for row in (kept, recent):
            session.refresh(row)
            assert row.status == "open" and row.evidence_id is not None
        session.refresh(short)
        assert count(session, Notice, flag_id=short.id) == 0
        assert count(session, Feedback, flag_id=short.id) == 0
        assert count(session, Evidence) == 2


def test_an_expired_flag_keeps_only_the_tally(db):
    engine, vault, _ = db
    with Session(engine) as session:
        row = flag(session, vault, age=timedelta(days=45))
        evidence_id, created = row.evidence_id, row.created_at
        q.purge_expired(session, now=NOW)
        session.commit()
        session.refresh(row)
        assert (row.status, row.evidence_id, row.author_key, row.message_ts) == \
            ("expired", None, "", "")
        assert row.event_id == f"expired:{row.id}"
        assert row.created_at.strftime("%Y-%m") == created.strftime("%Y-%m")
        assert (row.categories, row.channel_group, row.channel_id) == \
            ("insult,sexual", "Sales", "CGEN")
        assert session.get(Evidence, evidence_id) is None
        entry = session.exec(select(AuditLog).where(AuditLog.action == "purge")).one()
        assert (entry.actor, entry.subject) == ("system", "flags:1 cases:0 examples:0 drafts:0")


def test_closed_cases_are_stripped_after_the_case_retention_and_open_ones_never(db):
    engine, vault, _ = db
    with Session(engine) as session:
        old = case(session, vault, status="closed", age=timedelta(days=500),
                   closed=timedelta(days=370))
        young = case(session, vault, status="closed", age=timedelta(days=500),
                     closed=timedelta(days=300))
        forever = case(session, vault, status="acknowledged", age=timedelta(days=2000))
        q.purge(session, now=NOW)
        session.commit()
        for row in (old, young, forever):
            session.refresh(row)
        assert (old.status, old.outcome, old.categories, old.channel_group) == \
            ("closed", "advice", "insult", "Sales")
        assert (old.reporter_id, old.confidant_id, old.author_key, old.evidence_id,
                old.note_cipher) == ("", None, None, None, None)
        assert old.closed_at is not None and old.created_at is not None
        assert count(session, CaseMessage, case_id=old.id) == 0
        assert count(session, CaseNote, case_id=old.id) == 0
        assert session.get(Flag, old.flag_id).status == "expired"
        for row in (young, forever):
            assert row.reporter_id == "UREPORTER" and row.evidence_id is not None
            assert count(session, CaseMessage, case_id=row.id) == 1
        assert count(session, Evidence) == 2


def test_case_retention_is_a_workspace_setting(db):
    engine, vault, _ = db
    with Session(engine) as session:
        q.set_setting(session, team_id="T1", key="case_retention_months", value="1")
        short = case(session, vault, status="withdrawn", age=timedelta(days=90),
                     closed=timedelta(days=40))
        q.purge(session, now=NOW)
        session.refresh(short)
        assert short.status == "withdrawn" and short.reporter_id == ""


def test_held_reports_expire_with_the_flag_retention(db):
    engine, vault, _ = db
    with Session(engine) as session:
        held = case(session, vault, status="held", age=timedelta(days=31))
        waiting = case(session, vault, status="held", age=timedelta(days=29))
        counts = q.purge(session, now=NOW)
        session.refresh(held)
        session.refresh(waiting)
        assert counts["cases"] == 1 and held.status == "expired" and held.reporter_id == ""
        assert held.evidence_id is None and waiting.status == "held"


def test_example_texts_expire_and_labels_stay(db):
    engine, vault, _ = db
    with Session(engine) as session:
        old = q.record_example(session, vault=vault, team_id="T1", source="not_a_problem",
                               label="benign", language="en", categories="", text=SECRET)
        young = q.record_example(session, vault=vault, team_id="T1", source="confidant",
                                 label="harassing", language="nl", categories="insult",
                                 text="jij bent echt dom")
        old.created_at, young.created_at = NOW - timedelta(days=31), NOW - timedelta(days=1)
        assert vault.open(young.text_cipher) == {"text": "jij bent echt dom"}
        assert q.purge(session, now=NOW)["examples"] == 1
        assert old.text_cipher is None and old.label == "benign"
        assert young.text_cipher is not None


def test_cancelled_drafts_go_after_a_day(db):
    engine, vault, _ = db
    with Session(engine) as session:
        draft = q.store_evidence(session, vault=vault, team_id="T1", bundle={"text": SECRET})
        draft.created_at = NOW - timedelta(days=2)
        fresh = q.store_evidence(session, vault=vault, team_id="T1", bundle={"text": SECRET})
        fresh.created_at = NOW - timedelta(hours=2)
        assert q.purge(session, now=NOW)["drafts"] == 1
        assert count(session, Evidence) == 1


def test_withdrawing_erases_evidence_relay_and_notes_at_once(db):
    engine, vault, _ = db
    with Session(engine) as session:
        row = case(session, vault, status="acknowledged", age=timedelta(hours=3))
        session.add(CaseMessage(team_id="T1", case_id=row.id, sender="confidant",
                                posted="DCONF:2.2", cipher=vault.seal({"text": "hi"})[0]))
        flag_id, evidence_id = row.flag_id, row.evidence_id
        posted = q.withdraw_case(session, team_id="T1", case_id=row.id)
        session.commit()
        assert posted == ["DREP:1.1", "DCONF:2.2"]
        assert count(session, CaseMessage) == count(session, CaseNote) == 0
        assert session.get(Evidence, evidence_id) is None
        session.refresh(row)
        assert (row.status, row.outcome, row.evidence_id, row.note_cipher) == \
            ("withdrawn", "withdrawn", None, None)
        assert row.closed_at is not None
        skeleton = session.get(Flag, flag_id)
        assert skeleton.status == "expired" and skeleton.author_key == ""
        assert count(session, Notice) == count(session, Feedback) == 0
        entry = session.exec(select(AuditLog).where(AuditLog.action == "case_withdrawn")).one()
        assert entry.subject == f"case:{row.number}"
        with pytest.raises(LookupError):
            q.withdraw_case(session, team_id="T2", case_id=row.id)


def test_withdrawing_keeps_evidence_another_report_still_needs(db):
    engine, vault, _ = db
    with Session(engine) as session:
        first = case(session, vault, status="open", age=timedelta(hours=3), posted=None)
        shared = session.get(Flag, first.flag_id)
        second = case(session, vault, status="open", age=timedelta(hours=2), flagged=shared)
        assert q.withdraw_case(session, team_id="T1", case_id=first.id) == []
        session.refresh(second)
        assert session.get(Evidence, second.evidence_id) is not None
        assert shared.status == "reported" and count(session, Notice) == 1
        assert count(session, CaseMessage, case_id=second.id) == 1


def test_uninstalling_erases_relay_notes_and_examples_too(db):
    engine, vault, _ = db
    with Session(engine) as session:
        case(session, vault, status="open", age=timedelta(hours=1))
        q.record_example(session, vault=vault, team_id="T1", source="admin", label="benign",
                         language="en", categories="", text="fine")
        q.purge_team(session, team_id="T1")
        for table in (Case, CaseMessage, CaseNote, Example, Flag, Evidence, EvidenceFile):
            assert count(session, table) == 0
