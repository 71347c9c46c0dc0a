"""Engine, sessions and schema migrations (Alembic)."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from bot.config import (
    SEALED_COLUMNS,
    SettingsError,
    private_folder,
    restore_advice,
    sqlite_path,
)
from bot.storage.crypto import EvidenceUnreadable, Vault
from bot.storage.models import (
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

log = logging.getLogger(__name__)

#: Tables whose rows a purge erases or rewrites: on PostgreSQL, compact rewrites their files.
ERASED_TABLES = (Evidence, EvidenceFile, Flag, Notice, Feedback, Case, CaseMessage, CaseNote,
                 Example)
#: compact gives up rather than queue the app's requests behind its wait for a lock (a
#: waiting VACUUM FULL holds up every later query on that table; Slack waits three seconds)
LOCK_TIMEOUT = "1s"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout expires
#: How long a SQLite statement waits for another connection's write lock, unless
#: :func:`lock_wait` says otherwise (jobs and the sweep can wait; a request cannot).
SQLITE_BUSY_SECONDS = 30
#: compact's wait on SQLite: its checkpoint holds the write lock while it waits for readers
COMPACT_WAIT_SECONDS = 0.2


def make_engine(url: str) -> Engine:
    """An engine for ``url``. SQLite gets WAL, foreign keys, secure deletion and a shared
    in-memory pool; PostgreSQL (``postgresql+psycopg://``) a pool sized for the server's
    threads whose connections are checked before use and renewed every half hour. A
    database error never quotes the statement's values (they can be evidence or tokens)."""
    if not url.startswith("sqlite"):
        return create_engine(psycopg_url(url), pool_pre_ping=True, pool_size=10,
                             max_overflow=10, pool_recycle=1800, hide_parameters=True)
    path = sqlite_path(url)
    if path is not None:
        private_file(path)
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": SQLITE_BUSY_SECONDS},
                               hide_parameters=True)
    else:
        engine = create_engine(url, connect_args={"check_same_thread": False},
                               poolclass=StaticPool, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(connection, _record):
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted evidence is overwritten with zeros, not merely marked free (see compact).
        cursor.execute("PRAGMA secure_delete=ON")
        if path is not None:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine


def private_file(path: Path) -> None:
    """Create an empty SQLite database file readable by its owner alone (0600; SQLite gives
    its journal and write-ahead log the same mode), in a folder of mode 0700, before SQLite
    makes one with the umask's mode (often readable by everyone)."""
    if path.exists():
        return
    private_folder(path.parent)
    with contextlib.suppress(FileExistsError):  # another process made it first
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def has_schema(url: str) -> bool:
    """Whether ``url`` names a database Haven has already set up (its migrations table
    exists), without creating anything: a SQLite file that is not there stays absent."""
    from sqlalchemy import inspect

    path = sqlite_path(url) if url.startswith("sqlite") else None
    if url.startswith("sqlite") and (path is None or not path.is_file()):
        return False
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return inspect(connection).has_table("alembic_version")
    finally:
        engine.dispose()


def psycopg_url(url: str) -> str:
    """``url``, where ``postgres://`` and ``postgresql://`` (as hosting providers write them)
    name psycopg 3, the driver Haven installs, rather than SQLAlchemy's default psycopg2."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def compact(engine: Engine) -> bool:
    """After a purge, leave no erased bytes in the database files. SQLite's secure_delete
    has zeroed the erased cells and freed pages, but their old versions may still sit in
    the write-ahead log, until a checkpoint copies the pages back and truncates the log.
    (No VACUUM: it would only shrink the file, holding the write lock for seconds on a
    large one.) False if a reader kept the log from being emptied within
    COMPACT_WAIT_SECONDS (run again later). PostgreSQL keeps the old versions of rows in
    the table until they are vacuumed: see :func:`_rewrite_tables`. Slow on PostgreSQL and
    holding the write lock on SQLite: for the maintenance thread or the command line, not
    for a request or a job."""
    if engine.dialect.name == "postgresql":
        return _rewrite_tables(engine)
    if engine.dialect.name != "sqlite" or sqlite_path(str(engine.url)) is None:
        return True
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        raw = connection.connection.dbapi_connection
        raw.execute(f"PRAGMA busy_timeout = {int(COMPACT_WAIT_SECONDS * 1000)}")
        try:
            busy, _log, _done = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.OperationalError:  # another writer held the lock throughout
            busy = True
        finally:
            raw.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_SECONDS * 1000}")
    return not busy


@contextmanager
def lock_wait(session: Session, seconds: float):
    """Within the block, a statement of ``session`` that needs a lock another connection
    holds waits at most ``seconds``, then raises OperationalError (instead of SQLite's
    SQLITE_BUSY_SECONDS, or PostgreSQL's wait without end). For the work before Slack's
    three-second ack."""
    connection = session.connection()
    millis = max(1, int(seconds * 1000))
    if connection.dialect.name == "postgresql":  # ends with the transaction
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{millis}ms'")
        yield
        return
    if connection.dialect.name != "sqlite":
        yield
        return
    # on the driver's connection: the session may be failed by the time this is undone
    raw = connection.connection.dbapi_connection
    raw.execute(f"PRAGMA busy_timeout = {millis}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_SECONDS * 1000}")


def _rewrite_tables(engine: Engine) -> bool:
    """VACUUM FULL writes each table that held erased rows into new files and deletes the
    old ones (a plain VACUUM would only mark the space reusable, the erased bytes still in
    it). It locks one table at a time, for the milliseconds Haven's small tables take;
    False if a lock was not granted within LOCK_TIMEOUT (run again when idle)."""
    quote = engine.dialect.identifier_preparer.quote
    tables = ", ".join(quote(model.__tablename__) for model in ERASED_TABLES)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        try:
            connection.exec_driver_sql(f"VACUUM (FULL, ANALYZE) {tables}")
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            return False
        finally:  # the connection goes back to the pool, for the app's queries
            connection.exec_driver_sql("RESET lock_timeout")
    return True


#: Workspace -> Enterprise Grid org, for the rows written in this process (see below).
ENTERPRISES: dict[str, str] = {}


def remember_enterprise(team_id: str, enterprise_id: str) -> None:
    """From now on, rows of ``team_id`` carry ``enterprise_id``."""
    ENTERPRISES[team_id] = enterprise_id


@event.listens_for(Session, "before_flush")
def _fill_enterprise(session, _context, _instances) -> None:
    """Every new row of a workspace in a Grid org carries the org, wherever it is written."""
    for row in session.new:
        if getattr(row, "enterprise_id", "") is None and \
                getattr(row, "team_id", None) in ENTERPRISES:
            row.enterprise_id = ENTERPRISES[row.team_id]


OUTAGE_RETRY_SECONDS = (0.5, 1, 2, 4, 8, 15, 30)  # about a minute: a restart or fail-over


def through_outages(fn, /, *args, what: str = "work", **kwargs):
    """``fn(*args, **kwargs)``, run again while the database is unreachable (it restarts or
    fails over); only for work that is safe to repeat. Raises after about a minute."""
    from sqlalchemy.exc import InterfaceError

    for delay in (*OUTAGE_RETRY_SECONDS, None):
        try:
            return fn(*args, **kwargs)
        except (OperationalError, InterfaceError) as error:
            if delay is None:
                raise
            log.warning("%s: database unavailable (%s); again in %ss", what,
                        type(error).__name__, delay)
            time.sleep(delay)
    return None


@contextmanager
def session_scope(engine: Engine):
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def migrations_path() -> Path:
    """The Alembic scripts: in the checkout, or installed with the package."""
    local = Path(__file__).resolve().parents[2] / "migrations"
    if (local / "env.py").is_file():
        return local
    from importlib.resources import files

    return Path(str(files("haven_migrations")))


def migrate(engine: Engine, vault: Vault | None = None) -> None:
    """Bring the schema to the newest revision (idempotent). With the ``vault``, first make
    sure its keys open what the database holds (:func:`check_keys`); migrations that seal
    data need it."""
    with _migration_lock(engine):
        if vault is not None:
            check_keys(engine, vault)
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(migrations_path()))
        if vault is None:
            _refuse_sealing_without_key(engine)
        with _references_checked_at_the_end(engine) as connection, connection.begin():
            config.attributes["connection"] = connection
            config.attributes["vault"] = vault
            command.upgrade(config, "head")


#: The revision that seals the user ids already stored: it needs the key.
SEALING_REVISION = "0010"
_SEALED_TABLES = ("notice", "case", "flag", "feedback", "casemessage", "retraction", "evidence")


def _refuse_sealing_without_key(engine: Engine) -> None:
    """Before any migration runs (SQLite commits each DDL statement at once): an older
    database with rows to seal cannot be upgraded without the key."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        if current is None or current >= SEALING_REVISION:
            return
        tables = set(inspect(connection).get_table_names())
        if any(connection.execute(text(f'SELECT 1 FROM "{t}" LIMIT 1')).first()
               for t in _SEALED_TABLES if t in tables):
            from bot.config import SettingsError

            raise SettingsError(f"revision {SEALING_REVISION} encrypts the user ids stored in "
                                "the database and needs the key: run `haven migrate`")


@contextmanager
def _references_checked_at_the_end(engine: Engine):
    """A connection for migrations. SQLite drops a column by copying the table, and dropping
    the old table would break the rows that refer to it: so foreign keys are off while the
    migrations run (outside a transaction, or SQLite ignores it), and checked after."""
    with engine.connect() as connection:
        if engine.dialect.name != "sqlite":
            yield connection
            return
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
        connection.commit()
        try:
            yield connection
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"a migration broke {len(broken)} references")
        finally:
            connection.rollback()
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
            connection.commit()


def check_keys(engine: Engine, vault: Vault) -> None:
    """Raise :class:`SettingsError` when the configured keys cannot open what the database
    already holds (one sealed value of each kind is tried): Haven must not start and write
    new data with a key that leaves the old data unreadable."""
    from sqlalchemy import inspect

    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        for table, column in SEALED_COLUMNS:
            if table not in tables:
                continue
            quote = engine.dialect.identifier_preparer.quote
            value = connection.exec_driver_sql(
                f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(column)} IS NOT NULL "
                "LIMIT 1").scalar()
            try:
                if value is not None:
                    vault.open_bytes(value.encode() if isinstance(value, str) else bytes(value))
            except EvidenceUnreadable:
                raise SettingsError(
                    f"the configured key cannot decrypt the data already in the database "
                    f"({table}); it was sealed with another key. {restore_advice()}") from None


MIGRATION_LOCK = 7_264_436  # any constant: PostgreSQL advisory lock key for migrations


@contextmanager
def _migration_lock(engine: Engine):
    """One migration at a time, when several instances start together: an advisory lock on
    PostgreSQL, a lock file beside a SQLite database."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as holder:
            holder.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
            try:
                yield
            finally:
                holder.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
                holder.commit()
        return
    path = sqlite_path(str(engine.url)) if engine.dialect.name == "sqlite" else None
    if path is None:
        yield
        return
    import fcntl

    lock = path.parent / f"{path.name}.migrate.lock"
    with open(lock, "w", opener=lambda name, flags: os.open(name, flags, 0o600)) as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
