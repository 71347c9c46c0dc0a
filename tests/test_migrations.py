"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import bot.storage.models  # noqa: F401  (registers the tables)


def test_the_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    ours = [d for d in differences if not _slack_sdk_table(d)]
    assert ours == []


def _slack_sdk_table(difference) -> bool:
    """slack_sdk's installation tables are created by a migration but are not models."""
    names = " ".join(str(part) for part in _flatten(difference))
    return "slack_" in names


def _flatten(item):
    if isinstance(item, tuple | list):
        for part in item:
            yield from _flatten(part)
    else:
        yield getattr(item, "name", item)
