"""The key of the keyed hashes, stable across key rotations.

Haven links reports about one author, and finds a person's rows, by a keyed hash (HMAC) of
their Slack id. Were the hash keyed by the newest Fernet key, a rotation would change every
hash, and held reports would never meet their second report. So the hash has a key of its
own: 32 random bytes made once, stored in ``sealedsecret`` encrypted with the Fernet keys,
and re-encrypted with the newest key after a rotation (the old key can then be retired).
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.storage.crypto import Vault
from bot.storage.models import utcnow

HASH_KEY = "keyed_hash_key"
_secrets = sa.table("sealedsecret", sa.column("name"), sa.column("team_id"),
                    sa.column("cipher"), sa.column("created_at"))
_cases = sa.table("case", sa.column("author_key"))


def hash_key(connection: Connection, vault: Vault) -> bytes:
    """The installation's keyed-hash key, made on first use (in ``connection``'s
    transaction). A database whose cases were linked before the key had a row of its own
    keeps the key they were linked with (derived from the then newest Fernet key)."""
    sealed = connection.execute(sa.select(_secrets.c.cipher).where(
        _secrets.c.name == HASH_KEY)).scalar()
    if sealed is not None:
        key = vault.open_bytes(bytes(sealed))
        resealed = vault.reseal(bytes(sealed))
        if resealed is not None:
            connection.execute(_secrets.update().where(_secrets.c.name == HASH_KEY)
                               .values(cipher=resealed))
        return key
    linked = connection.execute(sa.select(_cases.c.author_key).where(
        _cases.c.author_key.is_not(None)).limit(1)).first()
    key = vault.first_key_hash_key() if linked else secrets.token_bytes(32)
    connection.execute(_secrets.insert().values(name=HASH_KEY, team_id="",
                                                cipher=vault.seal_bytes(key),
                                                created_at=utcnow()))
    return key


def attach(engine: Engine, vault: Vault) -> None:
    """Give ``vault`` the keyed-hash key of the database behind ``engine``: read, or made,
    at once (or on first use, when a worker starts before the database is migrated)."""

    def load() -> bytes:
        try:
            with engine.begin() as connection:
                return hash_key(connection, vault)
        except IntegrityError:  # another instance made it at the same moment: use theirs
            with engine.begin() as connection:
                return hash_key(connection, vault)

    vault.use_hash_key(load)
    try:  # now, outside any transaction: SQLite lets one connection write at a time
        vault.keyed_hash("")
    except SQLAlchemyError:  # not migrated yet: on first use, then
        vault.use_hash_key(load)
