"""slack installations: slack_sdk's OAuth installation and state tables

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 03:40:00
"""

import sqlalchemy as sa
from alembic import op
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLES = ("slack_installations", "slack_bots", "slack_oauth_states")


def _metadata() -> sa.MetaData:
    # The tables exactly as slack_sdk's SQLAlchemy stores define them.
    metadata = sa.MetaData()
    SQLAlchemyInstallationStore.build_installations_table(metadata, TABLES[0])
    SQLAlchemyInstallationStore.build_bots_table(metadata, TABLES[1])
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, TABLES[2])
    return metadata


def upgrade() -> None:
    _metadata().create_all(op.get_bind())


def downgrade() -> None:
    _metadata().drop_all(op.get_bind())
