"""PostgreSQL for the tests: the server ``HAVEN_TEST_POSTGRES_URL`` names (CI starts one,
see ``.ci/run``) or, on a developer's machine with PostgreSQL installed, a throwaway server
started for the test session. Each test gets a database of its own, dropped afterwards."""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import bot.storage.models  # noqa: F401  (puts Haven's tables on the metadata)
from bot.storage.db import psycopg_url

URL_VARIABLE = "HAVEN_TEST_POSTGRES_URL"
REQUIRED_BY = ("CI", "HAVEN_REQUIRE_POSTGRES")  # set: a missing server fails the tests


class Unavailable(RuntimeError):
    """No PostgreSQL server to test against on this machine (the tests may skip it)."""


class Required(RuntimeError):
    """No PostgreSQL server, where one is required (the tests must fail)."""


@contextlib.contextmanager
def server() -> Iterator[str]:
    """The URL of a server where the tests may create and drop databases."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    if url:
        yield psycopg_url(url)
        return
    required = [name for name in REQUIRED_BY if os.environ.get(name)]
    if required:
        raise Required(f"{URL_VARIABLE} is not set, but {' and '.join(required)} is: the "
                       "tests must run on PostgreSQL too (.ci/run starts a server)")
    with throwaway_server() as started:
        yield started


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server; dropped afterwards, whoever is still on it."""
    name = f"haven_test_{secrets.token_hex(6)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(admin, name)
        admin.dispose()


def _drop(admin, name: str, attempts: int = 20) -> None:
    """Drop a test database. FORCE ends our own connections to it, but not an autovacuum
    worker that the server started on it meanwhile (a superuser's process: "must be a member
    of the role whose process is being terminated"); that one is gone a moment later."""
    from sqlalchemy.exc import DBAPIError

    for attempt in range(attempts):
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except DBAPIError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.25)


def every_value(engine) -> bytes:
    """Every value in every one of Haven's tables, as bytes: all that a reader of the
    database can find (the counterpart, on PostgreSQL, of reading the SQLite file)."""
    with engine.connect() as connection:
        rows = [row for table in SQLModel.metadata.sorted_tables
                for row in connection.execute(table.select())]
    return b"\0".join(v if isinstance(v, bytes) else str(v).encode() for r in rows for v in r)


def binaries() -> Path | None:
    """The PostgreSQL server programs found through PATH (so that a PATH without them
    hides them): ``pg_ctl`` itself, or, where Debian's ``pg_ctlcluster`` stands in for it,
    the newest version Debian keeps in /usr/lib/postgresql/N/bin."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent  # beside initdb, also through a symlink
    if shutil.which("pg_ctlcluster") is None:
        return None
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                    key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)])
    return debian[-1].parent if debian else None


@contextlib.contextmanager
def throwaway_server() -> Iterator[str]:
    """Initialise and start a cluster in a temporary folder on a free loopback port, as a
    user PostgreSQL accepts (it refuses to run as root); stopped and deleted afterwards."""
    with own_server() as (url, _control):
        yield url


@contextlib.contextmanager
def own_server() -> Iterator[tuple[str, object]]:
    """A server of the caller's own: its URL, and a control to stop and start it (for the
    fault tests: the database going away mid-run)."""
    bin_dir = binaries()
    if bin_dir is None:
        raise Unavailable(f"PostgreSQL is not installed and {URL_VARIABLE} is not set")
    folder = Path(tempfile.mkdtemp(prefix="haven-postgres-"))
    run = _runner(folder)
    data, port = folder / "data", _free_port()
    # A test server: durability buys nothing, speed does.
    options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off")

    class Control:
        """Stop and start the server as an operator does: connections are cut, committed
        data stays (an immediate stop would lose it: this server commits asynchronously)."""

        @staticmethod
        def stop() -> None:
            run(bin_dir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")

        @staticmethod
        def start() -> None:
            run(bin_dir / "pg_ctl", "-D", data, "-l", folder / "log", "-w", "-o", options,
                "start")

    try:
        run(bin_dir / "initdb", "-D", data, "-U", "haven", "--auth=trust", "--no-locale",
            "-E", "UTF8", "--no-sync")
        run(bin_dir / "pg_ctl", "-D", data, "-l", folder / "log", "-w", "-o", options, "start")
        yield f"postgresql+psycopg://haven@127.0.0.1:{port}/postgres", Control
    finally:
        if (data / "postmaster.pid").exists():
            run(bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _runner(folder: Path):
    """Run a PostgreSQL program as ourselves, or as ``postgres`` (else ``nobody``) when we
    are root; ``folder`` is handed to that user."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = next((u for u in ("postgres", "nobody") if _exists(u)), None)
        if user is None or shutil.which("runuser") is None:
            raise Unavailable("running as root, without a postgres user or runuser to start "
                              f"PostgreSQL as; set {URL_VARIABLE}")
        shutil.chown(folder, user)
        prefix = ["runuser", "-u", user, "--"]

    def run(*command) -> None:
        try:
            subprocess.run([*prefix, *map(str, command)], check=True, capture_output=True,
                           text=True, cwd=folder, timeout=120)
        except subprocess.CalledProcessError as error:
            log = folder / "log"
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise Unavailable(f"could not start PostgreSQL: {error.stderr.strip()} "
                              f"{detail}".strip()) from None

    return run


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
