"""Where Slack's OAuth installs are kept: slack_sdk's SQLAlchemy stores, in Haven's database.

Bot and user tokens are encrypted at rest with the same keys as the evidence; a database
dump alone gives nobody a token. The tables are created by Haven's migrations.
"""

from __future__ import annotations

import copy

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Engine

from bot.storage.crypto import Vault

BOTS_TABLE, INSTALLATIONS_TABLE, STATES_TABLE = ("slack_bots", "slack_installations",
                                                 "slack_oauth_states")
TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
SEALED = "gAAAA"  # how every Fernet token begins
STATE_SECONDS = 600


class SealedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's installation store with its tokens encrypted."""

    def __init__(self, client_id: str, engine: Engine, vault: Vault):
        super().__init__(client_id, engine, bots_table_name=BOTS_TABLE,
                         installations_table_name=INSTALLATIONS_TABLE)
        self.vault = vault

    def _sealed(self, record):
        record = copy.copy(record)
        for field in TOKEN_FIELDS:
            value = getattr(record, field, None)
            if isinstance(value, str) and value and not value.startswith(SEALED):
                setattr(record, field, self.vault.seal_bytes(value.encode()).decode())
        return record

    def _opened(self, record):
        if record is None:
            return None
        for field in TOKEN_FIELDS:
            value = getattr(record, field, None)
            if isinstance(value, str) and value.startswith(SEALED):
                setattr(record, field, self.vault.open_bytes(value.encode()).decode())
        return record

    def save(self, installation: Installation) -> None:
        super().save(self._sealed(installation))

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(self._sealed(bot))

    def find_bot(self, **kwargs) -> Bot | None:
        return self._opened(super().find_bot(**kwargs))

    def find_installation(self, **kwargs) -> Installation | None:
        return self._opened(super().find_installation(**kwargs))


def state_store(engine: Engine) -> SQLAlchemyOAuthStateStore:
    """The store of OAuth ``state`` values (one-time, ten minutes)."""
    return SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine,
                                     table_name=STATES_TABLE)


def tables(metadata) -> None:
    """Add the three tables to ``metadata`` (for the migration)."""
    SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS_TABLE)
    SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS_TABLE)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, STATES_TABLE)
