"""The key and the identities at rest: Haven refuses to start with a key that cannot open the
evidence it holds, keeps linking reports across a key rotation, and a stolen database file
names nobody."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.slack_double import BOT_TOKEN, SIGNING_SECRET, wait_for

ROOT = Path(__file__).resolve().parent.parent


# -- 12: a missing or broken key file --------------------------------------------------------
def haven(folder: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    """The `haven` command in ``folder`` (its data directory), as an operator runs it."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "HAVEN_")) and k != "DATABASE_URL"}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
               SLACK_API_URL="http://127.0.0.1:9/api/", PORT="9", PYTHONPATH=str(ROOT),
               HAVEN_DATA_DIR=str(folder), **extra)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)


def with_evidence(folder: Path) -> str:
    """A SQLite installation in ``folder`` holding one piece of evidence; returns its key."""
    from bot.storage import queries as q
    from bot.storage.crypto import Vault
    from bot.storage.db import make_engine, migrate, session_scope

    key = Fernet.generate_key().decode()
    vault = Vault((key,))
    engine = make_engine(f"sqlite:///{folder / 'haven.db'}")
    migrate(engine, vault=vault)
    with session_scope(engine) as session:
        q.store_evidence(session, vault=vault, team_id="T1", bundle={"text": "evidence"})
    engine.dispose()
    (folder / "haven.key").write_text(key + "\n", encoding="ascii")
    return key


def refused(out: subprocess.CompletedProcess, *needles: str) -> None:
    """Exit status 2, one line on stderr that says how to restore the key, no traceback."""
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("haven: "), out.stderr
    assert "Traceback" not in out.stderr
    assert "backup" in lines[0] and "HAVEN_ENCRYPTION_KEY" in lines[0]
    for needle in needles:
        assert needle in lines[0]


BROKEN_KEY_FILES = {
    "empty": b"",
    "blank": b"  \n",
    "not ascii": "sleutel-é€-🙂".encode(),
    "not a fernet key": b"this-is-not-a-fernet-key\n",
    "binary": bytes(range(256)),
}


@pytest.mark.parametrize("content", BROKEN_KEY_FILES.values(), ids=BROKEN_KEY_FILES.keys())
def test_serve_refuses_a_broken_key_file_with_one_line(tmp_path, content):
    with_evidence(tmp_path)
    (tmp_path / "haven.key").write_bytes(content)
    refused(haven(tmp_path, "serve"), str(tmp_path / "haven.key"))


def test_serve_refuses_a_key_path_that_is_a_directory(tmp_path):
    (tmp_path / "haven.key").mkdir()
    refused(haven(tmp_path, "serve"), "directory")


def test_a_missing_key_file_with_evidence_is_not_replaced_by_a_new_key(tmp_path):
    with_evidence(tmp_path)
    (tmp_path / "haven.key").unlink()
    refused(haven(tmp_path, "serve"), "haven.key")
    assert not (tmp_path / "haven.key").exists()  # a new key would orphan the evidence


@pytest.mark.parametrize("command", [("serve",), ("migrate",), ("feedback", "export"),
                                     ("case", "export", "HVN-AAAAA"), ("purge",)])
def test_every_command_refuses_a_key_that_cannot_open_the_evidence(tmp_path, command):
    with_evidence(tmp_path)
    (tmp_path / "haven.key").write_text(Fernet.generate_key().decode(), encoding="ascii")
    refused(haven(tmp_path, *command), "cannot decrypt")


def test_an_environment_key_that_cannot_open_the_evidence_is_refused(tmp_path):
    with_evidence(tmp_path)
    refused(haven(tmp_path, "serve", HAVEN_ENCRYPTION_KEY=Fernet.generate_key().decode()),
            "cannot decrypt")


def test_the_old_key_after_a_new_one_opens_the_evidence(tmp_path):
    old = with_evidence(tmp_path)
    out = haven(tmp_path, "feedback", "export",
                HAVEN_ENCRYPTION_KEY=f"{Fernet.generate_key().decode()},{old}")
    assert out.returncode == 0, out.stderr


def test_a_fresh_install_creates_its_key_file(tmp_path):
    out = haven(tmp_path, "migrate")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "haven.key").is_file() and "created the key file" in out.stderr
    key = (tmp_path / "haven.key").read_text(encoding="ascii").strip()
    assert haven(tmp_path, "feedback", "export").returncode == 0
    assert (tmp_path / "haven.key").read_text(encoding="ascii").strip() == key


# -- 16: key rotation keeps "report together" ------------------------------------------------
def running(tmp_path: Path, model, database_url: str, keys: str):
    from bot.demo import LocalHaven

    return LocalHaven(tmp_path, env={"DATABASE_URL": database_url, "HAVEN_ENCRYPTION_KEY": keys},
                      model_loader=lambda: model)


