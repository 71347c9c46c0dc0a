"""identity columns: a stable keyed-hash key; who reported whom only sealed or key-hashed

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 12:00:00

The Slack ids of reporters, confidants, authors and the people notified, and where Haven's
DMs to them are, were stored in the clear. They become Fernet ciphertext (``*_cipher``,
where Haven needs the id back) and keyed hashes (``*_key``, to find a person's rows). The
existing rows are converted here, which needs the keys: :func:`bot.storage.db.migrate`
passes them (``haven migrate``, ``haven serve`` and every other command do). The keyed-hash
key is made here too, under the migration lock.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import context, op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

KEY = sqlmodel.sql.sqltypes.AutoString(length=32)
#: table -> (old column, new name, sealed, keyed)
CHANGES = {
    'case': (('reporter_id', 'reporter', True, True), ('confidant_id', 'confidant', True, True),
             ('reporter_dm', 'reporter_dm', True, False),
             ('confidant_dm', 'confidant_dm', True, False)),
    'notice': (('user_id', 'user', True, True), ('dm_channel', 'dm_channel', True, False)),
    'casemessage': (('posted', 'posted', True, False),),
    'retraction': (('posted', 'posted', True, False),),
    'flag': (('author_id', 'author', False, True),),
    'feedback': (('user_id', 'user', False, True),),
}


def upgrade() -> None:
    vault = context.config.attributes.get('vault')
    if vault is None and _waiting():  # before any change: SQLite commits each DDL at once
        from bot.config import SettingsError

        raise SettingsError("revision 0010 encrypts the user ids stored in the database "
                            "and needs the key: run `haven migrate`")
    op.create_table(
        'sealedsecret',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('team_id', KEY, nullable=False),
        sa.Column('enterprise_id', KEY, nullable=True),
        sa.Column('cipher', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name'))
    for table, columns in CHANGES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _old, new, is_sealed, keyed in columns:
                if is_sealed:
                    batch_op.add_column(sa.Column(f'{new}_cipher', sa.LargeBinary(),
                                                  nullable=True))
                if keyed:
                    batch_op.add_column(sa.Column(f'{new}_key', KEY, nullable=True))
    if vault is not None:
        _convert(vault)
    _finish_schema()


def _waiting() -> bool:
    """Whether any row holds an id to convert."""
    connection = op.get_bind()
    return any(connection.execute(sa.text(f'SELECT 1 FROM "{table}" LIMIT 1')).first()
               for table in (*CHANGES, 'evidence'))


def _convert(vault) -> None:
    """Seal and key-hash the ids already stored (and key-hash who kept evidence)."""
    connection = op.get_bind()
    from bot.storage.identity import hash_key

    key = hash_key(connection, vault)  # made (or read) before any hash is taken with it
    vault.use_hash_key(lambda: key)
    for table, columns in CHANGES.items():
        _convert_table(connection, vault, table, columns)
    evidence = sa.table('evidence', sa.column('id'), sa.column('team_id'), sa.column('kept_by'))
    for row in connection.execute(sa.select(evidence).where(evidence.c.kept_by.is_not(None))):
        connection.execute(evidence.update().where(evidence.c.id == row.id).values(
            kept_by=vault.keyed_hash(f'{row.team_id}:{row.kept_by}')))


def _convert_table(connection, vault, table: str, columns) -> None:
    old = [c[0] for c in columns]
    rows = sa.table(table, sa.column('id'), sa.column('team_id'),
                    *(sa.column(name) for name in old),
                    *(sa.column(f'{new}_cipher') for _o, new, s, _k in columns if s),
                    *(sa.column(f'{new}_key') for _o, new, _s, k in columns if k))
    for row in connection.execute(sa.select(rows.c.id, rows.c.team_id,
                                            *(rows.c[name] for name in old))).all():
        values = {}
        for name, new, is_sealed, keyed in columns:
            value = getattr(row, name)
            if is_sealed:
                values[f'{new}_cipher'] = vault.seal_bytes(value.encode()) if value else None
            if keyed:
                values[f'{new}_key'] = vault.keyed_hash(f'{row.team_id}:{value}') if value \
                    else ('' if name != 'confidant_id' else None)
        connection.execute(rows.update().where(rows.c.id == row.id).values(**values))


def _finish_schema() -> None:
    """Drop the clear columns (their constraints go with them); the new keys get theirs."""
    with op.batch_alter_table('case', schema=None) as batch_op:
        for name in ('reporter_id', 'confidant_id', 'reporter_dm', 'confidant_dm'):
            batch_op.drop_column(name)
        batch_op.alter_column('reporter_key', existing_type=KEY, nullable=False)
        batch_op.create_index('ix_case_reporter_key', ['reporter_key'], unique=False)
        batch_op.create_index('ix_case_confidant_key', ['confidant_key'], unique=False)
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_column('user_id')
        batch_op.drop_column('dm_channel')
        batch_op.alter_column('user_key', existing_type=KEY, nullable=False)
        batch_op.create_unique_constraint('uq_notice_flag_person', ['flag_id', 'user_key'])
        batch_op.create_unique_constraint('uq_notice_message_person',
                                          ['team_id', 'message_key', 'user_key'])
    for table, old in (('casemessage', 'posted'), ('retraction', 'posted')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(old)
    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.drop_column('author_id')
        batch_op.alter_column('author_key', existing_type=KEY, nullable=False)
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_column('user_id')
        batch_op.alter_column('user_key', existing_type=KEY, nullable=False)
        batch_op.create_unique_constraint('uq_feedback_flag_person', ['flag_id', 'user_key'])


def downgrade() -> None:
    raise NotImplementedError("revision 0010 cannot be undone: the keyed hashes cannot give "
                              "back the ids (restore the database from before it instead)")
