"""Slack ids at rest: sealed (Fernet) or key-hashed (HMAC), never in the clear.

Who reported whom, to which confidant, about whom, and where Haven's DMs to them are, must
not be readable from a stolen database file. A column that Haven needs back (to DM the
person, to update a DM) holds Fernet ciphertext (``<name>_cipher``) behind a property of
the old name, so code reads ``case.reporter_id`` as before; a column Haven only looks rows
up by holds a keyed hash (``<name>_key``, :meth:`bot.storage.crypto.Vault.keyed_hash` of
``team:user``, stable across key rotations).

The vault comes from the engine (:func:`attach`): a row loaded by a session knows it, and a
new row's values are sealed when its session flushes.
"""

from __future__ import annotations

import weakref

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified, instance_state

from bot.storage.crypto import Vault

_VAULTS: weakref.WeakKeyDictionary[Engine, Vault] = weakref.WeakKeyDictionary()
_PENDING = "sealing.pending"


def attach(engine: Engine, vault: Vault) -> None:
    """Seal and open the ids of ``engine``'s rows with ``vault``; also gives the vault the
    database's keyed-hash key (:func:`bot.storage.identity.attach`)."""
    from bot.storage import identity

    identity.attach(engine, vault)
    _VAULTS[engine] = vault


def vault_of(session: Session) -> Vault:
    """The vault attached to the session's engine."""
    bind = session.get_bind()
    vault = _VAULTS.get(getattr(bind, "engine", bind))
    if vault is None:
        raise RuntimeError("no vault attached to this database (bot.storage.sealing.attach)")
    return vault


def person_key(session: Session, team_id: str, user_id: str | None) -> str | None:
    """The keyed hash a person's rows are found by (None for nobody)."""
    return vault_of(session).keyed_hash(f"{team_id}:{user_id}") if user_id else None


def sealed(name: str, *, keyed: bool = False, blank: str | None = None) -> property:
    """A property ``name`` over the column ``<name>_cipher`` (and, when ``keyed``, the keyed
    hash ``<name>_key`` beside it, to look rows up by). ``blank`` is what an erased or
    absent value reads as."""
    cipher, key = f"{name}_cipher", f"{name}_key" if keyed else None

    def read(row) -> str | None:
        info = instance_state(row).info
        pending = info.get(_PENDING, {})
        if name in pending:
            return pending[name]
        token = getattr(row, cipher)
        if token is None:
            return blank
        cached = info.get(name)
        if cached is not None and cached[0] == token:
            return cached[1]
        vault = info.get("vault")
        if vault is None:
            raise RuntimeError(f"{type(row).__name__}.{name} is sealed and no vault is attached")
        value = vault.open_bytes(bytes(token)).decode()
        info[name] = (token, value)
        return value

    def write(row, value: str | None) -> None:
        info = instance_state(row).info
        if not value:  # erased: no vault needed
            info.get(_PENDING, {}).pop(name, None)
            setattr(row, cipher, None)
            if key:
                setattr(row, key, blank if blank is not None else None)
            return
        info.setdefault(_PENDING, {})[name] = value
        if info.get("vault") is not None:
            _seal(row, info["vault"])
        elif instance_state(row).persistent:  # sealed at the flush, which must see it
            flag_modified(row, cipher)

    return property(read, write, doc=f"{name}, sealed in {cipher}")


def _seal(row, vault: Vault) -> None:
    """Seal a row's pending values (a property set before the row knew its vault)."""
    info = instance_state(row).info
    info["vault"] = vault
    for name, value in info.pop(_PENDING, {}).items():
        token = vault.seal_bytes(value.encode())
        setattr(row, f"{name}_cipher", token)
        info[name] = (token, value)
        if hasattr(type(row), f"{name}_key"):
            setattr(row, f"{name}_key", vault.keyed_hash(f"{row.team_id}:{value}"))


@event.listens_for(Session, "loaded_as_persistent")
def _loaded(session: Session, row) -> None:
    """A row read from the database opens its sealed values with its engine's vault."""
    if getattr(type(row), "__sealed__", False):
        bind = session.get_bind()
        instance_state(row).info["vault"] = _VAULTS.get(getattr(bind, "engine", bind))


@event.listens_for(Session, "before_flush")
def _seal_new(session: Session, _context, _instances) -> None:
    """New rows (and rows whose values were set before they had a vault) are sealed before
    they are written: no id reaches the database in the clear."""
    for row in (*session.new, *session.dirty):
        if getattr(type(row), "__sealed__", False) and instance_state(row).info.get(_PENDING):
            _seal(row, vault_of(session))
