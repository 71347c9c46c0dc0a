"""Shared fixtures: the shipped model, loaded once per test session; a fresh database per
test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime, timedelta

import pytest

from classifier import load_model


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(service): the test needs Tesseract "
                                       "('tesseract') or Redis ('redis'); see tests/services.py")


def pytest_runtest_setup(item):
    """A test marked ``needs("tesseract")`` skips (or, under CI, fails) without it."""
    from tests import services

    for marker in item.iter_markers("needs"):
        for service in marker.args:
            services.require(service)


@pytest.fixture(scope="session", autouse=True)
def data_dir(tmp_path_factory):
    """Commands the tests run find their data here, never in the tester's own
    ~/.local/share/haven (HAVEN_DATA_DIR's default)."""
    folder = tmp_path_factory.mktemp("haven-data")
    previous = os.environ.get("HAVEN_DATA_DIR")
    os.environ["HAVEN_DATA_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("HAVEN_DATA_DIR", None)
    else:
        os.environ["HAVEN_DATA_DIR"] = previous


@pytest.fixture(scope="session")
def model():
    """The model shipped in ``models/``."""
    return load_model()


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server to create test databases on (see tests/postgres.py): required
    under CI, skipped on a machine that has none."""
    from tests import postgres

    servers = contextlib.ExitStack()
    try:
        url = servers.enter_context(postgres.server())
    except postgres.Required as error:
        pytest.fail(str(error), pytrace=False)
    except postgres.Unavailable as error:
        from tests import services

        services.require("postgres", str(error))
    with servers:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, or a database of its own on PostgreSQL.
    A test limits itself to one with ``@pytest.mark.parametrize("database_url",
    ["sqlite"], indirect=True)``."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'haven.db'}"
        return
    from tests import postgres

    with postgres.fresh_database(request.getfixturevalue("postgres_server")) as url:
        yield url


@pytest.fixture
def engine(database_url):
    """An engine on the fresh database, migrated to the newest schema."""
    from bot.storage.db import make_engine, migrate

    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def local(tmp_path, model, database_url):
    """Haven served on loopback against a fresh Slack double and a fresh database (SQLite
    and PostgreSQL)."""
    from cryptography.fernet import Fernet

    from bot.demo import LocalHaven

    env = {"DATABASE_URL": database_url}
    if not database_url.startswith("sqlite"):  # SQLite keeps its key in a file beside it
        env["HAVEN_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    with LocalHaven(tmp_path, env=env, model_loader=lambda: model) as running:
        yield running


class Clock:
    """Haven's clock for retries and retention (``queries.utcnow``), moved on by a test."""

    def __init__(self):
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def clock(monkeypatch):
    """Simulated time for the outbox: set ``clock.offset`` to let minutes or days pass."""
    from bot.storage import queries

    moved = Clock()
    monkeypatch.setattr(queries, "utcnow", moved)
    return moved