def test_reports_about_one_author_still_meet_after_a_key_rotation(tmp_path, model,
                                                                   database_url):
    from bot import render
    from bot.demo import COLLEAGUE, CONFIDANT, DUTCH, TARGET
    from tests.test_cases import cases_sent, last_dm, report

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with running(tmp_path, model, database_url, old) as local:
        report(local, reporter=COLLEAGUE)  # delivered: a case about Mark
        report(local, reporter=TARGET, hold=True, first=False)  # held for a second report
    with running(tmp_path, model, database_url, f"{new},{old}") as local:  # rotated
        report(local, reporter=DUTCH, first=False)
        intro = last_dm(local, CONFIDANT, "Joint case")  # the held report joined it
        assert "2 people" in intro["text"]
        assert wait_for(lambda: len(cases_sent(local)) == 2)
        counts = [render.blocks(c["blocks"]) for c in cases_sent(local)]
        assert all("Other cases about the same author:* 2" in c for c in counts), counts


def test_the_hash_key_outlives_the_key_it_was_first_sealed_with(engine):
    from bot.storage.crypto import Vault
    from bot.storage.identity import attach

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = Vault((old,))
    attach(engine, before)
    linked = before.keyed_hash("T1:U0MARK001")
    rotated = Vault((new, old))
    attach(engine, rotated)
    assert rotated.keyed_hash("T1:U0MARK001") == linked  # and it is resealed with `new`...
    retired = Vault((new,))
    attach(engine, retired)
    assert retired.keyed_hash("T1:U0MARK001") == linked  # ...so `old` can go


def at_revision(database_url: str, revision: str):
    """An engine on a database migrated only up to ``revision`` (an older Haven)."""
    from alembic import command
    from alembic.config import Config

    from bot.storage.db import make_engine, migrations_path

    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(migrations_path()))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return engine


def test_cases_linked_before_the_upgrade_stay_linked(database_url):
    import hashlib
    import hmac

    from sqlalchemy import text

    from bot.storage.crypto import Vault
    from bot.storage.db import migrate
    from bot.storage.identity import attach

    engine = at_revision(database_url, "0008")
    vault = Vault((Fernet.generate_key().decode(),))
    legacy = vault.first_key_hash_key()  # how Haven keyed its hashes before revision 0010
    held = hmac.new(legacy, b"T1:U0MARK001", hashlib.sha256).hexdigest()[:32]
    with engine.begin() as connection:
        connection.execute(text(
            'INSERT INTO "case" (team_id, number, reporter_id, status, author_key, show_name, '
            "categories, channel_group, created_at, last_activity_at) VALUES ('T1', "
            "'HVN-AAAAA', 'U0SANNE01', 'held', :k, false, '', '', CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP)"), {"k": held})
    migrate(engine, vault)
    attach(engine, vault)
    assert vault.keyed_hash("T1:U0MARK001") == held
    engine.dispose()


# -- 17: who reported whom is not in the database file ---------------------------------------
def every_row(engine) -> dict[str, str]:
    """Each table's rows as text, every value of every column (what a stolen file shows)."""
    from sqlalchemy import MetaData, select

    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        return {name: "\n".join(" ".join(_text(v) for v in row)
                                for row in connection.execute(select(table)))
                for name, table in tables.tables.items()}


def _text(value) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1")
    return str(value)


def test_a_stolen_database_names_nobody_who_reported_was_reported_or_was_told(local):
    from bot import blocks
    from bot.demo import ADMIN, AUTHOR, COLLEAGUE, CONFIDANT, GENERAL, TARGET
    from tests.test_cases import HURTFUL, last_dm, report, write

    case_dm = report(local)  # a flag, a notice, an anonymous report to the confidant
    write(local, CONFIDANT, case_dm, blocks.REPLY_BUTTON, "Shall we talk?")  # the relay
    last_dm(local, TARGET, "Your confidant wrote")
    local.player.message(AUTHOR, GENERAL, f"<@{COLLEAGUE}> {HURTFUL}")  # another flag ...
    notice = wait_for(lambda: [m for m in local.double.dms_to(COLLEAGUE)
                               if any(b.get("block_id") == "notice_actions"
                                      for b in m["blocks"])])[-1]
    local.player.click(COLLEAGUE, notice, blocks.DISMISS_BUTTON)  # ... "not a problem"
    assert wait_for(lambda: "feedback" in every_row(local.haven.engine) and
                    every_row(local.haven.engine)["feedback"])
    local.player.shortcut(TARGET, GENERAL, {"ts": "1.1", "user": AUTHOR, "text": HURTFUL},
                          blocks.REPORT_SHORTCUT)  # evidence kept for a report
    assert wait_for(lambda: every_row(local.haven.engine)["evidence"].count("\n") >= 2)
    dump = every_row(local.haven.engine)
    for person in (TARGET, AUTHOR, COLLEAGUE, CONFIDANT):
        found = [table for table, text in dump.items() if person in text]
        # the roster is shown to every employee; it says nothing about any case
        assert found in ([], ["confidant"] if person == CONFIDANT else []), (person, found)
    assert ADMIN in dump["watchedchannel"]  # the dump does show ids that are stored


