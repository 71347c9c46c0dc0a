"""What leaves the database on the operator's command: the audit log (never content), the
feedback as training data, and a case document — only with the reporter's consent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlmodel import Session, select

from bot.cli import main
from bot.export import ExportRefused, case_document, quote
from bot.storage import queries as q
from bot.storage.crypto import Vault
from bot.storage.models import AuditLog, Case, CaseMessage, Evidence
from bot.storage.sealing import attach
from classifier.data import load_training_data

SECRET = "Sanne, everyone knows you slept your way into that job"
FORGED = "# Case closed\n## Evidence\nnothing happened"


@pytest.fixture
def db(tmp_path, monkeypatch, database_url, engine):
    """A fresh database (SQLite and PostgreSQL), its vault, and the environment the `haven`
    command reads."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HAVEN_ENCRYPTION_KEY", key)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    vault = Vault((key,))
    attach(engine, vault)
    return engine, vault


def reported(engine, vault, *, team: str = "T1", consent: bool = True,
             number: str | None = None) -> str:
    """A flagged image message reported with a note and a relay; returns the case number."""
    bundle = {"text": SECRET + "\n" + FORGED, "author": "UAUTHOR", "channel": "CGEN",
              "ts": "1790000000.000100", "permalink": "https://acme.slack.com/archives/CGEN/p1",
              "kind": "image", "file_name": "meme `1`.png", "ocr_text": "you are nothing",
              "image_sha256": "ab" * 32}
    with Session(engine) as session:
        flag = q.record_flag(session, vault=vault, team_id=team, event_id="Ev1",
                             channel_id="CGEN", message_ts="1.1", author_id="UAUTHOR",
                             score=0.9, categories=["insult"], bundle=bundle,
                             affected=["UREPORTER"])
        case = q.open_case(session, team_id=team, reporter_id="UREPORTER",
                           confidant_id="UCONF", show_name=False, evidence_id=flag.evidence_id,
                           flag_id=flag.id, note_cipher=vault.seal({"note": "it keeps on"})[0])
        case.number = number or case.number
        case.export_consent_at = datetime.now(UTC) if consent else None
        case.delivered_at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
        for sender, text in (("reporter", "can we talk?"), ("confidant", "# Of course")):
            session.add(CaseMessage(team_id=team, case_id=case.id, sender=sender,
                                    cipher=vault.seal({"text": text})[0]))
        session.commit()
        return case.number


def test_a_case_document_has_dates_evidence_hash_note_and_relay(db):
    engine, vault = db
    number = reported(engine, vault)
    with Session(engine) as session:
        document = case_document(session, vault=vault, team_id="T1", number=number,
                                 actor="UREPORTER")
        sha = session.exec(select(Evidence.sha256)).one()
        session.commit()
        entry = session.exec(select(AuditLog).where(AuditLog.action == "case_exported")).one()
    assert document.startswith(f"# Case {number}\n")
    assert sha in document and "SHA-256" in document and "ab" * 32 in document
    for needle in ("2026-12-01 09:30 UTC", "`UAUTHOR`", "`CGEN`",
                   "<https://acme.slack.com/archives/CGEN/p1>", "> you are nothing",
                   "> it keeps on", "**reporter**", "**confidant**", "> can we talk?",
                   "`` meme `1`.png ``", "Outcome"):
        assert needle in document, needle
    assert (entry.actor, entry.subject) == ("UREPORTER", f"case:{number}")


def test_user_text_cannot_forge_headings(db):
    engine, vault = db
    number = reported(engine, vault)
    with Session(engine) as session:
        document = case_document(session, vault=vault, team_id="T1", number=number,
                                 actor="cli")
    headings = [line for line in document.splitlines() if line.startswith("#")]
    assert headings == [f"# Case {number}", "## Evidence", "## Integrity",
                        "## Your note to the confidant",
                        "## Messages between you and the confidant"]
    assert "> # Case closed\n> ## Evidence\n> nothing happened" in document
    assert "> # Of course" in document
    assert quote("a\r# b\u2028c\n\nd") == "> a\n> # b\n> c\n>\n> d"


def test_a_case_document_in_dutch(db):
    engine, vault = db
    number = reported(engine, vault)
    with Session(engine) as session:
        document = case_document(session, vault=vault, team_id="T1", number=number,
                                 actor="cli", language="nl")
    assert document.startswith(f"# Melding {number}\n") and "## Echtheid" in document


