"""enterprise ids: every row carries its Enterprise Grid org as well as its workspace

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 04:45:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('admin', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('auditlog', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('confidant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('example', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('knownimage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('processedevent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('retraction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('seenrequest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('teamsetting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('watchedchannel', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('evidencefile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('casemessage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    with op.batch_alter_table('casenote', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('admin', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('auditlog', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('confidant', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('example', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('knownimage', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('processedevent', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('retraction', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('seenrequest', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('teamsetting', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('watchedchannel', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('evidencefile', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('casemessage', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')

    with op.batch_alter_table('casenote', schema=None) as batch_op:
        batch_op.drop_column('enterprise_id')
