"""retractions: Haven's own Slack messages to delete or expire after an erasure

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 04:10:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('retraction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('posted', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('retraction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retraction_team_id'), ['team_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('retraction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retraction_team_id'))
    op.drop_table('retraction')
