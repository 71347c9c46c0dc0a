"""delivery retries: notices and retractions wait and retry until Slack confirms; examples
know the case whose verdict they came from

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 13:40:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False, server_default=sa.func.current_timestamp()))
        batch_op.add_column(sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('claim', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.alter_column('created_at', server_default=None)
    # notices given up on by the old five-attempt rule are due again (still within a day)
    op.execute("UPDATE notice SET status = 'pending' WHERE status = 'failed'")

    with op.batch_alter_table('retraction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table('retraction', schema=None) as batch_op:
        batch_op.alter_column('attempts', server_default=None)

    with op.batch_alter_table('example', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_example_case_id'), ['case_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('example', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_example_case_id'))
        batch_op.drop_column('case_id')

    with op.batch_alter_table('retraction', schema=None) as batch_op:
        batch_op.drop_column('due_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('number')

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_column('claim')
        batch_op.drop_column('due_at')
        batch_op.drop_column('created_at')
