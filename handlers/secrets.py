"""Encryption at rest for Spotify tokens and PKCE verifiers (Fernet, keyed from the secret key).

Keys rotate with MultiFernet: the current key encrypts, the current and the old keys decrypt,
and `rotate` re-encrypts a stored secret under the current key (`melodiclens secrets rotate`).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Fixed, public HKDF inputs: they separate this key from any other use of the secret key.
HKDF_SALT = b"melodiclens/v1"
HKDF_INFO = b"spotify-tokens"


class SecretKeyMissing(Exception):
    """Linking needs MELODICLENS_SECRET_KEY; the message tells the operator how to set it."""


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with any configured key; the user must link again."""


def _fernet(secret_key: str) -> Fernet:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=HKDF_INFO)
    return Fernet(base64.urlsafe_b64encode(hkdf.derive(secret_key.encode("utf-8"))))


class TokenCipher:
    """Encrypts and decrypts short secrets; the plaintext never leaves this object's callers."""

    def __init__(self, secret_keys: Sequence[str]) -> None:
        """`secret_keys`: the current key first, then older keys still accepted for reading."""
        keys = [key for key in secret_keys if key]
        if not keys:
            raise SecretKeyMissing(
                "Spotify linking is turned off: set MELODICLENS_SECRET_KEY (at least 16 "
                "characters, e.g. `openssl rand -hex 32`) so that tokens can be stored encrypted."
            )
        self._current = _fernet(keys[0])
        self._fernet = MultiFernet([self._current, *(_fernet(key) for key in keys[1:])])

    def encrypt(self, plaintext: str) -> bytes:
        """The Fernet token (bytes) for a secret string, under the current key."""
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def decrypt(self, ciphertext: bytes) -> str:
        """The secret string back, or SecretUnreadable when no configured key fits."""
        try:
            return self._fernet.decrypt(bytes(ciphertext)).decode("utf-8")
        except InvalidToken as err:
            raise SecretUnreadable(UNREADABLE) from err

    def is_current(self, ciphertext: bytes) -> bool:
        """Whether this secret is already encrypted under the current key."""
        try:
            self._current.decrypt(bytes(ciphertext))
        except InvalidToken:
            return False
        return True

    def rotate(self, ciphertext: bytes) -> bytes:
        """The same secret re-encrypted under the current key, or SecretUnreadable."""
        try:
            return self._fernet.rotate(bytes(ciphertext))
        except InvalidToken as err:
            raise SecretUnreadable(UNREADABLE) from err


UNREADABLE = (
    "A stored Spotify token cannot be decrypted with MELODICLENS_SECRET_KEY or "
    "MELODICLENS_OLD_SECRET_KEYS: the key changed without `melodiclens secrets rotate`."
)