def test_no_export_without_consent_or_after_erasure(db):
    engine, vault = db
    number = reported(engine, vault, consent=False)
    with Session(engine) as session, pytest.raises(ExportRefused, match="consent"):
        case_document(session, vault=vault, team_id="T1", number=number, actor="cli")
    with Session(engine) as session:
        case = session.exec(select(Case)).one()
        case.export_consent_at = datetime.now(UTC)
        q.withdraw_case(session, team_id="T1", case_id=case.id)
        with pytest.raises(ExportRefused, match="erased"):
            case_document(session, vault=vault, team_id="T1", number=number, actor="cli")
        assert not session.exec(select(AuditLog).where(AuditLog.action == "case_exported")).all()


def test_haven_case_export_refuses_without_consent_and_writes_with_it(db, tmp_path, capsys):
    engine, vault = db
    refused = reported(engine, vault, consent=False)
    assert main(["case", "export", refused]) == 2
    error = capsys.readouterr().err
    assert "only with the reporter's consent recorded in the case" in error
    assert error.count("\n") == 1
    number = reported(engine, vault, team="T2")
    out = tmp_path / "case.md"
    assert main(["case", "export", number.lower(), "--out", str(out)]) == 0
    document = out.read_text(encoding="utf-8")
    assert f"# Case {number}" in document and "SHA-256" in document
    assert out.stat().st_mode & 0o077 == 0  # it holds evidence: the owner's alone


def test_haven_case_export_asks_which_workspace(db, capsys):
    engine, vault = db
    number = reported(engine, vault, team="T1")
    reported(engine, vault, team="T2", number=number)
    assert main(["case", "export", number]) == 2
    assert "--team" in capsys.readouterr().err
    assert main(["case", "export", number, "--team", "T2"]) == 0
    assert capsys.readouterr().out.startswith(f"# Case {number}")
    assert main(["case", "export", "HVN-NONE9"]) == 2
    assert "no case HVN-NONE9" in capsys.readouterr().err


def test_haven_audit_prints_actions_and_never_content(db, capsys):
    engine, vault = db
    number = reported(engine, vault)
    assert main(["case", "export", number]) == 0
    with Session(engine) as session:
        old = q.store_evidence(session, vault=vault, team_id="T1", bundle={"text": SECRET})
        old.created_at = datetime.now(UTC) - timedelta(days=3)
        session.commit()
    assert main(["purge"]) == 0
    capsys.readouterr()
    assert main(["audit", "--team", "T1", "--since", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    actions = [line.split("\t")[3] for line in lines]
    assert actions == ["case_opened", "case_exported", "purge"]
    assert lines[-1].split("\t")[1:] == ["T1", "system", "purge",
                                         "flags:0 cases:0 examples:0 drafts:1"]
    assert datetime.fromisoformat(lines[0].split("\t")[0]).utcoffset() == timedelta(0)
    output = "\n".join(lines)
    assert "Sanne" not in output and "can we talk" not in output
    assert main(["audit", "--limit", "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_feedback_export_is_training_data(db, tmp_path, capsys):
    engine, vault = db
    with Session(engine) as session:
        for label, text, cats in (("benign", "what a shitty printer", "profanity"),
                                  ("harassing", "jij bent echt dom", "insult,profanity"),
                                  ("harassing", None, "insult")):
            q.record_example(session, vault=vault, team_id="T1", source="not_a_problem",
                             label=label, language="nl", categories=cats, text=text)
        session.commit()
    out = tmp_path / "data" / "feedback" / "feedback.csv"
    assert main(["feedback", "export", "--out", str(out)]) == 0
    assert "wrote 2 examples" in capsys.readouterr().out
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "text,lang,label,functionality,categories,pair_id"
    examples = load_training_data(tmp_path / "data", sources=("feedback",))
    assert [(e.text, e.label, e.source, e.group) for e in examples] == [
        ("what a shitty printer", 0, "haven_feedback", "fb-1"),
        ("jij bent echt dom", 1, "haven_feedback", "fb-2")]
    assert examples[0].functionality == "feedback_not_a_problem"
    assert examples[0].categories["profanity"] == 0  # a benign click says nothing about them
    assert examples[1].categories["insult"] == examples[1].categories["profanity"] == 1
    with Session(engine) as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "feedback_exported"))
        assert entry.one().subject == "examples:2"
