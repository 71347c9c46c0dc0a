"""One settings object, read once from the environment and ``.env``, validated loudly."""

from __future__ import annotations

import ipaddress
import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
#: HAVEN_DATA_DIR's default, wherever a command runs (cron starts in $HOME, a shell anywhere):
#: the SQLite database and its key file. $XDG_DATA_HOME/haven when that is set.
DEFAULT_DATA_DIR = "~/.local/share/haven"
DATABASE_FILE_NAME = "haven.db"
#: Only this machine, unless HAVEN_HOST says otherwise (the container image listens on all).
DEFAULT_HOST = "127.0.0.1"
KEY_FILE_NAME = "haven.key"
PLACEHOLDERS = {"", "changeme", "change-me", "xxx", "todo", "secret", "your-signing-secret"}
GET_TOKENS = ("Slack app settings (https://api.slack.com/apps) -> your app -> "
              "'OAuth & Permissions' (bot token) or 'Basic Information' (signing secret, "
              "app-level token)")
GENERATE_KEY = ('python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"')


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it and says how to fix it."""


@dataclass(frozen=True)
class Settings:
    """Everything Haven needs to run, validated."""

    slack_bot_token: str
    slack_signing_secret: str
    slack_app_token: str | None
    slack_api_url: str
    port: int
    database_url: str
    encryption_keys: tuple[str, ...]
    log_level: str
    slack_client_id: str | None = None  # with the secret: several workspaces, via OAuth
    slack_client_secret: str | None = None
    queue_url: str | None = None  # Redis: the work after the ack goes to `haven worker`
    host: str = DEFAULT_HOST  # the address `haven serve` listens on (HTTP mode)

    @property
    def oauth(self) -> bool:
        """Installable in several workspaces (Slack's OAuth flow) rather than one bot token."""
        return self.slack_client_id is not None

    @property
    def socket_mode(self) -> bool:
        """Socket Mode when an app-level token is given, else HTTP."""
        return self.slack_app_token is not None

    def __repr__(self) -> str:  # never print secrets, even by accident
        return (f"Settings(api={self.slack_api_url!r}, host={self.host!r}, port={self.port}, "
                f"database={_redact_url(self.database_url)!r}, socket_mode={self.socket_mode},"
                f" oauth={self.oauth}, queue={_redact_url(self.queue_url or '')!r},"
                f" log_level={self.log_level!r})")


def _redact_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(parsed.password, "***")
    return url


def read_environment(env: Mapping[str, str] | None = None,
                     dotenv_path: str | Path | None = ".env") -> dict[str, str]:
    """The ``.env`` file's values, overridden by the environment (the environment wins)."""
    values: dict[str, str] = {}
    if dotenv_path and Path(dotenv_path).is_file():
        values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    values.update(os.environ if env is None else env)
    return values


def _required(values: Mapping[str, str], name: str, prefix: str | None, how: str) -> str:
    value = values.get(name, "").strip()
    if value.lower() in PLACEHOLDERS:
        raise SettingsError(f"{name} is not set. {how}")
    if prefix and not value.startswith(prefix):
        raise SettingsError(f"{name} must start with '{prefix}' (got a value that does not). "
                            f"{how}")
    return value


def _api_url(values: Mapping[str, str]) -> str:
    url = values.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise SettingsError(f"SLACK_API_URL must be an http(s) URL such as {DEFAULT_API_URL}")
    return url if url.endswith("/") else url + "/"


def _port(values: Mapping[str, str]) -> int:
    raw = values.get("PORT", "").strip() or "3000"
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"PORT must be a number from 1 to 65535 (got {raw!r})")
    return int(raw)


def _host(values: Mapping[str, str]) -> str:
    raw = values.get("HAVEN_HOST", "").strip() or DEFAULT_HOST
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        raise SettingsError(f"HAVEN_HOST must be an IP address to listen on: 127.0.0.1 (this "
                            f"machine only, the default) or 0.0.0.0 (every interface, as in a "
                            f"container) (got {raw!r})") from None


def data_dir(values: Mapping[str, str]) -> Path:
    """HAVEN_DATA_DIR, made absolute; by default ``~/.local/share/haven`` (or
    ``$XDG_DATA_HOME/haven``), the same folder whichever directory a command runs in."""
    raw = values.get("HAVEN_DATA_DIR", "").strip()
    if raw:
        return Path(raw).expanduser().resolve()
    xdg = values.get("XDG_DATA_HOME", "").strip()
    return (Path(xdg) / "haven" if xdg else Path(DEFAULT_DATA_DIR)).expanduser().resolve()


