"""notices: one per person per message, across instances (edits racing their original)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 04:20:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_key', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
        batch_op.create_unique_constraint('uq_notice_message_user',
                                          ['team_id', 'message_key', 'user_id'])


def downgrade() -> None:
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_constraint('uq_notice_message_user', type_='unique')
        batch_op.drop_column('message_key')
