"""Settings are validated loudly at start-up; the key file is created safely."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.config import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "s3cr3t-signing"}


def settings(tmp_path, **env):
    values = {**GOOD, "DATABASE_URL": f"sqlite:///{tmp_path / 'db' / 'haven.db'}", **env}
    return load_settings(env={k: v for k, v in values.items() if v is not None},
                         dotenv_path=None)


@pytest.mark.parametrize(("env", "named"), [
    ({"SLACK_BOT_TOKEN": None}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_SIGNING_SECRET": "changeme"}, "SLACK_SIGNING_SECRET"),
    ({"SLACK_APP_TOKEN": "xoxb-not-an-app-token"}, "SLACK_APP_TOKEN"),
    ({"SLACK_API_URL": "ftp://slack"}, "SLACK_API_URL"),
    ({"PORT": "eighty"}, "PORT"),
    ({"PORT": "70000"}, "PORT"),
    ({"HAVEN_HOST": "haven.example.com"}, "HAVEN_HOST"),
    ({"HAVEN_HOST": "0.0.0.0:3000"}, "HAVEN_HOST"),
    ({"DATABASE_URL": "haven.db"}, "DATABASE_URL"),
    ({"HAVEN_ENCRYPTION_KEY": "not-a-key"}, "HAVEN_ENCRYPTION_KEY"),
    ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
    ({"DATABASE_URL": "postgresql://u:p@localhost/haven"}, "HAVEN_ENCRYPTION_KEY"),
])
def test_a_bad_setting_is_named(tmp_path, env, named):
    with pytest.raises(SettingsError, match=named):
        settings(tmp_path, **env)


def test_defaults_and_secrets_stay_out_of_repr(tmp_path):
    s = settings(tmp_path)
    assert s.slack_api_url == "https://slack.com/api/" and s.port == 3000
    assert s.host == "127.0.0.1"  # this machine only, unless HAVEN_HOST says otherwise
    assert settings(tmp_path, HAVEN_HOST="0.0.0.0").host == "0.0.0.0"
    assert not s.socket_mode and s.log_level == "INFO"
    assert "xoxb" not in repr(s) and "s3cr3t" not in repr(s)
    assert settings(tmp_path, SLACK_APP_TOKEN="xapp-1-abc").socket_mode


def test_without_a_key_sqlite_gets_a_private_key_file(tmp_path):
    first = settings(tmp_path)
    key_file = tmp_path / "db" / "haven.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert settings(tmp_path).encryption_keys == first.encryption_keys  # reused, not replaced


def test_several_keys_allow_rotation(tmp_path):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    assert settings(tmp_path, HAVEN_ENCRYPTION_KEY=f"{new},{old}").encryption_keys == (new, old)


def test_the_environment_wins_over_dotenv(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\nSLACK_SIGNING_SECRET=dotenv-secret\n"
                      f"DATABASE_URL=sqlite:///{tmp_path}/h.db\nPORT=4000\n")
    s = load_settings(env={"PORT": "5000"}, dotenv_path=dotenv)
    assert s.slack_bot_token == "xoxb-from-dotenv" and s.port == 5000


def test_haven_serve_exits_2_and_says_how_to_get_the_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HAVEN_"))}
    out = subprocess.run([sys.executable, "-m", "bot", "serve"], cwd=tmp_path,
                         env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2
    assert "SLACK_BOT_TOKEN" in out.stderr and "api.slack.com/apps" in out.stderr
    assert "Traceback" not in out.stderr


def test_every_bad_setting_is_named_at_once_and_no_key_is_made(tmp_path):
    with pytest.raises(SettingsError) as raised:
        load_settings(env={"PORT": "eighty", "LOG_LEVEL": "chatty",
                           "HAVEN_DATA_DIR": str(tmp_path / "data")}, dotenv_path=None)
    message = str(raised.value)
    assert message.startswith("4 settings need fixing:")
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "PORT", "LOG_LEVEL"):
        assert f"  - {name}" in message
    assert message.count("api.slack.com/apps") == 1  # where to get the tokens, said once
    assert not (tmp_path / "data").exists()  # nothing made before the settings are right