def _left_in_var(values: Mapping[str, str]) -> None:
    """Refuse to start afresh in the default data directory while ``var/`` of the current
    directory holds the database of an older Haven (which kept its data there): a new, empty
    database would hide every flag and case from the operator."""
    if values.get("HAVEN_DATA_DIR", "").strip():
        return
    old, new = Path("var") / DATABASE_FILE_NAME, data_dir(values) / DATABASE_FILE_NAME
    if old.is_file() and not new.exists() and old.resolve() != new:
        raise SettingsError(f"{old.resolve()} holds the data of an older Haven, which kept it "
                            f"in var/ of the current directory; Haven now keeps it in "
                            f"HAVEN_DATA_DIR (default {data_dir(values)}). Move var/ there, "
                            f"or set HAVEN_DATA_DIR={old.parent.resolve()}")


def _database_url(values: Mapping[str, str]) -> str:
    url = values.get("DATABASE_URL", "").strip()
    if not url:
        _left_in_var(values)
        return f"sqlite:///{data_dir(values) / DATABASE_FILE_NAME}"
    if "://" not in url:
        raise SettingsError("DATABASE_URL must be a SQLAlchemy URL such as "
                            "sqlite:////srv/haven/haven.db or "
                            "postgresql+psycopg://user:pw@host/db")
    return url


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite URL, or ``None`` for another database or an in-memory one."""
    if not database_url.startswith("sqlite"):
        return None
    path = database_url.split(":///", 1)[1] if ":///" in database_url else ""
    return Path(path) if path and path != ":memory:" else None


def _check_keys(raw: str) -> tuple[str, ...]:
    from cryptography.fernet import Fernet

    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    for key in keys or ("",):
        try:
            Fernet(key)
        except ValueError:
            raise SettingsError(
                "HAVEN_ENCRYPTION_KEY must be one or more comma-separated Fernet keys "
                f"(32 url-safe base64-encoded bytes). Generate one with: {GENERATE_KEY}"
            ) from None
    return keys


def _encryption_keys(values: Mapping[str, str], database_url: str) -> tuple[str, ...]:
    raw = values.get("HAVEN_ENCRYPTION_KEY", "").strip()
    if raw:
        return _check_keys(raw)
    db_file = sqlite_path(database_url)
    if db_file is None:
        raise SettingsError("HAVEN_ENCRYPTION_KEY is required with this DATABASE_URL. "
                            f"Generate one with: {GENERATE_KEY} (keep it secret and backed "
                            "up: without it the stored evidence cannot be read)")
    return _key_file(db_file.parent / KEY_FILE_NAME, db_file)


def restore_advice(path: Path | str = KEY_FILE_NAME) -> str:
    """How an operator gets the right key back (the end of every key error)."""
    return (f"Restore the key the data was sealed with: copy {path} back from your backup, or "
            "set HAVEN_ENCRYPTION_KEY to it (after a new key, comma-separated, to rotate)")


def _key_file(path: Path, db_file: Path) -> tuple[str, ...]:
    """Read, or create with mode 0600, the key file that sits beside a SQLite database. A
    new key is made only when the database holds nothing sealed: a new key would leave the
    evidence there unreadable for good, so then Haven refuses to start. Like the variable,
    the file may hold several comma-separated keys, newest first (rotation)."""
    if path.is_dir():
        raise SettingsError(f"the key file {path} is a directory, not a key. "
                            f"{restore_advice(path)}")
    if path.exists():
        return _read_key_file(path)
    if holds_sealed_data(db_file):
        raise SettingsError(f"the key file {path} is missing, but {db_file} holds encrypted "
                            f"evidence; a new key could not read it. {restore_advice(path)}")
    return _create_key_file(path)


def _read_key_file(path: Path) -> tuple[str, ...]:
    try:
        text = path.read_bytes().decode("ascii").strip()
    except OSError as error:
        raise SettingsError(f"the key file {path} cannot be read ({error.strerror}). "
                            f"{restore_advice(path)}") from None
    except UnicodeDecodeError:
        text = None
    problem = "holds characters no Fernet key has" if text is None else \
        "is empty" if not text else None
    if problem is None:
        try:
            return _check_keys(text)
        except SettingsError:
            problem = "does not hold a Fernet key (32 url-safe base64-encoded bytes)"
    raise SettingsError(f"the key file {path} {problem}. {restore_advice(path)}")


def _create_key_file(path: Path) -> tuple[str, ...]:
    from cryptography.fernet import Fernet

    private_folder(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(Fernet.generate_key().decode() + "\n")
    log.warning("HAVEN_ENCRYPTION_KEY is not set: created the key file %s (mode 0600). Back "
                "it up, or set HAVEN_ENCRYPTION_KEY; without it the evidence is unreadable.",
                path)
    return (path.read_text(encoding="ascii").strip(),)


def private_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) readable by its owner alone, mode 0700; a folder
    that exists is left as the operator made it."""
    if not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)  # mkdir's mode passes through the umask


