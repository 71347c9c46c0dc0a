"""identity columns: a stable keyed-hash key; who reported whom only sealed or key-hashed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 12:00:00

The keyed-hash key is made here (under the migration lock) when the app passes its keys to
:func:`bot.storage.db.migrate`; otherwise on first use.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import context, op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sealedsecret',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('cipher', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name'))
    vault = context.config.attributes.get('vault')
    if vault is not None:
        from bot.storage.identity import hash_key

        hash_key(op.get_bind(), vault)


def downgrade() -> None:
    op.drop_table('sealedsecret')
