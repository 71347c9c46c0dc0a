"""seen requests (replay protection); who kept a message as evidence for a report

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 03:40:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('seenrequest',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('seenrequest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seenrequest_at'), ['at'], unique=False)
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kept_by', sqlmodel.sql.sqltypes.AutoString(length=32),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_column('kept_by')
    with op.batch_alter_table('seenrequest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seenrequest_at'))
    op.drop_table('seenrequest')