#: Columns that hold Fernet ciphertext: whatever one of them holds, only the key opens.
SEALED_COLUMNS = (("evidence", "cipher"), ("evidencefile", "cipher"), ("casemessage", "cipher"),
                  ("casenote", "cipher"), ("case", "note_cipher"), ("example", "text_cipher"),
                  ("slack_bots", "bot_token"), ("sealedsecret", "cipher"))


def holds_sealed_data(db_file: Path) -> bool:
    """Whether a SQLite database file holds anything encrypted (read-only; a file that is
    no database, or has no such table yet, holds nothing)."""
    import sqlite3
    from contextlib import closing

    if not db_file.is_file():
        return False
    try:
        with closing(sqlite3.connect(f"{db_file.resolve().as_uri()}?mode=ro", uri=True)) as db:
            tables = {row[0] for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            return any(db.execute(f'SELECT 1 FROM "{table}" WHERE "{column}" IS NOT NULL '
                                  "LIMIT 1").fetchone()
                       for table, column in SEALED_COLUMNS if table in tables)
    except sqlite3.DatabaseError:
        return False


def _log_level(values: Mapping[str, str]) -> str:
    level = (values.get("LOG_LEVEL", "").strip() or "INFO").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL "
                            f"(got {level!r})")
    return level


def database_url_from_env(env: Mapping[str, str] | None = None,
                          dotenv_path: str | Path | None = ".env") -> str:
    """Only ``DATABASE_URL`` (for commands that need the database but not Slack)."""
    return _database_url(read_environment(env, dotenv_path))


def load_settings(env: Mapping[str, str] | None = None,
                  dotenv_path: str | Path | None = ".env") -> Settings:
    """Read and validate every setting; raise :class:`SettingsError` naming every bad one
    at once (an operator fixes them all, then starts once more)."""
    values = read_environment(env, dotenv_path)
    problems: list[str] = []

    def check(read, *args):
        try:
            return read(*args)
        except SettingsError as error:
            problems.append(str(error))
            return None

    app_token = check(_app_token, values)
    database_url = check(_database_url, values)
    client_id, client_secret = check(_oauth, values) or (None, None)
    bot_token = values.get("SLACK_BOT_TOKEN", "").strip()
    if not (client_id and not bot_token):
        bot_token = check(_required, values, "SLACK_BOT_TOKEN", "xoxb-", GET_TOKENS)
    fields = dict(
        slack_bot_token=bot_token,
        slack_signing_secret=check(_required, values, "SLACK_SIGNING_SECRET", None,
                                   GET_TOKENS),
        slack_app_token=app_token, slack_api_url=check(_api_url, values),
        port=check(_port, values), host=check(_host, values), database_url=database_url,
        log_level=check(_log_level, values), slack_client_id=client_id,
        slack_client_secret=client_secret, queue_url=check(_queue_url, values))
    # Last, and only when all else is right: it may create the key file.
    if not problems and database_url is not None:
        fields["encryption_keys"] = check(_encryption_keys, values, database_url)
    if problems:
        raise SettingsError(_all_of(problems))
    return Settings(**fields)


def _app_token(values: Mapping[str, str]) -> str | None:
    app_token = values.get("SLACK_APP_TOKEN", "").strip() or None
    if app_token is not None and not app_token.startswith("xapp-"):
        raise SettingsError(f"SLACK_APP_TOKEN must start with 'xapp-'. {GET_TOKENS}")
    return app_token


def _all_of(problems: list[str]) -> str:
    """One problem as it is; several as a list, advice they share said once at the end."""
    if len(problems) == 1:
        return problems[0]
    shared = GET_TOKENS if sum(GET_TOKENS in p for p in problems) > 1 else ""
    lines = [p.replace(f" {shared}", "").strip() if shared else p for p in problems]
    return (f"{len(problems)} settings need fixing:\n" + "\n".join(f"  - {line}" for line in lines)
            + (f"\nGet the Slack ones from {shared}" if shared else ""))


def _queue_url(values: Mapping[str, str]) -> str | None:
    """HAVEN_QUEUE_URL: a Redis URL, or nothing (the work after the ack stays in-process)."""
    url = values.get("HAVEN_QUEUE_URL", "").strip()
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in {"redis", "rediss", "unix"} or not (parsed.netloc or parsed.path):
        raise SettingsError("HAVEN_QUEUE_URL must be a Redis URL such as "
                            "redis://localhost:6379/0 (or rediss:// for TLS), or be left empty")
    return url


def _oauth(values: Mapping[str, str]) -> tuple[str | None, str | None]:
    """SLACK_CLIENT_ID and SLACK_CLIENT_SECRET: both, or neither (one workspace, one bot
    token)."""
    client_id = values.get("SLACK_CLIENT_ID", "").strip() or None
    if client_id is None:
        return None, None
    how = "Slack app settings (https://api.slack.com/apps) -> your app -> 'Basic Information'"
    return client_id, _required(values, "SLACK_CLIENT_SECRET", None, how)
