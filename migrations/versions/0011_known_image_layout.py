"""known image layout: where a known image's words stand, so that a copy cropped through
its caption is still recognised

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 00:10:00

Rows registered before keep an empty layout and match as before (hashes and words).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('knownimage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('layout', sqlmodel.sql.sqltypes.AutoString(length=2000),
                                      nullable=False, server_default=''))
    with op.batch_alter_table('knownimage', schema=None) as batch_op:
        batch_op.alter_column('layout', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('knownimage', schema=None) as batch_op:
        batch_op.drop_column('layout')
