"""Engine, sessions and schema migrations (Alembic)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from bot.config import sqlite_path


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys, secure deletion and a shared
    in-memory pool."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    else:
        engine = create_engine(url, connect_args={"check_same_thread": False},
                               poolclass=StaticPool)

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


def compact(engine: Engine) -> bool:
    """After a purge, leave no erased bytes in the database files. With secure_delete the
    pages are zeroed, but their old versions still sit in SQLite's write-ahead log until a
    checkpoint copies them back and truncates it; VACUUM then drops any free pages. Other
    databases manage their own storage: nothing to do. False if a reader kept the log from
    being emptied (run again when Haven is idle)."""
    if engine.dialect.name != "sqlite" or sqlite_path(str(engine.url)) is None:
        return True
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        if connection.exec_driver_sql("PRAGMA freelist_count").scalar():
            connection.exec_driver_sql("VACUUM")
        busy, _log, _done = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    return not busy


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


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_path()))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