def test_the_upgrade_seals_the_ids_already_stored(database_url):
    from sqlalchemy import text
    from sqlmodel import Session

    from bot.config import SettingsError
    from bot.storage import queries as q
    from bot.storage.crypto import Vault
    from bot.storage.db import migrate
    from bot.storage.sealing import attach

    engine = at_revision(database_url, "0008")  # an older Haven, ids in the clear
    rows = [
        "INSERT INTO evidence (id, team_id, cipher, sha256, kept_by, created_at) VALUES "
        "(1, 'T1', :cipher, '', 'U0SANNE01', CURRENT_TIMESTAMP)",
        "INSERT INTO flag (id, team_id, event_id, channel_id, message_ts, author_id, score, "
        "categories, evidence_id, status, shadow, channel_group, created_at) VALUES (1, 'T1', "
        "'Ev1', 'C1', '1.1', 'U0MARK001', 0.9, '', 1, 'reported', false, '', "
        "CURRENT_TIMESTAMP)",
        "INSERT INTO notice (team_id, flag_id, user_id, message_key, status, attempts, "
        "dm_channel, dm_ts) VALUES ('T1', 1, 'U0SANNE01', 'C1:1.1', 'sent', 1, 'DU0SANNE01', "
        "'2.2')",
        "INSERT INTO feedback (team_id, flag_id, user_id, verdict, created_at) VALUES "
        "('T1', 1, 'U0SANNE01', 'benign', CURRENT_TIMESTAMP)",
        'INSERT INTO "case" (id, team_id, number, reporter_id, confidant_id, status, show_name, '
        "flag_id, evidence_id, categories, channel_group, reporter_dm, confidant_dm, "
        "created_at, last_activity_at) VALUES (1, 'T1', 'HVN-AAAAA', 'U0SANNE01', "
        "'U0VERTR01', 'open', false, 1, 1, '', '', 'DU0SANNE01:3.3', 'DU0VERTR01:4.4', "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO casemessage (team_id, case_id, sender, cipher, posted, created_at) VALUES "
        "('T1', 1, 'confidant', :cipher, 'DU0SANNE01:5.5', CURRENT_TIMESTAMP)",
        "INSERT INTO retraction (team_id, posted, kind, created_at) VALUES ('T1', "
        "'DU0SANNE01:6.6', 'expire', CURRENT_TIMESTAMP)",
    ]
    vault = Vault((Fernet.generate_key().decode(),))
    with engine.begin() as connection:
        for sql in rows:
            connection.execute(text(sql), {"cipher": vault.seal({"text": "x"})[0]})
    with pytest.raises(SettingsError, match="needs the key"):
        migrate(engine)  # nothing is converted, or dropped, without the key
    migrate(engine, vault)
    attach(engine, vault)
    dump = every_row(engine)
    # the ids planted above (not "U0": a Fernet token's base64 holds it one time in 30 or so)
    planted = ("U0SANNE01", "U0MARK001", "U0VERTR01")
    assert not [t for t, rows in dump.items() if any(i in rows for i in planted)], dump
    with Session(engine) as session:
        case, = q.cases_of(session, team_id="T1", reporter_id="U0SANNE01")
        assert (case.reporter_id, case.confidant_id, case.reporter_dm) == \
            ("U0SANNE01", "U0VERTR01", "DU0SANNE01:3.3")
        assert q.cases_of(session, team_id="T1", confidant_id="U0VERTR01") == [case]
        notice = q.notice_for(session, team_id="T1", flag_id=1, user_id="U0SANNE01")
        assert notice.dm_channel == "DU0SANNE01"
        assert q.draft_evidence(session, team_id="T1", evidence_id=1, user_id="U0SANNE01") \
            is None  # kept for her, but already part of a case
        assert not q.record_feedback(session, team_id="T1", flag_id=1, user_id="U0SANNE01",
                                     verdict="benign")  # given already
        assert [r.posted for r in q.retractions(session)] == ["DU0SANNE01:6.6"]
    engine.dispose()
