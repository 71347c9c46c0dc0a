"""Evidence encryption at rest (Fernet, or MultiFernet for key rotation)."""

from __future__ import annotations

import hashlib
import hmac
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class EvidenceUnreadable(RuntimeError):
    """The ciphertext was made with a key that is no longer configured, or was altered."""


class Vault:
    """Encrypts JSON bundles. The first key encrypts; every key can decrypt (rotation)."""

    def __init__(self, keys: tuple[str, ...]):
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        self._hash_key = hashlib.sha256(b"haven keyed hash:" + keys[0].encode()).digest()

    def keyed_hash(self, text: str) -> str:
        """A keyed hash (HMAC-SHA-256) of ``text``: equal texts match, yet nobody without
        the key can tell whose id it was. Used to link reports about the same author."""
        return hmac.new(self._hash_key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    @staticmethod
    def canonical(bundle: dict) -> bytes:
        """The bundle's bytes as hashed and encrypted: sorted keys, UTF-8, no spaces."""
        return json.dumps(bundle, sort_keys=True, ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")

    @classmethod
    def digest(cls, bundle: dict) -> str:
        """SHA-256 of the canonical bundle: proves later that the evidence is unchanged."""
        return hashlib.sha256(cls.canonical(bundle)).hexdigest()

    def seal(self, bundle: dict) -> tuple[bytes, str]:
        """Ciphertext and SHA-256 of a bundle."""
        plain = self.canonical(bundle)
        return self._fernet.encrypt(plain), hashlib.sha256(plain).hexdigest()

    def seal_bytes(self, data: bytes) -> bytes:
        """Ciphertext of raw bytes (an image)."""
        return self._fernet.encrypt(data)

    def open_bytes(self, cipher: bytes) -> bytes:
        """Raw bytes back from their ciphertext."""
        try:
            return self._fernet.decrypt(cipher)
        except InvalidToken:
            raise EvidenceUnreadable("evidence cannot be decrypted with the configured keys") \
                from None

    def open(self, cipher: bytes) -> dict:
        """The bundle back from its ciphertext."""
        try:
            return json.loads(self._fernet.decrypt(cipher))
        except InvalidToken:
            raise EvidenceUnreadable("evidence cannot be decrypted with the configured keys") \
                from None
