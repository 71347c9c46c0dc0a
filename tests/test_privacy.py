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

from bot.slack_double import BOT_TOKEN, SIGNING_SECRET

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
