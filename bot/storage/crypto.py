"""Evidence encryption at rest (Fernet, or MultiFernet for key rotation)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class EvidenceUnreadable(RuntimeError):
    """The ciphertext was made with a key that is no longer configured, or was altered."""


class Vault:
    """Encrypts JSON bundles. The first key encrypts; every key can decrypt (rotation).

    Keyed hashes use a key of their own, made once and kept sealed in the database
    (:mod:`bot.storage.identity`): a rotation of the Fernet keys leaves it unchanged, so
    reports about one author still match afterwards."""

    def __init__(self, keys: tuple[str, ...]):
        self._keys = tuple(keys)
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        self._newest = Fernet(keys[0])
        self._hash_key: bytes | None = None
        self._hash_key_loader: Callable[[], bytes] | None = None
        self._lock = threading.Lock()

    def use_hash_key(self, loader: Callable[[], bytes]) -> None:
        """Where the keyed-hash key comes from: ``loader`` is called once, on first use."""
        self._hash_key_loader = loader

    def keyed_hash(self, text: str) -> str:
        """A keyed hash (HMAC-SHA-256) of ``text``: equal texts match, yet nobody without
        the key can tell whose id it was. Used to link reports about the same author and to
        find a person's rows without storing their id."""
        return hmac.new(self._stable_key(), text.encode("utf-8"),
                        hashlib.sha256).hexdigest()[:32]

    def _stable_key(self) -> bytes:
        if self._hash_key is None:
            with self._lock:
                if self._hash_key is None:
                    if self._hash_key_loader is None:
                        raise RuntimeError("no keyed-hash key: see bot.storage.identity.attach")
                    self._hash_key = self._hash_key_loader()
        return self._hash_key

    def first_key_hash_key(self) -> bytes:
        """The keyed-hash key Haven derived from the newest Fernet key before the key had a
        row of its own (revision 0010): kept for databases whose cases were linked with it."""
        return hashlib.sha256(b"haven keyed hash:" + self._keys[0].encode()).digest()

    def reseal(self, cipher: bytes) -> bytes | None:
        """``cipher`` encrypted with the newest key, or None when it already is (after a
        rotation, so that the old key can be retired)."""
        try:
            self._newest.decrypt(cipher)
            return None
        except InvalidToken:
            try:
                return self._fernet.rotate(cipher)
            except InvalidToken:
                raise EvidenceUnreadable("cannot be decrypted with the configured keys") \
                    from None

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
